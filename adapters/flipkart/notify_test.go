package flipkart

import (
	"context"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/internal/orders"
)

// TestSignatureDocumentedExample checks Flipkart's published example
// (NotifIntro): X_Date Tue, 19 May 2015 09:02:15 GMT, the URL, POST and
// the secret hash to 83762abd... when date_timestamp is the Unix seconds.
func TestSignatureDocumentedExample(t *testing.T) {
	const (
		url    = "http://seller.api.pilotseller.com/notify/fki"
		secret = "669a57f4-fe05-11e4-a322-1697f925ec7b"
		want   = "83762abd87b41e66ddd58320a4e803251e72b776"
	)
	at, ok := ParseDate("Tue, 19 May 2015 09:02:15 GMT")
	if !ok || at.Unix() != 1432026135 {
		t.Fatalf("X_Date read as %v (%v), want Unix 1432026135", at, ok)
	}
	if got := Signature(strconv.FormatInt(at.Unix(), 10), url, "POST", secret); got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	h := http.Header{}
	h[HeaderDate] = []string{"Tue, 19 May 2015 09:02:15 GMT"}
	h[HeaderAuthorization] = []string{Authorization("pilot-app", want)}
	v, err := VerifyRequest(h, url, "POST", at.Add(time.Minute), 0, func(app string) []string {
		if app == "pilot-app" {
			return []string{secret}
		}
		return nil
	})
	if err != nil || v.AppID != "pilot-app" || !v.At.Equal(at) {
		t.Fatalf("the documented example was refused: %+v %v", v, err)
	}
}

func TestVerifyRequest(t *testing.T) {
	const url = "https://ab.example.in/webhooks/flipkart"
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	secrets := func(app string) []string {
		switch app {
		case "app-1":
			return []string{"new-secret", "old-secret"}
		case "app-2":
			return []string{"two"}
		}
		return nil
	}
	signed := func(app, secret, method string, at time.Time) http.Header {
		h := http.Header{}
		SignHeaders(h, app, secret, url, method, at)
		return h
	}
	canonical := func(h http.Header) http.Header {
		out := http.Header{}
		for k, v := range h {
			out.Set(k, v[0]) // what net/http makes of X_Date on the way in
		}
		return out
	}
	httpDateSigned := signed("app-1", "new-secret", "POST", now)
	httpDateSigned[HeaderAuthorization] = []string{Authorization("app-1", Signature(now.Format(http.TimeFormat), url, "POST", "new-secret"))}
	unixDate := signed("app-1", "new-secret", "POST", now)
	unixDate[HeaderDate] = []string{strconv.FormatInt(now.Unix(), 10)}
	for _, tc := range []struct {
		name string
		h    http.Header
		url  string
		want error
	}{
		{"signed now", signed("app-1", "new-secret", "POST", now), url, nil},
		{"canonical header names", canonical(signed("app-1", "new-secret", "POST", now)), url, nil},
		{"the secret being replaced", signed("app-1", "old-secret", "POST", now), url, nil},
		{"date hashed as sent", httpDateSigned, url, nil},
		{"date sent as Unix seconds", unixDate, url, nil},
		{"four minutes late", signed("app-2", "two", "POST", now.Add(-4*time.Minute)), url, nil},
		{"wrong secret", signed("app-1", "guess", "POST", now), url, ErrBadSignature},
		{"another app's secret", signed("app-1", "two", "POST", now), url, ErrBadSignature},
		{"another url", signed("app-1", "new-secret", "POST", now), "https://evil.example/webhooks/flipkart", ErrBadSignature},
		{"another method", signed("app-1", "new-secret", "PUT", now), url, ErrBadSignature},
		{"unknown app", signed("app-9", "new-secret", "POST", now), url, ErrUnknownApp},
		{"six minutes old", signed("app-1", "new-secret", "POST", now.Add(-6*time.Minute)), url, ErrStale},
		{"six minutes ahead", signed("app-1", "new-secret", "POST", now.Add(6*time.Minute)), url, ErrStale},
		{"no headers", http.Header{}, url, ErrUnsigned},
		{"no date", func() http.Header { h := signed("app-1", "new-secret", "POST", now); delete(h, HeaderDate); return h }(), url, ErrUnsigned},
		{"bad date", func() http.Header {
			h := signed("app-1", "new-secret", "POST", now)
			h[HeaderDate] = []string{"yesterday"}
			return h
		}(), url, ErrUnsigned},
		{"not FKLOGIN", func() http.Header {
			h := signed("app-1", "new-secret", "POST", now)
			h[HeaderAuthorization] = []string{strings.Replace(h[HeaderAuthorization][0], "FKLOGIN", "Basic", 1)}
			return h
		}(), url, ErrUnsigned},
		{"not base64", func() http.Header {
			h := signed("app-1", "new-secret", "POST", now)
			h[HeaderAuthorization] = []string{"FKLOGIN %%%"}
			return h
		}(), url, ErrUnsigned},
		{"no colon", func() http.Header {
			h := signed("app-1", "new-secret", "POST", now)
			h[HeaderAuthorization] = []string{"FKLOGIN " + base64.StdEncoding.EncodeToString([]byte("app-1"))}
			return h
		}(), url, ErrUnsigned},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := VerifyRequest(tc.h, tc.url, "POST", now, DefaultMaxSkew, secrets)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == nil && v.AppID == "":
				t.Fatal("accepted without an app id")
			case tc.want != nil && (err == nil || !strings.Contains(err.Error(), tc.want.Error())):
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDecodeNotification(t *testing.T) {
	for _, tc := range []struct {
		name      string
		body      string
		shipment  string
		orders    []string
		items     []string
		wantError string
	}{
		{"shipment created", `{"shipmentId":"SH1","eventType":"shipment_created","locationId":"LOC1","source":"flipkart","version":"v3","timestamp":"2017-03-28T18:03:01+05:30",
			"attributes":{"orderItems":[{"orderItemId":"1883","orderId":"OD1"},{"orderItemId":"1884","orderId":"OD1"}]}}`, "SH1", []string{"OD1"}, []string{"1883", "1884"}, ""},
		{"shipped names the shipment only", `{"eventType":"shipment_shipped","source":"flipkart","version":"v3","timestamp":"2017-04-10T23:05:15+05:30","attributes":{"status":"SHIPPED"},"shipmentId":"d133"}`,
			"d133", nil, nil, ""},
		{"return names the order item", `{"eventType":"return_created","timestamp":"2017-04-10T23:05:15+05:30","attributes":{"orderItemId":"77","orderId":"OD7","returnId":"R1"}}`,
			"", []string{"OD7"}, []string{"77"}, ""},
		{"older order item event", `{"orderItemId":"OID1","eventType":"order_item_created","source":"flipkart","attributes":{"orderItemId":"OID1","orderId":"OD3"}}`,
			"", []string{"OD3"}, []string{"OID1"}, ""},
		{"not JSON", `shipment_created SH1`, "", nil, nil, "not a JSON object"},
		{"a list", `[{"eventType":"x"}]`, "", nil, nil, "not a JSON object"},
		{"no event type", `{"shipmentId":"SH1"}`, "", nil, nil, "eventType"},
		{"event type a number", `{"shipmentId":"SH1","eventType":7}`, "", nil, nil, "eventType is not text"},
		{"names nothing", `{"eventType":"shipment_created","attributes":{}}`, "", nil, nil, "names no shipment"},
		{"id with a control character", `{"eventType":"shipment_created","shipmentId":"SH\u0001"}`, "", nil, nil, "not an id"},
		{"items not a list", `{"eventType":"shipment_created","attributes":{"orderItems":{}}}`, "", nil, nil, "orderItems is not a list"},
		{"item not an object", `{"eventType":"shipment_created","attributes":{"orderItems":[3]}}`, "", nil, nil, "orderItems[0] is not an object"},
		{"order id a number", `{"eventType":"shipment_created","attributes":{"orderItems":[{"orderId":12}]}}`, "", nil, nil, "orderId is not text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := DecodeNotification([]byte(tc.body))
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("got %v, want an error with %q", err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n.ShipmentID != tc.shipment || !slices.Equal(n.OrderIDs, tc.orders) || !slices.Equal(n.OrderItemIDs, tc.items) || len(n.EventID) != 32 {
				t.Fatalf("read %+v", n)
			}
		})
	}
}

func TestNotificationIdentity(t *testing.T) {
	base := `{"shipmentId":"SH1","eventType":"shipment_packed","timestamp":"2026-12-01T10:00:00+05:30"}`
	a, _ := DecodeNotification([]byte(base))
	same, _ := DecodeNotification([]byte(`{"timestamp":"2026-12-01T10:00:00+05:30", "eventType":"shipment_packed","shipmentId":"SH1","source":"flipkart"}`))
	later, _ := DecodeNotification([]byte(strings.Replace(base, "10:00:00", "10:00:01", 1)))
	other, _ := DecodeNotification([]byte(strings.Replace(base, "shipment_packed", "shipment_shipped", 1)))
	if a.EventID == "" || a.EventID != same.EventID {
		t.Errorf("one event read twice has two ids: %s %s", a.EventID, same.EventID)
	}
	if a.EventID == later.EventID || a.EventID == other.EventID {
		t.Error("different events share an id")
	}
	untimed1, _ := DecodeNotification([]byte(`{"shipmentId":"SH1","eventType":"x"}`))
	untimed2, _ := DecodeNotification([]byte(`{"shipmentId":"SH1","eventType":"x","attributes":{"status":"PACKED"}}`))
	if untimed1.EventID == untimed2.EventID {
		t.Error("without a timestamp, different bodies share an id")
	}
}

func TestNoticeRef(t *testing.T) {
	n, err := DecodeNotification([]byte(`{"shipmentId":"SH1","eventType":"shipment_created","attributes":{"orderItems":[{"orderId":"OD1"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if r := n.Ref(); r.ShipmentID != "SH1" || !slices.Equal(r.OrderIDs, []string{"OD1"}) {
		t.Fatalf("ref %+v", r)
	}
	var _ adapters.NoticeFetcher = (*Client)(nil)
}

// FuzzDecodeNotification: any body is read or refused, never a panic, and
// what is read names something to fetch with ids an id can be.
func FuzzDecodeNotification(f *testing.F) {
	for _, s := range []string{
		`{"shipmentId":"SH1","eventType":"shipment_created","timestamp":"2017-03-28T18:03:01+05:30","attributes":{"orderItems":[{"orderItemId":"1","orderId":"OD1"}]}}`,
		`{"eventType":"return_created","attributes":{"orderItemId":"77"}}`,
		`{"eventType":"","shipmentId":""}`, `null`, `{}`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := DecodeNotification(body)
		if err != nil {
			return
		}
		if n.EventType == "" || n.EventID == "" || (n.ShipmentID == "" && len(n.OrderIDs) == 0 && len(n.OrderItemIDs) == 0) {
			t.Fatalf("read something unusable: %+v", n)
		}
		for _, id := range append(append([]string{}, n.OrderIDs...), n.OrderItemIDs...) {
			if !adapters.Text(id, adapters.MaxIDBytes) {
				t.Fatalf("id %q taken", id)
			}
		}
	})
}

// FuzzVerifyRequest: any pair of header values is refused unless it is the
// signature of the known secret, and never panics.
func FuzzVerifyRequest(f *testing.F) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	h := http.Header{}
	SignHeaders(h, "app", "secret", "http://x/webhooks/flipkart", "POST", at)
	f.Add(h[HeaderDate][0], h[HeaderAuthorization][0])
	f.Add("1764583200", "FKLOGIN YXBwOjA=")
	f.Add("", "")
	f.Add("Tue, 19 May 2015 09:02:15 GMT", "FKLOGIN !!")
	f.Fuzz(func(t *testing.T, date, auth string) {
		hh := http.Header{HeaderDate: {date}, HeaderAuthorization: {auth}}
		v, err := VerifyRequest(hh, "http://x/webhooks/flipkart", "POST", at, DefaultMaxSkew, func(app string) []string { return []string{"secret"} })
		if err != nil {
			return
		}
		d, _ := ParseDate(date)
		_, sig, _ := SignedBy(hh)
		if !strings.EqualFold(sig, Signature(strconv.FormatInt(d.Unix(), 10), "http://x/webhooks/flipkart", "POST", "secret")) &&
			!strings.EqualFold(sig, Signature(strings.TrimSpace(date), "http://x/webhooks/flipkart", "POST", "secret")) {
			t.Fatalf("accepted %q %q as %+v", date, auth, v)
		}
	})
}

// TestReceiver: what becomes of each notification, and that only a fresh,
// verified, readable one is recorded.
func TestReceiver(t *testing.T) {
	const url = "http://127.0.0.1:8080/webhooks/flipkart"
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	body := []byte(`{"shipmentId":"SH1","eventType":"shipment_created","timestamp":"2026-12-01T15:30:00+05:30"}`)
	signed := func(secret, target string, at time.Time) http.Header {
		h := http.Header{}
		SignHeaders(h, "app-1", secret, target, "POST", at)
		return h
	}
	for _, tc := range []struct {
		name      string
		h         http.Header
		body      []byte
		signerURL string
		want      string
		recorded  int
		kept      int
	}{
		{"fresh", signed("s3cret", url, now), body, "", OutcomeQueued, 1, 0},
		{"a repeat", signed("s3cret", url, now.Add(-time.Minute)), body, "", OutcomeRepeat, 1, 0},
		{"the registered URL, not where it arrived", signed("s3cret", "https://bridge.example.in/webhooks/flipkart", now), body, "https://bridge.example.in/webhooks/flipkart", OutcomeQueued, 1, 0},
		{"signed for another URL", signed("s3cret", "https://elsewhere.example/hook", now), body, "", OutcomeBadSignature, 0, 0},
		{"bad signature", signed("guess", url, now), body, "", OutcomeBadSignature, 0, 0},
		{"old date", signed("s3cret", url, now.Add(-time.Hour)), body, "", OutcomeStale, 0, 0},
		{"unsigned", http.Header{}, body, "", OutcomeUnsigned, 0, 0},
		{"unknown app", func() http.Header {
			h := http.Header{}
			SignHeaders(h, "app-9", "s3cret", url, "POST", now)
			return h
		}(), body, "", OutcomeUnknownApp, 0, 0},
		{"signed but unreadable", signed("s3cret", url, now), []byte(`{"eventType":"shipment_created"}`), "", OutcomeUnreadable, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]bool{}
			if tc.want == OutcomeRepeat {
				n, _ := DecodeNotification(tc.body)
				seen[n.EventID] = true
			}
			recorded, kept := 0, 0
			r := &Receiver{
				Signer: func(_ context.Context, appID string) (Signer, bool, error) {
					return Signer{ChannelID: "ch-1", Secret: "s3cret", URL: tc.signerURL}, appID == "app-1", nil
				},
				Record: func(_ context.Context, n orders.Notice) (bool, error) {
					if n.ChannelID != "ch-1" || n.Ref.ShipmentID != "SH1" || n.EventType != "shipment_created" {
						t.Errorf("recorded %+v", n)
					}
					if seen[n.EventID] {
						return false, nil
					}
					seen[n.EventID] = true
					recorded++
					return true, nil
				},
				Unreadable: func(_ context.Context, ch string, b []byte, reason string) error {
					if ch != "ch-1" || string(b) != string(tc.body) || reason == "" {
						t.Errorf("kept %s %s %q", ch, b, reason)
					}
					kept++
					return nil
				},
				Now: func() time.Time { return now },
			}
			got, err := r.Receive(context.Background(), url, tc.h, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome != tc.want || (got.Refused != nil) != (tc.want != OutcomeQueued && tc.want != OutcomeRepeat && tc.want != OutcomeUnreadable) {
				t.Fatalf("got %+v, want %s", got, tc.want)
			}
			if tc.want == OutcomeRepeat {
				recorded++ // the first delivery
			}
			if recorded != tc.recorded || kept != tc.kept {
				t.Fatalf("recorded %d kept %d, want %d and %d", recorded, kept, tc.recorded, tc.kept)
			}
		})
	}
}
