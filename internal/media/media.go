package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	_ "image/png" // decodes PNG uploads
	"strings"
	"time"

	"golang.org/x/image/draw"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/audit"
	"github.com/jkhhc/artisanbridge/internal/clock"
	"github.com/jkhhc/artisanbridge/internal/effects"
)

// Media is one stored photo.
type Media struct {
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type"`
	Bytes       int64  `json:"bytes"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	// URL is the photo's public address; Variants the resized copies'.
	URL       string            `json:"url"`
	Variants  map[string]string `json:"variants"`
	CreatedAt time.Time         `json:"created_at"`
	// Created is false when these bytes were stored already (nothing new
	// was stored).
	Created bool `json:"created"`
}

// Variant is one stored rendition of a photo (the original among them).
type Variant struct {
	Name        string
	ContentType string
	Width       int
	Height      int
	Data        []byte
}

// Store keeps photos and their variants.
type Store interface {
	UploadStore
	// PutMedia stores m with its variants unless a photo with m.SHA256 is
	// stored (the database's unique key decides); created says which.
	// fx (the audit entry) is written only when the photo is new.
	PutMedia(ctx context.Context, m Media, variants []Variant, fx effects.Set) (created bool, err error)
	// GetMedia returns a stored photo's description, or NotFound.
	GetMedia(ctx context.Context, sha string) (Media, error)
	// GetVariant returns one rendition's bytes, or NotFound.
	GetVariant(ctx context.Context, sha, variant string) (Variant, error)
	// AddVariant stores a rendition a photo lacks (one of a Rule added
	// after it was uploaded); one already stored is kept.
	AddVariant(ctx context.Context, sha string, v Variant) error
}

// Service stores and describes photos.
type Service struct {
	store  Store
	public func() string
	now    func() time.Time
}

// NewService returns a media service whose URLs start with public() (the
// address marketplaces and buyers reach this service at, known once it
// listens). now may be nil.
func NewService(store Store, public func() string, now func() time.Time) *Service {
	return &Service{store: store, public: public, now: clock.Or(now)}
}

// URL is the public address of a photo's variant (Original: the upload).
func (s *Service) URL(sha, variant string) string { return URLFor(s.public(), sha, variant) }

// URLFor is the public address of a photo's variant under base.
func URLFor(base, sha, variant string) string {
	u := strings.TrimRight(base, "/") + "/media/" + sha
	if variant != "" && variant != Original {
		u += "/" + variant
	}
	return u
}

// SHA256 names data as the store does.
func SHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Put stores a photo once: the same bytes sent again store nothing new and
// answer the stored photo (Created false).
func (s *Service) Put(ctx context.Context, contentType string, data []byte) (_ Media, err error) {
	defer apperr.Annotate(&err, "media.Put(%s, %d bytes)", contentType, len(data))
	sha := SHA256(data)
	if m, err := s.store.GetMedia(ctx, sha); err == nil {
		return s.describe(m), nil
	} else if !apperr.Is(err, apperr.NotFound) {
		return Media{}, err
	}
	m, variants, err := Process(contentType, data)
	if err != nil {
		return Media{}, err
	}
	m.CreatedAt = s.now().UTC()
	fx := effects.Set{Audit: []audit.Entry{audit.New(ctx, m.CreatedAt, "create", "media", m.SHA256, nil, m)}}
	created, err := s.store.PutMedia(ctx, m, variants, fx)
	if err != nil {
		return Media{}, err
	}
	if !created { // stored by a concurrent upload of the same bytes
		if m, err = s.store.GetMedia(ctx, sha); err != nil {
			return Media{}, err
		}
	}
	m = s.describe(m)
	m.Created = created
	return m, nil
}

// Get describes a stored photo, or NotFound.
func (s *Service) Get(ctx context.Context, sha string) (Media, error) {
	if !ValidSHA(sha) {
		return Media{}, apperr.New(apperr.NotFound, "no photo %q: photos are named by the lower-case hex SHA-256 of their bytes", sha)
	}
	m, err := s.store.GetMedia(ctx, sha)
	if err != nil {
		return Media{}, err
	}
	return s.describe(m), nil
}

// Variant answers one rendition of a photo, or NotFound.
func (s *Service) Variant(ctx context.Context, sha, variant string) (Variant, error) {
	if !ValidSHA(sha) {
		return Variant{}, apperr.New(apperr.NotFound, "no photo %q: photos are named by the lower-case hex SHA-256 of their bytes", sha)
	}
	if !KnownVariant(variant) {
		return Variant{}, apperr.New(apperr.NotFound, "no variant %q: the variants are %s", variant, strings.Join(VariantNames(), ", "))
	}
	v, err := s.store.GetVariant(ctx, sha, variant)
	if err == nil || variant == Original || !apperr.Is(err, apperr.NotFound) {
		return v, err
	}
	// A photo uploaded before this variant's rule existed gets it now.
	orig, err := s.store.GetVariant(ctx, sha, Original)
	if err != nil {
		return Variant{}, err
	}
	return s.renderMissing(ctx, sha, variant, orig)
}

func (s *Service) renderMissing(ctx context.Context, sha, variant string, orig Variant) (Variant, error) {
	img, format, err := image.Decode(bytes.NewReader(orig.Data))
	if err != nil {
		return Variant{}, apperr.Wrap(err, apperr.Internal, "the stored photo %s does not decode", sha)
	}
	if format == "jpeg" {
		img = Orient(img, Orientation(orig.Data))
	}
	for _, r := range Rules {
		if r.Variant != variant {
			continue
		}
		v, err := Render(img, r)
		if err != nil {
			return Variant{}, apperr.Wrap(err, apperr.Internal, "could not render the %s variant", variant)
		}
		if err := s.store.AddVariant(ctx, sha, v); err != nil {
			return Variant{}, err
		}
		return v, nil
	}
	return Variant{}, apperr.New(apperr.NotFound, "no variant %q", variant)
}

func (s *Service) describe(m Media) Media {
	m.URL = s.URL(m.SHA256, Original)
	m.Variants = map[string]string{}
	for _, r := range Rules {
		m.Variants[r.Variant] = s.URL(m.SHA256, r.Variant)
	}
	return m
}

// Process checks a photo and renders its variants: the original bytes are
// kept as they are (their hash names the photo), each Rule gets a JPEG.
func Process(contentType string, data []byte) (Media, []Variant, error) {
	format, ok := formatOf(contentType)
	if !ok {
		return Media{}, nil, &apperr.Error{Code: apperr.Unprocessable, Message: "a photo must be one of " + strings.Join(ContentTypes, ", "),
			Fields: map[string]string{"Content-Type": "must be one of " + strings.Join(ContentTypes, ", ") + "; convert the picture to JPEG"}}
	}
	if len(data) == 0 {
		return Media{}, nil, invalid("the photo is empty: send the picture's bytes")
	}
	if len(data) > MaxBytes {
		return Media{}, nil, invalid("the photo is %d bytes, more than %d: send it at a lower resolution", len(data), MaxBytes)
	}
	cfg, got, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Media{}, nil, invalid("the photo could not be read as an image: send a JPEG or PNG file")
	}
	if got != format {
		return Media{}, nil, &apperr.Error{Code: apperr.Unprocessable, Message: fmt.Sprintf("the photo is a %s image but was sent as %s", got, contentType),
			Fields: map[string]string{"Content-Type": "must say what the bytes are: image/" + got}}
	}
	long := max(cfg.Width, cfg.Height)
	switch {
	case long < MinSide:
		return Media{}, nil, invalid("the photo is %dx%d px; marketplaces need at least %d px on the longest side: take it again closer or at a higher resolution", cfg.Width, cfg.Height, MinSide)
	case long > MaxSide || cfg.Width*cfg.Height > MaxPixels:
		return Media{}, nil, invalid("the photo is %dx%d px; at most %d px a side and %d pixels are accepted: send it at a lower resolution", cfg.Width, cfg.Height, MaxSide, MaxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return Media{}, nil, invalid("the photo's image data is damaged (%v): send the file again", err)
	}
	if format == "jpeg" {
		img = Orient(img, Orientation(data))
	}
	b := img.Bounds()
	// Width and Height are the photo as it stands (after its EXIF turn).
	m := Media{SHA256: SHA256(data), ContentType: "image/" + format, Bytes: int64(len(data)), Width: b.Dx(), Height: b.Dy()}
	variants := []Variant{{Name: Original, ContentType: m.ContentType, Width: cfg.Width, Height: cfg.Height, Data: data}}
	// The largest variant's size is drawn once from the photo; the smaller
	// ones are drawn from it (a 12 MP photo is read once, not per variant).
	largest := 0
	for _, r := range Rules {
		largest = max(largest, r.MaxSide)
	}
	src := img
	if w, h := Fit(b.Dx(), b.Dy(), largest); w != b.Dx() || h != b.Dy() {
		scaled := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.CatmullRom.Scale(scaled, scaled.Bounds(), img, b, draw.Src, nil)
		src = scaled
	}
	for _, r := range Rules {
		v, err := Render(src, r)
		if err != nil {
			return Media{}, nil, apperr.Wrap(err, apperr.Internal, "could not render the %s variant", r.Variant)
		}
		variants = append(variants, v)
	}
	return m, variants, nil
}

// Render draws img by rule r as a JPEG: fitted within MaxSide, on white
// (transparent parts of a PNG become white), padded to a square if asked.
func Render(img image.Image, r Rule) (Variant, error) {
	b := img.Bounds()
	w, h := Fit(b.Dx(), b.Dy(), r.MaxSide)
	cw, ch := w, h
	if r.Square {
		cw = max(w, h)
		ch = cw
	}
	canvas := image.NewRGBA(image.Rect(0, 0, cw, ch))
	draw.Draw(canvas, canvas.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	at := image.Rect((cw-w)/2, (ch-h)/2, (cw-w)/2+w, (ch-h)/2+h)
	draw.CatmullRom.Scale(canvas, at, img, b, draw.Over, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, canvas, &jpeg.Options{Quality: r.Quality}); err != nil {
		return Variant{}, err
	}
	return Variant{Name: r.Variant, ContentType: "image/jpeg", Width: cw, Height: ch, Data: buf.Bytes()}, nil
}

func invalid(format string, args ...any) error {
	return &apperr.Error{Code: apperr.Unprocessable, Message: fmt.Sprintf(format, args...),
		Fields: map[string]string{"file": fmt.Sprintf(format, args...)}}
}
