package httpapi

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/etag"
	"github.com/jkhhc/artisanbridge/internal/showcase"
)

// publicCache lets browsers and proxies keep a public page five minutes,
// then ask again with its ETag (a 304 costs a few bytes on a slow link).
const publicCache = "public, max-age=300"

// privateCache is for the answer to a ?lang= link, which sets the
// language cookie: the browser keeps it, a shared cache does not.
const privateCache = "private, max-age=300"

// pageCSP keeps pages to themselves: no script, styles inline, pictures
// from this service (or an image URL a product names).
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (s *Server) publicPage(param string, render func(ctx context.Context, site *showcase.Site, v string) (showcase.Page, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.Showcase == nil {
			writeError(c, s.log, apperr.New(apperr.NotFound, "public pages are not served by this process"))
			return
		}
		// The language: a ?lang= link (remembered in a cookie), else the
		// cookie, else Accept-Language. The page varies by both headers; an
		// answer that sets the cookie is the visitor's own, kept by no
		// shared cache.
		cache := publicCache
		lang := "en"
		if l := s.Showcase.Labels; l != nil {
			remembered, _ := c.Cookie(showcase.LangCookie)
			lang = l.ChooseLanguage(c.Query("lang"), remembered, c.GetHeader("Accept-Language"))
			if q := c.Query("lang"); q == lang && q != remembered {
				http.SetCookie(c.Writer, &http.Cookie{Name: showcase.LangCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true,
					Secure: c.Request.TLS != nil || c.GetHeader("X-Forwarded-Proto") == "https", SameSite: http.SameSiteLaxMode})
				cache = privateCache
			}
		}
		c.Header("Vary", "Accept-Language, Cookie")
		page, err := render(showcase.WithLang(c.Request.Context(), lang), s.Showcase, c.Param(param))
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		c.Header("Cache-Control", cache)
		c.Header("ETag", page.ETag)
		if etag.Matches(c.GetHeader("If-None-Match"), page.ETag) {
			c.Status(http.StatusNotModified)
			return
		}
		htmlHeaders(c)
		c.Data(http.StatusOK, "text/html; charset=utf-8", page.HTML)
	}
}

func htmlHeaders(c *gin.Context) {
	c.Header("Content-Security-Policy", pageCSP)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Referrer-Policy", "same-origin")
}

// productTag prints a piece's tag for showroom staff.
func (s *Server) productTag(c *gin.Context) {
	if s.Showcase == nil {
		writeError(c, s.log, apperr.New(apperr.NotFound, "tags are not printed by this process"))
		return
	}
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	p, err := s.Catalog.GetProduct(c.Request.Context(), id)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	page, err := s.Showcase.Tag(c.Request.Context(), p)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Header("Cache-Control", "private, no-cache")
	htmlHeaders(c)
	c.Data(http.StatusOK, "text/html; charset=utf-8", page.HTML)
}
