package store

import (
	"context"
	"encoding/json"

	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// Audit implements audit.Reader.
type Audit struct{ db *DB }

// Audit returns the audit log reader. Entries are written only by inTx.
func (db *DB) Audit() *Audit { return &Audit{db: db} }

var _ audit.Reader = (*Audit)(nil)

func (a *Audit) ListAudit(ctx context.Context, f audit.Filter, p paging.Request) (paging.Page[audit.Entry], error) {
	q := keyset(a.db.gorm.WithContext(ctx), p)
	q = whereIf(q, "resource = ?", f.Resource)
	q = whereIf(q, "resource_id = ?", f.ResourceID)
	q = whereIf(q, "actor_id = ?", f.ActorID)
	rows, err := findRows[auditRow](q)
	if err != nil {
		return paging.Page[audit.Entry]{}, err
	}
	return paging.Build(mapRows(rows, func(r auditRow) audit.Entry {
		e := audit.Entry{ID: r.ID, ActorID: r.ActorID, ActorName: r.ActorName, Action: r.Action, Resource: r.Resource,
			ResourceID: r.ResourceID, RequestID: r.RequestID, CreatedAt: r.CreatedAt.UTC()}
		if r.BeforeJSON != nil {
			e.Before = json.RawMessage(*r.BeforeJSON)
		}
		if r.AfterJSON != nil {
			e.After = json.RawMessage(*r.AfterJSON)
		}
		return e
	}), p.Limit, func(e audit.Entry) string { return e.ID }), nil
}
