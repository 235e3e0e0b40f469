package channels

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/apperr"
)

func TestMergeSettings(t *testing.T) {
	stored := Settings{DispatchDays: Days(3), ReturnWindowDays: Days(7), Locations: []LocationMap{{LocationID: "L1", ExternalLocationID: "FK1"}}}
	for _, tc := range []struct {
		name  string
		patch string
		check func(t *testing.T, s Settings)
		bad   bool
		field string // the field a refusal names
	}{
		{"one setting changes, the others stay", `{"settlement_days": 12}`, func(t *testing.T, s Settings) {
			if s.Dispatch() != 3 || s.ReturnWindow() != 7*24*time.Hour || s.SettlementPeriod() != 12 || len(s.Locations) != 1 {
				t.Errorf("%+v", s.Effective())
			}
		}, false, ""},
		{"an explicit 0 is 0", `{"return_window_days": 0}`, func(t *testing.T, s Settings) {
			if s.ReturnWindow() != 0 || s.ReturnWindowDays == nil {
				t.Errorf("return window %v", s.ReturnWindow())
			}
		}, false, ""},
		{"null takes the default again", `{"dispatch_days": null, "return_window_days": null}`, func(t *testing.T, s Settings) {
			if s.DispatchDays != nil || s.Dispatch() != DefaultDispatchDays || s.ReturnWindow() != DefaultReturnWindowDays*24*time.Hour {
				t.Errorf("%+v", s.Effective())
			}
		}, false, ""},
		{"locations are replaced whole (arrays are, in a merge patch)", `{"locations": []}`, func(t *testing.T, s Settings) {
			if len(s.Locations) != 0 || s.Dispatch() != 3 {
				t.Errorf("%+v", s)
			}
		}, false, ""},
		{"an empty patch changes nothing", `{}`, func(t *testing.T, s Settings) {
			if s.Dispatch() != 3 || s.ReturnWindow() != 7*24*time.Hour {
				t.Errorf("%+v", s.Effective())
			}
		}, false, ""},
		{"an unknown setting is named", `{"retrun_window_days": 5}`, nil, true, "settings.retrun_window_days"},
		{"an unknown setting inside locations is named", `{"locations": [{"location": "x"}]}`, nil, true, "settings.location"},
		{"a wrong type is refused", `{"dispatch_days": "three"}`, nil, true, "settings.dispatch_days"},
		{"not an object", `[1]`, nil, true, "settings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MergeSettings(stored, json.RawMessage(tc.patch))
			if tc.bad {
				var ae *apperr.Error
				if !errors.As(err, &ae) || ae.Fields[tc.field] == "" {
					t.Fatalf("want a field error naming %s, got %v", tc.field, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
		})
	}
	if *stored.DispatchDays != 3 || len(stored.Locations) != 1 {
		t.Fatal("merging changed the stored settings")
	}
}

func TestDefaults(t *testing.T) {
	var s Settings
	if s.Dispatch() != 3 || s.ReturnWindow() != 10*24*time.Hour || s.SettlementPeriod() != 15 {
		t.Fatalf("defaults %+v", s.Effective())
	}
}
