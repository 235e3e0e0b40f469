package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/jkhhc/artisanbridge/internal/listing"
)

// ChannelLease lets at most one sync of a channel run at a time across
// every worker of every process: a lease in Redis held under a token of
// its holder, renewed while the sync runs. A sync asked for while another
// holds the lease does not wait for it (no worker is held up by a slow
// marketplace): it leaves a "pending" mark and returns, and the holder,
// when it finishes, takes the lease again and runs once more for every
// request that arrived meanwhile (coalesced). Every step is one Lua
// script, so no request falls between a release and a check.
//
// Redis losing its data loses the lease and the marks: a second sync may
// then start while the first runs; the first notices before its next
// marketplace call (the second took the next fencing token, see OnTake and
// channelsync's stillHolds), or at its next renewal, and stops. What was owed is in the
// database (dirty listings), and the sync sweep asks for it again.
type ChannelLease struct {
	Redis redis.UniversalClient
	// TTL is how long a lease outlives a holder that stopped renewing it
	// (a killed worker); default 30 s, renewed every TTL/3.
	TTL time.Duration
	// MaxHold bounds how long one task keeps running coalesced syncs
	// before it hands over to a new task through Again (default 5 min,
	// well within the task's timeout).
	MaxHold time.Duration
	// Again asks for another sync of the channel (a new task).
	Again func(ctx context.Context, channelID string) error
	// OnTake, if set, is called each time the lease is taken, and the run
	// goes on with the context it returns: the app takes the channel's
	// next fencing token in the database there, so that the outcomes of a
	// run whose lease went elsewhere are refused (listing.ErrSuperseded).
	OnTake func(ctx context.Context, channelID string) (context.Context, error)
	Log    *slog.Logger
}

// ErrLeaseLost is the cause of a sync's context when its lease went to
// another holder (Redis lost it, or the holder stalled past the TTL).
var ErrLeaseLost = errors.New("the channel's sync lease was lost")

// takeScript: when the lease is free, take it and clear the pending mark
// (this run covers every change so far): returns 1. Otherwise mark a run
// as pending for the holder: returns 0.
var takeScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
  return 0
end
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

// handoverScript ends a holder's run: it releases the lease if still its
// own; when a run is pending and nobody else holds the lease, it takes it
// again for the same holder (returns 1); when someone else holds it, the
// pending mark stays for them (returns 0).
var handoverScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
if redis.call('EXISTS', KEYS[2]) == 0 then
  return 0
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

// renewScript extends the lease if it is still the holder's.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`)

// releaseScript releases the lease if it is still the holder's and keeps
// a pending mark (a run that failed hands its work to the next request).
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
if ARGV[2] == '1' then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
end
return 0
`)

// pendingTTL bounds a pending mark nobody took (the sweep covers it).
const pendingTTL = 3600

func leaseKeys(channelID string) []string {
	return []string{"artisanbridge:sync:lease:" + channelID, "artisanbridge:sync:pending:" + channelID}
}

func (l *ChannelLease) ttl() time.Duration {
	if l.TTL > 0 {
		return l.TTL
	}
	return 30 * time.Second
}

func (l *ChannelLease) maxHold() time.Duration {
	if l.MaxHold > 0 {
		return l.MaxHold
	}
	return 5 * time.Minute
}

// Run runs sync under the channel's lease, again for as long as requests
// arrive during the runs; or, when another holder runs, leaves them a
// pending mark and returns nil at once.
func (l *ChannelLease) Run(ctx context.Context, channelID string, sync func(ctx context.Context) error) error {
	keys := leaseKeys(channelID)
	token := newToken()
	ttlMS := l.ttl().Milliseconds()
	took, err := takeScript.Run(ctx, l.Redis, keys, token, ttlMS, pendingTTL).Int()
	if err != nil {
		return fmt.Errorf("sync lease: %w", err)
	}
	if took == 0 {
		leaseOutcomes.WithLabelValues("coalesced").Inc()
		return nil // the holder runs again for this request
	}
	began := time.Now()
	for {
		leaseOutcomes.WithLabelValues("ran").Inc()
		err := l.begin(ctx, channelID, func(ctx context.Context) error { return l.runHeld(ctx, keys, token, sync) })
		if errors.Is(err, ErrLeaseLost) || errors.Is(err, listing.ErrSuperseded) {
			// Someone else holds the channel now; what this run did not
			// finish is still dirty, and theirs reads it.
			if l.Log != nil {
				l.Log.Warn("channel sync stopped: its lease went to another worker", "channel_id", channelID)
			}
			return nil
		}
		if err != nil {
			l.release(keys, token, true)
			return err
		}
		if time.Since(began) > l.maxHold() && l.Again != nil {
			// Hand over to a new task rather than outlive this one's timeout.
			l.release(keys, token, true)
			return l.Again(ctx, channelID)
		}
		hctx, cancel := detached(ctx)
		again, err := handoverScript.Run(hctx, l.Redis, keys, token, ttlMS).Int()
		cancel()
		if err != nil {
			return fmt.Errorf("sync lease: %w", err)
		}
		if again == 0 {
			return nil
		}
	}
}

func (l *ChannelLease) begin(ctx context.Context, channelID string, run func(ctx context.Context) error) error {
	if l.OnTake == nil {
		return run(ctx)
	}
	rctx, err := l.OnTake(ctx, channelID)
	if err != nil {
		return fmt.Errorf("sync lease: %w", err)
	}
	return run(rctx)
}

// runHeld runs sync while a goroutine renews the lease; losing it cancels
// sync's context with ErrLeaseLost.
func (l *ChannelLease) runHeld(ctx context.Context, keys []string, token string, sync func(ctx context.Context) error) error {
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(l.ttl() / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			ok, err := renewScript.Run(rctx, l.Redis, keys, token, l.ttl().Milliseconds()).Int()
			if err == nil && ok == 0 {
				cancel(ErrLeaseLost)
				return
			}
			// A Redis error is not a loss: the lease may be intact, and the
			// next renewal tells.
		}
	}()
	err := sync(rctx)
	close(done)
	<-renewed
	if errors.Is(context.Cause(rctx), ErrLeaseLost) {
		leaseOutcomes.WithLabelValues("lost").Inc()
		return ErrLeaseLost
	}
	return err
}

// release gives the lease up, keeping a pending mark when asked.
func (l *ChannelLease) release(keys []string, token string, pending bool) {
	ctx, cancel := detached(context.Background())
	defer cancel()
	flag := "0"
	if pending {
		flag = "1"
	}
	if err := releaseScript.Run(ctx, l.Redis, keys, token, flag, pendingTTL).Err(); err != nil && l.Log != nil {
		l.Log.Warn("releasing a channel's sync lease failed; it lapses on its own", "err", err)
	}
}

// detached is a short context that outlives a cancelled task: a lease
// must be handed over even when the worker is shutting down.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
