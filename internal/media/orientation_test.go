package media_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/media"
)

// withOrientation inserts an EXIF APP1 segment saying orientation o into
// a JPEG, as a tablet's camera writes one (big- or little-endian TIFF).
func withOrientation(jpg []byte, o uint16, little bool) []byte {
	var bo binary.AppendByteOrder = binary.BigEndian
	tiff := []byte("MM")
	if little {
		bo, tiff = binary.LittleEndian, []byte("II")
	}
	tiff = bo.AppendUint16(tiff, 42)
	tiff = bo.AppendUint32(tiff, 8)
	tiff = bo.AppendUint16(tiff, 1)      // one entry
	tiff = bo.AppendUint16(tiff, 0x0112) // Orientation
	tiff = bo.AppendUint16(tiff, 3)      // SHORT
	tiff = bo.AppendUint32(tiff, 1)
	tiff = bo.AppendUint16(tiff, o)
	tiff = append(tiff, 0, 0)
	tiff = bo.AppendUint32(tiff, 0)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1}
	app1 = binary.BigEndian.AppendUint16(app1, uint16(len(seg)+2))
	app1 = append(app1, seg...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, app1...)
	return append(out, jpg[2:]...)
}

func TestOrientation(t *testing.T) {
	plain := picture(t, 800, 600, "jpeg")
	for _, c := range []struct {
		name string
		data []byte
		want int
	}{
		{"no EXIF", plain, 1},
		{"upright, big-endian", withOrientation(plain, 6, false), 6},
		{"upright, little-endian", withOrientation(plain, 8, true), 8},
		{"upside down", withOrientation(plain, 3, false), 3},
		{"out of range", withOrientation(plain, 9, false), 1},
		{"a PNG", picture(t, 600, 500, "png"), 1},
		{"truncated EXIF", withOrientation(plain, 6, false)[:20], 1},
		{"junk", []byte{0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF}, 1},
	} {
		if got := media.Orientation(c.data); got != c.want {
			t.Errorf("%s: orientation %d, want %d", c.name, got, c.want)
		}
	}
}

// TestProcessTurnsTabletPhotos: a photo stored sideways with its EXIF
// turn gets variants that stand as it was taken: a red left half, turned
// a quarter clockwise (6), is the top half; anticlockwise (8), the bottom.
func TestProcessTurnsTabletPhotos(t *testing.T) {
	plain := picture(t, 800, 600, "jpeg") // red left, blue right
	for _, c := range []struct {
		o        uint16
		redAtTop bool
	}{{6, true}, {8, false}} {
		data := withOrientation(plain, c.o, false)
		m, vs, err := media.Process("image/jpeg", data)
		if err != nil {
			t.Fatal(err)
		}
		if m.Width != 600 || m.Height != 800 {
			t.Fatalf("orientation %d: the photo stands %dx%d, want 600x800", c.o, m.Width, m.Height)
		}
		for _, v := range vs {
			if v.Name != "web" {
				continue
			}
			img, _, err := image.Decode(bytes.NewReader(v.Data))
			if err != nil {
				t.Fatal(err)
			}
			if v.Width != 480 || v.Height != 640 {
				t.Fatalf("web is %dx%d, want 480x640", v.Width, v.Height)
			}
			r, _, b, _ := img.At(240, 100).RGBA()
			top := r>>8 > 150 && b>>8 < 80
			if top != c.redAtTop {
				t.Errorf("orientation %d: red at the top is %v, want %v (r=%d b=%d)", c.o, top, c.redAtTop, r>>8, b>>8)
			}
		}
	}
}
