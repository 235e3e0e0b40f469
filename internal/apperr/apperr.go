// Package apperr is the one error type of artisanbridge. Every layer returns
// *Error for failures a caller can act on; the HTTP layer maps Code to a status
// in exactly one place (no layer chooses a status), and anything that is not
// an *Error is reported as internal without leaking its text.
package apperr

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Code is a machine-readable error class, stable across releases (API.md).
type Code string

const (
	// Invalid is a malformed request: bad JSON, a wrong type, bad UTF-8, a
	// NUL byte, an unknown query parameter (HTTP 400).
	Invalid Code = "invalid_argument"
	// Unprocessable is a well-formed request whose values are not
	// acceptable: a price above the MRP, an unknown craft (HTTP 422).
	Unprocessable      Code = "unprocessable"
	MethodNotAllowed   Code = "method_not_allowed"
	Unauthenticated    Code = "unauthenticated"
	PermissionDenied   Code = "permission_denied"
	NotFound           Code = "not_found"
	Conflict           Code = "conflict"
	PreconditionFailed Code = "precondition_failed"
	RateLimited        Code = "rate_limited"
	Internal           Code = "internal"
)

// Codes lists every code, for the API's description.
var Codes = []Code{Invalid, Unprocessable, MethodNotAllowed, Unauthenticated, PermissionDenied, NotFound, Conflict, PreconditionFailed, RateLimited, Internal}

// Error carries a code, a message safe to show a user, and optional
// per-field messages for validation failures.
type Error struct {
	Code    Code
	Message string
	Fields  map[string]string
	cause   error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap exposes the cause for errors.Is/As; it is never shown to users.
func (e *Error) Unwrap() error { return e.cause }

// New returns an *Error with a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap keeps cause for logs while showing only message to users.
func Wrap(cause error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), cause: cause}
}

// Annotate adds context to *errp for the logs, in the style of pkgsite's
// derrors.Wrap: call it first thing with defer,
//
//	defer apperr.Annotate(&err, "Catalog.UpdateArtisan(%q)", id)
//
// An *Error inside keeps its code and its message for the user (errors.As
// still finds it); only the text logged for an internal error grows. Never
// pass a secret, a bank number or a token as an argument.
func Annotate(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = &annotated{context: fmt.Sprintf(format, args...), err: *errp}
	}
}

type annotated struct {
	context string
	err     error
}

func (a *annotated) Error() string { return a.context + ": " + a.err.Error() }
func (a *annotated) Unwrap() error { return a.err }

// CodeOf returns the code of err, Internal for foreign errors and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return CodeOf(err) == code }

// FieldErrors collects validation failures so that a caller sees every
// problem with its input at once, not one per round trip.
type FieldErrors map[string]string

// Add records msg for field unless the field already has a message.
func (f FieldErrors) Add(field, format string, args ...any) {
	if _, ok := f[field]; !ok {
		f[field] = fmt.Sprintf(format, args...)
	}
}

// Err returns nil when there are no field errors, else an Unprocessable
// *Error (the request was well-formed but its values are not acceptable)
// whose message names every failing field in a stable order.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	names := make([]string, 0, len(f))
	for k := range f {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, n+" "+f[n])
	}
	fields := make(map[string]string, len(f))
	for k, v := range f {
		fields[k] = v
	}
	return &Error{Code: Unprocessable, Message: strings.Join(parts, "; "), Fields: fields}
}

// CheckVersion is the optimistic-lock rule of every update (API.md): the
// caller must send the version it read, and a stale one is a conflict.
func CheckVersion(given *int64, stored int64, what, id string) error {
	if given == nil {
		return FieldErrors{"version": "is required on update"}.Err()
	}
	if *given != stored {
		return New(Conflict, "%s %s is at version %d, not %d: reload and retry", what, id, stored, *given)
	}
	return nil
}
