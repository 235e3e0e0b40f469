package store

import (
	"context"
	"strconv"
	"time"

	"gorm.io/gorm/clause"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/effects"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/media"
)

// Media implements media.Store: photos and their variants in the database,
// so that every replica serves them and a backup holds them.
type Media struct{ db *DB }

// Media returns the photo repository.
func (db *DB) Media() *Media { return &Media{db: db} }

var _ media.Store = (*Media)(nil)

type mediaRow struct {
	ID          string `gorm:"primaryKey"`
	SHA256      string `gorm:"column:sha256"`
	ContentType string
	Bytes       int64
	Width       int64
	Height      int64
	CreatedBy   string
	CreatedAt   time.Time
}

func (mediaRow) TableName() string { return "media" }

func (r mediaRow) domain() media.Media {
	return media.Media{SHA256: r.SHA256, ContentType: r.ContentType, Bytes: r.Bytes, Width: int(r.Width), Height: int(r.Height), CreatedAt: r.CreatedAt.UTC()}
}

type mediaVariantRow struct {
	MediaSHA256 string `gorm:"column:media_sha256;primaryKey"`
	Variant     string `gorm:"primaryKey"`
	ContentType string
	Width       int64
	Height      int64
	Bytes       int64
	Data        []byte
}

func (mediaVariantRow) TableName() string { return "media_variants" }

type mediaUploadRow struct {
	ID          string `gorm:"primaryKey"`
	ContentType string
	Length      int64
	Received    int64
	MediaSHA256 *string `gorm:"column:media_sha256"`
	CreatedBy   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (mediaUploadRow) TableName() string { return "media_uploads" }

func (r mediaUploadRow) domain() media.Upload {
	u := media.Upload{ID: r.ID, ContentType: r.ContentType, Length: r.Length, Offset: r.Received, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.MediaSHA256 != nil {
		u.SHA256 = *r.MediaSHA256
	}
	return u
}

type mediaChunkRow struct {
	UploadID    string `gorm:"primaryKey"`
	StartOffset int64  `gorm:"primaryKey"`
	Data        []byte
}

func (mediaChunkRow) TableName() string { return "media_upload_chunks" }

// PutMedia inserts the photo unless its hash is stored (ON CONFLICT on
// media_sha256_key decides, so two uploads of the same bytes at once
// store it once); only a new photo gets its variants and effects.
func (m *Media) PutMedia(ctx context.Context, md media.Media, variants []media.Variant, fx effects.Set) (bool, error) {
	created := false
	err := m.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		row := mediaRow{ID: ids.New(), SHA256: md.SHA256, ContentType: md.ContentType, Bytes: md.Bytes, Width: int64(md.Width),
			Height: int64(md.Height), CreatedBy: tx.Actor.ID, CreatedAt: md.CreatedAt.UTC()}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
		if res.Error != nil {
			return res.Error
		}
		created = res.RowsAffected == 1
		if !created {
			return nil
		}
		tx.Add(fx)
		for _, v := range variants {
			vr := mediaVariantRow{MediaSHA256: md.SHA256, Variant: v.Name, ContentType: v.ContentType, Width: int64(v.Width),
				Height: int64(v.Height), Bytes: int64(len(v.Data)), Data: v.Data}
			if err := tx.Create(&vr).Error; err != nil {
				return err
			}
		}
		return nil
	})
	return created, err
}

func (m *Media) GetMedia(ctx context.Context, sha string) (media.Media, error) {
	var row mediaRow
	if err := m.db.gorm.WithContext(ctx).Where("sha256 = ?", sha).Take(&row).Error; err != nil {
		return media.Media{}, notFound(err, "no photo has sha256 %s: upload it first (POST /api/v1/media)", sha)
	}
	return row.domain(), nil
}

func (m *Media) GetVariant(ctx context.Context, sha, variant string) (media.Variant, error) {
	var row mediaVariantRow
	if err := m.db.gorm.WithContext(ctx).Where("media_sha256 = ? AND variant = ?", sha, variant).Take(&row).Error; err != nil {
		return media.Variant{}, notFound(err, "no photo has sha256 %s", sha)
	}
	return media.Variant{Name: row.Variant, ContentType: row.ContentType, Width: int(row.Width), Height: int(row.Height), Data: row.Data}, nil
}

// AddVariant inserts a rendition unless the photo has it already.
func (m *Media) AddVariant(ctx context.Context, sha string, v media.Variant) error {
	row := mediaVariantRow{MediaSHA256: sha, Variant: v.Name, ContentType: v.ContentType, Width: int64(v.Width),
		Height: int64(v.Height), Bytes: int64(len(v.Data)), Data: v.Data}
	return m.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error
	})
}

// CountMedia counts the photos stored (each once, whatever its variants).
func (m *Media) CountMedia(ctx context.Context) (int64, error) {
	var n int64
	err := m.db.gorm.WithContext(ctx).Model(&mediaRow{}).Count(&n).Error
	return n, err
}

func (m *Media) CreateUpload(ctx context.Context, u media.Upload, fx effects.Set) error {
	row := mediaUploadRow{ID: u.ID, ContentType: u.ContentType, Length: u.Length, CreatedBy: u.CreatedBy,
		CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
	return m.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		tx.Add(fx)
		return tx.Create(&row).Error
	})
}

func (m *Media) GetUpload(ctx context.Context, id, createdBy string) (media.Upload, error) {
	var row mediaUploadRow
	if err := m.db.gorm.WithContext(ctx).Where("id = ? AND created_by = ?", id, createdBy).Take(&row).Error; err != nil {
		return media.Upload{}, notFound(err, "no upload %s of yours: start one with POST /api/v1/media/uploads", id)
	}
	return row.domain(), nil
}

// AppendChunk moves the upload's offset on only from the offset the chunk
// starts at (a conditional UPDATE), and stores the chunk in the same
// transaction: two copies of one chunk never both count.
func (m *Media) AppendChunk(ctx context.Context, id, createdBy string, offset int64, chunk []byte, now time.Time, fx effects.Set) (media.Upload, error) {
	var out media.Upload
	n := int64(len(chunk))
	err := m.db.inTx(ctx, now, func(tx *Tx) error {
		res := tx.Model(&mediaUploadRow{}).
			Where("id = ? AND created_by = ? AND received = ? AND received + ? <= length AND media_sha256 IS NULL", id, createdBy, offset, n).
			Updates(map[string]any{"received": offset + n, "updated_at": now.UTC()})
		if res.Error != nil {
			return res.Error
		}
		var row mediaUploadRow
		if err := tx.Where("id = ? AND created_by = ?", id, createdBy).Take(&row).Error; err != nil {
			return notFound(err, "no upload %s of yours: start one with POST /api/v1/media/uploads", id)
		}
		out = row.domain()
		if res.RowsAffected == 0 {
			if row.Received == offset && row.MediaSHA256 == nil {
				return &apperr.Error{Code: apperr.Unprocessable, Message: "the chunk runs past the upload's length: send only the bytes that are left",
					Fields: map[string]string{"body": "at most " + strconv.FormatInt(row.Length-row.Received, 10) + " bytes are left"}}
			}
			return media.OffsetConflict(out)
		}
		tx.Add(fx)
		return tx.Create(&mediaChunkRow{UploadID: id, StartOffset: offset, Data: chunk}).Error
	})
	return out, err
}

func (m *Media) UploadData(ctx context.Context, id string) ([]byte, error) {
	var rows []mediaChunkRow
	if err := m.db.gorm.WithContext(ctx).Where("upload_id = ?", id).Order("start_offset").Find(&rows).Error; err != nil {
		return nil, err
	}
	var out []byte
	for _, r := range rows {
		if int64(len(out)) != r.StartOffset {
			return nil, apperr.New(apperr.Internal, "upload %s has a gap at byte %d", id, len(out))
		}
		out = append(out, r.Data...)
	}
	return out, nil
}

// DropUploads deletes uploads last touched before before, chunks first.
func (m *Media) DropUploads(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := m.db.inTx(ctx, time.Time{}, func(tx *Tx) error {
		stale := tx.Model(&mediaUploadRow{}).Select("id").Where("updated_at < ?", before.UTC())
		if err := tx.Where("upload_id IN (?)", stale).Delete(&mediaChunkRow{}).Error; err != nil {
			return err
		}
		res := tx.Where("updated_at < ?", before.UTC()).Delete(&mediaUploadRow{})
		n = res.RowsAffected
		return res.Error
	})
	return n, err
}

func (m *Media) FinishUpload(ctx context.Context, id, sha string, now time.Time) error {
	return m.db.inTx(ctx, now, func(tx *Tx) error {
		res := tx.Model(&mediaUploadRow{}).Where("id = ? AND received = length", id).
			Updates(map[string]any{"media_sha256": sha, "updated_at": now.UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, "upload %s is not complete", id)
		}
		return tx.Where("upload_id = ?", id).Delete(&mediaChunkRow{}).Error
	})
}
