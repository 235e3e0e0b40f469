package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
)

// statusOf is the one place error codes become HTTP statuses.
var statusOf = map[apperr.Code]int{
	apperr.Invalid:            http.StatusBadRequest,
	apperr.Unprocessable:      http.StatusUnprocessableEntity,
	apperr.MethodNotAllowed:   http.StatusMethodNotAllowed,
	apperr.Unauthenticated:    http.StatusUnauthorized,
	apperr.PermissionDenied:   http.StatusForbidden,
	apperr.NotFound:           http.StatusNotFound,
	apperr.Conflict:           http.StatusConflict,
	apperr.PreconditionFailed: http.StatusPreconditionFailed,
	apperr.RateLimited:        http.StatusTooManyRequests,
	apperr.Internal:           http.StatusInternalServerError,
}

// ErrorBody is the API's one error shape (API.md, "Conventions").
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code    apperr.Code       `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// writeError answers with err's code; anything that is not an *apperr.Error
// is logged with the request id and shown only as "internal error".
func writeError(c *gin.Context, log *slog.Logger, err error) {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		ae = apperr.Wrap(err, apperr.Internal, "internal error")
	}
	status, ok := statusOf[ae.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	msg := ae.Message
	if ae.Code == apperr.Internal {
		log.ErrorContext(c.Request.Context(), "request failed", "err", err,
			"request_id", reqctx.RequestID(c.Request.Context()), "path", c.FullPath())
		msg = "internal error (request id " + reqctx.RequestID(c.Request.Context()) + ")"
	}
	c.AbortWithStatusJSON(status, ErrorBody{Error: ErrorDetail{Code: ae.Code, Message: msg, Fields: ae.Fields}})
}
