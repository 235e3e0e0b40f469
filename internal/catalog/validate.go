package catalog

import (
	"regexp"
	"slices"
	"strings"
)

// Crafts of the corporation (API.md); Registry.Extend adds more from config.
var DefaultCrafts = []string{
	"pashmina_shawl", "kani_shawl", "sozni_embroidery", "aari_embroidery",
	"chain_stitch", "crewel", "tilla_embroidery", "carpet", "namda", "gabba",
	"papier_mache", "walnut_wood_carving", "khatamband", "willow_wicker",
	"copperware", "silverware",
}

// LegalGSTRatesBP are the GST rates in force on goods, in basis points
// (MARKETPLACES.md 4.5: 5% for most handicrafts from 22 Sep 2025, 3% for
// silver filigree; 0.25% and 3% special rates; 40% demerit rate; 12% and 28%
// kept for goods sold before the change and for returns against them).
var LegalGSTRatesBP = []int64{0, 25, 300, 500, 1200, 1800, 2800, 4000}

var (
	skuPattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$`)
	codePattern    = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,31}$`)
	ifscPattern    = regexp.MustCompile(`^[A-Z]{4}0[A-Z0-9]{6}$`)
	hsnPattern     = regexp.MustCompile(`^(\d{4}|\d{6}|\d{8})$`)
	mobilePattern  = regexp.MustCompile(`^[6-9]\d{9}$`)
	accountPattern = regexp.MustCompile(`^\d{9,18}$`)
	idNoPattern    = regexp.MustCompile(`^[A-Za-z0-9/-]{4,40}$`)
	craftPattern   = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)
	shaPattern     = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Languages artisans are written to in (ISO 639 codes).
var Languages = []string{"ks", "ur", "hi", "en", "doi", "pa", "bal"}

// Crafts is the list of crafts a product or artisan may name.
type Crafts struct{ names []string }

// NewCrafts returns the default crafts plus extra ones from configuration.
func NewCrafts(extra ...string) (*Crafts, error) {
	c := &Crafts{names: slices.Clone(DefaultCrafts)}
	for _, e := range extra {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if !craftPattern.MatchString(e) {
			return nil, errInvalidCraftName(e)
		}
		if !slices.Contains(c.names, e) {
			c.names = append(c.names, e)
		}
	}
	return c, nil
}

// Known reports whether name is a craft.
func (c *Crafts) Known(name string) bool { return slices.Contains(c.names, name) }

// Names returns the crafts in order.
func (c *Crafts) Names() []string { return slices.Clone(c.names) }

type errInvalidCraftName string

func (e errInvalidCraftName) Error() string {
	return "craft name " + string(e) + " must be lower-case letters, digits and _"
}

// NormalizeMobile returns an Indian mobile number as +91XXXXXXXXXX, accepting
// the forms people write: with +91, 91 or 0 in front, spaces and dashes.
func NormalizeMobile(s string) (string, bool) {
	s = strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s))
	switch {
	case strings.HasPrefix(s, "+91"):
		s = s[3:]
	case len(s) == 12 && strings.HasPrefix(s, "91"):
		s = s[2:]
	case len(s) == 11 && strings.HasPrefix(s, "0"):
		s = s[1:]
	}
	if !mobilePattern.MatchString(s) {
		return "", false
	}
	return "+91" + s, true
}

// ValidIFSC reports whether s is an IFSC: 4 letters, a 0, 6 letters or digits.
func ValidIFSC(s string) bool { return ifscPattern.MatchString(s) }

// ValidHSN reports whether s is a 4, 6 or 8 digit HSN code.
func ValidHSN(s string) bool { return hsnPattern.MatchString(s) }

// ValidSKU reports whether s is a SKU every marketplace accepts.
func ValidSKU(s string) bool { return skuPattern.MatchString(s) }

// LegalGSTRate reports whether bp is a GST rate in force.
func LegalGSTRate(bp int64) bool { return slices.Contains(LegalGSTRatesBP, bp) }
