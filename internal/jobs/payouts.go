package jobs

import (
	"context"
	"encoding/json"

	"github.com/jkhhc/artisanbridge/internal/finance"
	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// BatchSender sends an approved batch through the payout provider.
type BatchSender interface {
	SendBatch(ctx context.Context, batchID string) error
}

// PayoutSend sends the batches finance sent to the payout provider. A
// failure is retried by the queue; every line goes under its own
// idempotency key, so a run again never pays a line twice.
type PayoutSend struct{ Payouts BatchSender }

func (PayoutSend) Name() string     { return "payout-send" }
func (PayoutSend) Topics() []string { return []string{finance.TopicPayoutSend} }

func (p PayoutSend) Consume(ctx context.Context, m outbox.Message) error {
	var in finance.PayoutSend
	if err := json.Unmarshal(m.Payload, &in); err != nil || in.BatchID == "" {
		in.BatchID = m.Key
	}
	return p.Payouts.SendBatch(ctx, in.BatchID)
}
