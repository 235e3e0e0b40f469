package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// client calls an HTTP JSON API the way a person's tool would: the admin
// API with a user's token, or a simulator's buyer-side control API with
// none. Every POST carries an idempotency key, so a retried call after a
// timeout takes effect once.
type client struct {
	base  string
	token string
	hc    *http.Client
}

func newClient(base, token string) *client {
	return &client{base: strings.TrimRight(base, "/"), token: token, hc: &http.Client{Timeout: 30 * time.Second}}
}

// statusError is an answer outside 2xx, with what the server said.
type statusError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, strings.TrimSpace(e.Body))
}

// isStatus reports whether err is an answer with one of the statuses.
func isStatus(err error, statuses ...int) bool {
	var se *statusError
	if !errors.As(err, &se) {
		return false
	}
	for _, s := range statuses {
		if se.Status == s {
			return true
		}
	}
	return false
}

func newKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "demo-" + hex.EncodeToString(b)
}

// call sends body as JSON (nil: no body) and decodes a 2xx answer into out.
func (c *client) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(req, out)
}

// upload sends data as the multipart field "file".
func (c *client) upload(ctx context.Context, path, fileName string, data []byte, out any) error {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", fileName)
	if err != nil {
		return err
	}
	if _, err := fw.Write(data); err != nil {
		return err
	}
	if err := mw.Close(); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, &buf)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.send(req, out)
}

// raw answers a 2xx body as it is (a file to download).
func (c *client) raw(ctx context.Context, method, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	var b []byte
	err = c.send(req, &b)
	return b, err
}

func (c *client) send(req *http.Request, out any) error {
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if req.Method == http.MethodPost {
		req.Header.Set("Idempotency-Key", newKey())
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := string(b)
		if len(msg) > 500 {
			msg = msg[:500]
		}
		return &statusError{Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode, Body: msg}
	}
	switch o := out.(type) {
	case nil:
		return nil
	case *[]byte:
		*o = b
		return nil
	default:
		if len(b) == 0 {
			return nil
		}
		return json.Unmarshal(b, out)
	}
}

// page is a list answer of the admin API.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// all reads every page of a list (at most max items).
func all[T any](ctx context.Context, c *client, path string, max int) ([]T, error) {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var out []T
	cursor := ""
	for {
		p := path + sep + "limit=500"
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		var pg page[T]
		if err := c.call(ctx, http.MethodGet, p, nil, &pg); err != nil {
			return out, err
		}
		out = append(out, pg.Items...)
		if pg.NextCursor == "" || len(out) >= max {
			return out, nil
		}
		cursor = pg.NextCursor
	}
}
