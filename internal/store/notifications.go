package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/ids"
	"github.com/jkhhc/artisanbridge/internal/notify"
	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// Notifications implements notify.Store.
type Notifications struct{ db *DB }

func (db *DB) Notifications() *Notifications { return &Notifications{db: db} }

var _ notify.Store = (*Notifications)(nil)

func (s *Notifications) GetNotification(ctx context.Context, id string) (notify.Notification, error) {
	var out []struct {
		ID, ArtisanID, Phone, Text, Status, Language, NoticeJSON string
	}
	if err := s.db.gorm.WithContext(ctx).Raw(`SELECT n.id, n.artisan_id, a.phone, n.message AS text, n.status, n.language, n.notice AS notice_json
FROM artisan_notifications n JOIN artisans a ON a.id = n.artisan_id WHERE n.id = ?`, id).Scan(&out).Error; err != nil {
		return notify.Notification{}, err
	}
	if len(out) == 0 {
		return notify.Notification{}, apperr.New(apperr.NotFound, "notification %s not found", id)
	}
	r := out[0]
	n := notify.Notification{ID: r.ID, ArtisanID: r.ArtisanID, Phone: r.Phone, Text: r.Text, Status: r.Status, Language: r.Language}
	if r.NoticeJSON != "" {
		if err := json.Unmarshal([]byte(r.NoticeJSON), &n.Notice); err != nil {
			return notify.Notification{}, apperr.Wrap(err, apperr.Internal, "notification %s holds an unreadable notice", id)
		}
	}
	return n, nil
}

// MarkSent records what was sent, once.
func (s *Notifications) MarkSent(ctx context.Context, id string, at time.Time, sent notify.Sent) error {
	return s.db.gorm.WithContext(ctx).Exec(`UPDATE artisan_notifications SET status = ?, attempts = attempts + 1, sent_at = ?, last_error = '',
message = ?, template_id = ?, language = ?, segments = ?, cost_paise = ?
WHERE id = ? AND status = ?`, notify.StatusSent, at, sent.Text, sent.TemplateID, sent.Language, sent.Segments, sent.CostPaise,
		id, notify.StatusPending).Error
}

func (s *Notifications) RecordFailure(ctx context.Context, id, reason string) error {
	return s.db.gorm.WithContext(ctx).Exec(`UPDATE artisan_notifications SET attempts = attempts + 1, last_error = ? WHERE id = ? AND status = ?`,
		reason, id, notify.StatusPending).Error
}

// tellArtisan stores one message to an artisan about subject (once per
// subject, whatever is retried), in their language as the catalogue says
// it when it is sent, and hands it to the outbox. taskID ties a task's
// message to its task.
func tellArtisan(tx *Tx, artisanID, subject string, n notify.Notice, taskID *string) error {
	notice, err := json.Marshal(n)
	if err != nil {
		return err
	}
	id := ids.New()
	ins := tx.Exec(`INSERT INTO artisan_notifications (id, artisan_id, task_id, subject, notice, language, message, status, created_at)
SELECT ?, a.id, ?, ?, ?, a.language, ?, ?, ? FROM artisans a WHERE a.id = ?
ON CONFLICT (subject) WHERE subject <> '' DO NOTHING`, id, taskID, subject, string(notice), n.English(), notify.StatusPending, tx.Now, artisanID)
	if ins.Error != nil || ins.RowsAffected == 0 {
		return ins.Error
	}
	tx.Emit(outbox.New(tx.Now, notify.TopicArtisanNotify, id, notify.Event{NotificationID: id}))
	return nil
}
