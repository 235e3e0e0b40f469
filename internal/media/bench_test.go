package media_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/internal/benchfig"
	"github.com/jkhhc/artisanbridge/internal/media"
)

// BenchmarkProcess12MP: what staff wait for at the counter once a 12 MP
// tablet photo (4000×3000 JPEG) has arrived: it is checked, named and
// resized for Amazon, Flipkart and the public pages. Compared with
// decoding the same JPEG alone in the same run.
func BenchmarkProcess12MP(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 4000, 3000))
	for y := 0; y < 3000; y++ {
		for x := 0; x < 4000; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x / 16), uint8(y / 12), uint8((x + y) / 28), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.ResetTimer()
	var process, decode time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		decode += time.Since(start)
		start = time.Now()
		if _, _, err := media.Process("image/jpeg", data); err != nil {
			b.Fatal(err)
		}
		process += time.Since(start)
	}
	per := process / time.Duration(b.N)
	benchfig.Report(b, "photo intake: a 12 MP JPEG checked and resized for Amazon, Flipkart and the web",
		fmt.Sprintf("%.2f s (%.1fx decoding it alone)", per.Seconds(), process.Seconds()/decode.Seconds()),
		"at most 5 s", per <= 5*time.Second, "go test -run '^$' -bench BenchmarkProcess12MP -benchtime 1x ./internal/media/")
}
