package catalog

import (
	"slices"
	"strings"
)

// GI is a Geographical Indication registered for goods of Kashmir under
// the Geographical Indications of Goods (Registration and Protection) Act,
// 1999. A product sold under a GI names it by Key and carries the label
// or certificate number its maker holds as a registered authorised user
// (gi_certificate_no).
type GI struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	// Crafts are the catalogue's crafts whose goods the GI covers.
	Crafts []string `json:"crafts"`
	// Registered says when, as far as is recorded here.
	Registered string `json:"registered"`
}

// GIs are Kashmir's registered handicraft GIs: seven registered by 2016
// (Kashmir Pashmina, Kani Shawl and Kashmir Sozani Craft first, in 2008;
// Kashmir Paper Machie, Kashmir Walnut Wood Carving and Khatamband; Kashmiri
// Hand Knotted Carpet, certificate of 13 June 2016, IICT Srinagar) and eight
// more in April 2025 (Namda, Gabba, Willow Bat, Tweed, Crewel, Chain Stitch,
// Shikara, Wagguv), fifteen in all (Directorate of Handicrafts and Handloom
// Kashmir; GI Registry, Chennai). The six first are held by the Tahafuz
// society as registered proprietor. Keys keep the registry's spellings.
var GIs = []GI{
	{Key: "kashmir_pashmina", Name: "Kashmir Pashmina", Crafts: []string{"pashmina_shawl", "kani_shawl", "sozni_embroidery", "tilla_embroidery", "aari_embroidery"}, Registered: "2008"},
	{Key: "kani_shawl", Name: "Kani Shawl", Crafts: []string{"kani_shawl"}, Registered: "2008"},
	{Key: "kashmir_sozani_craft", Name: "Kashmir Sozani Craft", Crafts: []string{"sozni_embroidery", "pashmina_shawl"}, Registered: "2008"},
	{Key: "kashmir_paper_machie", Name: "Kashmir Paper Machie", Crafts: []string{"papier_mache"}, Registered: "by 2016"},
	{Key: "kashmir_walnut_wood_carving", Name: "Kashmir Walnut Wood Carving", Crafts: []string{"walnut_wood_carving"}, Registered: "by 2016"},
	{Key: "khatamband", Name: "Khatamband", Crafts: []string{"khatamband"}, Registered: "by 2016"},
	{Key: "kashmir_hand_knotted_carpet", Name: "Kashmiri Hand Knotted Carpet", Crafts: []string{"carpet"}, Registered: "2016-06-13"},
	{Key: "kashmir_namda", Name: "Kashmir Namda", Crafts: []string{"namda"}, Registered: "2025-04"},
	{Key: "kashmir_gabba", Name: "Kashmir Gabba", Crafts: []string{"gabba"}, Registered: "2025-04"},
	{Key: "kashmir_crewel", Name: "Kashmir Crewel", Crafts: []string{"crewel"}, Registered: "2025-04"},
	{Key: "kashmir_chain_stitch", Name: "Kashmir Chain Stitch", Crafts: []string{"chain_stitch"}, Registered: "2025-04"},
	{Key: "kashmir_tweed", Name: "Kashmir Tweed", Crafts: []string{"tweed"}, Registered: "2025-04"},
	{Key: "kashmir_willow_bat", Name: "Kashmir Willow Bat", Crafts: []string{"willow_bat"}, Registered: "2025-04"},
	{Key: "kashmir_shikara", Name: "Shikara", Crafts: []string{"shikara"}, Registered: "2025-04"},
	{Key: "kashmir_wagguv", Name: "Wagguv", Crafts: []string{"wagguv"}, Registered: "2025-04"},
}

// GIByKey returns the GI named key.
func GIByKey(key string) (GI, bool) {
	for _, g := range GIs {
		if g.Key == key {
			return g, true
		}
	}
	return GI{}, false
}

// GIKeys lists every GI's key, in order.
func GIKeys() []string {
	out := make([]string, len(GIs))
	for i, g := range GIs {
		out[i] = g.Key
	}
	return out
}

// DefaultGI is the GI a craft's goods are sold under when only one GI
// covers the craft (a product sent with gi_tag true and no gi).
func DefaultGI(craft string) (string, bool) {
	found := ""
	for _, g := range GIs {
		if slices.Contains(g.Crafts, craft) {
			if found != "" {
				return "", false
			}
			found = g.Key
		}
	}
	return found, found != ""
}

// GIsForCraft lists the GIs a craft's goods may be sold under.
func GIsForCraft(craft string) []string {
	var out []string
	for _, g := range GIs {
		if slices.Contains(g.Crafts, craft) {
			out = append(out, g.Key)
		}
	}
	return out
}

// applyGI sets a product's GI from gi and giTag (either may be absent):
// gi names a registered GI that covers the product's craft; gi_tag true
// alone takes the craft's only GI; gi_tag false sells it without one.
// GITag follows GI.
func applyGI(fe fieldErrors, p *Product, gi *string, giTag *bool) {
	if gi != nil {
		p.GI = strings.TrimSpace(*gi)
		if _, ok := GIByKey(p.GI); p.GI != "" && !ok {
			fe.Add("gi", "must be one of the registered Kashmir GIs: %s (GET /api/v1/gis), or empty", strings.Join(GIKeys(), ", "))
			return
		}
	}
	if giTag != nil {
		switch {
		case *giTag && p.GI == "":
			if def, ok := DefaultGI(p.Craft); ok && gi == nil {
				p.GI = def
			} else {
				fe.Add("gi", "gi_tag true needs the GI the piece is registered under: one of %s", strings.Join(GIKeys(), ", "))
			}
		case !*giTag && gi != nil && p.GI != "":
			fe.Add("gi_tag", "is false but gi is %s: send gi \"\" to sell the piece without a GI", p.GI)
		case !*giTag:
			p.GI = ""
		}
	}
	if g, ok := GIByKey(p.GI); ok && p.Craft != "" && !slices.Contains(g.Crafts, p.Craft) {
		allowed := GIsForCraft(p.Craft)
		hint := "no registered GI covers " + p.Craft + ": send gi \"\""
		if len(allowed) > 0 {
			hint = "for " + p.Craft + " use one of " + strings.Join(allowed, ", ")
		}
		fe.Add("gi", "%s is registered for %s, not %s: %s", g.Key, strings.Join(g.Crafts, ", "), p.Craft, hint)
	}
	p.GITag = p.GI != ""
}

// fieldErrors is what applyGI reports problems to.
type fieldErrors interface {
	Add(field, format string, args ...any)
}
