package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestExceptionQueue is issue 12's acceptance 4: every kind of exception
// is opened, de-duplicated (one open per cause, in the database), assigned
// and resolved, each change audited, filterable by kind, channel, age and
// assignee, and worked only by the role its kind belongs to (finance the
// settlement kinds, operations the rest, admin all).
func TestExceptionQueue(t *testing.T) {
	eachBackend(t, func(t *testing.T, b testenv.Backend, f *fixture) {
		ctx := context.Background()
		users := auth.NewService(f.db.Users(), nil)
		user := map[string]auth.User{}
		for _, r := range []auth.Role{auth.RoleAdmin, auth.RoleOperations, auth.RoleFinance, auth.RoleShowroom} {
			u, _, err := users.CreateUser(ctx, auth.NewUser{Name: "desk " + string(r), Role: r})
			if err != nil {
				t.Fatal(err)
			}
			user[string(r)] = u
		}
		as := func(role string) context.Context {
			u := user[role]
			return reqctx.WithActor(ctx, reqctx.Actor{ID: u.ID, Name: u.Name, Role: role})
		}
		svc := exceptions.NewService(f.db.Exceptions(), nil)
		channel := ids.New()
		for _, kind := range exceptions.Kinds {
			t.Run(kind, func(t *testing.T) {
				worker, other := "operations", "finance"
				if !exceptions.MayWork("operations", kind) {
					worker, other = "finance", "operations"
				}
				e := exceptions.Exception{Kind: kind, CauseKey: kind + ":" + channel, Summary: kind + " happened",
					Detail: "the marketplace said so", Resource: "channel", ResourceID: channel}
				for i := 0; i < 3; i++ { // raised three times: one open exception, three occurrences
					if err := f.db.Exceptions().Raise(ctx, e); err != nil {
						t.Fatal(err)
					}
				}
				page, err := svc.List(ctx, exceptions.Filter{Kind: kind, Status: exceptions.StatusOpen, ChannelID: channel, Assignee: exceptions.Unassigned}, paging.Request{Limit: 10})
				if err != nil || len(page.Items) != 1 || page.Items[0].Occurrences != 3 || page.Items[0].ChannelID != channel {
					t.Fatalf("open after three raises: %+v %v", page.Items, err)
				}
				id := page.Items[0].ID
				// The database itself refuses a second open row for the cause.
				err = f.db.Gorm().Exec(`INSERT INTO exceptions (id, kind, cause_key, status, summary, created_at, updated_at) VALUES (?, ?, ?, 'open', 'x', ?, ?)`,
					ids.New(), kind, e.CauseKey, time.Now().UTC(), time.Now().UTC()).Error
				if err == nil {
					t.Fatal("a second open exception for one cause was stored")
				}
				// The other desk may neither assign nor resolve it; nor may the showroom.
				for _, role := range []string{other, "showroom"} {
					if _, err := svc.Assign(as(role), id, exceptions.AssignInput{UserID: user[role].ID}); !apperr.Is(err, apperr.PermissionDenied) {
						t.Fatalf("%s assigned a %s exception: %v", role, kind, err)
					}
					if _, err := svc.Resolve(as(role), id, exceptions.ResolveInput{Resolution: "done"}, role); !apperr.Is(err, apperr.PermissionDenied) {
						t.Fatalf("%s resolved a %s exception: %v", role, kind, err)
					}
				}
				// Assigned to someone of the wrong desk: refused, naming user_id.
				var ae *apperr.Error
				if _, err := svc.Assign(as(worker), id, exceptions.AssignInput{UserID: user[other].ID}); !errors.As(err, &ae) || ae.Fields["user_id"] == "" {
					t.Fatalf("assigned to the %s desk: %v", other, err)
				}
				if _, err := svc.Assign(as(worker), id, exceptions.AssignInput{UserID: ids.New()}); !errors.As(err, &ae) || ae.Fields["user_id"] == "" {
					t.Fatalf("assigned to nobody: %v", err)
				}
				got, err := svc.Assign(as(worker), id, exceptions.AssignInput{UserID: user[worker].ID})
				if err != nil || got.AssigneeID == nil || *got.AssigneeID != user[worker].ID {
					t.Fatalf("assign: %+v %v", got, err)
				}
				mine, _ := svc.List(ctx, exceptions.Filter{Assignee: user[worker].ID, Kind: kind}, paging.Request{Limit: 10})
				if len(mine.Items) != 1 {
					t.Fatalf("by assignee: %+v", mine.Items)
				}
				if _, err := svc.Resolve(as(worker), id, exceptions.ResolveInput{Resolution: ""}, worker); !errors.As(err, &ae) || ae.Fields["resolution"] == "" {
					t.Fatalf("resolve without a note: %v", err)
				}
				got, err = svc.Resolve(as(worker), id, exceptions.ResolveInput{Resolution: "checked with the marketplace and corrected"}, worker)
				if err != nil || got.Status != exceptions.StatusResolved || got.Resolution == "" {
					t.Fatalf("resolve: %+v %v", got, err)
				}
				if _, err := svc.Resolve(as("admin"), id, exceptions.ResolveInput{Resolution: "again"}, "admin"); !apperr.Is(err, apperr.Conflict) {
					t.Fatalf("resolved twice: %v", err)
				}
				// Resolved, the cause may open again: a new exception.
				if err := f.db.Exceptions().Raise(ctx, e); err != nil {
					t.Fatal(err)
				}
				again, _ := svc.List(ctx, exceptions.Filter{Kind: kind, Status: exceptions.StatusOpen}, paging.Request{Limit: 10})
				if len(again.Items) != 1 || again.Items[0].ID == id || again.Items[0].Occurrences != 1 {
					t.Fatalf("reopened: %+v", again.Items)
				}
				var audited int64
				f.db.Gorm().Raw(`SELECT count(*) FROM audit_log WHERE resource = 'exception' AND resource_id = ? AND action IN ('assign', 'resolve')`, id).Scan(&audited)
				if audited != 2 {
					t.Fatalf("audit entries for the assignment and the resolution: %d", audited)
				}
			})
		}
		// Age: nothing is older than a day; everything open is older than 0.
		day := time.Now().Add(-24 * time.Hour)
		if old, _ := svc.List(ctx, exceptions.Filter{CreatedBefore: &day}, paging.Request{Limit: 50}); len(old.Items) != 0 {
			t.Fatalf("older than a day: %d", len(old.Items))
		}
		now := time.Now().Add(time.Second)
		if all, _ := svc.List(ctx, exceptions.Filter{Status: exceptions.StatusOpen, CreatedBefore: &now}, paging.Request{Limit: 50}); len(all.Items) != len(exceptions.Kinds) {
			t.Fatalf("open now: %d", len(all.Items))
		}
	})
}
