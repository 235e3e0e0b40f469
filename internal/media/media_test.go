package media_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/media"
)

func TestFit(t *testing.T) {
	for _, c := range []struct{ w, h, max, ww, wh int }{
		{4000, 3000, 2000, 2000, 1500},
		{3000, 4000, 1500, 1125, 1500},
		{800, 600, 2000, 800, 600}, // never enlarged
		{2000, 2000, 2000, 2000, 2000},
		{10000, 1, 640, 640, 1},
		{0, 10, 640, 0, 0},
	} {
		if w, h := media.Fit(c.w, c.h, c.max); w != c.ww || h != c.wh {
			t.Errorf("Fit(%d, %d, %d) = %dx%d, want %dx%d", c.w, c.h, c.max, w, h, c.ww, c.wh)
		}
	}
}

// picture draws a w×h test picture: a red left half, a blue right half.
func picture(t *testing.T, w, h int, format string) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{200, 30, 30, 255}
			if x >= w/2 {
				c = color.NRGBA{30, 30, 200, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestProcess(t *testing.T) {
	big := picture(t, 3000, 1500, "jpeg")
	cases := []struct {
		name, contentType string
		data              []byte
		code              apperr.Code
		field             string
		// want is each variant's size when accepted.
		want map[string][2]int
	}{
		{name: "a camera JPEG gets every variant", contentType: "image/jpeg", data: big,
			want: map[string][2]int{"original": {3000, 1500}, "amazon": {2000, 2000}, "flipkart": {1500, 1500}, "web": {640, 320}, "thumb": {320, 160}}},
		{name: "a small PNG is never enlarged", contentType: "image/png", data: picture(t, 600, 800, "png"),
			want: map[string][2]int{"original": {600, 800}, "amazon": {800, 800}, "flipkart": {800, 800}, "web": {480, 640}, "thumb": {240, 320}}},
		{name: "content type charset is ignored", contentType: "image/jpeg; charset=binary", data: big,
			want: map[string][2]int{"original": {3000, 1500}, "amazon": {2000, 2000}, "flipkart": {1500, 1500}, "web": {640, 320}, "thumb": {320, 160}}},
		{name: "a GIF is refused naming the formats", contentType: "image/gif", data: big, code: apperr.Unprocessable, field: "Content-Type"},
		{name: "bytes that are not what was declared", contentType: "image/png", data: big, code: apperr.Unprocessable, field: "Content-Type"},
		{name: "not an image", contentType: "image/jpeg", data: []byte("hello, not a photo"), code: apperr.Unprocessable, field: "file"},
		{name: "empty", contentType: "image/jpeg", data: nil, code: apperr.Unprocessable, field: "file"},
		{name: "too small for Amazon", contentType: "image/jpeg", data: picture(t, 400, 300, "jpeg"), code: apperr.Unprocessable, field: "file"},
		{name: "too large a side", contentType: "image/png", data: picture(t, 10001, 2, "png"), code: apperr.Unprocessable, field: "file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, vs, err := media.Process(c.contentType, c.data)
			if c.code != "" {
				var e *apperr.Error
				if !apperr.Is(err, c.code) || !asError(err, &e) || e.Fields[c.field] == "" {
					t.Fatalf("err = %v, want %s naming %s", err, c.code, c.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.SHA256 != media.SHA256(c.data) || m.Bytes != int64(len(c.data)) {
				t.Fatalf("media = %+v: not named by its bytes", m)
			}
			if len(vs) != len(c.want) {
				t.Fatalf("%d variants, want %d", len(vs), len(c.want))
			}
			for _, v := range vs {
				img, format, err := image.Decode(bytes.NewReader(v.Data))
				if err != nil {
					t.Fatalf("%s does not decode: %v", v.Name, err)
				}
				size := [2]int{img.Bounds().Dx(), img.Bounds().Dy()}
				if size != c.want[v.Name] || size != [2]int{v.Width, v.Height} {
					t.Errorf("%s is %v (says %dx%d), want %v", v.Name, size, v.Width, v.Height, c.want[v.Name])
				}
				if v.Name == media.Original {
					if !bytes.Equal(v.Data, c.data) {
						t.Error("the original is not the uploaded bytes")
					}
					continue
				}
				if format != "jpeg" || v.ContentType != "image/jpeg" {
					t.Errorf("%s is %s (%s), want a JPEG", v.Name, format, v.ContentType)
				}
				// Square variants pad on pure white; the picture keeps its colours.
				r, g, b, _ := img.At(img.Bounds().Dx()/4, img.Bounds().Dy()/2).RGBA()
				if r>>8 < 150 || g>>8 > 80 || b>>8 > 80 {
					t.Errorf("%s: the left half is not red any more: %d,%d,%d", v.Name, r>>8, g>>8, b>>8)
				}
				if v.Width != v.Height {
					continue
				}
				if m.Width != m.Height {
					r, g, b, _ := img.At(v.Width/2, 2).RGBA()
					if v.Width > 0 && m.Width > m.Height && (r>>8 < 245 || g>>8 < 245 || b>>8 < 245) {
						t.Errorf("%s: the padding is %d,%d,%d, not white", v.Name, r>>8, g>>8, b>>8)
					}
				}
			}
		})
	}
}

func asError(err error, target **apperr.Error) bool {
	for err != nil {
		if e, ok := err.(*apperr.Error); ok {
			*target = e
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

func TestVariantNames(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool
	}{{"original", true}, {"amazon", true}, {"flipkart", true}, {"web", true}, {"thumb", true}, {"gem", false}, {"", false}, {"../etc", false}} {
		if media.KnownVariant(c.name) != c.ok {
			t.Errorf("KnownVariant(%q) = %v", c.name, !c.ok)
		}
	}
	for kind, want := range map[string]string{"amazon": "amazon", "flipkart": "flipkart", "gem": "web"} {
		if got := media.ForChannel(kind); got != want {
			t.Errorf("ForChannel(%s) = %s, want %s", kind, got, want)
		}
	}
	if !media.ValidSHA(media.SHA256([]byte("x"))) || media.ValidSHA("ABC") {
		t.Error("ValidSHA")
	}
}
