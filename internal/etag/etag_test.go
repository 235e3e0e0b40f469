package etag_test

import (
	"testing"

	"github.com/jkhhc/artisanbridge/internal/etag"
)

func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		name, header, etag string
		want               bool
	}{
		{"no header", "", `"abc"`, false},
		{"the same tag", `"abc"`, `"abc"`, true},
		{"another tag", `"abd"`, `"abc"`, false},
		{"a tag that contains it", `"xabcx"`, `abc`, false},
		{"a longer tag with it as a prefix", `"abc1"`, `"abc"`, false},
		{"a list naming it", `"x", "abc" , "y"`, `"abc"`, true},
		{"a list without it", `"x","y"`, `"abc"`, false},
		{"weak in the header", `W/"abc"`, `"abc"`, true},
		{"weak tag, strong header", `"abc"`, `W/"abc"`, true},
		{"any", `*`, `"abc"`, true},
		{"any in a list", `"x", *`, `"abc"`, true},
		{"unquoted is another tag", `abc`, `"abc"`, false},
		{"no tag of ours", `"abc"`, ``, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := etag.Matches(tc.header, tc.etag); got != tc.want {
				t.Fatalf("Matches(%q, %q) = %v, want %v", tc.header, tc.etag, got, tc.want)
			}
		})
	}
}
