package jobs

import (
	"context"
	"encoding/json"

	"github.com/jkhhc/artisanbridge/internal/imports"
	"github.com/jkhhc/artisanbridge/internal/outbox"
)

// ImportRunner runs bulk imports. One run works for a slice of time (an
// event task has two minutes) and, if the file is not through, queues the
// next run through the outbox; every batch commits with the import's
// cursor, so a run killed half way is taken up again from its last batch.
type ImportRunner struct{ Imports *imports.Service }

func (ImportRunner) Name() string     { return "import-runner" }
func (ImportRunner) Topics() []string { return []string{imports.TopicRun} }

func (r ImportRunner) Consume(ctx context.Context, m outbox.Message) error {
	var in imports.Run
	if err := json.Unmarshal(m.Payload, &in); err != nil || in.ImportID == "" {
		in.ImportID = m.Key
	}
	done, err := r.Imports.Run(ctx, in.ImportID)
	if err != nil || done {
		return err
	}
	return r.Imports.Continue(ctx, in.ImportID)
}
