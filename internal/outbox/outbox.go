// Package outbox makes a database change and the background work it causes
// inseparable: the change writes a Message in its own transaction, and the
// Relay hands unsent messages to the job queue until each is acknowledged.
// Losing Redis, or a crash between commit and enqueue, loses nothing.
package outbox

import (
	"encoding/json"
	"time"

	"github.com/jkhhc/artisanbridge/internal/ids"
)

// Topics carried in this release. Later capabilities add their own.
const (
	TopicProductChanged = "catalog.product_changed"
	TopicStockChanged   = "inventory.stock_changed"
)

// Message is one event waiting to be delivered. Its ID is the job's TaskID
// and the consumers' de-duplication key.
type Message struct {
	ID        string          `json:"id"`
	Topic     string          `json:"topic"`
	Key       string          `json:"key"`
	Payload   json.RawMessage `json:"payload"`
	CreatedAt time.Time       `json:"created_at"`
}

// New builds a message with a fresh id; payload must marshal (it is always a
// plain struct of the caller's).
func New(now time.Time, topic, key string, payload any) Message {
	b, err := json.Marshal(payload)
	if err != nil {
		panic("outbox: payload does not marshal: " + err.Error())
	}
	return Message{ID: ids.New(), Topic: topic, Key: key, Payload: b, CreatedAt: now.UTC()}
}

// ProductChanged announces a catalogue change of one product.
type ProductChanged struct {
	ProductID string `json:"product_id"`
	SKU       string `json:"sku"`
	Version   int64  `json:"version"`
	Change    string `json:"change"` // created, updated
}

// StockChanged announces that a product's stock moved at some locations.
type StockChanged struct {
	ProductID   string   `json:"product_id"`
	LocationIDs []string `json:"location_ids"`
	MovementID  string   `json:"movement_id,omitempty"`
}
