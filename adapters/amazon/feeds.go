package amazon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/httpx"
)

// Feed operations and their usage plans (feeds_2021-06-30.json).
const (
	OpCreateFeedDocument adapters.Operation = "feeds.createFeedDocument"
	OpCreateFeed         adapters.Operation = "feeds.createFeed"
	OpGetFeed            adapters.Operation = "feeds.getFeed"
	OpGetFeedDocument    adapters.Operation = "feeds.getFeedDocument"
)

// FeedLimits are the feeds API's published usage plans.
var FeedLimits = map[adapters.Operation]adapters.Limit{
	OpCreateFeedDocument: {Rate: 0.5, Burst: 15},
	OpCreateFeed:         {Rate: 0.0083, Burst: 15},
	OpGetFeed:            {Rate: 2, Burst: 15},
	OpGetFeedDocument:    {Rate: 0.0222, Burst: 10},
}

// MaxFeedMessages is the listings feed schema's limit per feed.
const MaxFeedMessages = 25000

// FeedThreshold is how many stock changes make a feed cheaper than
// patching one SKU per call at 5 a second.
const FeedThreshold = 200

const feedContentType = "application/json; charset=UTF-8"

// Feed wire shapes (feeds_2021-06-30.json, listings-feed-schema-v2).
type (
	FeedDocumentSpec struct {
		ContentType string `json:"contentType"`
	}
	FeedDocument struct {
		FeedDocumentID       string `json:"feedDocumentId"`
		URL                  string `json:"url"`
		CompressionAlgorithm string `json:"compressionAlgorithm,omitempty"`
	}
	FeedSpec struct {
		FeedType            string   `json:"feedType"`
		MarketplaceIDs      []string `json:"marketplaceIds"`
		InputFeedDocumentID string   `json:"inputFeedDocumentId"`
	}
	CreateFeedResponse struct {
		FeedID string `json:"feedId"`
	}
	Feed struct {
		FeedID               string   `json:"feedId"`
		FeedType             string   `json:"feedType"`
		MarketplaceIDs       []string `json:"marketplaceIds,omitempty"`
		CreatedTime          string   `json:"createdTime"`
		ProcessingStatus     string   `json:"processingStatus"`
		ResultFeedDocumentID string   `json:"resultFeedDocumentId,omitempty"`
	}
	FeedHeader struct {
		SellerID    string `json:"sellerId"`
		Version     string `json:"version"`
		IssueLocale string `json:"issueLocale,omitempty"`
	}
	FeedMessage struct {
		MessageID     int              `json:"messageId"`
		SKU           string           `json:"sku"`
		OperationType string           `json:"operationType"`
		ProductType   string           `json:"productType"`
		Patches       []PatchOperation `json:"patches,omitempty"`
	}
	ListingsFeed struct {
		Header   FeedHeader    `json:"header"`
		Messages []FeedMessage `json:"messages"`
	}
	ReportIssue struct {
		MessageID     int    `json:"messageId"`
		SKU           string `json:"sku,omitempty"`
		Code          string `json:"code"`
		Severity      string `json:"severity"`
		Message       string `json:"message"`
		AttributeName string `json:"attributeName,omitempty"`
	}
	ProcessingReport struct {
		Header struct {
			SellerID string `json:"sellerId"`
			Version  string `json:"version"`
			FeedID   string `json:"feedId"`
		} `json:"header"`
		Issues  []ReportIssue `json:"issues"`
		Summary struct {
			Errors            int `json:"errors"`
			Warnings          int `json:"warnings"`
			MessagesProcessed int `json:"messagesProcessed"`
			MessagesAccepted  int `json:"messagesAccepted"`
			MessagesInvalid   int `json:"messagesInvalid"`
		} `json:"summary"`
	}
)

// BulkThreshold says from how many stock changes PushStockBulk is better.
func (c *Client) BulkThreshold() int { return FeedThreshold }

// PushStockBulk sets many quantities at once through a JSON_LISTINGS_FEED:
// create a feed document, upload the feed to its URL, create the feed,
// wait for Amazon to process it, and read the processing report, whose
// issues say which SKUs were refused.
func (c *Client) PushStockBulk(ctx context.Context, items []adapters.StockUpdate) ([]adapters.ItemResult, error) {
	var out []adapters.ItemResult
	for start := 0; start < len(items); start += MaxFeedMessages {
		res, err := c.stockFeed(ctx, items[start:min(start+MaxFeedMessages, len(items))])
		out = append(out, res...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func (c *Client) stockFeed(ctx context.Context, items []adapters.StockUpdate) ([]adapters.ItemResult, error) {
	feed := ListingsFeed{Header: FeedHeader{SellerID: c.cfg.SellerID, Version: "2.0", IssueLocale: "en_US"}}
	for i, s := range items {
		feed.Messages = append(feed.Messages, FeedMessage{MessageID: i + 1, SKU: s.SKU, OperationType: "PATCH", ProductType: c.cfg.ProductType,
			Patches: []PatchOperation{{Op: "merge", Path: "/attributes/fulfillment_availability", Value: availability(s.Quantity)}}})
	}
	body, err := json.Marshal(feed)
	if err != nil {
		return nil, err
	}
	var doc FeedDocument
	if err := c.callJSON(ctx, OpCreateFeedDocument, http.MethodPost, "/feeds/2021-06-30/documents", FeedDocumentSpec{ContentType: feedContentType}, &doc); err != nil {
		return nil, err
	}
	if err := c.transfer(ctx, http.MethodPut, doc.URL, body, nil); err != nil {
		return nil, fmt.Errorf("amazon: uploading the feed: %w", err)
	}
	var created CreateFeedResponse
	if err := c.callJSON(ctx, OpCreateFeed, http.MethodPost, "/feeds/2021-06-30/feeds",
		FeedSpec{FeedType: "JSON_LISTINGS_FEED", MarketplaceIDs: []string{c.cfg.MarketplaceID}, InputFeedDocumentID: doc.FeedDocumentID}, &created); err != nil {
		return nil, err
	}
	var f Feed
	for {
		if err := c.callJSON(ctx, OpGetFeed, http.MethodGet, "/feeds/2021-06-30/feeds/"+created.FeedID, nil, &f); err != nil {
			return nil, err
		}
		if f.ProcessingStatus == "DONE" {
			break
		}
		if f.ProcessingStatus == "FATAL" || f.ProcessingStatus == "CANCELLED" {
			return nil, fmt.Errorf("amazon: feed %s ended %s", f.FeedID, f.ProcessingStatus)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(c.feedPoll()):
		}
	}
	var result FeedDocument
	if err := c.callJSON(ctx, OpGetFeedDocument, http.MethodGet, "/feeds/2021-06-30/documents/"+f.ResultFeedDocumentID, nil, &result); err != nil {
		return nil, err
	}
	var report []byte
	if err := c.transfer(ctx, http.MethodGet, result.URL, nil, &report); err != nil {
		return nil, fmt.Errorf("amazon: reading the processing report: %w", err)
	}
	return DecodeProcessingReport(report, feed.Messages)
}

func (c *Client) feedPoll() time.Duration {
	if c.cfg.FeedPoll > 0 {
		return c.cfg.FeedPoll
	}
	return 30 * time.Second
}

// callJSON is call for the feeds API, decoding the answer into out.
func (c *Client) callJSON(ctx context.Context, op adapters.Operation, method, path string, payload, out any) error {
	body, err := c.call(ctx, op, method, path, payload)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("amazon %s: unreadable answer: %w", op, err)
	}
	return nil
}

// transfer moves a feed or report to or from the pre-signed URL Amazon
// gave; it carries no access token.
func (c *Client) transfer(ctx context.Context, method, url string, body []byte, into *[]byte) error {
	_, resp, err := c.http.Do(ctx, httpx.Request{Op: "feeds.transfer", Key: "amazon:" + c.cfg.Account + ":transfer",
		Limit: adapters.Limit{Rate: 10, Burst: 10}, Timeout: 2 * time.Minute,
		Build: func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
			if err != nil {
				return nil, err
			}
			if body != nil {
				req.Header.Set("Content-Type", feedContentType)
			}
			return req, nil
		}})
	if err == nil && into != nil {
		*into = resp
	}
	return err
}

// DecodeProcessingReport turns a JSON_LISTINGS_FEED processing report into
// one result per message: an ERROR issue refuses its SKU, in Amazon's words.
func DecodeProcessingReport(report []byte, messages []FeedMessage) ([]adapters.ItemResult, error) {
	var r ProcessingReport
	if err := json.Unmarshal(report, &r); err != nil {
		return nil, fmt.Errorf("amazon: unreadable processing report: %w", err)
	}
	if r.Summary.MessagesProcessed != len(messages) {
		return nil, fmt.Errorf("amazon: the processing report covers %d messages, the feed had %d", r.Summary.MessagesProcessed, len(messages))
	}
	byMessage := map[int][]ReportIssue{}
	for _, is := range r.Issues {
		byMessage[is.MessageID] = append(byMessage[is.MessageID], is)
	}
	out := make([]adapters.ItemResult, len(messages))
	for i, m := range messages {
		res := adapters.ItemResult{SKU: m.SKU, Accepted: true, Status: "ACCEPTED"}
		for _, is := range byMessage[m.MessageID] {
			sev := strings.ToUpper(is.Severity)
			if sev == "ERROR" {
				res.Accepted, res.Status = false, "INVALID"
			}
			res.Issues = append(res.Issues, adapters.Issue{Severity: cut(sev, 20), Code: cut(is.Code, 40), Message: cut(is.Message, 1000),
				Attribute: cut(is.AttributeName, 200)})
		}
		out[i] = res
	}
	return out, nil
}
