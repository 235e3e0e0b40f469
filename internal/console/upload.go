package console

import (
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/auth"
	"github.com/jkhhc/artisanbridge/internal/media"
)

// The photo form's resumable upload (static/upload.js): the media
// service's tus 1.0 core upload, behind the console's session, the
// session's CSRF token (in X-CSRF-Token: a script's request has no form)
// and the permission that adds a photo. A dropped link resumes from the
// offset the server holds (HEAD); without the script the form posts the
// file whole, as before.
const uploadsPath = "/showroom/uploads"

func (c *Console) uploadRoutes() {
	c.mux.HandleFunc("POST "+uploadsPath, c.uploadDoor(c.startUpload))
	c.mux.HandleFunc("HEAD "+uploadsPath+"/{id}", c.uploadDoor(c.uploadOffset))
	c.mux.HandleFunc("PATCH "+uploadsPath+"/{id}", c.uploadDoor(c.uploadChunk))
}

// uploadDoor is guard's twin for the upload's requests: signed in, allowed
// to add photos, and (for a write) the same origin and the session's token.
func (c *Console) uploadDoor(h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Tus-Resumable", "1.0.0")
		w.Header().Set("Cache-Control", "no-store")
		err := func() error {
			if c.Media == nil {
				return apperr.New(apperr.PreconditionFailed, "photos cannot be stored by this process")
			}
			v, err := c.identify(r)
			if err != nil {
				return err
			}
			if !v.signedIn() {
				return apperr.New(apperr.Unauthenticated, "%s", translate(v.Lang, "error.signed_out"))
			}
			r = withActor(r, v.User)
			if !auth.Allowed(v.User.Role, auth.ProductsWrite) {
				return apperr.New(apperr.PermissionDenied, "%s", translate(v.Lang, "error.forbidden"))
			}
			if r.Method != http.MethodHead && (!sameOrigin(r) || !auth.CheckCSRF(v.Token, r.Header.Get("X-CSRF-Token"))) {
				return apperr.New(apperr.PermissionDenied, "%s", translate(v.Lang, "error.csrf"))
			}
			return h(w, r)
		}()
		if err != nil {
			if apperr.CodeOf(err) == apperr.Internal {
				c.Log.ErrorContext(r.Context(), "console: upload failed", "err", err)
			}
			http.Error(w, problemOf(err).Message, statusOf(err))
		}
	}
}

// startUpload opens an upload of Upload-Length bytes of the type
// Upload-Metadata's filetype names (tus's creation extension).
func (c *Console) startUpload(w http.ResponseWriter, r *http.Request) error {
	length, err := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64)
	if err != nil {
		return &apperr.Error{Code: apperr.Invalid, Message: "say the photo's size in bytes in Upload-Length", Fields: map[string]string{"Upload-Length": "a whole number of bytes"}}
	}
	u, err := c.Media.StartUpload(r.Context(), metadata(r.Header.Get("Upload-Metadata"), "filetype"), length)
	if err != nil {
		return err
	}
	w.Header().Set("Location", uploadsPath+"/"+u.ID)
	w.Header().Set("Upload-Offset", "0")
	w.WriteHeader(http.StatusCreated)
	return nil
}

// uploadOffset answers how far an upload got (after a dropped link).
func (c *Console) uploadOffset(w http.ResponseWriter, r *http.Request) error {
	u, err := c.Media.UploadStatus(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Upload-Offset", strconv.FormatInt(u.Offset, 10))
	w.Header().Set("Upload-Length", strconv.FormatInt(u.Length, 10))
	w.WriteHeader(http.StatusOK)
	return nil
}

// uploadChunk takes the bytes from Upload-Offset on. A chunk cut short by
// a dropped link is not stored at all (the body must arrive whole); a
// chunk that does not start where the upload stands is answered 409 with
// the offset it stands at.
func (c *Console) uploadChunk(w http.ResponseWriter, r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "application/offset+octet-stream" {
		return &apperr.Error{Code: apperr.Invalid, Message: "send a chunk as application/offset+octet-stream", Fields: map[string]string{"Content-Type": "application/offset+octet-stream"}}
	}
	offset, err := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || offset < 0 {
		return &apperr.Error{Code: apperr.Invalid, Message: "say where the chunk starts in Upload-Offset (HEAD the upload for it)", Fields: map[string]string{"Upload-Offset": "a whole number of bytes"}}
	}
	chunk, err := io.ReadAll(http.MaxBytesReader(w, r.Body, media.MaxChunk))
	if err != nil {
		return &apperr.Error{Code: apperr.Invalid, Message: "the chunk did not arrive whole (at most 4 MiB): HEAD the upload and send from its offset", Fields: map[string]string{"body": "cut short or over 4194304 bytes"}}
	}
	u, err := c.Media.Append(r.Context(), r.PathValue("id"), offset, chunk)
	if apperr.Is(err, apperr.Conflict) {
		if now, serr := c.Media.UploadStatus(r.Context(), r.PathValue("id")); serr == nil {
			w.Header().Set("Upload-Offset", strconv.FormatInt(now.Offset, 10))
		}
	}
	if err != nil {
		return err
	}
	w.Header().Set("Upload-Offset", strconv.FormatInt(u.Offset, 10))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// metadata reads one key of tus's Upload-Metadata ("key base64value,...").
func metadata(h, key string) string {
	for _, pair := range strings.Split(h, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(pair), " ")
		if k == key {
			b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
			if err == nil {
				return string(b)
			}
		}
	}
	return ""
}

// uploadedPhoto is the photo of a finished upload the form names, or
// refuses an upload that has not received every byte.
func (c *Console) uploadedPhoto(r *http.Request, id string) (media.Media, error) {
	u, err := c.Media.UploadStatus(r.Context(), id)
	if err != nil {
		return media.Media{}, err
	}
	if !u.Complete() || u.Media == nil {
		return media.Media{}, &apperr.Error{Code: apperr.Invalid, Message: "the photo has not finished uploading: choose it again and save",
			Fields: map[string]string{"upload_id": "received " + strconv.FormatInt(u.Offset, 10) + " of " + strconv.FormatInt(u.Length, 10) + " bytes"}}
	}
	return *u.Media, nil
}
