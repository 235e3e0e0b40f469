package demo

import (
	"bytes"
	"hash/fnv"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
)

// The demo's photos are drawn by the program: a piece of each craft on a
// studio backdrop, in its maker's colour, the same picture for the same
// SKU every time. They are plain pictures, not photographs, but they carry
// what a buyer looks for in the craft: the boteh of a shawl, a rug's
// medallion, the gold of papier-mache, the weave of wicker, the grain and
// chinar leaf of walnut.

const photoSize = 800

// drawPhoto answers the JPEG of a piece, as a camera would give it.
func drawPhoto(p productSeed) ([]byte, error) {
	h := fnv.New64a()
	h.Write([]byte(p.SKU))
	rng := rand.New(rand.NewPCG(h.Sum64(), 0x6a6b6863))
	c := colours[p.Colour].RGB
	main := color.RGBA{c[0], c[1], c[2], 255}
	img := image.NewRGBA(image.Rect(0, 0, photoSize, photoSize))
	cv := canvas{img}
	// A studio backdrop, lighter at the top, and the piece's shadow.
	for y := 0; y < photoSize; y++ {
		v := uint8(246 - y*30/photoSize)
		cv.rect(0, y, photoSize, y+1, color.RGBA{v, v - 4, v - 10, 255})
	}
	cv.ellipse(400, 690, 300, 40, color.RGBA{0, 0, 0, 40})
	gold := color.RGBA{212, 170, 60, 255}
	accent := contrast(main)
	switch p.Craft {
	case "pashmina_shawl", "kani_shawl", "sozni_embroidery", "aari_embroidery", "tilla_embroidery", "crewel":
		cv.rect(130, 120, 670, 680, main)
		cv.rect(130, 120, 670, 170, accent)
		cv.rect(130, 630, 670, 680, accent)
		thread := accent
		if p.Craft == "tilla_embroidery" {
			thread = gold
		}
		for row := 0; row < 4; row++ {
			for col := 0; col < 4; col++ {
				x, y := 200+float64(col)*135, 230+float64(row)*115
				cv.boteh(x+rng.Float64()*10, y, 38, thread)
			}
		}
	case "chain_stitch", "namda", "gabba":
		cv.rect(110, 160, 690, 640, accent)
		cv.rect(140, 190, 660, 610, main)
		cv.rect(170, 220, 630, 580, accent)
		cv.rect(190, 240, 610, 560, main)
		cv.diamond(400, 400, 150, 130, accent)
		cv.circle(400, 400, 60, main)
		for i := 0; i < 24; i++ {
			a := float64(i) * math.Pi / 12
			cv.circle(400+math.Cos(a)*185, 400+math.Sin(a)*140, 9, accent)
		}
	case "papier_mache":
		switch p.Piece.Code {
		case "PMV":
			cv.ellipse(400, 470, 170, 200, main)
			cv.rect(330, 170, 470, 300, main)
			cv.ellipse(400, 170, 90, 22, accent)
		case "PMO":
			for i := 0; i < 6; i++ {
				x, y := 220+float64(i%3)*180, 300+float64(i/3)*220
				cv.circle(x, y, 80, main)
				cv.circle(x, y-90, 12, gold)
				for k := 0; k < 6; k++ {
					a := float64(k) * math.Pi / 3
					cv.circle(x+math.Cos(a)*45, y+math.Sin(a)*45, 11, gold)
				}
			}
		default:
			cv.rect(170, 300, 630, 620, main)
			cv.rect(150, 240, 650, 320, accent)
		}
		for i := 0; i < 40; i++ {
			x, y := 200+rng.Float64()*400, 260+rng.Float64()*340
			if img.RGBAAt(int(x), int(y)) == main {
				cv.circle(x, y, 7+rng.Float64()*6, gold)
			}
		}
	case "willow_wicker":
		wicker := color.RGBA{176, 128, 72, 255}
		cv.ellipse(400, 300, 260, 60, wicker)
		cv.rect(150, 300, 650, 620, wicker)
		for y := 310; y < 620; y += 22 {
			cv.rect(150, y, 650, y+5, color.RGBA{120, 82, 40, 255})
		}
		for x := 160; x < 650; x += 34 {
			cv.rect(x, 300, x+6, 620, color.RGBA{140, 98, 52, 255})
		}
		cv.rect(150, 600, 650, 620, main)
	default: // walnut wood
		wood := color.RGBA{92, 58, 34, 255}
		cv.rect(150, 200, 650, 600, wood)
		for i := 0; i < 26; i++ {
			y0 := 210 + float64(i)*15
			for x := 150; x < 650; x++ {
				y := y0 + 6*math.Sin(float64(x)/40+float64(i))
				cv.rect(x, int(y), x+1, int(y)+2, color.RGBA{70, 42, 24, 255})
			}
		}
		cv.leaf(400, 400, 150, color.RGBA{130, 88, 52, 255})
		cv.rect(150, 585, 650, 600, main)
	}
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 88})
	return buf.Bytes(), err
}

// contrast is a border colour that stands out from c.
func contrast(c color.RGBA) color.RGBA {
	if int(c.R)+int(c.G)+int(c.B) > 450 {
		return color.RGBA{122, 24, 38, 255}
	}
	return color.RGBA{236, 220, 180, 255}
}

type canvas struct{ img *image.RGBA }

func (c canvas) blend(x, y int, col color.RGBA) {
	if !(image.Point{x, y}.In(c.img.Rect)) {
		return
	}
	if col.A == 255 {
		c.img.SetRGBA(x, y, col)
		return
	}
	o := c.img.RGBAAt(x, y)
	a := uint32(col.A)
	mix := func(dst, src uint8) uint8 { return uint8((uint32(dst)*(255-a) + uint32(src)*a) / 255) }
	c.img.SetRGBA(x, y, color.RGBA{mix(o.R, col.R), mix(o.G, col.G), mix(o.B, col.B), 255})
}

func (c canvas) rect(x0, y0, x1, y1 int, col color.RGBA) {
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			c.blend(x, y, col)
		}
	}
}

// fill paints every pixel of the box the inside test accepts.
func (c canvas) fill(x0, y0, x1, y1 float64, col color.RGBA, inside func(x, y float64) bool) {
	for y := int(y0); y <= int(y1); y++ {
		for x := int(x0); x <= int(x1); x++ {
			if inside(float64(x)+0.5, float64(y)+0.5) {
				c.blend(x, y, col)
			}
		}
	}
}

func (c canvas) ellipse(cx, cy, rx, ry float64, col color.RGBA) {
	c.fill(cx-rx, cy-ry, cx+rx, cy+ry, col, func(x, y float64) bool {
		dx, dy := (x-cx)/rx, (y-cy)/ry
		return dx*dx+dy*dy <= 1
	})
}

func (c canvas) circle(cx, cy, r float64, col color.RGBA) { c.ellipse(cx, cy, r, r, col) }

func (c canvas) diamond(cx, cy, rx, ry float64, col color.RGBA) {
	c.fill(cx-rx, cy-ry, cx+rx, cy+ry, col, func(x, y float64) bool {
		return math.Abs(x-cx)/rx+math.Abs(y-cy)/ry <= 1
	})
}

// boteh is the paisley: a teardrop whose tip curls.
func (c canvas) boteh(cx, cy, r float64, col color.RGBA) {
	c.circle(cx, cy, r*0.6, col)
	for i := 0; i < 12; i++ {
		t := float64(i) / 12
		c.circle(cx+r*0.5*t+r*0.3*math.Sin(t*math.Pi), cy-r*0.4-r*t*0.9, r*0.45*(1-t), col)
	}
}

// leaf is the chinar leaf carvers cut: five lobes round a centre.
func (c canvas) leaf(cx, cy, r float64, col color.RGBA) {
	c.fill(cx-r, cy-r, cx+r, cy+r, col, func(x, y float64) bool {
		dx, dy := x-cx, y-cy
		a := math.Atan2(dy, dx)
		edge := r * (0.55 + 0.45*math.Abs(math.Cos(2.5*(a+math.Pi/2))))
		return dx*dx+dy*dy <= edge*edge
	})
	c.rect(int(cx)-3, int(cy), int(cx)+3, int(cy+r*1.1), col)
}
