package httpapi

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/jkhhc/artisanbridge/internal/apperr"
)

// importUploadLimit bounds an import's request body: the largest file the
// import service takes, and the multipart framing around it.
const importUploadLimit = 2<<30 + 64<<10

// startImport streams multipart field "file" into the import service as it
// arrives (nothing holds the whole file) and answers 202 with the import.
func (s *Server) startImport(kind string) gin.HandlerFunc {
	return func(c *gin.Context) {
		part, err := filePart(c)
		if err != nil {
			writeError(c, s.log, err)
			return
		}
		defer part.Close()
		imp, err := s.Imports.Upload(c.Request.Context(), kind, part.FileName(), part)
		if err == nil {
			c.Header("Location", APIPrefix+"/imports/"+imp.ID)
		}
		s.respond(c, http.StatusAccepted, imp, err)
	}
}

// filePart finds the part named "file" of a multipart body without
// reading the parts into memory or temporary files.
func filePart(c *gin.Context) (*multipart.Part, error) {
	missing := &apperr.Error{Code: apperr.Invalid, Message: "send the file as multipart/form-data field \"file\" (CSV or XLSX)",
		Fields: map[string]string{"file": "is required"}}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return nil, missing
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, missing
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, apperr.New(apperr.Invalid, "request body is larger than %d bytes", tooBig.Limit)
			}
			return nil, apperr.New(apperr.Invalid, "the multipart body is malformed: %v", err)
		}
		if part.FormName() == "file" {
			return part, nil
		}
		part.Close()
	}
}

func (s *Server) getImport(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	imp, err := s.Imports.Get(c.Request.Context(), id)
	s.respond(c, http.StatusOK, imp, err)
}

// importErrors streams the error report, one line per bad cell.
func (s *Server) importErrors(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		writeError(c, s.log, err)
		return
	}
	if _, err := s.Imports.Get(c.Request.Context(), id); err != nil {
		writeError(c, s.log, err)
		return
	}
	w := &lazyAttachment{c: c, contentType: "text/csv; charset=utf-8", filename: "import-" + id + "-errors.csv"}
	if err := s.Imports.WriteErrors(c.Request.Context(), id, w); err != nil {
		if !w.started {
			writeError(c, s.log, err)
			return
		}
		s.log.ErrorContext(c.Request.Context(), "import error report cut short", "import_id", id, "err", err)
		c.Abort()
		panic(http.ErrAbortHandler)
	}
	if !w.started {
		w.start()
	}
}
