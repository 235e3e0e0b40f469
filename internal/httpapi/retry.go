package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
)

// retryException handles POST /exceptions/{id}/retry: a missed order
// taken in again once its cause is fixed (orderpull.Puller.Retry). The
// answer is what was ingested and the exception, resolved by the caller;
// a retry that still fails answers 422 and leaves the exception open.
func (s *Server) retryException(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	if s.RetryMissedOrder == nil {
		writeError(c, s.log, apperr.New(apperr.PreconditionFailed, "this process does not retry missed orders: call the API process"))
		return
	}
	out, err := s.RetryMissedOrder(c.Request.Context(), id, reqctx.ActorFrom(c.Request.Context()).Name)
	s.respond(c, http.StatusOK, out, err)
}
