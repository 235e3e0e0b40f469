package orderpull

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

// TakeNotice takes in what a marketplace's notification names, read again
// from the marketplace as it stands now (the notification is a hint, not
// the order): through the same ingestion as a pull, so a notice repeated,
// late or out of order changes nothing a pull would not, and the pull
// stays the backstop of notices that never came. What cannot be read, and
// an order that cannot be taken in, open their missed_order as in a pull.
// A marketplace that does not answer (or has no call free) fails the notice,
// which is retried.
func (p *Puller) TakeNotice(ctx context.Context, n orders.Notice) (Report, error) {
	var rep Report
	ch, err := p.Channels.Get(ctx, n.ChannelID)
	if err != nil || !ch.Enabled {
		return rep, err
	}
	creds, err := p.Channels.Credentials(ctx, n.ChannelID)
	if err != nil {
		return rep, err
	}
	ad, err := p.Factory(ch, creds)
	if err != nil {
		return rep, err
	}
	src, ok := ad.(adapters.NoticeFetcher)
	if !ok {
		return rep, fmt.Errorf("%s channels send no notifications", ch.Kind)
	}
	page, err := src.FetchNoticed(ctx, n.Ref)
	if err != nil {
		return rep, fmt.Errorf("reading what %s notified (%s): %w", ch.Name, n.EventType, err)
	}
	rep.Pages = 1
	for _, u := range page.Unreadable {
		if err := p.raiseUnreadable(ctx, ch, u); err != nil {
			return rep, err
		}
		rep.Unreadable++
	}
	for _, in := range page.Orders {
		in.ChannelID = n.ChannelID
		res, err := p.Orders.Ingest(ctx, in)
		if err != nil {
			// As in a pull: the missed_order holds it, and the pull's cursor
			// waits for it, so every pull tries it again.
			rep.Failed++
			if err := p.raiseFailed(ctx, ch, in, err); err != nil {
				return rep, err
			}
			continue
		}
		rep.Orders.Add(res)
	}
	return rep, nil
}

// NoticeUnreadable keeps a notification that came signed but could not be
// read in a missed_order holding what was sent: nothing from outside is
// dropped unseen. The pull still finds the orders it was about.
func (p *Puller) NoticeUnreadable(ctx context.Context, channelID string, payload []byte, reason string) error {
	ch, err := p.Channels.Get(ctx, channelID)
	if err != nil {
		return err
	}
	if p.Exceptions == nil {
		return errNoExceptions
	}
	p.warn(ctx, "marketplace notification not readable", "channel", ch.Name, "reason", reason)
	err = p.Exceptions.Raise(ctx, exceptions.Exception{Kind: exceptions.MissedOrder,
		CauseKey: noticeCause(ch.ID, payload),
		Summary:  "a notification from " + ch.Name + " could not be read",
		Detail:   truncate(reason, 1000),
		Action: "See the payload for what " + ch.Name + " sent. The order pull reads every changed order anyway, " +
			"so check the order it names is here (a retry cannot read a notification again); then resolve this exception saying so.",
		Resource: "channel", ResourceID: ch.ID, Payload: truncate(string(payload), 64<<10)})
	if err != nil {
		return fmt.Errorf("recording an unreadable notification from %s: %w", ch.Name, err)
	}
	return nil
}

// noticeCause keys an unreadable notification by its channel and body (not
// a missed order's key: a retry cannot read a notification again; the
// pull reads what it was about).
func noticeCause(channelID string, payload []byte) string {
	sum := sha256.Sum256(payload)
	return "missed_notification:" + channelID + ":" + hex.EncodeToString(sum[:16])
}
