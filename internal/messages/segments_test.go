package messages

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"
)

func TestCountSegmentsBoundaries(t *testing.T) {
	a, hi, ext := "a", "क", "€"
	emoji := "😀" // outside the BMP: a surrogate pair, two code units
	tests := []struct {
		name     string
		text     string
		enc      Encoding
		units    int
		segments int
	}{
		{"empty is one SMS", "", GSM7, 0, 1},
		{"160 GSM-7", strings.Repeat(a, 160), GSM7, 160, 1},
		{"161 GSM-7", strings.Repeat(a, 161), GSM7, 161, 2},
		{"153x2 GSM-7", strings.Repeat(a, 306), GSM7, 306, 2},
		{"153x2+1 GSM-7", strings.Repeat(a, 307), GSM7, 307, 3},
		{"153x3 GSM-7", strings.Repeat(a, 459), GSM7, 459, 3},
		{"extension counts two: 80 euros fill one SMS", strings.Repeat(ext, 80), GSM7, 160, 1},
		{"80 euros and one letter", strings.Repeat(ext, 80) + a, GSM7, 161, 2},
		{"159 letters and an extension character", strings.Repeat(a, 159) + "^", GSM7, 161, 2},
		{"an escape pair is never split: 152 letters then €", strings.Repeat(a, 152) + ext + strings.Repeat(a, 10), GSM7, 164, 2},
		{"every extension character", "\f^{}\\[~]|€", GSM7, 20, 1},
		{"basic accented letters stay GSM-7", "èéùìòÇØøÅåÆæßÉÄÖÑÜäöñüà¿¡§£¥¤", GSM7, 29, 1},
		{"70 UCS-2", strings.Repeat(hi, 70), UCS2, 70, 1},
		{"71 UCS-2", strings.Repeat(hi, 71), UCS2, 71, 2},
		{"67x2 UCS-2", strings.Repeat(hi, 134), UCS2, 134, 2},
		{"67x2+1 UCS-2", strings.Repeat(hi, 135), UCS2, 135, 3},
		{"one Devanagari letter makes the whole text UCS-2", strings.Repeat(a, 69) + hi, UCS2, 70, 1},
		{"ASCII in a UCS-2 text counts one unit each, extension characters too", strings.Repeat(a, 60) + "€^{}" + hi, UCS2, 65, 1},
		{"a surrogate pair counts two", strings.Repeat(hi, 68) + emoji, UCS2, 70, 1},
		{"a surrogate pair over the edge", strings.Repeat(hi, 69) + emoji, UCS2, 71, 2},
		{"a surrogate pair is never split: 66 letters then a pair", strings.Repeat(hi, 66) + emoji + strings.Repeat(hi, 10), UCS2, 78, 2},
		{"a pair straddling the first part's end moves to the second", strings.Repeat(hi, 66) + emoji + strings.Repeat(hi, 66), UCS2, 134, 3},
		{"Urdu", "آپ کا شال فروخت ہو گیا", UCS2, 22, 1},
		{"a backtick is not GSM-7", "`", UCS2, 1, 1},
	}
	for _, tc := range tests {
		got := CountSegments(tc.text)
		if got.Encoding != tc.enc || got.Units != tc.units || got.Segments != tc.segments {
			t.Errorf("%s: %+v, want %s %d units in %d segments", tc.name, got, tc.enc, tc.units, tc.segments)
		}
	}
	if c := CountSegments(strings.Repeat(a, 161)); c.PerSegment != GSM7Part || c.CostPaise(20) != 40 {
		t.Errorf("161 GSM-7: %+v, cost %d", c, c.CostPaise(20))
	}
	if c := CountSegments(strings.Repeat(hi, 70)); c.PerSegment != UCS2Single || c.CostPaise(0) != 0 {
		t.Errorf("70 UCS-2: %+v", c)
	}
}

// randomText mixes GSM basic, extension, BMP and astral characters.
func randomText(r *rand.Rand, alphabet []string) string {
	n := r.IntN(500)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// Properties that hold for any text: the units are the septets or UTF-16
// code units; the segments are the fewest parts that hold every character
// whole; a text that fits one SMS is one segment; appending never lowers
// the count.
func TestCountSegmentsProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	alphabets := map[string][]string{
		"gsm":   {"a", "Z", "0", " ", "@", "é", "\n"},
		"gsm+x": {"a", "€", "^", "{", "|"},
		"ucs2":  {"a", "क", "ش", "ٕ", "€", "😀", "ہ"},
	}
	for name, alphabet := range alphabets {
		for i := 0; i < 3000; i++ {
			text := randomText(r, alphabet)
			c := CountSegments(text)
			gsm := true
			septets := 0
			for _, ch := range text {
				n, ok := InGSM7(ch)
				gsm = gsm && ok
				septets += n
			}
			wantUnits := len(utf16.Encode([]rune(text)))
			single, part := UCS2Single, UCS2Part
			if gsm {
				wantUnits, single, part = septets, GSM7Single, GSM7Part
				if c.Encoding != GSM7 {
					t.Fatalf("%s: %q counted as %s", name, text, c.Encoding)
				}
			} else if c.Encoding != UCS2 {
				t.Fatalf("%s: %q counted as %s", name, text, c.Encoding)
			}
			if c.Units != wantUnits {
				t.Fatalf("%s: %q: %d units, want %d", name, text, c.Units, wantUnits)
			}
			switch {
			case c.Units <= single:
				if c.Segments != 1 {
					t.Fatalf("%s: %d units in %d segments", name, c.Units, c.Segments)
				}
			default:
				lower := (c.Units + part - 1) / part
				// Whole characters of at most 2 units waste at most one unit a part.
				upper := (c.Units + part - 2) / (part - 1)
				if c.Segments < lower || c.Segments > upper {
					t.Fatalf("%s: %d units in %d segments, want %d..%d", name, c.Units, c.Segments, lower, upper)
				}
			}
			more := CountSegments(text + alphabet[r.IntN(len(alphabet))])
			if more.Encoding == c.Encoding && more.Segments < c.Segments {
				t.Fatalf("%s: appending lowered %d segments to %d", name, c.Segments, more.Segments)
			}
		}
	}
}

// Texts of one-unit characters split exactly at the documented sizes.
func TestCountSegmentsExactSplits(t *testing.T) {
	for n := 0; n <= 1000; n++ {
		gsm := CountSegments(strings.Repeat("x", n))
		want := 1
		if n > GSM7Single {
			want = (n + GSM7Part - 1) / GSM7Part
		}
		if gsm.Segments != want {
			t.Fatalf("%d GSM-7 characters: %d segments, want %d", n, gsm.Segments, want)
		}
		ucs := CountSegments(strings.Repeat("ہ", n))
		want = 1
		if n > UCS2Single {
			want = (n + UCS2Part - 1) / UCS2Part
		}
		if n > 0 && ucs.Segments != want {
			t.Fatalf("%d UCS-2 characters: %d segments, want %d", n, ucs.Segments, want)
		}
	}
}

func FuzzCountSegments(f *testing.F) {
	for _, s := range []string{"", "JKHHC: hello", "€€€", "आपका शॉल बिक गया", "😀😀", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := CountSegments(s)
		if c.Segments < 1 || c.Units < 0 || (c.Encoding != GSM7 && c.Encoding != UCS2) {
			t.Fatalf("%q: %+v", s, c)
		}
		if c.Segments > 1 && c.Units <= c.PerSegment {
			t.Fatalf("%q: %d units need no split: %+v", s, c.Units, c)
		}
	})
}
