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

// mediaCall is what a media handler starts from: the photo service, and
// as the route needs them, the upload's id and the body.
type mediaCall struct {
	svc  *media.Service
	id   string
	body []byte
}

// mediaNeeds says what beginMedia reads besides the service.
type mediaNeeds int

const (
	needID   mediaNeeds = 1 << iota // the upload id of /media/uploads/:id
	needBody                        // the body, within the route's limit
)

// beginMedia is the preamble every media handler shares: the photo
// service (a process that keeps no photos answers 404), then what needs
// asks for. When it answers false, it has answered the error.
func (s *Server) beginMedia(c *gin.Context, needs mediaNeeds) (mediaCall, bool) {
	var m mediaCall
	err := func() (err error) {
		if s.Media == nil {
			return apperr.New(apperr.NotFound, "photos are not kept by this process")
		}
		m.svc = s.Media
		if needs&needID != 0 {
			if m.id, err = pathID(c); err != nil {
				return err
			}
		}
		if needs&needBody != 0 {
			m.body, err = readAll(c)
		}
		return err
	}()
	if err != nil {
		writeError(c, s.log, err)
		return m, false
	}
	return m, true
}

// putMedia stores a photo sent whole; the same bytes again store nothing.
func (s *Server) putMedia(c *gin.Context) {
	m, ok := s.beginMedia(c, needBody)
	if !ok {
		return
	}
	out, err := m.svc.Put(c.Request.Context(), c.ContentType(), m.body)
	s.respond(c, http.StatusCreated, out, err)
}

func (s *Server) getMedia(c *gin.Context) {
	m, ok := s.beginMedia(c, 0)
	if !ok {
		return
	}
	out, err := m.svc.Get(c.Request.Context(), c.Param("sha"))
	s.respond(c, http.StatusOK, out, err)
}

func (s *Server) startUpload(c *gin.Context) {
	m, ok := s.beginMedia(c, 0)
	if !ok {
		return
	}
	var in UploadStart
	if err := decodeJSON(c, &in); err != nil {
		writeError(c, s.log, err)
		return
	}
	u, err := m.svc.StartUpload(c.Request.Context(), in.ContentType, in.Length)
	if err == nil {
		c.Header("Location", APIPrefix+"/media/uploads/"+u.ID)
		uploadHeaders(c, u)
	}
	s.respond(c, http.StatusCreated, u, err)
}

func (s *Server) uploadStatus(c *gin.Context) {
	m, ok := s.beginMedia(c, needID)
	if !ok {
		return
	}
	u, err := m.svc.UploadStatus(c.Request.Context(), m.id)
	if err == nil {
		uploadHeaders(c, u)
		c.Header("Cache-Control", "no-store")
	}
	s.respond(c, http.StatusOK, u, err)
}

// appendUpload takes one chunk: Upload-Offset says where it starts. The
// headers are checked before the body is read.
func (s *Server) appendUpload(c *gin.Context) {
	m, ok := s.beginMedia(c, needID)
	if !ok {
		return
	}
	offset, err := chunkOffset(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	body, err := readAll(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	u, err := m.svc.Append(c.Request.Context(), m.id, offset, body)
	if err == nil {
		uploadHeaders(c, u)
	}
	s.respond(c, http.StatusOK, u, err)
}

// chunkOffset reads a chunk's headers (tus): its type and where it starts.
func chunkOffset(c *gin.Context) (int64, error) {
	if ct := c.ContentType(); ct != "application/offset+octet-stream" && ct != "application/octet-stream" {
		return 0, &apperr.Error{Code: apperr.Invalid, Message: "a chunk is sent as application/offset+octet-stream (tus)",
			Fields: map[string]string{"Content-Type": "must be application/offset+octet-stream"}}
	}
	offset, err := strconv.ParseInt(strings.TrimSpace(c.GetHeader("Upload-Offset")), 10, 64)
	if err != nil || offset < 0 {
		return 0, &apperr.Error{Code: apperr.Invalid, Message: "Upload-Offset must say where the chunk starts: GET the upload for its offset",
			Fields: map[string]string{"Upload-Offset": "must be a whole number of bytes, 0 or more"}}
	}
	return offset, nil
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
	m, ok := s.beginMedia(c, 0)
	if !ok {
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
	v, err := m.svc.Variant(c.Request.Context(), sha, variant)
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
