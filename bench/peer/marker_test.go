package main

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/outhook/outhook/event"
)

// Both systems must carry the marker through to the receiver intact, in an
// event that is still the fixture, valid JSON and an event Outhook accepts.
func TestMarkerRoundTrip(t *testing.T) {
	raw, err := os.ReadFile("../../template/testdata/events/request-created.json")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := newEventTemplate(raw)
	if err != nil {
		t.Fatal(err)
	}
	due := time.Unix(1796458577, 123456789)
	body := tmpl.render(4242, due)
	if len(body) != tmpl.size() {
		t.Fatalf("rendered %d bytes, size says %d", len(body), tmpl.size())
	}
	if !json.Valid(body) {
		t.Fatalf("not JSON: %s", body)
	}
	if _, err := event.Parse(body); err != nil {
		t.Fatal(err)
	}
	seq, at, ok := parseMarker(body)
	if !ok || seq != 4242 || at != due.UnixNano() {
		t.Fatalf("parseMarker = %d, %d, %v; want 4242, %d, true", seq, at, ok, due.UnixNano())
	}
	for _, bad := range []string{"", "PB-", `{"friendly_id":"PB-0000004242-17964"}`, `{"x":"PB-00000042x2-1796458577123456789"}`} {
		if _, _, ok := parseMarker([]byte(bad)); ok {
			t.Errorf("parseMarker(%q) found a marker", bad)
		}
	}
}
