package validate

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/outhook/outhook/internal/bodyread"
	"github.com/outhook/outhook/internal/jsondoc"
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

	parsed  bool
	tree    *jsondoc.Value // the body parsed, for plain paths
	decoded bool
	doc     any // the tree as map[string]any and the like, for the others
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
	body, err := bodyread.Read(nil, resp.Body, limit, resp.ContentLength)
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
// ErrNotJSON, with the syntax error and its line and column, for an empty
// body, malformed JSON or data after the document.
func (r *Response) JSON() (any, error) {
	if !r.decoded {
		tree, err := r.parse()
		if err == nil {
			r.doc = tree.Any()
		}
		r.decoded = true
	}
	return r.doc, r.err
}

// parse parses the body on the first call only.
func (r *Response) parse() (*jsondoc.Value, error) {
	if !r.parsed {
		r.tree, r.err = parse(r.Body, r.Truncated)
		r.parsed = true
	}
	return r.tree, r.err
}

func parse(body []byte, truncated bool) (*jsondoc.Value, error) {
	if truncated {
		return nil, ErrTruncated
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrNotJSON)
	}
	tree, err := jsondoc.Parse(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotJSON, err)
	}
	return tree, nil
}

// limited returns r, or a view of r cut to limit bytes of body.
func (r *Response) limited(limit int64) *Response {
	if limit <= 0 || int64(len(r.Body)) <= limit {
		return r
	}
	return &Response{StatusCode: r.StatusCode, Header: r.Header, Body: r.Body[:limit], Truncated: true}
}
