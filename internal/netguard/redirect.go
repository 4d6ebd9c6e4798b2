package netguard

import (
	"net/http"
	"net/url"
	"strings"
)

// crossHostHeaders are the request headers a redirect to another host
// keeps; every other header, where credentials such as Authorization or
// X-Torq-Token travel, is removed. The webhook-* headers go too: a
// signature is a credential for the host it was meant for, which another
// host could replay there.
var crossHostHeaders = []string{
	"Accept",
	"Accept-Encoding",
	"Content-Type",
	"Traceparent",
	"Tracestate",
	"User-Agent",
}

// CheckRedirect returns a policy for http.Client.CheckRedirect that follows
// at most maxHops redirects; with maxHops zero or less it follows none.
//
// A redirect it does not follow makes the client return the 3xx response
// itself, with a nil error and its body unread (it returns
// http.ErrUseLastResponse), so the caller records the response and treats
// it as a failed attempt like any other non-2xx status. It does not follow
// a redirect past maxHops, to a scheme other than http and https, from
// https to http, or to a URL check refuses: the caller's URL policy (which
// schemes and ports a URL may name), applied to each hop as to the first
// URL. A nil check refuses nothing.
//
// Each hop is dialled by the client's transport, so with a Guard's
// Transport every hop is checked as the first request was. A hop to another
// host (or port) keeps only the Accept, Accept-Encoding, Content-Type,
// Traceparent, Tracestate and User-Agent headers (webhook-id,
// webhook-timestamp and webhook-signature are dropped): net/http
// itself drops only Authorization, Cookie and WWW-Authenticate, and would
// forward a token in a custom header to whatever host the Location names.
func CheckRedirect(maxHops int, check func(*url.URL) error) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) == 0 {
			return nil
		}
		prev := via[len(via)-1]
		switch {
		case len(via) > maxHops:
			return http.ErrUseLastResponse
		case req.URL.Scheme != "http" && req.URL.Scheme != "https":
			return http.ErrUseLastResponse
		case prev.URL.Scheme == "https" && req.URL.Scheme == "http":
			return http.ErrUseLastResponse
		case check != nil && check(req.URL) != nil:
			return http.ErrUseLastResponse
		}
		if !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
			kept := make(http.Header, len(crossHostHeaders))
			for _, k := range crossHostHeaders {
				if v, ok := req.Header[k]; ok {
					kept[k] = v
				}
			}
			req.Header = kept
		}
		return nil
	}
}
