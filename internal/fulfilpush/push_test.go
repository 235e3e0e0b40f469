package fulfilpush_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/fulfilment"
	"github.com/jkhhc/artisanbridge/internal/fulfilpush"
)

type fakeStore struct {
	task       fulfilpush.TaskPush
	marked     []string
	exceptions []exceptions.Exception
}

func (f *fakeStore) TaskPush(context.Context, string) (fulfilpush.TaskPush, error) {
	return f.task, nil
}
func (f *fakeStore) OrderPush(context.Context, string) (fulfilpush.Order, error) {
	return f.task.Order, nil
}
func (f *fakeStore) MarkPushed(_ context.Context, _ string, step string) error {
	f.marked = append(f.marked, step)
	f.task.PushedStatus = step
	return nil
}
func (f *fakeStore) RaiseException(_ context.Context, e exceptions.Exception) error {
	f.exceptions = append(f.exceptions, e)
	return nil
}

// fakeChannel is a marketplace that answers each step as told.
type fakeChannel struct {
	adapters.Channel
	answers map[string]error
	pushed  []string
}

func (c *fakeChannel) PushFulfilment(_ context.Context, u adapters.FulfilmentUpdate) error {
	c.pushed = append(c.pushed, u.Step)
	return c.answers[u.Step]
}

func newPusher(st *fakeStore, ch *fakeChannel) *fulfilpush.Pusher {
	return &fulfilpush.Pusher{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Channels: func(context.Context, string) (adapters.Channel, error) { return ch, nil }}
}

func TestPushTask(t *testing.T) {
	ctx := context.Background()
	order := fulfilpush.Order{ChannelID: "c", ChannelKind: "flipkart", ExternalOrderID: "OD1", OrderID: "o"}
	tests := []struct {
		name       string
		pushed     string
		status     string
		step       string
		answer     error
		wantErr    error
		wantPushed []string
		wantMarked []string
		wantRaised int
	}{
		{"packed", "", fulfilment.Packed, fulfilment.Packed, nil, nil, []string{"packed"}, []string{"packed"}, 0},
		{"dispatch waits for packing", "", fulfilment.Dispatched, fulfilment.Dispatched, nil, fulfilpush.ErrNotYet, nil, nil, 0},
		{"dispatch after packing", fulfilment.Packed, fulfilment.Dispatched, fulfilment.Dispatched, nil, nil, []string{"dispatched"}, []string{"dispatched"}, 0},
		{"told before", fulfilment.Dispatched, fulfilment.Dispatched, fulfilment.Packed, nil, nil, nil, nil, 0},
		{"cancelled meanwhile", "", fulfilment.Cancelled, fulfilment.Packed, nil, nil, nil, nil, 0},
		{"refused: to staff, not retried", "", fulfilment.Packed, fulfilment.Packed, &adapters.Refusal{Code: "X", Message: "no"}, nil, []string{"packed"}, []string{"packed"}, 1},
		{"manual: to staff", fulfilment.Packed, fulfilment.Dispatched, fulfilment.Dispatched, &adapters.ManualStep{Action: "do it"}, nil, []string{"dispatched"}, []string{"dispatched"}, 1},
		{"transport error: retried", "", fulfilment.Packed, fulfilment.Packed, errors.New("timeout"), errors.New("timeout"), []string{"packed"}, nil, 0},
	}
	for _, tc := range tests {
		st := &fakeStore{task: fulfilpush.TaskPush{Order: order, TaskID: "t", Status: tc.status, PushedStatus: tc.pushed}}
		ch := &fakeChannel{answers: map[string]error{tc.step: tc.answer}}
		err := newPusher(st, ch).PushTask(ctx, "t", tc.step)
		if (err == nil) != (tc.wantErr == nil) || (errors.Is(tc.wantErr, fulfilpush.ErrNotYet) && !errors.Is(err, fulfilpush.ErrNotYet)) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.wantErr)
		}
		if len(ch.pushed) != len(tc.wantPushed) || len(st.marked) != len(tc.wantMarked) || len(st.exceptions) != tc.wantRaised {
			t.Errorf("%s: pushed %v marked %v raised %d", tc.name, ch.pushed, st.marked, len(st.exceptions))
		}
	}
}

func TestPushCancel(t *testing.T) {
	st := &fakeStore{task: fulfilpush.TaskPush{Order: fulfilpush.Order{ChannelID: "c", ChannelKind: "amazon", ExternalOrderID: "403-1", OrderID: "o"}}}
	ch := &fakeChannel{answers: map[string]error{adapters.StepCancelled: &adapters.ManualStep{Action: "cancel 403-1 in Seller Central"}}}
	if err := newPusher(st, ch).PushCancel(context.Background(), "o", "buyer asked"); err != nil {
		t.Fatal(err)
	}
	if len(st.exceptions) != 1 || st.exceptions[0].Kind != exceptions.SyncFailing || st.exceptions[0].CauseKey != "cancel:o" {
		t.Fatalf("exceptions %+v", st.exceptions)
	}
}
