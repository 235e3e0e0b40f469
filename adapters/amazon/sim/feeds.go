package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/jkhhc/artisanbridge/adapters"
	"github.com/jkhhc/artisanbridge/adapters/amazon"
	"github.com/jkhhc/artisanbridge/adapters/simkit"
)

type document struct {
	contentType string
	data        []byte
	uploaded    bool
}

type feed struct {
	amazon.Feed
	input string
	polls int
}

// registerFeeds adds the Feeds API 2021-06-30 and the pre-signed document
// URLs (served by the simulator itself under /_sim/docs/).
func (s *Sim) registerFeeds(m *http.ServeMux) {
	m.HandleFunc("POST /feeds/2021-06-30/documents", s.api(amazon.OpCreateFeedDocument, s.createDocument))
	m.HandleFunc("POST /feeds/2021-06-30/feeds", s.api(amazon.OpCreateFeed, s.createFeed))
	m.HandleFunc("GET /feeds/2021-06-30/feeds/{feedId}", s.api(amazon.OpGetFeed, s.getFeed))
	m.HandleFunc("GET /feeds/2021-06-30/documents/{feedDocumentId}", s.api(amazon.OpGetFeedDocument, s.getDocument))
	m.HandleFunc("PUT /_sim/docs/{id}", s.putDoc)
	m.HandleFunc("GET /_sim/docs/{id}", s.getDoc)
}

func (s *Sim) docURL(r *http.Request, id string) string {
	return "http://" + r.Host + "/_sim/docs/" + id
}

func (s *Sim) createDocument(w http.ResponseWriter, r *http.Request) {
	var spec amazon.FeedDocumentSpec
	if err := decodeBody(r, &spec); err != nil || spec.ContentType == "" {
		apiError(w, http.StatusBadRequest, "InvalidInput", "contentType is required", "")
		return
	}
	s.kit.Lock()
	s.seq++
	id := fmt.Sprintf("amzn1.tortuga.sim.%08d", s.seq)
	s.docs[id] = &document{contentType: spec.ContentType}
	s.kit.Unlock()
	simkit.WriteJSON(w, http.StatusCreated, amazon.FeedDocument{FeedDocumentID: id, URL: s.docURL(r, id)})
}

func (s *Sim) putDoc(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		http.Error(w, "upload failed", http.StatusBadRequest)
		return
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	d := s.docs[r.PathValue("id")]
	if d == nil || d.uploaded {
		http.Error(w, "no such upload destination", http.StatusForbidden)
		return
	}
	if r.Header.Get("Content-Type") != d.contentType {
		http.Error(w, "the content type must be the one the document was created with", http.StatusForbidden)
		return
	}
	d.data, d.uploaded = data, true
	w.WriteHeader(http.StatusOK)
}

func (s *Sim) getDoc(w http.ResponseWriter, r *http.Request) {
	s.kit.Lock()
	d := s.docs[r.PathValue("id")]
	s.kit.Unlock()
	if d == nil || !d.uploaded {
		http.Error(w, "no such document", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", d.contentType)
	w.Write(d.data)
}

func (s *Sim) createFeed(w http.ResponseWriter, r *http.Request) {
	var spec amazon.FeedSpec
	if err := decodeBody(r, &spec); err != nil || spec.FeedType != "JSON_LISTINGS_FEED" || len(spec.MarketplaceIDs) != 1 ||
		spec.MarketplaceIDs[0] != amazon.MarketplaceIndia {
		apiError(w, http.StatusBadRequest, "InvalidInput", "feedType JSON_LISTINGS_FEED for marketplace "+amazon.MarketplaceIndia+" is required", "")
		return
	}
	s.kit.Lock()
	defer s.kit.Unlock()
	if d := s.docs[spec.InputFeedDocumentID]; d == nil || !d.uploaded {
		apiError(w, http.StatusBadRequest, "InvalidInput", "inputFeedDocumentId does not name an uploaded document", "")
		return
	}
	s.seq++
	id := fmt.Sprintf("%d", 50000000000+s.seq)
	s.feeds[id] = &feed{Feed: amazon.Feed{FeedID: id, FeedType: spec.FeedType, MarketplaceIDs: spec.MarketplaceIDs,
		CreatedTime: s.kit.Now().UTC().Format("2006-01-02T15:04:05Z"), ProcessingStatus: "IN_QUEUE"}, input: spec.InputFeedDocumentID}
	simkit.WriteJSON(w, http.StatusAccepted, amazon.CreateFeedResponse{FeedID: id})
}

// getFeed moves a feed along as Amazon does: queued, in progress, done,
// processing it on the way.
func (s *Sim) getFeed(w http.ResponseWriter, r *http.Request) {
	s.kit.Lock()
	defer s.kit.Unlock()
	f := s.feeds[r.PathValue("feedId")]
	if f == nil {
		apiError(w, http.StatusNotFound, "NotFound", "no such feed", "")
		return
	}
	f.polls++
	switch {
	case f.polls == 1:
		f.ProcessingStatus = "IN_PROGRESS"
	case f.ProcessingStatus == "IN_PROGRESS":
		f.ResultFeedDocumentID, f.ProcessingStatus = s.process(f), "DONE"
	}
	simkit.WriteJSON(w, http.StatusOK, f.Feed)
}

// process applies a listings feed and writes its processing report.
func (s *Sim) process(f *feed) string {
	var in amazon.ListingsFeed
	report := amazon.ProcessingReport{Issues: []amazon.ReportIssue{}}
	report.Header.Version, report.Header.FeedID = "2.0", f.FeedID
	if err := json.Unmarshal(s.docs[f.input].data, &in); err == nil {
		report.Header.SellerID = in.Header.SellerID
		for _, m := range in.Messages {
			report.Summary.MessagesProcessed++
			issue := s.applyMessage(m)
			if issue != nil {
				report.Issues = append(report.Issues, *issue)
				report.Summary.Errors++
				report.Summary.MessagesInvalid++
				continue
			}
			report.Summary.MessagesAccepted++
		}
	}
	data, _ := json.Marshal(report)
	s.seq++
	id := fmt.Sprintf("amzn1.tortuga.sim.%08d", s.seq)
	s.docs[id] = &document{contentType: "application/json", data: data, uploaded: true}
	return id
}

func (s *Sim) applyMessage(m amazon.FeedMessage) *amazon.ReportIssue {
	fail := func(code, msg, attr string) *amazon.ReportIssue {
		return &amazon.ReportIssue{MessageID: m.MessageID, SKU: m.SKU, Code: code, Severity: "ERROR", Message: msg, AttributeName: attr}
	}
	s.kit.Batch(adapters.OpUpdateStock, 1)
	it := s.items[m.SKU]
	switch {
	case s.kit.ItemFails():
		return fail("4000001", "An internal error occurred; resubmit the message.", "")
	case it == nil:
		return fail("8541", "The SKU '"+m.SKU+"' does not exist; create it before patching it.", "")
	case m.OperationType != "PATCH" || len(m.Patches) == 0:
		return fail("4000003", "only PATCH messages are supported by this simulator", "")
	}
	for _, p := range m.Patches {
		if p.Path != "/attributes/fulfillment_availability" {
			return fail("4000003", "only fulfillment_availability can be patched by feed in this simulator", p.Path)
		}
		raw, _ := json.Marshal(p.Value)
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		_ = dec.Decode(&v)
		q, err := quantity(v)
		if err != nil {
			return fail("99022", err.Error(), "fulfillment_availability")
		}
		it.Quantity = q
	}
	return nil
}

func (s *Sim) getDocument(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("feedDocumentId")
	if !s.hasDoc(w, id) {
		return
	}
	simkit.WriteJSON(w, http.StatusOK, amazon.FeedDocument{FeedDocumentID: id, URL: s.docURL(r, id)})
}

// hasDoc answers 404 for a document the simulator does not hold.
func (s *Sim) hasDoc(w http.ResponseWriter, id string) bool {
	s.kit.Lock()
	d := s.docs[id]
	s.kit.Unlock()
	if d == nil {
		apiError(w, http.StatusNotFound, "NotFound", "no such document", "")
	}
	return d != nil
}
