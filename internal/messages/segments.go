package messages

import "unicode/utf16"

// Encoding is how an SMS is carried: GSM-7 when every character is in the
// GSM 03.38 default alphabet (with its extension table), UCS-2 otherwise.
type Encoding string

const (
	GSM7 Encoding = "GSM-7"
	UCS2 Encoding = "UCS-2"
)

// Capacities per SMS. A concatenated message gives up room in every part
// to the user data header that stitches the parts together.
const (
	GSM7Single = 160 // septets in one SMS
	GSM7Part   = 153 // septets in each part of a concatenated SMS
	UCS2Single = 70  // UTF-16 code units in one SMS
	UCS2Part   = 67  // UTF-16 code units in each part
)

// gsmBasic is the GSM 03.38 default alphabet (one septet each); the escape
// code 0x1B itself is not a character of text.
var gsmBasic = func() map[rune]bool {
	m := map[rune]bool{}
	for _, r := range "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà" {
		m[r] = true
	}
	return m
}()

// gsmExtension is the extension table: each costs two septets (escape + code).
var gsmExtension = map[rune]bool{'\f': true, '^': true, '{': true, '}': true, '\\': true, '[': true, '~': true, ']': true, '|': true, '€': true}

// InGSM7 reports whether r can be sent in GSM-7, and how many septets it takes.
func InGSM7(r rune) (septets int, ok bool) {
	switch {
	case gsmBasic[r]:
		return 1, true
	case gsmExtension[r]:
		return 2, true
	}
	return 0, false
}

// Count is what a text costs on the air.
type Count struct {
	Encoding Encoding `json:"encoding"`
	// Units are septets (GSM-7) or UTF-16 code units (UCS-2).
	Units int `json:"units"`
	// Segments is how many SMS the text goes out as (at least 1).
	Segments int `json:"segments"`
	// PerSegment is the capacity each segment had: 160 or 153, 70 or 67.
	PerSegment int `json:"per_segment"`
}

// CostPaise is the price of the segments at paisePerSegment each.
func (c Count) CostPaise(paisePerSegment int64) int64 { return int64(c.Segments) * paisePerSegment }

// CountSegments counts a text as an SMS centre splits it: GSM-7 if every
// character is in the GSM alphabet (extension characters count two), else
// UCS-2 in UTF-16 code units (a character outside the Basic Multilingual
// Plane counts two). A text within one SMS is one segment; a longer one is
// split into parts of 153 septets or 67 code units, and a character that
// takes two units (an escaped GSM character, a surrogate pair) is never
// split across parts: it moves whole to the next part. An empty text is
// still one SMS.
func CountSegments(text string) Count {
	costs, enc := unitCosts(text)
	single, part := GSM7Single, GSM7Part
	if enc == UCS2 {
		single, part = UCS2Single, UCS2Part
	}
	total := 0
	for _, c := range costs {
		total += c
	}
	if total <= single {
		return Count{Encoding: enc, Units: total, Segments: 1, PerSegment: single}
	}
	segments, room := 1, part
	for _, c := range costs {
		if c > room {
			segments++
			room = part
		}
		room -= c
	}
	return Count{Encoding: enc, Units: total, Segments: segments, PerSegment: part}
}

// unitCosts returns each character's units in the encoding the text needs.
func unitCosts(text string) ([]int, Encoding) {
	costs := make([]int, 0, len(text))
	gsm := true
	for _, r := range text {
		n, ok := InGSM7(r)
		if !ok {
			gsm = false
			break
		}
		costs = append(costs, n)
	}
	if gsm {
		return costs, GSM7
	}
	costs = costs[:0]
	for _, r := range text {
		costs = append(costs, max(utf16.RuneLen(r), 1)) // 2 outside the BMP; invalid bytes read as U+FFFD, 1
	}
	return costs, UCS2
}
