package simkit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	_ "image/jpeg" // the sizes of the pictures fetched
	_ "image/png"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Images fetches the picture URLs a seller gives a marketplace, as the
// marketplace does once it has the listing (or the catalogue request), and
// records what it got (GET /_sim/images): a photo the seller's server
// does not answer is what the marketplace's image check would flag.
type Images struct {
	client *http.Client
	now    func() time.Time
	mu     sync.Mutex
	got    []FetchedImage
	wg     sync.WaitGroup
}

// FetchedImage is one fetch of one picture URL.
type FetchedImage struct {
	SKU         string    `json:"sku"`
	URL         string    `json:"url"`
	Status      int       `json:"status"`
	ContentType string    `json:"content_type"`
	Bytes       int       `json:"bytes"`
	SHA256      string    `json:"sha256"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	Error       string    `json:"error,omitempty"`
	FetchedAt   time.Time `json:"fetched_at"`
}

// maxImageBytes is the largest picture a marketplace takes (Amazon: 10 MB).
const maxImageBytes = 10 << 20

func newImages(now func() time.Time) *Images {
	return &Images{client: &http.Client{Timeout: 20 * time.Second}, now: now}
}

// Fetch downloads each URL in the background and records the result.
func (im *Images) Fetch(sku string, urls []string) {
	for _, u := range urls {
		if u = strings.TrimSpace(u); u == "" {
			continue
		}
		im.wg.Add(1)
		go func() {
			defer im.wg.Done()
			f := im.fetch(sku, u)
			im.mu.Lock()
			im.got = append(im.got, f)
			im.mu.Unlock()
		}()
	}
}

func (im *Images) fetch(sku, u string) FetchedImage {
	f := FetchedImage{SKU: sku, URL: u, FetchedAt: im.now().UTC()}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		f.Error = "not a URL: " + err.Error()
		return f
	}
	resp, err := im.client.Do(req)
	if err != nil {
		f.Error = "unreachable: " + err.Error()
		return f
	}
	defer resp.Body.Close()
	f.Status, f.ContentType = resp.StatusCode, resp.Header.Get("Content-Type")
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxImageBytes+1))
	switch {
	case err != nil:
		f.Error = "read: " + err.Error()
		return f
	case len(data) > maxImageBytes:
		f.Error = "larger than 10 MB"
		return f
	case resp.StatusCode != http.StatusOK:
		f.Error = "answered " + resp.Status
		return f
	}
	sum := sha256.Sum256(data)
	f.Bytes, f.SHA256 = len(data), hex.EncodeToString(sum[:])
	cfg, _, err := image.DecodeConfig(strings.NewReader(string(data)))
	if err != nil {
		f.Error = "not a JPEG or PNG picture"
		return f
	}
	f.Width, f.Height = cfg.Width, cfg.Height
	if max(cfg.Width, cfg.Height) < 500 {
		f.Error = "smaller than 500 px on its longest side"
	}
	return f
}

// Fetched returns every fetch so far, oldest first.
func (im *Images) Fetched() []FetchedImage {
	im.mu.Lock()
	defer im.mu.Unlock()
	return append([]FetchedImage{}, im.got...)
}

// Wait waits for the fetches under way, at most d.
func (im *Images) Wait(d time.Duration) error {
	done := make(chan struct{})
	go func() { im.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-time.After(d):
		return errors.New("image fetches still running")
	}
}
