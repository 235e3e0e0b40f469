package channelsync_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/listing"
	"github.com/jkhhc/artisanbridge/internal/paging"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// stopping is a marketplace during whose stock call the worker is told to
// shut down: after the marketplace took the push (took), or before it
// answered (the call fails with the cancelled context).
type stopping struct {
	adapters.Channel
	stop func()
	took bool
}

func (s stopping) PushStock(ctx context.Context, u []adapters.StockUpdate) ([]adapters.ItemResult, error) {
	if s.took {
		res, err := s.Channel.PushStock(ctx, u)
		s.stop()
		return res, err
	}
	s.stop()
	return s.Channel.PushStock(ctx, u)
}

// TestShutdownDuringAPush is issue 10's fifth point: a shutdown arriving
// while a push is on its way neither loses what the marketplace took nor
// logs an ERROR ("recording a push outcome failed: context canceled"); a
// push the shutdown interrupted stays owed without counting as the
// marketplace's failure.
func TestShutdownDuringAPush(t *testing.T) {
	for _, b := range testenv.Backends() {
		for _, took := range []bool{true, false} {
			name := b.Name + "/interrupted"
			if took {
				name = b.Name + "/taken"
			}
			t.Run(name, func(t *testing.T) {
				w := newWorld(t, b)
				var logs testenv.SyncBuffer
				w.engine.Log = slog.New(slog.NewTextHandler(&logs, nil))
				for i := range 3 {
					w.product(i, 2, fsn(i))
				}
				w.sync()
				for _, p := range w.products {
					w.move(p.ID, "intake", 1)
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				inner := w.engine.Factory
				w.engine.Factory = func(ch channels.Channel, creds map[string]string) (adapters.Channel, error) {
					ad, err := inner(ch, creds)
					return stopping{Channel: ad, stop: cancel, took: took}, err
				}
				_, _ = w.engine.SyncChannel(ctx, w.channel.ID)
				if strings.Contains(logs.String(), "level=ERROR") {
					t.Fatalf("a shutdown during a push logged an error:\n%s", logs.String())
				}
				page, err := w.listings.List(context.Background(), listing.Filter{ChannelID: w.channel.ID}, paging.Request{Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range page.Items {
					switch {
					case took && (!l.InSync || l.PushedQuantity == nil || *l.PushedQuantity != 3):
						t.Errorf("the marketplace took the push but the listing says %+v", l)
					case !took && (l.InSync || l.Attempts != 0 || l.Status == listing.StatusError):
						t.Errorf("an interrupted push was recorded as %+v, want it still owed and no failure counted", l)
					}
				}
			})
		}
	}
}
