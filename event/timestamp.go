package event

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Timestamp is a point in time as epoch seconds with up to nine decimals,
// the form of Apono's event_time, creation_date and revocation_date. It keeps
// the JSON literal digit for digit: 1696263265.851898000 decodes and encodes
// as exactly that, which a float64 cannot do. The zero Timestamp is unset and
// encodes as 0.
type Timestamp struct {
	literal string
}

// ErrInvalidTimestamp is wrapped by every error about a malformed Timestamp.
var ErrInvalidTimestamp = errors.New("want epoch seconds: digits with at most 9 decimals")

// ParseTimestamp reads epoch seconds such as "1773134100.482913204". It
// accepts an optional minus sign, digits, and up to nine decimals; exponents
// are refused because they hide how many digits there are.
func ParseTimestamp(s string) (Timestamp, error) {
	if err := checkTimestamp(s); err != nil {
		return Timestamp{}, fmt.Errorf("timestamp %q: %w", s, err)
	}
	return Timestamp{literal: s}, nil
}

func checkTimestamp(s string) error {
	digits := strings.TrimPrefix(s, "-")
	whole, frac, hasDot := strings.Cut(digits, ".")
	if whole == "" || !allDigits(whole) || (hasDot && (frac == "" || !allDigits(frac))) {
		return ErrInvalidTimestamp
	}
	if len(frac) > 9 {
		return ErrInvalidTimestamp
	}
	if len(whole) > 1 && whole[0] == '0' {
		return ErrInvalidTimestamp // JSON forbids leading zeros
	}
	if _, err := strconv.ParseInt(whole, 10, 64); err != nil {
		return ErrInvalidTimestamp
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// TimestampOf returns t as epoch seconds with nine decimals, the precision
// Apono sends.
func TimestampOf(t time.Time) Timestamp {
	sec, nsec := t.Unix(), t.Nanosecond()
	sign := ""
	if sec < 0 && nsec > 0 {
		// t.Unix() rounds down; -1.5s is sec -2 and nsec 5e8.
		sec, nsec = sec+1, 1e9-nsec
		if sec == 0 {
			sign = "-"
		}
	}
	return Timestamp{literal: fmt.Sprintf("%s%d.%09d", sign, sec, nsec)}
}

// IsZero reports whether ts is unset.
func (ts Timestamp) IsZero() bool { return ts.literal == "" }

// String returns the literal as it was written, or "0" when unset.
func (ts Timestamp) String() string {
	if ts.literal == "" {
		return "0"
	}
	return ts.literal
}

// Time converts ts to a time.Time in UTC, exact to the nanosecond.
func (ts Timestamp) Time() time.Time {
	if ts.literal == "" {
		return time.Unix(0, 0).UTC()
	}
	neg := strings.HasPrefix(ts.literal, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(ts.literal, "-"), ".")
	sec, _ := strconv.ParseInt(whole, 10, 64) // checked when ts was made
	nsec, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
	if neg {
		sec, nsec = -sec, -nsec
	}
	return time.Unix(sec, nsec).UTC()
}

// MarshalJSON writes the literal unchanged.
func (ts Timestamp) MarshalJSON() ([]byte, error) {
	return []byte(ts.String()), nil
}

// UnmarshalJSON reads a JSON number of epoch seconds, keeping its digits.
// A JSON null leaves ts as it was, as encoding/json does for its own
// types; a nullable time is a *Timestamp, which null sets to nil.
func (ts *Timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	parsed, err := ParseTimestamp(string(b))
	if err != nil {
		return err
	}
	*ts = parsed
	return nil
}
