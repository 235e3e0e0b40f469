package flipkart

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDecodeChangeResponse(t *testing.T) {
	body := []byte(`{"A":{"status":"success","errors":[]},"B":{"status":"FAILURE","errors":[{"severity":"ERROR","code":2001,"description":"listing not found"}],
	"attribute_errors":[{"severity":"ERROR","code":7,"description":"bad mrp","attribute":"mrp"}]},"C":{"status":"Warning"},"D":{"status":"weird"}}`)
	res, err := DecodeChangeResponse(body, []string{"A", "B", "C", "D", "E"})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		accepted bool
		issues   int
	}{{true, 0}, {false, 2}, {true, 0}, {false, 1}, {false, 1}}
	for i, w := range want {
		if res[i].Accepted != w.accepted || len(res[i].Issues) != w.issues {
			t.Errorf("%s: %+v", res[i].SKU, res[i])
		}
	}
	if res[1].Issues[1].Attribute != "mrp" || res[1].Issues[0].Code != "2001" {
		t.Errorf("issues not kept: %+v", res[1].Issues)
	}
	if _, err := DecodeChangeResponse([]byte(`[1]`), []string{"A"}); err == nil {
		t.Error("an array was read as a change response")
	}
}

func TestDecodeToken(t *testing.T) {
	for body, ok := range map[string]bool{
		`{"access_token":"x","token_type":"bearer","expires_in":5183999,"scope":"Seller_Api"}`: true,
		`{"access_token":"","token_type":"bearer","expires_in":10}`:                            false,
		`{"access_token":"x","token_type":"mac","expires_in":10}`:                              false,
		`{"access_token":"x","token_type":"bearer","expires_in":-1}`:                           false,
		`{"error":"unauthorized"}`:                                                             false,
	} {
		if _, err := DecodeToken([]byte(body)); (err == nil) != ok {
			t.Errorf("%s: err %v", body, err)
		}
	}
}

// The decoders read untrusted answers: no input may panic them.
func FuzzDecodeChangeResponse(f *testing.F) {
	f.Add([]byte(`{"A":{"status":"SUCCESS"}}`), "A")
	f.Add([]byte(`{"A":{"status":"FAILURE","errors":[{"code":1,"description":"x"}]}}`), "A")
	f.Add([]byte(`{"A":null}`), "A")
	f.Fuzz(func(t *testing.T, body []byte, sku string) {
		res, err := DecodeChangeResponse(body, []string{sku})
		if err == nil && (len(res) != 1 || res[0].SKU != sku || (!res[0].Accepted && len(res[0].Issues) == 0)) {
			t.Fatalf("bad result %+v", res)
		}
	})
}

func FuzzDecodeGetResponse(f *testing.F) {
	f.Add([]byte(`{"available":{"A":{"product_id":"X","price":{"mrp":10,"selling_price":9},"locations":[{"id":"L","inventory":3}]}},"unavailable":[],"invalid":[]}`))
	f.Add([]byte(`{"available":{"A":{"price":{"mrp":9223372036854775807}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = DecodeGetResponse(body)
	})
}

func FuzzDecodeToken(f *testing.F) {
	f.Add([]byte(`{"access_token":"x","token_type":"bearer","expires_in":5183999}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		tok, err := DecodeToken(body)
		if err == nil && (tok.AccessToken == "" || tok.ExpiresIn <= 0) {
			t.Fatalf("accepted %+v", tok)
		}
	})
}

// FuzzActionOutcome: a shipment action's answer (labels, dispatch, cancel)
// is untrusted; it is either success for every shipment asked about or an
// error, never a panic.
func FuzzActionOutcome(f *testing.F) {
	f.Add([]byte(`{"shipments":[{"shipmentId":"S1","status":"SUCCESS"}]}`), "S1")
	f.Add([]byte(`{"shipments":[{"shipmentId":"S1","status":"FAILURE","errorCode":"UNPROCESSABLE_ENTITY","errorMessage":"x"}]}`), "S1")
	f.Fuzz(func(t *testing.T, body []byte, id string) {
		err := actionOutcome(body, []string{id})
		if err != nil {
			return
		}
		var resp ActionResponse
		if json.Unmarshal(body, &resp) != nil {
			t.Fatal("accepted an unreadable answer")
		}
		ok := false
		for _, s := range resp.Shipments {
			ok = ok || (s.ShipmentID == id && strings.EqualFold(s.Status, "SUCCESS"))
		}
		if !ok {
			t.Fatalf("accepted %s for %q", body, id)
		}
	})
}

func TestDecodeSearchResponse(t *testing.T) {
	for _, tc := range []struct {
		name, body, skus, next string
		refused                bool
	}{
		{"a page", `{"next_page_id":"p2","has_more":true,"listings":[{"listing_id":"L1","product_id":"F1","sku_id":"A"},{"sku_id":"B"}]}`, "A B ", "p2", false},
		{"the last", `{"next_page_id":null,"has_more":false,"listings":[{"sku_id":"C"}]}`, "C ", "", false},
		{"more without a next page", `{"has_more":true,"listings":[]}`, "", "", true},
		{"an item without its SKU", `{"has_more":false,"listings":[{"listing_id":"L"}]}`, "", "", true},
		{"not JSON", `<html>`, "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, next, err := DecodeSearchResponse([]byte(tc.body))
			if (err != nil) != tc.refused {
				t.Fatalf("err %v", err)
			}
			skus := ""
			for _, l := range got {
				skus += l.SKU + " "
			}
			if skus != tc.skus || next != tc.next {
				t.Fatalf("%q next %q", skus, next)
			}
		})
	}
}

func FuzzDecodeSearchResponse(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		got, next, err := DecodeSearchResponse(body)
		if err != nil {
			return
		}
		var raw SearchResponse
		_ = json.Unmarshal(body, &raw)
		if len(got) != len(raw.Listings) || (raw.HasMore && next == "") || (!raw.HasMore && next != "") {
			t.Fatalf("%d of %d listings, next %q, has_more %v", len(got), len(raw.Listings), next, raw.HasMore)
		}
		for _, l := range got {
			if l.SKU == "" {
				t.Fatal("a listing without its SKU")
			}
		}
	})
}
