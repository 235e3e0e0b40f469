package reconcile

import (
	"testing"
)

func TestClassify(t *testing.T) {
	live := Expected{ListingID: "L", SKU: "S", Quantity: 3, PricePaise: 250000, InSync: true, Live: true}
	waiting := live
	waiting.InSync = false
	never := live
	never.Live, never.InSync = false, true
	for _, tc := range []struct {
		name string
		e    Expected
		r    *Remote
		want []string
	}{
		{"the same", live, &Remote{SKU: "S", Quantity: 3, PricePaise: 250000}, nil},
		{"quantity edited there", live, &Remote{SKU: "S", Quantity: 50, PricePaise: 250000}, []string{EditedOnMarketplace}},
		{"price edited there", live, &Remote{SKU: "S", Quantity: 3, PricePaise: 199900}, []string{PriceDiffers}},
		{"both edited", live, &Remote{SKU: "S", Quantity: 0, PricePaise: 1}, []string{EditedOnMarketplace, PriceDiffers}},
		{"missing there", live, nil, []string{MissingThere}},
		{"a push waits", waiting, &Remote{SKU: "S", Quantity: 2, PricePaise: 250000}, []string{PushPending}},
		{"a price push waits", waiting, &Remote{SKU: "S", Quantity: 3, PricePaise: 1}, []string{PushPending}},
		{"both wait: said once", waiting, &Remote{SKU: "S", Quantity: 2, PricePaise: 1}, []string{PushPending}},
		{"never pushed, not there", never, nil, nil},
		{"first push waits", Expected{ListingID: "L", SKU: "S", Live: false, InSync: false}, nil, nil},
		{"pushed, changed, gone", waiting, nil, []string{PushPending}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(tc.e, tc.r)
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %v", got, tc.want)
			}
			for i, d := range got {
				if d.Class != tc.want[i] || d.SKU != "S" || d.ListingID != "L" || d.Detail == "" {
					t.Errorf("difference %d: %+v, want %s", i, d, tc.want[i])
				}
				if tc.r != nil && (d.TheirsQuantity == nil || *d.TheirsQuantity != tc.r.Quantity) {
					t.Errorf("difference %d does not say what the marketplace holds: %+v", i, d)
				}
			}
		})
	}
	u := Unknown(Remote{SKU: "X", Quantity: 4, PricePaise: 100})
	if u.Class != UnknownSKU || *u.TheirsQuantity != 4 || Correctable(UnknownSKU) {
		t.Fatalf("unknown: %+v", u)
	}
	for _, c := range []string{EditedOnMarketplace, MissingThere, PriceDiffers} {
		if !Correctable(c) {
			t.Errorf("%s is not correctable", c)
		}
	}
}

func TestResume(t *testing.T) {
	for _, tc := range []struct {
		name, checkpoint string
		phase            int
		after, token     string
	}{
		{"a new run", "", PhaseListings, "", ""},
		{"after a listing", "0190c1d2-0000-7000-8000-000000000001", PhaseListings, "0190c1d2-0000-7000-8000-000000000001", ""},
		{"in the unknown pass", UnknownCheckpoint("tok:2"), PhaseUnknown, "", "tok:2"},
		{"both passes done", UnknownCheckpoint(""), PhaseDone, "", ""},
		{"in the report's rows", ReportCheckpoint(20), PhaseReport, ReportCheckpoint(20), ""},
		{"in the report's second pass", MissingCheckpoint("0190c1d2-0000-7000-8000-000000000001"), PhaseReport, MissingCheckpoint("0190c1d2-0000-7000-8000-000000000001"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			phase, after, token := Resume(tc.checkpoint)
			if phase != tc.phase || after != tc.after || token != tc.token {
				t.Fatalf("Resume(%q) = %d %q %q, want %d %q %q", tc.checkpoint, phase, after, token, tc.phase, tc.after, tc.token)
			}
		})
	}
}

func TestReportResume(t *testing.T) {
	for _, tc := range []struct {
		name, checkpoint string
		skip             int64
		after            string
	}{
		{"a new run", "", 0, ""},
		{"after 20 rows", ReportCheckpoint(20), 20, ""},
		{"every row counted, in the second pass", MissingCheckpoint("0190c1d2-0000-7000-8000-000000000001"), -1, "0190c1d2-0000-7000-8000-000000000001"},
		{"an unreadable count starts over", "report:x", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if skip, after := ReportResume(tc.checkpoint); skip != tc.skip || after != tc.after {
				t.Fatalf("ReportResume(%q) = %d %q, want %d %q", tc.checkpoint, skip, after, tc.skip, tc.after)
			}
		})
	}
}

func TestUseReport(t *testing.T) {
	for _, tc := range []struct {
		total     int64
		threshold int
		want      bool
	}{{999, 1000, false}, {1000, 1000, true}, {100000, 1000, true}, {5, 0, false}, {0, 1, false}} {
		if got := UseReport(tc.total, tc.threshold); got != tc.want {
			t.Errorf("UseReport(%d, %d) = %v", tc.total, tc.threshold, got)
		}
	}
}
