package bench

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/outhook/outhook/internal/jsondoc"
)

// The inputs every benchmark of this module shares, so that the numbers of
// one table can be compared with those of another:
//
//   - the 3 KB access-request event, ../template/testdata/events/request-created.json
//     (a copy of ../shared/fixtures/apono/request-created.json, 2,764 bytes);
//   - the Torq body and the rich body (compare_test.go);
//   - the 885-byte response, ../validate/testdata/response.json.

func readResponse(tb testing.TB) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "validate", "testdata", "response.json"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(raw) != 885 {
		tb.Fatalf("response.json has %d bytes, want 885", len(raw))
	}
	return raw
}

// handTorq is the hand-written renderer of the Torq body: the lower bound,
// with the keys known at compile time.
func handTorq(dst []byte, ev *jsondoc.Value) []byte {
	dst = append(dst, `{"body":{"event":"New Apono `...)
	dst = jsondoc.AppendEscaped(dst, ev.Get("event_type").Text())
	dst = append(dst, ` request made by `...)
	dst = jsondoc.AppendEscaped(dst, ev.Get("data").Get("requester").Get("name").Text())
	return append(dst, `"}}`...)
}

// handRich is the hand-written renderer of the rich body.
func handRich(dst []byte, ev *jsondoc.Value) []byte {
	d := ev.Get("data")
	str := func(dst []byte, prefix string, v *jsondoc.Value) []byte {
		dst = append(dst, prefix...)
		return jsondoc.AppendEscaped(dst, v.Text())
	}
	dst = str(dst, `{"id":"`, d.Get("id"))
	dst = str(dst, `","friendly_id":"`, d.Get("friendly_id"))
	dst = str(dst, `","event":"`, ev.Get("event_type"))
	dst = append(dst, `","time":`...)
	dst = ev.Get("event_time").AppendJSON(dst)
	dst = str(dst, `,"requester":"`, d.Get("requester").Get("name"))
	dst = str(dst, `","email":"`, d.Get("requester").Get("email"))
	dst = str(dst, `","justification":"`, d.Get("justification"))
	dst = str(dst, `","flow":"`, d.Get("access_flow").Get("name"))
	dst = append(dst, `","duration":`...)
	dst = d.Get("access_duration_in_seconds").AppendJSON(dst)
	g := d.Get("access_groups").Elem(0)
	dst = str(dst, `,"integration":"`, g.Get("integration").Get("name"))
	dst = append(dst, `","resources":[`...)
	units := g.Get("access_units")
	for i := 0; i < units.Len(); i++ {
		u := units.Elem(i)
		dst = str(dst, `{"name":"`, u.Get("resource").Get("name"))
		dst = str(dst, `","permission":"`, u.Get("permission").Get("name"))
		dst = append(dst, `"}`...)
		if i < units.Len()-1 {
			dst = append(dst, ',')
		}
	}
	dst = append(dst, `],"approvals":[`...)
	approvals := d.Get("approvals")
	for i := 0; i < approvals.Len(); i++ {
		a := approvals.Elem(i)
		dst = str(dst, `{"name":"`, a.Get("name"))
		dst = str(dst, `","status":"`, a.Get("status"))
		dst = append(dst, `"}`...)
		if i < approvals.Len()-1 {
			dst = append(dst, ',')
		}
	}
	return append(dst, `]}`...)
}
