package httpapi

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/jkhhc/artisanbridge/internal/auth"
)

// QueueConsolePath is where the job queue console (asynqmon) is mounted.
const QueueConsolePath = "/admin/queues"

// MountQueueConsole serves ui (asynqmon's pages and its own JSON API) under
// QueueConsolePath to admins, and everything else from api. It is not part
// of the route table or the OpenAPI document: it is a tool for people, not
// part of the API.
//
// It takes the API's tokens. A browser cannot add a bearer header to the
// requests asynqmon's page makes, so the token is also accepted as the
// password of HTTP Basic authentication (any user name): the browser asks
// for it once and sends it with every request of the page.
func MountQueueConsole(api http.Handler, log *slog.Logger, authSvc *auth.Service, ui http.Handler) http.Handler {
	s := &Server{log: log, auth: authSvc}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(requestID(), accessLog(log), recovery(log))
	chain := []gin.HandlerFunc{basicAsBearer, s.authenticate, dropChallenge, s.authorize(auth.JobsAdmin), gin.WrapH(ui)}
	e.Any(QueueConsolePath, chain...)
	e.Any(QueueConsolePath+"/*path", chain...)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == QueueConsolePath || strings.HasPrefix(r.URL.Path, QueueConsolePath+"/") {
			e.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// basicAsBearer turns Basic credentials into the bearer token they carry
// and asks a browser without credentials to give them.
func basicAsBearer(c *gin.Context) {
	c.Header("WWW-Authenticate", `Basic realm="artisanbridge job queues (password: your API token)", charset="UTF-8"`)
	h := c.GetHeader("Authorization")
	if enc, ok := strings.CutPrefix(h, "Basic "); ok {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
		if _, token, found := strings.Cut(string(raw), ":"); err == nil && found {
			c.Request.Header.Set("Authorization", "Bearer "+token)
		} else {
			c.Request.Header.Del("Authorization")
		}
	}
	c.Next()
}

// dropChallenge keeps the Basic challenge off answers to a signed-in user.
func dropChallenge(c *gin.Context) {
	c.Writer.Header().Del("WWW-Authenticate")
	c.Next()
}
