package messages

import (
	"fmt"
	"strings"
)

// ParseTemplateIDs reads registered DLT template ids as configuration
// writes them: comma-separated event.language=id pairs, for example
// "order_pick.en=1107161234567890123,order_pick.hi=1107161234567890124".
// An id is the registrar's number (digits only, 10 to 25 of them); an
// unknown event or language, a repeated key or a malformed id is refused
// with what was expected.
func ParseTemplateIDs(s string) (map[Key]string, error) {
	out := map[Key]string{}
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		name, id, ok := strings.Cut(pair, "=")
		ev, lang, ok2 := strings.Cut(strings.TrimSpace(name), ".")
		id = strings.TrimSpace(id)
		if !ok || !ok2 {
			return nil, fmt.Errorf("%q: write event.language=id, for example order_pick.hi=1107161234567890123", pair)
		}
		k := Key{Event(ev), Language(lang)}
		if !knownEvent(k.Event) {
			return nil, fmt.Errorf("%q: unknown event %q (one of %s)", pair, ev, eventList())
		}
		if !knownLanguage(k.Language) {
			return nil, fmt.Errorf("%q: unknown language %q (en, hi, ur or ks)", pair, lang)
		}
		if len(id) < 10 || len(id) > 25 || strings.Trim(id, "0123456789") != "" {
			return nil, fmt.Errorf("%q: a DLT template id is the registrar's number, 10 to 25 digits", pair)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%q: %s is given twice", pair, k)
		}
		out[k] = id
	}
	return out, nil
}

func eventList() string {
	names := make([]string, len(Events))
	for i, e := range Events {
		names[i] = string(e)
	}
	return strings.Join(names, ", ")
}
