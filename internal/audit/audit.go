// Package audit records who changed what and when, with the state before and
// after, for every change a person makes (DESIGN.md invariant 6).
package audit

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
)

// Entry is one audited change. Before and After hold the resource as the API
// shows it, so secrets appear only masked.
type Entry struct {
	ID         string          `json:"id"`
	ActorID    string          `json:"actor_id"`
	ActorName  string          `json:"actor_name"`
	Action     string          `json:"action"`
	Resource   string          `json:"resource"`
	ResourceID string          `json:"resource_id"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
	RequestID  string          `json:"request_id"`
	CreatedAt  time.Time       `json:"created_at"`
}

// New builds an entry for the actor and request of ctx. before or after may
// be nil (a creation has no before).
func New(ctx context.Context, now time.Time, action, resource, resourceID string, before, after any) Entry {
	a := reqctx.ActorFrom(ctx)
	return Entry{
		ID:         ids.New(),
		ActorID:    a.ID,
		ActorName:  a.Name,
		Action:     action,
		Resource:   resource,
		ResourceID: resourceID,
		Before:     marshal(before),
		After:      marshal(after),
		RequestID:  reqctx.RequestID(ctx),
		CreatedAt:  now.UTC(),
	}
}

func marshal(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		// Every audited value is a plain struct; failing here is a programming error
		// that must not block the change, so the entry says what happened instead.
		b, _ = json.Marshal(map[string]string{"marshal_error": err.Error()})
	}
	return b
}

// Filter narrows a listing of the log.
type Filter struct {
	Resource   string
	ResourceID string
	ActorID    string
}

// Reader lists audit entries, newest last, by keyset.
type Reader interface {
	ListAudit(ctx context.Context, f Filter, p paging.Request) (paging.Page[Entry], error)
}
