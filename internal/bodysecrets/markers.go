package bodysecrets

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"slices"
	"strconv"
	"strings"

	"github.com/outhook/outhook/internal/jsondoc"
	"github.com/outhook/outhook/template"
)

// Secrets are a webhook's body secrets as a body is rendered with them:
// the template renders over a marker for each secret, never over its
// value, so that no helper or block sees the value and nothing the
// template renders can depend on it; Substitute then puts the value, or a
// mask, where a marker stands as the template wrote it.
//
// A marker is a token drawn for the render (an upper-case letter and 24
// of a-z and 2-7, which no escaping alters), the secret's index, as many
// '_' as make it as long as the value escaped, '\' and '='. The token is random per render: an event's text, written before
// the render, cannot hold it, and a token a helper shows (truncated, in
// upper case) in one body stands for no secret in the next. The '\' and
// '=' tell how the template escaped the marker where it stands: in JSON
// mode every round of string escaping doubles the backslashes, once
// inside a string and once more per embedded document; HTML escaping
// writes '=' as "&#x3D;". A marker a helper changed is no longer one and
// is left as it is: its text holds nothing of the secret.
type Secrets struct {
	names  []string
	values []string
	pads   []int // the '_' of each marker (see Compile)
}

// Compile returns the secrets in name order; nil when there are none.
func Compile(secrets map[string]string) *Secrets {
	if len(secrets) == 0 {
		return nil
	}
	s := &Secrets{names: Names(secrets)}
	s.values = make([]string, len(s.names))
	s.pads = make([]int, len(s.names))
	for i, name := range s.names {
		s.values[i] = secrets[name]
		// A marker is as long as its value escaped once, so that a
		// template's render limit, which counts markers, bounds the body
		// sent too: within twice per further round, and six times in
		// HTML mode.
		s.pads[i] = max(0, len(jsondoc.AppendEscaped(nil, s.values[i]))-tokenLen)
	}
	return s
}

// tokenBytes is the randomness of a marker's token, 120 bits, and
// tokenLen its length: 'S' and the bits in base 32.
const tokenBytes, tokenLen = 15, 1 + tokenBytes*8/5

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// MaxRounds bounds the rounds of JSON string escaping a marker is
// replaced with: a marker in a document embedded deeper, which bodies do
// not hold, is left as it is.
const MaxRounds = 4

// Forms returns value and every form Substitute may write it in: for a
// redactor to scrub each of them wherever it turns up.
func Forms(value string) []string {
	forms := []string{value, string(appendHTML(nil, value))}
	e := []byte(value)
	for range MaxRounds {
		e = jsondoc.AppendEscapedBytes(nil, e)
		forms = append(forms, string(e))
	}
	slices.Sort(forms)
	return slices.Compact(forms)
}

// Markers returns what the body renders over for the secrets, a marker
// under each name, and the token the markers hold, for Substitute.
func (s *Secrets) Markers() (Values, string) {
	var raw [tokenBytes]byte
	_, _ = rand.Read(raw[:]) // never fails (see crypto/rand.Read)
	var token [tokenLen]byte
	// An upper-case letter before the lower-case ones: lower and upper
	// both change the token, and a marker so changed is no marker.
	token[0] = 'S'
	tokenEncoding.Encode(token[1:], raw[:])
	// One string holds every marker, the token first.
	var b strings.Builder
	size := len(s.names) * (tokenLen + 8)
	for _, pad := range s.pads {
		size += pad
	}
	b.Grow(size)
	ends := make([]int, 0, 8)
	for i := range s.names {
		b.Write(token[:])
		b.WriteString(strconv.Itoa(i))
		for range s.pads[i] {
			b.WriteByte('_')
		}
		b.WriteString(`\=`)
		ends = append(ends, b.Len())
	}
	all := b.String()
	v := make(Values, len(s.names))
	start := 0
	for i, name := range s.names {
		v[name] = all[start:ends[i]]
		start = ends[i]
	}
	return v, all[:tokenLen]
}

// Render renders t over doc with the secrets: over doc itself when s is
// nil, or else over the markers, which are then substituted.
func (s *Secrets) Render(t *template.Template, doc any) ([]byte, error) {
	if s == nil {
		return t.Append(nil, doc)
	}
	markers, token := s.Markers()
	out, err := t.Append(nil, markers.Data(doc))
	if err != nil {
		return nil, err
	}
	return s.Substitute(make([]byte, 0, len(out)+64), out, token, t.Mode(), ""), nil
}

// Substitute appends body, rendered in mode over the markers of token,
// to dst with each marker replaced by its secret's value escaped as the
// template escaped the marker there, or by mask, as it is, when mask is
// not empty.
func (s *Secrets) Substitute(dst []byte, body []byte, token string, mode template.Mode, mask string) []byte {
	tok := []byte(token)
	for {
		p := bytes.Index(body, tok)
		if p < 0 {
			return append(dst, body...)
		}
		i, rounds, html, n, ok := s.parse(body[p+len(token):], mode)
		if !ok {
			dst = append(dst, body[:p+1]...)
			body = body[p+1:]
			continue
		}
		dst = append(dst, body[:p]...)
		body = body[p+len(token)+n:]
		switch {
		case mask != "":
			dst = append(dst, mask...)
		case html:
			dst = appendHTML(dst, s.values[i])
		case rounds > 0:
			dst = appendEscaped(dst, s.values[i], rounds)
		default:
			dst = append(dst, s.values[i]...)
		}
	}
}

// parse reads what follows a token in a rendered body: the index of a
// secret, the rounds of JSON escaping, or HTML escaping, the template
// gave its marker there, and the length read; ok is false when it is no
// marker that mode writes.
func (s *Secrets) parse(b []byte, mode template.Mode) (i, rounds int, html bool, n int, ok bool) {
	for n < len(b) && '0' <= b[n] && b[n] <= '9' {
		n++
	}
	if n == 0 || n > 1 && b[0] == '0' || n > 6 {
		return 0, 0, false, 0, false
	}
	i, _ = strconv.Atoi(string(b[:n]))
	if i >= len(s.values) {
		return 0, 0, false, 0, false
	}
	for range s.pads[i] {
		if n == len(b) || b[n] != '_' {
			return 0, 0, false, 0, false
		}
		n++
	}
	k := 0
	for n < len(b) && b[n] == '\\' {
		n++
		k++
	}
	rest := b[n:]
	switch mode {
	case template.JSON:
		// 2 backslashes per round: k is a power of two from 2.
		if k < 2 || k&(k-1) != 0 || k > 1<<MaxRounds || len(rest) == 0 || rest[0] != '=' {
			return 0, 0, false, 0, false
		}
		for k > 1 {
			k >>= 1
			rounds++
		}
		return i, rounds, false, n + 1, true
	case template.HTML:
		if k != 1 {
			return 0, 0, false, 0, false
		}
		if len(rest) > 0 && rest[0] == '=' {
			return i, 0, false, n + 1, true
		}
		if esc := "&#x3D;"; len(rest) >= len(esc) && string(rest[:len(esc)]) == esc {
			return i, 0, true, n + len(esc), true
		}
	case template.Text:
		if k == 1 && len(rest) > 0 && rest[0] == '=' {
			return i, 0, false, n + 1, true
		}
	}
	return 0, 0, false, 0, false
}

// appendEscaped appends v string-escaped rounds times, as the template
// escapes a string once inside a JSON string and once more per embedded
// document.
func appendEscaped(dst []byte, v string, rounds int) []byte {
	if rounds == 1 {
		return jsondoc.AppendEscaped(dst, v)
	}
	e := jsondoc.AppendEscaped(nil, v)
	for range rounds - 1 {
		e = jsondoc.AppendEscapedBytes(nil, e)
	}
	return append(dst, e...)
}

// appendHTML appends v escaped for HTML as the template's HTML mode
// escapes text: & < > " ' ` and =.
func appendHTML(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		if j := slices.Index(htmlFrom, v[i]); j >= 0 {
			dst = append(dst, htmlTo[j]...)
		} else {
			dst = append(dst, v[i])
		}
	}
	return dst
}

var (
	htmlFrom = []byte("&<>\"'`=")
	htmlTo   = []string{"&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&#x60;", "&#x3D;"}
)
