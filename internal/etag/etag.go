// Package etag answers conditional requests: whether an If-None-Match
// header names a representation's entity tag. The API and the console
// share it so that both read the header the same way (RFC 9110 13.1.2).
package etag

import "strings"

// Matches reports whether an If-None-Match header names etag: any of the
// comma-separated tags equal to it under the weak comparison (a W/ prefix
// on either side is ignored), or "*". An empty header matches nothing.
func Matches(header, etag string) bool {
	if etag == "" {
		return false
	}
	etag = strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
