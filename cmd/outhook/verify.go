package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/outhook/outhook/signature"
)

var verifyCommand = &command{
	name:     "verify",
	synopsis: "verify a Standard Webhooks signed request, as a receiver does",
	usage: `
Usage: outhook verify -secret SECRET... [-tolerance D] [-o text|json] [REQUEST_FILE]
       outhook verify -secret SECRET... -id ID -timestamp UNIX -signature SIGNATURES
                      [-tolerance D] [-o text|json] [BODY_FILE]

Verifies a request signed the Standard Webhooks way, as a receiver does
(signature.Verifier): it is valid when a signature in webhook-signature
matches one of the secrets and webhook-timestamp lies within the tolerance
of now. The exit code is 0 for a valid request and 1 for an invalid one.

The first form reads the request from REQUEST_FILE, or from stdin: an
HTTP/1.1 request, its request line, headers and body, as a receiver dumps
it (httputil.DumpRequest) or nc -l captures it. With neither Content-Length
nor chunked encoding, the body is the rest of the input. A request that
does not parse is invalid. The second form takes the three webhook headers
as flags and reads the raw body.

SECRET is a whsec_ secret (HMAC-SHA256, v1), or a whpk_ public or whsk_
private key (ed25519, v1a); repeat -secret for several. The command line
is visible to the machine's other users: set OUTHOOK_SECRET instead
(several separated by spaces) where that matters. -secret wins over it.

With -o json, stdout holds one object:
  {"valid": false, "reason": "invalid_signature", "error": "...",
   "id": "msg_...", "timestamp": 1767225600}
where reason is "", "invalid_signature", "timestamp_out_of_range",
"invalid_header" or "malformed_request".
`,
	setup: func(fs *flag.FlagSet) runFunc {
		var secrets stringList
		fs.Var(&secrets, "secret", "verify with `SECRET` (repeatable; default $OUTHOOK_SECRET)")
		tolerance := fs.Duration("tolerance", signature.DefaultTolerance, "accept timestamps this far from now (0 means the default)")
		var h struct{ id, timestamp, signature string }
		fs.StringVar(&h.id, "id", "", "the webhook-id header, for the body-only form")
		fs.StringVar(&h.timestamp, "timestamp", "", "the webhook-timestamp header (unix seconds), for the body-only form")
		fs.StringVar(&h.signature, "signature", "", "the webhook-signature header, for the body-only form")
		format := formatText
		fs.Var(&format, "o", "output `format`: text or json")
		return func(ctx context.Context, c *cli, args []string) error {
			if len(args) > 1 {
				return usagef("want at most one input file, got %d arguments", len(args))
			}
			input := "-"
			if len(args) == 1 {
				input = args[0]
			}
			if len(secrets) == 0 {
				secrets = strings.Fields(c.getenv("OUTHOOK_SECRET"))
			}
			if len(secrets) == 0 {
				return usagef("no secret: give -secret or set OUTHOOK_SECRET")
			}
			v, err := signature.ParseVerifier(*tolerance, secrets...)
			if err != nil {
				return usagef("%v", err)
			}
			given := 0
			for _, s := range []string{h.id, h.timestamp, h.signature} {
				if s != "" {
					given++
				}
			}
			if given != 0 && given != 3 {
				return usagef("-id, -timestamp and -signature go together")
			}
			raw, err := c.readInput(input)
			if err != nil {
				return err
			}
			var header http.Header
			var body []byte
			if given == 3 {
				header = http.Header{}
				header.Set(signature.HeaderID, h.id)
				header.Set(signature.HeaderTimestamp, h.timestamp)
				header.Set(signature.HeaderSignature, h.signature)
				body = raw
			} else {
				header, body, err = readRequest(raw)
			}
			return verify(c, v, header, body, err, format)
		}
	},
}

// readRequest reads an HTTP/1.x request; without a length or chunked
// encoding, the rest of raw is its body.
func readRequest(raw []byte) (http.Header, []byte, error) {
	br := bufio.NewReader(bytes.NewReader(raw))
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, nil, err
	}
	defer req.Body.Close()
	if req.Header.Get("Content-Length") == "" && len(req.TransferEncoding) == 0 {
		body, err := io.ReadAll(br)
		return req.Header, body, err
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the body: %w", err)
	}
	return req.Header, body, nil
}

func verify(c *cli, v *signature.Verifier, header http.Header, body []byte, readErr error, format outputFormat) error {
	now := time.Now()
	var out struct {
		Valid     bool   `json:"valid"`
		Reason    string `json:"reason"`
		Error     string `json:"error,omitempty"`
		ID        string `json:"id,omitempty"`
		Timestamp int64  `json:"timestamp,omitempty"`
	}
	err := readErr
	if err != nil {
		out.Reason, out.Error = "malformed_request", "malformed request: "+err.Error()
	} else {
		out.ID = header.Get(signature.HeaderID)
		out.Timestamp, _ = strconv.ParseInt(header.Get(signature.HeaderTimestamp), 10, 64)
		err = v.Verify(header, body, now)
		switch {
		case err == nil:
			out.Valid = true
		case errors.Is(err, signature.ErrInvalidSignature):
			out.Reason = "invalid_signature"
		case errors.Is(err, signature.ErrTimestampOutOfRange):
			out.Reason = "timestamp_out_of_range"
		case errors.Is(err, signature.ErrInvalidHeader):
			out.Reason = "invalid_header"
		default:
			return err
		}
		if err != nil {
			out.Error = err.Error()
		}
	}

	if format == formatJSON {
		if err := writeJSON(c.stdout, out); err != nil {
			return err
		}
	} else {
		var when string
		if out.Timestamp != 0 {
			ts := time.Unix(out.Timestamp, 0)
			age := now.Sub(ts).Round(time.Second)
			rel := age.String() + " ago"
			if age < 0 {
				rel = (-age).String() + " ahead"
			}
			when = fmt.Sprintf(", signed %s (%s)", ts.UTC().Format(time.RFC3339), rel)
		}
		if out.Valid {
			fmt.Fprintf(c.stdout, "%s: webhook-id %s%s\n", c.style.good("valid"), out.ID, when)
		} else {
			fmt.Fprintf(c.stdout, "%s: %s\n", c.style.bad("invalid"), out.Error)
			if out.ID != "" || when != "" {
				fmt.Fprintf(c.stdout, "  webhook-id %s%s\n", out.ID, when)
			}
		}
	}
	if !out.Valid {
		return errCheckFailed
	}
	return nil
}
