// Package clock lets services take an injectable clock (tests fix time)
// without each constructor repeating the default.
package clock

import "time"

// Or returns now, or time.Now when now is nil.
func Or(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}
