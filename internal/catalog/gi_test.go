package catalog

import (
	"strings"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/apperr"
)

func TestApplyGI(t *testing.T) {
	str := func(s string) *string { return &s }
	yes, no := true, false
	cases := []struct {
		name        string
		craft, was  string
		gi          *string
		giTag       *bool
		want        string
		field, hint string // the refusal's field and a word it must say
	}{
		{name: "a registered GI of the craft", craft: "kani_shawl", gi: str("kani_shawl"), want: "kani_shawl"},
		{name: "one of two GIs of the craft", craft: "pashmina_shawl", gi: str("kashmir_sozani_craft"), want: "kashmir_sozani_craft"},
		{name: "gi_tag alone takes the craft's only GI", craft: "papier_mache", giTag: &yes, want: "kashmir_paper_machie"},
		{name: "gi_tag alone where two GIs fit", craft: "pashmina_shawl", giTag: &yes, field: "gi", hint: "kashmir_pashmina"},
		{name: "gi_tag alone where none fits", craft: "copperware", giTag: &yes, field: "gi", hint: "kashmir_pashmina"},
		{name: "free text is refused naming the keys", craft: "kani_shawl", gi: str("Kani (genuine)"), field: "gi", hint: "kashmir_hand_knotted_carpet"},
		{name: "another craft's GI", craft: "papier_mache", gi: str("kani_shawl"), field: "gi", hint: "kashmir_paper_machie"},
		{name: "a GI where the craft has none", craft: "copperware", gi: str("kani_shawl"), field: "gi", hint: `gi ""`},
		{name: "gi_tag false clears the GI", craft: "kani_shawl", was: "kani_shawl", giTag: &no, want: ""},
		{name: "gi_tag false with a gi", craft: "kani_shawl", gi: str("kani_shawl"), giTag: &no, field: "gi_tag"},
		{name: "empty gi clears", craft: "kani_shawl", was: "kani_shawl", gi: str(""), want: ""},
		{name: "nothing said keeps it", craft: "kani_shawl", was: "kani_shawl", want: "kani_shawl"},
		{name: "a craft change the GI does not cover", craft: "namda", was: "kani_shawl", field: "gi", hint: "kashmir_namda"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fe := apperr.FieldErrors{}
			p := Product{Craft: c.craft, GI: c.was, GITag: c.was != ""}
			applyGI(fe, &p, c.gi, c.giTag)
			if c.field != "" {
				if !strings.Contains(fe[c.field], c.hint) {
					t.Fatalf("errors %v: want %s saying %q", map[string]string(fe), c.field, c.hint)
				}
				return
			}
			if len(fe) > 0 || p.GI != c.want || p.GITag != (c.want != "") {
				t.Fatalf("GI %q tag %v, errors %v; want %q", p.GI, p.GITag, map[string]string(fe), c.want)
			}
		})
	}
}

// TestGIRegistry: fifteen registered GIs, each with a unique key, and every
// demo and migration key among them.
func TestGIRegistry(t *testing.T) {
	if len(GIs) != 15 {
		t.Fatalf("%d GIs, want the 15 registered for Kashmir's crafts", len(GIs))
	}
	seen := map[string]bool{}
	for _, g := range GIs {
		if seen[g.Key] || !craftPattern.MatchString(g.Key) || g.Name == "" || len(g.Crafts) == 0 {
			t.Errorf("GI %+v: duplicate or incomplete", g)
		}
		seen[g.Key] = true
	}
	for craft, want := range map[string]string{"kani_shawl": "", "papier_mache": "kashmir_paper_machie", "carpet": "kashmir_hand_knotted_carpet",
		"copperware": "", "walnut_wood_carving": "kashmir_walnut_wood_carving"} {
		got, _ := DefaultGI(craft)
		if got != want {
			t.Errorf("DefaultGI(%s) = %q, want %q", craft, got, want)
		}
	}
}
