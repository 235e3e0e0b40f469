package gem

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
)

// GeM has no API to ask what it holds: what it confirmed is the portal's
// catalogue export, downloaded by staff and imported
// (ParseCatalogueExport). A stock reconciliation of a GeM channel reads
// the last one imported, as a report of everything the portal holds, and
// compares it with what the channel should hold now. Differences the
// portal does not show yet because an update workbook waits to be
// uploaded look like edits there; the exception says to upload it.

// ExportNamePrefix names the stored catalogue exports among the channel's
// files.
const ExportNamePrefix = "gem-catalogue-export-"

// ConfirmedSource gives the last catalogue export imported for the channel.
type ConfirmedSource interface {
	// LastExport returns its bytes and when it was imported; found is
	// false when none was.
	LastExport(ctx context.Context) (data []byte, at time.Time, found bool, err error)
}

// ErrNoExport says no catalogue export was imported yet.
var ErrNoExport = errors.New("gem: no catalogue export has been imported yet: download it in the GeM seller portal (Catalogue, Export) and import it, then reconcile")

var _ adapters.ListingsReporter = (*Client)(nil)

// ReportThreshold is 1: the last export is the only way to read GeM.
func (c *Client) ReportThreshold() int { return 1 }

// ListingsReport hands over the rows of the last imported catalogue
// export. An export with malformed rows was refused when imported, so
// every row here is readable; a stored one that no longer parses is an
// error, not rows dropped. An export holds at most MaxExportRows rows.
func (c *Client) ListingsReport(ctx context.Context, each func(adapters.RemoteListing) error, _ func(adapters.BadRow) error) error {
	if c.cfg.Confirmed == nil {
		return ErrNoExport
	}
	data, _, found, err := c.cfg.Confirmed.LastExport(ctx)
	if err != nil {
		return fmt.Errorf("gem: reading the last catalogue export: %w", err)
	}
	if !found {
		return ErrNoExport
	}
	rows, err := ParseCatalogueExport(data)
	if err != nil {
		return fmt.Errorf("gem: the last catalogue export no longer reads: %w", err)
	}
	for _, l := range rows {
		if l.Status != "ACTIVE" {
			l.Quantity = 0 // an inactive, pending or rejected offering offers nothing to buyers
		}
		if err := each(l); err != nil {
			return err
		}
	}
	return nil
}

// KeepCatalogueExport checks an export a person uploaded and keeps it
// through keep under a name with ExportNamePrefix, where LastExport finds
// it; a bad file is refused (422) with each bad cell named and nothing is
// kept. It answers the kept file's id.
func KeepCatalogueExport(fileName string, data []byte, now time.Time,
	keep func(name, contentType string, items int, data []byte) (string, error)) (string, error) {
	listings, err := CheckCatalogueExport(data)
	if err != nil {
		return "", err
	}
	contentType, ext := "text/csv", ".csv"
	if strings.HasSuffix(strings.ToLower(fileName), ".xlsx") || bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		contentType, ext = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"
	}
	return keep(ExportNamePrefix+now.UTC().Format("20060102T150405.000Z")+ext, contentType, listings, data)
}
