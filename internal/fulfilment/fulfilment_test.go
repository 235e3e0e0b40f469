package fulfilment

import (
	"testing"

	"github.com/jkhhc/artisanbridge/internal/apperr"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		from, kind, to, tracking string
		want                     apperr.Code
	}{
		{Open, "pick", Acknowledged, "", ""},
		{Open, "pick", Packed, "", ""},                      // acknowledged is optional
		{Open, "collect", Collected, "", ""},                // collect tasks are collected
		{Open, "pick", Collected, "", apperr.Unprocessable}, // pick tasks are not
		{Open, "make", Collected, "", ""},                   // a made piece is collected too
		{Open, "collect", Packed, "", apperr.Conflict},      // nothing to pack before it is collected
		{Acknowledged, "make", Packed, "", apperr.Conflict}, // nor before it is made and brought in
		{Collected, "collect", Packed, "", ""},
		{Open, "pick", Dispatched, "TRK1", apperr.Conflict},    // packed cannot be skipped
		{Packed, "pick", Dispatched, "", apperr.Unprocessable}, // a dispatch needs its tracking number
		{Packed, "pick", Dispatched, "TRK1", ""},
		{Dispatched, "pick", Delivered, "", ""},
		{Packed, "pick", Packed, "", apperr.Conflict},     // repeated
		{Dispatched, "pick", Packed, "", apperr.Conflict}, // backwards
		{Cancelled, "pick", Packed, "", apperr.Conflict},
		{Open, "pick", "lost", "", apperr.Unprocessable},
	}
	for _, tc := range tests {
		err := Check(Task{ID: "t", Status: tc.from, Kind: tc.kind}, Transition{To: tc.to, TrackingNo: tc.tracking})
		if got := apperr.CodeOf(err); got != tc.want {
			t.Errorf("%s -> %s (%s): %v, want %q", tc.from, tc.to, tc.kind, err, tc.want)
		}
	}
}
