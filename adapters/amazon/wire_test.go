package amazon

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRupeesAndPaise(t *testing.T) {
	for _, tc := range []struct {
		paise int64
		text  string
	}{{1, "0.01"}, {99, "0.99"}, {100, "1.00"}, {199950, "1999.50"}, {123456789, "1234567.89"}, {-250, "-2.50"}} {
		if got := string(Rupees(tc.paise)); got != tc.text {
			t.Errorf("Rupees(%d) = %s, want %s", tc.paise, got, tc.text)
		}
		if back, err := ParsePaise(tc.text); err != nil || back != tc.paise {
			t.Errorf("ParsePaise(%s) = %d %v", tc.text, back, err)
		}
	}
	for in, want := range map[string]int64{"1999.5": 199950, "12": 1200, " 3.05 ": 305} {
		if got, err := ParsePaise(in); err != nil || got != want {
			t.Errorf("ParsePaise(%q) = %d %v, want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1.234", "1,000.00", "abc", "1.-5", "+5", ".5", "1e3", "9223372036854775807"} {
		if _, err := ParsePaise(bad); err == nil {
			t.Errorf("ParsePaise(%q) accepted", bad)
		}
	}
}

func TestDecodeSubmission(t *testing.T) {
	ok, err := DecodeSubmission([]byte(`{"sku":"A","status":"ACCEPTED","submissionId":"x","issues":[]}`), "A")
	if err != nil || !ok.Accepted {
		t.Fatalf("%+v %v", ok, err)
	}
	bad, err := DecodeSubmission([]byte(`{"sku":"A","status":"INVALID","submissionId":"x","issues":[{"code":"90220","message":"'brand' is required","severity":"ERROR","attributeNames":["brand"],"categories":[]}]}`), "A")
	if err != nil || bad.Accepted || bad.Issues[0].Attribute != "brand" || bad.Issues[0].Code != "90220" {
		t.Fatalf("%+v %v", bad, err)
	}
	if r, err := DecodeSubmission([]byte(`{"status":"WEIRD"}`), "A"); err != nil || r.Accepted || len(r.Issues) != 1 {
		t.Fatalf("unknown status: %+v %v", r, err)
	}
}

func FuzzParsePaise(f *testing.F) {
	for _, s := range []string{"1999.50", "0.01", "-3", "1.2.3", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePaise(s)
		if err != nil {
			return
		}
		// Whatever parses must print back to an amount that parses to the same paise.
		if back, err := ParsePaise(string(Rupees(p))); err != nil || back != p {
			t.Fatalf("%q -> %d -> %s -> %d %v", s, p, Rupees(p), back, err)
		}
	})
}

func FuzzDecodeSubmission(f *testing.F) {
	f.Add([]byte(`{"sku":"A","status":"ACCEPTED","submissionId":"x"}`))
	f.Add([]byte(`{"status":"INVALID","issues":[{"code":"1","attributeNames":[]}]}`))
	f.Add([]byte(`{"issues":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := DecodeSubmission(body, "SKU")
		if err == nil && !r.Accepted && len(r.Issues) == 0 {
			t.Fatalf("refused without a reason: %+v", r)
		}
	})
}

func FuzzDecodeItem(f *testing.F) {
	f.Add([]byte(`{"sku":"A","summaries":[{"marketplaceId":"A21TJRUUN4KGV","asin":"B0X","status":["BUYABLE"]}],"offers":[{"marketplaceId":"A21TJRUUN4KGV","offerType":"B2C","price":{"currencyCode":"INR","amount":"10.5"}}],"fulfillmentAvailability":[{"fulfillmentChannelCode":"DEFAULT","quantity":3}]}`))
	f.Add([]byte(`{"offers":[{"marketplaceId":"A21TJRUUN4KGV","offerType":"B2C","price":{"amount":"1e9"}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = DecodeItem(body, MarketplaceIndia)
	})
}

func FuzzDecodeProcessingReport(f *testing.F) {
	f.Add([]byte(`{"header":{"sellerId":"S","version":"2.0","feedId":"1"},"issues":[{"messageId":1,"code":"8541","severity":"ERROR","message":"x"}],"summary":{"messagesProcessed":2}}`))
	f.Add([]byte(`{"summary":{"messagesProcessed":-1}}`))
	f.Add([]byte(`{"issues":[{"messageId":99999999999}]}`))
	msgs := []FeedMessage{{MessageID: 1, SKU: "A"}, {MessageID: 2, SKU: "B"}}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := DecodeProcessingReport(body, msgs)
		if err != nil {
			return
		}
		if len(res) != 2 || res[0].SKU != "A" || res[1].SKU != "B" {
			t.Fatalf("results %+v", res)
		}
		for _, r := range res {
			if !r.Accepted && len(r.Issues) == 0 {
				t.Fatalf("refused without a reason: %+v", r)
			}
		}
	})
}

// FuzzErrorIssues: an SP-API error answer (a refused confirmShipment or
// listing) always becomes at least one readable issue of bounded size.
func FuzzErrorIssues(f *testing.F) {
	f.Add([]byte(`{"errors":[{"code":"InvalidInput","message":"the order is SHIPPED, not unshipped","details":""}]}`))
	f.Add([]byte(`<html>bad gateway</html>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		issues := errorIssues(body)
		if len(issues) == 0 {
			t.Fatal("no issue for an error answer")
		}
		for _, is := range issues {
			if len(is.Message) > 1200 || len(is.Code) > 40 {
				t.Fatalf("unbounded issue %+v", is)
			}
		}
	})
}

const flatHeader = "settlement-id\tsettlement-start-date\tsettlement-end-date\tdeposit-date\ttotal-amount\tcurrency\ttransaction-type\torder-id\tmerchant-order-id\tadjustment-id\tshipment-id\tmarketplace-name\tamount-type\tamount-description\tamount\tfulfillment-id\tposted-date\tposted-date-time\torder-item-code\tmerchant-order-item-id\tmerchant-adjustment-item-id\tsku\tquantity-purchased\tpromotion-id\n"

func flatRow(order, item, typ, desc, amount string) string {
	return "S1\t\t\t\t\t\tOrder\t" + order + "\t\t\t\tAmazon.in\t" + typ + "\t" + desc + "\t" + amount + "\tMFN\t20.11.2026\t\t" + item + "\t\t\tSKU\t1\t\n"
}

func TestParseSettlementFlatFile(t *testing.T) {
	good := flatHeader + "S1\t2026-11-13\t2026-11-20\t2026-11-22\t1000.00\tINR" + strings.Repeat("\t", 18) + "\n" +
		flatRow("403-1", "11", "ItemPrice", "Principal", "1999.50") + flatRow("403-1", "11", "ItemFees", "Commission", "-119.97") +
		flatRow("403-1", "11", "ItemFees", "Tax on fees (IGST)", "-21.59") + flatRow("403-1", "11", "ItemWithheldTax", "TCS-IGST", "-9.52") +
		flatRow("403-1", "11", "ItemWithheldTax", "TDS (Section 194-O)", "-1.90") + flatRow("403-1", "11", "Promotion", "Shipping", "-10.00")
	lines, err := ParseSettlementFile([]byte(good))
	if err != nil || len(lines) != 1 {
		t.Fatalf("%+v %v", lines, err)
	}
	p := lines[0].Paid
	if p.GrossPaise != 198950 || p.CommissionPaise != 11997 || p.GSTOnFeesPaise != 2159 || p.TCSPaise != 952 || p.TDSPaise != 190 ||
		p.NetPaise != 198950-11997-2159-952-190 || lines[0].SettlementRef != "S1" {
		t.Fatalf("paid %+v", p)
	}
	for name, body := range map[string]string{
		"not tab separated": "a,b,c\n1,2,3\n",
		"missing column":    strings.Replace(flatHeader, "amount-type\t", "", 1) + "x\n",
		"bad amount":        flatHeader + flatRow("403-1", "11", "ItemPrice", "Principal", "19.995"),
		"bad date":          strings.Replace(flatHeader+flatRow("403-1", "11", "ItemPrice", "Principal", "10.00"), "20.11.2026", "someday", 1),
		"no sale":           flatHeader + flatRow("403-1", "11", "ItemFees", "Commission", "-1.00"),
		"huge amount":       flatHeader + flatRow("403-1", "11", "ItemPrice", "Principal", "900000000000000.00"),
	} {
		if _, err := ParseSettlementFile([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzParseSettlementFlatFile: a settlement report is untrusted; it is
// refused or read into lines that add up, never a panic.
func FuzzParseSettlementFlatFile(f *testing.F) {
	f.Add([]byte(flatHeader + flatRow("403-1", "11", "ItemPrice", "Principal", "1999.50") + flatRow("403-1", "11", "ItemFees", "Commission", "-119.97")))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := ParseSettlementFile(data)
		if err != nil {
			return
		}
		for _, l := range lines {
			p := l.Paid
			if p.GrossPaise <= 0 || p.NetPaise != p.GrossPaise-p.Fees()-p.GSTOnFeesPaise-p.TCSPaise-p.TDSPaise {
				t.Fatalf("accepted a line that does not add up: %+v", l)
			}
		}
	})
}

// FuzzDecodeSearchListings: whatever searchListingsItems answers, the
// decoder returns every item with its SKU, or refuses the page; it never
// drops an item silently.
func FuzzDecodeSearchListings(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		items, _, err := DecodeSearchListings(body, MarketplaceIndia)
		if err != nil {
			return
		}
		var resp SearchListingsResponse
		if json.Unmarshal(body, &resp) != nil || len(resp.Items) != len(items) {
			t.Fatalf("read %d items of %s", len(items), body)
		}
		for _, it := range items {
			if it.SKU == "" {
				t.Fatalf("an item without its SKU: %s", body)
			}
		}
	})
}
