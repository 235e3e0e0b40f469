package media_test

import (
	"testing"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/media"
)

// FuzzProcess: whatever bytes a client uploads, Process answers a photo
// named by their hash with every variant, or a refusal a person can act
// on (422 naming the field); it never panics or fails inside.
func FuzzProcess(f *testing.F) {
	// Seeds are in testdata/fuzz/FuzzProcess (a JPEG, a PNG, a truncated
	// JPEG, a huge declared size, junk).
	f.Fuzz(func(t *testing.T, contentType string, data []byte) {
		m, vs, err := media.Process(contentType, data)
		if err != nil {
			if !apperr.Is(err, apperr.Unprocessable) {
				t.Fatalf("refused as %s: %v", apperr.CodeOf(err), err)
			}
			return
		}
		if m.SHA256 != media.SHA256(data) || len(vs) != len(media.VariantNames()) {
			t.Fatalf("accepted %d bytes as %+v with %d variants", len(data), m, len(vs))
		}
	})
}
