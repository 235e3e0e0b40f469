package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/jkhhc/artisanbridge/internal/exceptions"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// TestWriteJSONAnswersWhatMarshalDoes: answers encoded through the kept
// buffers are byte for byte json.Marshal's, with gin's Content-Type, one
// after another (a buffer put back must not leak into the next answer);
// what cannot be encoded is a 500 in the API's error shape.
func TestWriteJSONAnswersWhatMarshalDoes(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	at := time.Date(2026, 12, 1, 10, 30, 0, 123456789, time.UTC)
	who := "01J0000000000000000000USER"
	big := strings.Repeat("pashmina <kani> & sozni \u2028 ", 5000)
	for _, tc := range []struct {
		name   string
		status int
		v      any
	}{
		{"a page of exceptions", http.StatusOK, paging.Page[exceptions.Exception]{Items: []exceptions.Exception{
			{ID: "e1", Kind: "oversold", Summary: "<b>sold twice</b> & more", AssigneeID: &who, AssignedAt: &at, CreatedAt: at, UpdatedAt: at},
			{ID: "e2", Kind: "missed_order", Payload: `{"order":"<1>"}`, CreatedAt: at, UpdatedAt: at},
		}, NextCursor: paging.Cursor("e2")}},
		{"an empty page", http.StatusOK, paging.Page[exceptions.Exception]{Items: []exceptions.Exception{}}},
		{"a large answer", http.StatusCreated, map[string]any{"text": big, "n": 1}},
		{"a small one after the large", http.StatusOK, map[string]string{"status": "ok"}},
		{"raw JSON", http.StatusOK, json.RawMessage(`{"a": [1, 2]}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(w)
			s.writeJSON(c, tc.status, tc.v)
			want, err := json.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if got := w.Body.String(); got != string(want) {
				t.Errorf("answer differs from json.Marshal:\n got %.200q\nwant %.200q", got, want)
			}
		})
	}
	t.Run("cannot be encoded", func(t *testing.T) {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
		s.writeJSON(c, http.StatusOK, map[string]float64{"x": math.Inf(1)})
		var body ErrorBody
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("answer %q: %v", w.Body.String(), err)
		}
		if w.Code != http.StatusInternalServerError || body.Error.Code != "internal" {
			t.Errorf("status %d, body %s", w.Code, w.Body.String())
		}
	})
}
