package store

import (
	"context"
	"encoding/json"
	"strings"
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
	return tellArtisans(tx, []artisanNotice{{ArtisanID: artisanID, Subject: subject, Notice: n, TaskID: taskID}})
}

// artisanNotice is one message tellArtisans stores.
type artisanNotice struct {
	ArtisanID, Subject string
	Notice             notify.Notice
	TaskID             *string
}

// noticesPerInsert keeps a multi-row insert of notices within both
// databases' bound-parameter limits (six a row).
const noticesPerInsert = 1000

// tellArtisans is tellArtisan for many messages, in a few multi-row
// INSERTs: each is stored once per subject and handed to the outbox.
func tellArtisans(tx *Tx, notices []artisanNotice) error {
	for start := 0; start < len(notices); start += noticesPerInsert {
		chunk := notices[start:min(start+noticesPerInsert, len(notices))]
		rows := make([]string, len(chunk))
		args := make([]any, 0, 6*len(chunk)+2)
		args = append(args, notify.StatusPending, tx.Now)
		for i, n := range chunk {
			notice, err := json.Marshal(n.Notice)
			if err != nil {
				return err
			}
			rows[i] = "(?, ?, ?, ?, ?, ?)"
			args = append(args, ids.New(), n.ArtisanID, n.TaskID, n.Subject, string(notice), n.Notice.English())
		}
		// VALUES columns are column1.. on both databases.
		var inserted []string
		if err := tx.Raw(`INSERT INTO artisan_notifications (id, artisan_id, task_id, subject, notice, language, message, status, created_at)
SELECT v.column1, a.id, v.column3, v.column4, v.column5, a.language, v.column6, ?, ? FROM (VALUES `+strings.Join(rows, ", ")+`) v
JOIN artisans a ON a.id = v.column2 WHERE true
ON CONFLICT (subject) WHERE subject <> '' DO NOTHING RETURNING id`, args...).Scan(&inserted).Error; err != nil {
			return err
		}
		for _, id := range inserted {
			tx.Emit(outbox.New(tx.Now, notify.TopicArtisanNotify, id, notify.Event{NotificationID: id}))
		}
	}
	return nil
}
