package media

import (
	"context"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/reqctx"
)

// Resumable uploads follow the tus 1.0 core protocol (tus.io): the upload
// is created with its length, then its bytes are sent in PATCH requests
// each saying the offset it starts at (Upload-Offset); after a dropped
// link the client asks the offset reached and sends the rest. When the
// last byte arrives the photo is stored as Put stores it.

// MaxChunk is the largest PATCH body accepted.
const MaxChunk = 4 << 20

// UploadLifetime is how long an upload waits for its next chunk (tus
// Upload-Expires); older uploads and their chunks are dropped when the
// next upload starts.
const UploadLifetime = 24 * time.Hour

// Upload is one resumable upload.
type Upload struct {
	ID          string    `json:"id"`
	ContentType string    `json:"content_type"`
	Length      int64     `json:"length"`
	Offset      int64     `json:"offset"`
	CreatedBy   string    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// SHA256 names the stored photo once the upload is complete.
	SHA256 string `json:"sha256,omitempty"`
	// Media describes it (complete uploads only).
	Media *Media `json:"media,omitempty"`
}

// Expires is when the upload is dropped unless a chunk arrives.
func (u Upload) Expires() time.Time { return u.UpdatedAt.Add(UploadLifetime) }

// Complete reports whether every byte has arrived.
func (u Upload) Complete() bool { return u.Offset == u.Length }

// UploadStore keeps uploads in progress.
type UploadStore interface {
	CreateUpload(ctx context.Context, u Upload, fx effects.Set) error
	// GetUpload returns the upload if createdBy started it, or NotFound.
	GetUpload(ctx context.Context, id, createdBy string) (Upload, error)
	// AppendChunk stores chunk as the bytes from offset on, when the
	// upload (started by createdBy) has received exactly offset bytes and
	// the chunk does not run past its length; Conflict otherwise.
	// fx (the audit entry) is written with the chunk.
	AppendChunk(ctx context.Context, id, createdBy string, offset int64, chunk []byte, now time.Time, fx effects.Set) (Upload, error)
	// UploadData returns the bytes received, in order.
	UploadData(ctx context.Context, id string) ([]byte, error)
	// FinishUpload records the stored photo and drops the chunks.
	FinishUpload(ctx context.Context, id, sha string, now time.Time) error
	// DropUploads deletes the uploads (and chunks) untouched since before.
	DropUploads(ctx context.Context, before time.Time) (int64, error)
}

// StartUpload opens a resumable upload of length bytes of contentType.
func (s *Service) StartUpload(ctx context.Context, contentType string, length int64) (_ Upload, err error) {
	defer apperr.Annotate(&err, "media.StartUpload(%s, %d)", contentType, length)
	fe := apperr.FieldErrors{}
	if _, ok := formatOf(contentType); !ok {
		fe.Add("content_type", "must be one of %s", strings.Join(ContentTypes, ", "))
	}
	if length <= 0 || length > MaxBytes {
		fe.Add("Upload-Length", "must be between 1 and %d bytes", MaxBytes)
	}
	if err := fe.Err(); err != nil {
		return Upload{}, err
	}
	now := s.now().UTC()
	if _, err := s.store.DropUploads(ctx, now.Add(-UploadLifetime)); err != nil {
		return Upload{}, err
	}
	u := Upload{ID: ids.New(), ContentType: contentType, Length: length, CreatedBy: reqctx.ActorFrom(ctx).ID, CreatedAt: now, UpdatedAt: now}
	fx := effects.Set{Audit: []audit.Entry{audit.New(ctx, now, "create", "media_upload", u.ID, nil, u)}}
	if err := s.store.CreateUpload(ctx, u, fx); err != nil {
		return Upload{}, err
	}
	return u, nil
}

// UploadStatus answers how far an upload got.
func (s *Service) UploadStatus(ctx context.Context, id string) (Upload, error) {
	u, err := s.store.GetUpload(ctx, id, reqctx.ActorFrom(ctx).ID)
	if err != nil {
		return Upload{}, err
	}
	return s.withMedia(ctx, u)
}

// Append takes the bytes of an upload from offset on. A chunk that was
// stored already (a retry after the answer was lost) is refused with
// Conflict naming the offset reached; the last chunk stores the photo. An
// empty chunk at the end stores it again if that failed.
func (s *Service) Append(ctx context.Context, id string, offset int64, chunk []byte) (_ Upload, err error) {
	defer apperr.Annotate(&err, "media.Append(%s, %d, %d bytes)", id, offset, len(chunk))
	by := reqctx.ActorFrom(ctx).ID
	if len(chunk) > MaxChunk {
		return Upload{}, &apperr.Error{Code: apperr.Invalid, Message: "a chunk is at most 4 MiB: send the rest in several PATCH requests",
			Fields: map[string]string{"body": "at most 4194304 bytes"}}
	}
	var u Upload
	if len(chunk) == 0 {
		if u, err = s.store.GetUpload(ctx, id, by); err != nil {
			return Upload{}, err
		}
		if u.Offset != offset {
			return Upload{}, OffsetConflict(u)
		}
	} else {
		now := s.now().UTC()
		fx := effects.Set{Audit: []audit.Entry{audit.New(ctx, now, "append", "media_upload", id, nil,
			map[string]int64{"offset": offset, "bytes": int64(len(chunk))})}}
		if u, err = s.store.AppendChunk(ctx, id, by, offset, chunk, now, fx); err != nil {
			return Upload{}, err
		}
	}
	if !u.Complete() || u.SHA256 != "" {
		return s.withMedia(ctx, u)
	}
	data, err := s.store.UploadData(ctx, id)
	if err != nil {
		return Upload{}, err
	}
	m, err := s.Put(ctx, u.ContentType, data)
	if err != nil {
		return Upload{}, err
	}
	if err := s.store.FinishUpload(ctx, id, m.SHA256, s.now().UTC()); err != nil {
		return Upload{}, err
	}
	u.SHA256, u.Media = m.SHA256, &m
	return u, nil
}

func (s *Service) withMedia(ctx context.Context, u Upload) (Upload, error) {
	if u.SHA256 == "" {
		return u, nil
	}
	m, err := s.Get(ctx, u.SHA256)
	if err != nil {
		return Upload{}, err
	}
	u.Media = &m
	return u, nil
}

// OffsetConflict is the refusal of a chunk that does not start where the
// upload stands (the store finds it out, under its conditional update).
func OffsetConflict(u Upload) error {
	return &apperr.Error{Code: apperr.Conflict, Message: "the upload has received " + itoa(u.Offset) + " of " + itoa(u.Length) +
		" bytes: send the bytes from there on (HEAD or GET the upload for its Upload-Offset)",
		Fields: map[string]string{"Upload-Offset": "must be " + itoa(u.Offset)}}
}
