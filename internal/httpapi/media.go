package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/etag"
	"github.com/jkhhc/artisanbridge/internal/media"
)

// UploadStart is the body of POST /media/uploads.
type UploadStart struct {
	ContentType string `json:"content_type"`
	Length      int64  `json:"length"`
}

// tusVersion is the tus protocol version the uploads follow.
const tusVersion = "1.0.0"

func (s *Server) mediaService() (*media.Service, error) {
	if s.Media == nil {
		return nil, apperr.New(apperr.NotFound, "photos are not kept by this process")
	}
	return s.Media, nil
}

// putMedia stores a photo sent whole; the same bytes again store nothing.
func (s *Server) putMedia(c *gin.Context) {
	svc, err := s.mediaService()
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	body, err := readAll(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	m, err := svc.Put(c.Request.Context(), c.ContentType(), body)
	s.respond(c, http.StatusCreated, m, err)
}

func (s *Server) getMedia(c *gin.Context) {
	svc, err := s.mediaService()
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	m, err := svc.Get(c.Request.Context(), c.Param("sha"))
	s.respond(c, http.StatusOK, m, err)
}

func (s *Server) startUpload(c *gin.Context) {
	svc, err := s.mediaService()
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	var in UploadStart
	if err := decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	u, err := svc.StartUpload(c.Request.Context(), in.ContentType, in.Length)
	if err == nil {
		c.Header("Location", APIPrefix+"/media/uploads/"+u.ID)
		uploadHeaders(c, u)
	}
	s.respond(c, http.StatusCreated, u, err)
}

func (s *Server) uploadStatus(c *gin.Context) {
	svc, err := s.mediaService()
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	u, err := svc.UploadStatus(c.Request.Context(), id)
	if err == nil {
		uploadHeaders(c, u)
		c.Header("Cache-Control", "no-store")
	}
	s.respond(c, http.StatusOK, u, err)
}

// appendUpload takes one chunk: Upload-Offset says where it starts.
func (s *Server) appendUpload(c *gin.Context) {
	svc, err := s.mediaService()
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	if ct := c.ContentType(); ct != "application/offset+octet-stream" && ct != "application/octet-stream" {
		writeError(c, s.log, &apperr.Error{Code: apperr.Invalid, Message: "a chunk is sent as application/offset+octet-stream (tus)",
			Fields: map[string]string{"Content-Type": "must be application/offset+octet-stream"}})
		return
	}
	offset, err := strconv.ParseInt(strings.TrimSpace(c.GetHeader("Upload-Offset")), 10, 64)
	if err != nil || offset < 0 {
		writeError(c, s.log, &apperr.Error{Code: apperr.Invalid, Message: "Upload-Offset must say where the chunk starts: GET the upload for its offset",
			Fields: map[string]string{"Upload-Offset": "must be a whole number of bytes, 0 or more"}})
		return
	}
	body, err := readAll(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	u, err := svc.Append(c.Request.Context(), id, offset, body)
	if err == nil {
		uploadHeaders(c, u)
	}
	s.respond(c, http.StatusOK, u, err)
}

func uploadHeaders(c *gin.Context, u media.Upload) {
	c.Header("Tus-Resumable", tusVersion)
	c.Header("Upload-Offset", strconv.FormatInt(u.Offset, 10))
	c.Header("Upload-Length", strconv.FormatInt(u.Length, 10))
	if !u.Complete() {
		c.Header("Upload-Expires", u.Expires().UTC().Format(http.TimeFormat))
	}
}

// serveMedia answers a photo or one of its variants to anyone: the URL
// names the bytes (their SHA-256), so they never change and are cached
// for a year.
func (s *Server) serveMedia(c *gin.Context) {
	svc, err := s.mediaService()
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	sha, variant := c.Param("sha"), c.Param("variant")
	if variant == "" {
		variant = media.Original
	}
	tag := `"` + sha + "." + variant + `"`
	if etag.Matches(c.GetHeader("If-None-Match"), tag) && media.ValidSHA(sha) && media.KnownVariant(variant) {
		c.Header("ETag", tag)
		c.Header("Cache-Control", immutable)
		c.Status(http.StatusNotModified)
		return
	}
	v, err := svc.Variant(c.Request.Context(), sha, variant)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	c.Header("ETag", tag)
	c.Header("Cache-Control", immutable)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, v.ContentType, v.Data)
}

const immutable = "public, max-age=31536000, immutable"
