// Package media keeps product photos: stored once by the SHA-256 of their
// bytes, resized for each marketplace's image rules, and served at stable
// public URLs (/media/{sha256} and /media/{sha256}/{variant}) that the
// marketplaces fetch. Decisions (what is accepted, what each variant is)
// are plain functions here; the store keeps the bytes.
package media

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Rule is one variant a photo is resized to.
type Rule struct {
	// Variant is the name in the URL: /media/{sha256}/{variant}.
	Variant string `json:"variant"`
	// MaxSide is the longest side after resizing; a smaller photo is never
	// enlarged (Amazon: "resizing small images to be larger reduces the
	// quality").
	MaxSide int `json:"max_side"`
	// Square pads the picture to a square on pure white (RGB 255,255,255),
	// which marketplaces ask of a main image.
	Square bool `json:"square"`
	// Quality is the JPEG quality, 1-100.
	Quality int    `json:"quality"`
	Doc     string `json:"doc"`
}

// Rules are the variants every photo gets.
//
// Amazon (Seller Central "Technical image file requirements"): JPEG
// preferred, RGB, longest side 1,000 px or more enables zoom, files of more
// than 10,000 px on the longest side are refused, a main image on pure white;
// 2,000 px square is the size sellers are advised to send.
//
// Flipkart's listing API carries no image: photos go with the catalogue
// request for a new product (its FSN) in Seller Hub. Its published image
// guidance is not first-party here (UNCONFIRMED): at least 500 px a side,
// JPEG, white background; 1,500 px square is sent, within every figure seen.
//
// web is a piece page's picture and thumb a showroom's card, small enough
// for a phone on a slow link.
var Rules = []Rule{
	{Variant: "amazon", MaxSide: 2000, Square: true, Quality: 90, Doc: "Amazon main image: JPEG, square on white, 2000 px (zoom needs 1000)"},
	{Variant: "flipkart", MaxSide: 1500, Square: true, Quality: 90, Doc: "Flipkart catalogue image: JPEG, square on white, 1500 px"},
	{Variant: "web", MaxSide: 640, Quality: 78, Doc: "a piece's public page: JPEG, 640 px on the longest side"},
	{Variant: "thumb", MaxSide: 320, Quality: 70, Doc: "the pieces of a showroom or cluster page: JPEG, 320 px, a few KB on a slow link"},
}

// Original names the uploaded bytes themselves, as a variant.
const Original = "original"

// Limits on what is accepted.
const (
	// MaxBytes is the largest photo accepted (a phone's camera gives 2-8 MB).
	MaxBytes = 25 << 20
	// MinSide: Amazon refuses an image under 500 px on its longest side.
	MinSide = 500
	// MaxSide: Amazon refuses more than 10,000 px on the longest side.
	MaxSide = 10000
	// MaxPixels bounds the memory a decode takes (a 48 MP phone photo fits).
	MaxPixels = 60_000_000
)

// ContentTypes are the photo formats accepted, by declared media type.
var ContentTypes = []string{"image/jpeg", "image/png"}

// formatOf maps a declared content type to Go's image format name.
func formatOf(contentType string) (string, bool) {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	switch ct {
	case "image/jpeg", "image/jpg":
		return "jpeg", true
	case "image/png":
		return "png", true
	}
	return "", false
}

// VariantNames lists the names /media/{sha256}/{variant} accepts.
func VariantNames() []string {
	out := []string{Original}
	for _, r := range Rules {
		out = append(out, r.Variant)
	}
	return out
}

// KnownVariant reports whether name is a variant.
func KnownVariant(name string) bool { return slices.Contains(VariantNames(), name) }

// ForChannel is the variant a marketplace kind is sent (web for others).
func ForChannel(kind string) string {
	for _, r := range Rules {
		if r.Variant == kind {
			return r.Variant
		}
	}
	return "web"
}

var shaPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ValidSHA reports whether s is a lower-case hex SHA-256.
func ValidSHA(s string) bool { return shaPattern.MatchString(s) }

// Fit is the size a w×h picture is drawn at within maxSide, keeping its
// proportions and never enlarging it.
func Fit(w, h, maxSide int) (int, int) {
	if w <= 0 || h <= 0 {
		return 0, 0
	}
	long := max(w, h)
	if long <= maxSide {
		return w, h
	}
	nw := (w*maxSide + long/2) / long
	nh := (h*maxSide + long/2) / long
	return max(nw, 1), max(nh, 1)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
