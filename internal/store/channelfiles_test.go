package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/channels"
	"github.com/jkhhc/artisanbridge/internal/testenv"
)

// TestChannelFilesLatest: the newest file of a channel whose name starts
// with a prefix, another channel's and other names aside; none is found
// before one is put (a prefix's _ is no wildcard).
func TestChannelFilesLatest(t *testing.T) {
	for _, b := range testenv.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			db, _ := b.Open(t)
			ctx := context.Background()
			chs := channels.NewService(db.Channels(), mustRing(t), nil)
			for _, name := range []string{"gem", "gem2"} {
				if err := chs.Ensure(ctx, "gem", name, "https://gem.gov.in", "", true, nil, channels.Settings{}); err != nil {
					t.Fatal(err)
				}
			}
			list, _ := chs.List(ctx)
			one, two := list[0].ID, list[1].ID
			files := db.ChannelFiles()
			const prefix = "gem-catalogue-export-"
			if _, _, found, err := files.Latest(ctx, one, prefix); err != nil || found {
				t.Fatalf("before any: %v %v", found, err)
			}
			put := func(ch, name, data string) {
				t.Helper()
				if _, err := files.Put(ctx, ch, name, "text/csv", 1, []byte(data)); err != nil {
					t.Fatal(err)
				}
				time.Sleep(2 * time.Millisecond)
			}
			put(one, prefix+"1.csv", "first")
			put(one, prefix+"2.csv", "second")
			put(one, "gem-update-3.xlsx", "an update workbook")
			put(one, "gem-catalogue-exportX3.csv", "not the prefix")
			put(two, prefix+"9.csv", "the other channel's")
			f, data, found, err := files.Latest(ctx, one, prefix)
			if err != nil || !found || string(data) != "second" || f.Name != prefix+"2.csv" || f.ChannelID != one {
				t.Fatalf("latest: %+v %q %v %v", f, data, found, err)
			}
		})
	}
}
