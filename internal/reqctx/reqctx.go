// Package reqctx carries who is acting and under which request id through a
// context, so that audit entries and logs can name them without every
// function taking extra parameters.
package reqctx

import "context"

type ctxKey int

const (
	actorKey ctxKey = iota
	requestIDKey
)

// Actor is the person or process a change is attributed to.
type Actor struct {
	ID   string
	Name string
	Role string
}

// System is the actor of changes made by the service itself.
var System = Actor{ID: "system", Name: "system", Role: "system"}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey, a)
}

// ActorFrom returns the actor of ctx, System when none was set.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey).(Actor); ok {
		return a
	}
	return System
}

// WithRequestID returns ctx carrying id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request id of ctx, or "".
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}
