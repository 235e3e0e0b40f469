package jobs

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// QueueEpoch notices that Redis lost its data (restarted empty, flushed,
// failed over to an empty replica, or keys evicted): a key written once
// that only such a loss removes. The relay asks on every pass, so lost
// events are handed over again within a relay interval instead of after
// outbox.RecoverAfter.
type QueueEpoch struct {
	Redis redis.UniversalClient
}

const epochKey = "artisanbridge:queue:epoch"

// Reset reports whether the queue's data was lost since the last call by
// any process (the first process to notice is told; it recovers every
// undelivered event from the database, for everyone). The first call on
// a Redis that never held the key reports true as well, which costs one
// recovery pass at the first start.
func (e QueueEpoch) Reset(ctx context.Context) (bool, error) {
	set, err := e.Redis.SetNX(ctx, epochKey, newToken(), 0).Result()
	if err != nil {
		return false, fmt.Errorf("queue epoch: %w", err)
	}
	return set, nil
}
