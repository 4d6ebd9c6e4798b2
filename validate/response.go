package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// DefaultMaxBodyBytes is the number of body bytes Read and a Set look at
// when no other limit is given: 1 MiB.
const DefaultMaxBodyBytes = 1 << 20

// Response is the part of an HTTP response that validators check. The zero
// value is a response with status 0, no headers and an empty body.
//
// A Response decodes its body at most once, on the first call to JSON, and
// is not safe for concurrent use; the validators that read it are.
type Response struct {
	// StatusCode is the HTTP status code.
	StatusCode int
	// Header holds the response headers; nil means none.
	Header http.Header
	// Body holds the response body, or its first bytes when Truncated.
	Body []byte
	// Truncated reports that the body was longer than Body. A truncated
	// body is never decoded: JSON returns ErrTruncated.
	Truncated bool

	decoded bool
	doc     any
	err     error
}

// Read reads the status, headers and at most limit bytes of the body of
// resp; a limit of zero or less means DefaultMaxBodyBytes. When the body is
// longer, the Response holds its first limit bytes and Truncated is set.
// Read does not close resp.Body: the caller closes it, and may drain it
// first so that the connection is reused. On a read error Read returns what
// it read along with the error.
func Read(resp *http.Response, limit int64) (*Response, error) {
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	r := &Response{StatusCode: resp.StatusCode, Header: resp.Header}
	if resp.Body == nil {
		return r, nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if int64(len(body)) > limit {
		body, r.Truncated = body[:limit], true
	}
	r.Body = body
	if err != nil {
		return r, fmt.Errorf("validate: reading response body: %w", err)
	}
	return r, nil
}

// JSON returns the body decoded as JSON: map[string]any, []any, string,
// json.Number (numbers keep their text), bool or nil. The body is decoded on
// the first call only. The error wraps ErrTruncated for a truncated body and
// ErrNotJSON, with encoding/json's error, for an empty body, malformed JSON
// or trailing data after the document.
func (r *Response) JSON() (any, error) {
	if !r.decoded {
		r.doc, r.err = decode(r.Body, r.Truncated)
		r.decoded = true
	}
	return r.doc, r.err
}

func decode(body []byte, truncated bool) (any, error) {
	if truncated {
		return nil, ErrTruncated
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrNotJSON)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotJSON, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the JSON document", ErrNotJSON)
	}
	return doc, nil
}

// limited returns r, or a view of r cut to limit bytes of body.
func (r *Response) limited(limit int64) *Response {
	if limit <= 0 || int64(len(r.Body)) <= limit {
		return r
	}
	return &Response{StatusCode: r.StatusCode, Header: r.Header, Body: r.Body[:limit], Truncated: true}
}
