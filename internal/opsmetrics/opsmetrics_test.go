package opsmetrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fakeSource hands out one snapshot and counts reads.
type fakeSource struct {
	snap  Snapshot
	err   error
	reads int
	now   time.Time
}

func (f *fakeSource) OpsSnapshot(_ context.Context, now time.Time, bounds []time.Duration, window time.Duration) (Snapshot, error) {
	f.reads++
	f.now = now
	if len(bounds) != 3 || window != time.Hour {
		return Snapshot{}, fmt.Errorf("asked for bounds %v and window %v", bounds, window)
	}
	return f.snap, f.err
}

func TestExceptionBuckets(t *testing.T) {
	tests := []struct {
		name string
		in   ExceptionAges
		want []int64
	}{
		{"all new", ExceptionAges{Kind: "oversold", Open: 3, OlderThan: []int64{0, 0, 0}}, []int64{3, 0, 0, 0}},
		{"all ancient", ExceptionAges{Kind: "oversold", Open: 2, OlderThan: []int64{2, 2, 2}}, []int64{0, 0, 0, 2}},
		{"spread", ExceptionAges{Kind: "oversold", Open: 10, OlderThan: []int64{6, 3, 1}}, []int64{4, 3, 2, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ExceptionBuckets([]ExceptionAges{tc.in})
			if fmt.Sprint(got["oversold"]) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", got["oversold"], tc.want)
			}
			if fmt.Sprint(got["unmapped_sku"]) != "[0 0 0 0]" {
				t.Fatalf("a kind with none open is not reported as zeros: %v", got["unmapped_sku"])
			}
		})
	}
}

func TestCollector(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	oldest := now.Add(-90 * time.Second)
	sms := now.Add(-2 * time.Minute)
	ch := Channel{ID: "c1", Name: "flipkart", Kind: "flipkart"}
	src := &fakeSource{snap: Snapshot{
		OutboxUnsent: 4, OutboxOldestUnsent: &oldest,
		Listings:        []ListingCount{{Channel: ch, Status: "rejected", Count: 2}},
		ListingsWaiting: []ChannelCount{{Channel: ch, Count: 7}},
		OpenExceptions:  []ExceptionAges{{Kind: "oversold", Open: 3, OlderThan: []int64{1, 0, 0}}},
		PullCursors:     []PullCursor{{Channel: ch, Since: now.Add(-75 * time.Second)}},
		SMS:             SMSCounts{SentRecently: 12, Pending: 2, Failing: 1, OldestPending: &sms},
	}}
	c := NewCollector(src, quiet(), 5*time.Second, time.Second)
	c.now = func() time.Time { return now }
	want := `
# HELP artisanbridge_listings Listings by channel and status, for the statuses that need watching (pending, rejected, error, awaiting_upload).
# TYPE artisanbridge_listings gauge
artisanbridge_listings{channel="flipkart",channel_id="c1",kind="flipkart",status="rejected"} 2
# HELP artisanbridge_listings_waiting_push Listings with a change not yet pushed to their channel.
# TYPE artisanbridge_listings_waiting_push gauge
artisanbridge_listings_waiting_push{channel="flipkart",channel_id="c1",kind="flipkart"} 7
# HELP artisanbridge_ops_metrics_up 1 if the database figures below could be read at the last scrape, 0 if not.
# TYPE artisanbridge_ops_metrics_up gauge
artisanbridge_ops_metrics_up 1
# HELP artisanbridge_order_pull_lag_seconds Now minus the channel's order pull cursor (where its next pull reads from).
# TYPE artisanbridge_order_pull_lag_seconds gauge
artisanbridge_order_pull_lag_seconds{channel="flipkart",channel_id="c1",kind="flipkart"} 75
# HELP artisanbridge_outbox_oldest_unsent_age_seconds Age of the oldest outbox event not yet handed to the job queue (0 when none waits).
# TYPE artisanbridge_outbox_oldest_unsent_age_seconds gauge
artisanbridge_outbox_oldest_unsent_age_seconds 90
# HELP artisanbridge_outbox_unsent Outbox events not yet handed to the job queue.
# TYPE artisanbridge_outbox_unsent gauge
artisanbridge_outbox_unsent 4
# HELP artisanbridge_sms_failing SMS to artisans waiting after the gateway refused or failed them at least once.
# TYPE artisanbridge_sms_failing gauge
artisanbridge_sms_failing 1
# HELP artisanbridge_sms_oldest_pending_age_seconds Age of the oldest SMS to an artisan still waiting for the gateway (0 when none waits).
# TYPE artisanbridge_sms_oldest_pending_age_seconds gauge
artisanbridge_sms_oldest_pending_age_seconds 120
# HELP artisanbridge_sms_pending SMS to artisans waiting for the gateway.
# TYPE artisanbridge_sms_pending gauge
artisanbridge_sms_pending 2
# HELP artisanbridge_sms_sent_recent SMS to artisans the gateway took in the last hour.
# TYPE artisanbridge_sms_sent_recent gauge
artisanbridge_sms_sent_recent 12
`
	names := []string{"artisanbridge_listings", "artisanbridge_listings_waiting_push", "artisanbridge_ops_metrics_up",
		"artisanbridge_order_pull_lag_seconds", "artisanbridge_outbox_oldest_unsent_age_seconds", "artisanbridge_outbox_unsent",
		"artisanbridge_sms_failing", "artisanbridge_sms_oldest_pending_age_seconds", "artisanbridge_sms_pending", "artisanbridge_sms_sent_recent"}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	// Exceptions: every kind, every age bucket.
	if n := testutil.CollectAndCount(c, "artisanbridge_exceptions_open"); n != 7*len(AgeBuckets) {
		t.Fatalf("%d exception series, want %d", n, 7*len(AgeBuckets))
	}
	exc := `
# HELP artisanbridge_exceptions_open Open exceptions by kind and age since they were opened.
# TYPE artisanbridge_exceptions_open gauge
`
	for _, k := range []string{"listing_rejected", "missed_order", "oversold", "settlement_mismatch", "stock_drift", "sync_failing", "unmapped_sku"} {
		for _, b := range AgeBuckets {
			v := 0
			if k == "oversold" && b.Label == "under_1h" {
				v = 2
			} else if k == "oversold" && b.Label == "1h_to_1d" {
				v = 1
			}
			exc += fmt.Sprintf("artisanbridge_exceptions_open{age=%q,kind=%q} %d\n", b.Label, k, v)
		}
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(exc), "artisanbridge_exceptions_open"); err != nil {
		t.Fatal(err)
	}
	// Every scrape above fell within maxAge: the database was read once.
	if src.reads != 1 || !src.now.Equal(now) {
		t.Fatalf("%d reads (at %v), want 1", src.reads, src.now)
	}
	now = now.Add(6 * time.Second)
	testutil.CollectAndCount(c)
	if src.reads != 2 {
		t.Fatalf("after maxAge: %d reads, want 2", src.reads)
	}
}

func TestCollectorReportsAFailedRead(t *testing.T) {
	src := &fakeSource{err: errors.New("database unreachable")}
	c := NewCollector(src, quiet(), 0, time.Second)
	want := `
# HELP artisanbridge_ops_metrics_up 1 if the database figures below could be read at the last scrape, 0 if not.
# TYPE artisanbridge_ops_metrics_up gauge
artisanbridge_ops_metrics_up 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
}
