package app

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jkhhc/artisanbridge/adapters/flipkart"
	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

// notificationsReceived counts marketplace notifications by outcome
// (flipkart.Outcome*): queued, repeat, unreadable, and the refusals
// unsigned, unknown_app, bad_signature and stale.
var notificationsReceived = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "artisanbridge_marketplace_notifications_total",
	Help: "Marketplace order notifications received, by marketplace and outcome (queued, repeat, unreadable; refused: unsigned, unknown_app, bad_signature, stale).",
}, []string{"kind", "outcome"})

// NoticeRetention is how long a notification's identity is kept: far
// beyond the signed date's window, after which a replay is refused anyway.
const NoticeRetention = 24 * time.Hour

// flipkartReceiver verifies Flipkart's notifications against the enabled
// Flipkart channel whose application signed them (its app secret is the
// key, as Flipkart documents: it never leaves the channel's credentials)
// and records each once, queued, in one transaction.
func (a *App) flipkartReceiver() *flipkart.Receiver {
	return &flipkart.Receiver{
		Signer: func(ctx context.Context, appID string) (flipkart.Signer, bool, error) {
			list, err := a.Channels.List(ctx)
			if err != nil {
				return flipkart.Signer{}, false, err
			}
			for _, ch := range list {
				if ch.Kind != "flipkart" || !ch.Enabled {
					continue
				}
				creds, err := a.Channels.Credentials(ctx, ch.ID)
				if err != nil {
					return flipkart.Signer{}, false, err
				}
				if creds["app_id"] == appID && creds["app_secret"] != "" {
					return flipkart.Signer{ChannelID: ch.ID, Secret: creds["app_secret"], URL: ch.Settings.Effective().NotificationURL}, true, nil
				}
			}
			return flipkart.Signer{}, false, nil
		},
		Record: func(ctx context.Context, n orders.Notice) (bool, error) {
			return a.DB.Orders().RecordNotice(ctx, n, time.Time{})
		},
		Unreadable: a.Puller.NoticeUnreadable,
	}
}

// FlipkartNotification takes one of Flipkart's order notifications
// (POST /webhooks/flipkart), counted by outcome. A refusal is 400 and kept
// in one exception per cause with the last body; a signed notification
// that cannot be read is acknowledged (Flipkart holds back later events of
// a shipment until one is) and kept in a missed_notification; a repeat is
// acknowledged and queues nothing. arrivedAt is the URL the request came
// to, used when the channel sets no notification_url.
func (a *App) FlipkartNotification(ctx context.Context, arrivedAt string, h http.Header, body []byte) (bool, error) {
	got, err := a.flipkartReceiver().Receive(ctx, arrivedAt, h, body)
	if err != nil {
		return false, err
	}
	notificationsReceived.WithLabelValues("flipkart", got.Outcome).Inc()
	if got.Refused == nil {
		return got.Outcome == flipkart.OutcomeQueued, nil
	}
	a.log.WarnContext(ctx, "flipkart notification refused", "reason", got.Outcome, "channel_id", got.ChannelID)
	// The channel when one signed it; else the endpoint itself.
	resource, resID := "webhook", "flipkart"
	if got.ChannelID != "" {
		resource, resID = "channel", got.ChannelID
	}
	if err := a.DB.Exceptions().Raise(ctx, exceptions.Exception{Kind: exceptions.SyncFailing,
		CauseKey: "flipkart_notification_refused:" + got.Outcome,
		Summary:  "a notification posted as Flipkart's was refused (" + got.Outcome + ")",
		Detail:   got.Refused.Error(),
		Action: "If Flipkart sent it: check the channel's app_id and app_secret, that settings.notification_url is the URL " +
			"registered with Flipkart exactly (behind a proxy, the public https URL; the proxy must pass the X_Date and X_Authorization headers), " +
			"and this host's clock. The order pull reads every changed order anyway, so nothing is lost.",
		Resource: resource, ResourceID: resID, Payload: string(body)}); err != nil {
		a.log.WarnContext(ctx, "a refused flipkart notification could not be kept in an exception", "err", err)
	}
	return false, apperr.New(apperr.Invalid, "the notification is refused: %v", got.Refused)
}
