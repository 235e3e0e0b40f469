package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/jkhhc/artisanbridge/internal/apperr"
	"github.com/jkhhc/artisanbridge/internal/paging"
)

// formReader reads a posted form into the optional fields of a domain
// input: a field the form does not carry stays nil (unchanged, as a PATCH
// leaves it); a number that is not one is a field error, named.
type formReader struct {
	r  *http.Request
	fe apperr.FieldErrors
}

func readForm(r *http.Request) *formReader { return &formReader{r: r, fe: apperr.FieldErrors{}} }

func (f *formReader) has(name string) bool {
	_, ok := f.r.PostForm[name]
	return ok
}

func (f *formReader) str(name string) *string {
	if !f.has(name) {
		return nil
	}
	s := strings.TrimSpace(f.r.PostFormValue(name))
	return &s
}

// optStr is a field that, empty, means "not given".
func (f *formReader) optStr(name string) *string {
	s := f.str(name)
	if s == nil || *s == "" {
		return nil
	}
	return s
}

func (f *formReader) int(name, field string) *int64 {
	s := f.str(name)
	if s == nil || *s == "" {
		return nil
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(*s, ",", ""), 10, 64)
	if err != nil {
		f.fe.Add(field, "must be a whole number")
		return nil
	}
	return &n
}

func (f *formReader) boolean(name string) *bool {
	if !f.has(name + "_present") {
		return nil
	}
	b := f.r.PostFormValue(name) == "on" || f.r.PostFormValue(name) == "1"
	return &b
}

func (f *formReader) lines(name string) *[]string {
	s := f.str(name)
	if s == nil {
		return nil
	}
	out := []string{}
	for _, l := range strings.Split(*s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return &out
}

func (f *formReader) err() error { return f.fe.Err() }

// firstPage reads ?cursor= for a page of at most limit rows.
func firstPage(r *http.Request, limit int) (paging.Request, error) {
	return paging.Parse(limit, r.URL.Query().Get("cursor"))
}
