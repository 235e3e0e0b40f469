// Package effects names what a change writes besides itself: audit entries
// and outbox events. Stores write them in the change's own transaction, so a
// change is never without its audit trail or its announcement.
package effects

import (
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// Set is written atomically with the change that produced it.
type Set struct {
	Audit  []audit.Entry
	Events []outbox.Message
}
