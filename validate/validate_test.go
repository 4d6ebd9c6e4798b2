package validate_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/validate"
)

func decodeBody(t testing.TB, body string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v))
	return v
}

const sample = `{
	"status": "ok", "code": 200, "ratio": 0.50, "accepted": true, "error": null,
	"empty": "", "ticket": {"id": "INC-1", "open": true}, "tags": ["a", "b"],
	"items": [{"state": "done", "n": 1}, {"state": "done", "n": 2}, {"state": "failed", "n": 3}],
	"same": [{"state": "done"}, {"state": "done"}],
	"data": {"nested": "yes"}
}`

func TestJSONPathComparisonRules(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		expected []string
		opts     []validate.PathOption
		passed   bool
		found    string
		err      error
	}{
		{"string equals", "$.data.status", []string{"ok"}, nil, true, "ok", nil},
		{"string differs", "$.data.status", []string{"OK", "fine"}, nil, false, "ok", validate.ErrMismatch},
		{"one of several", "$.data.status", []string{"fine", "ok"}, nil, true, "ok", nil},
		{"empty string is a value", "$.data.empty", []string{""}, nil, true, "", nil},
		{"number by text", "$.data.code", []string{"200"}, nil, true, "200", nil},
		{"number text is exact", "$.data.code", []string{"200.0"}, nil, false, "200", validate.ErrMismatch},
		{"number keeps trailing zero", "$.data.ratio", []string{"0.50"}, nil, true, "0.50", nil},
		{"number not rewritten", "$.data.ratio", []string{"0.5"}, nil, false, "0.50", validate.ErrMismatch},
		{"boolean by text", "$.data.accepted", []string{"true"}, nil, true, "true", nil},
		{"boolean differs", "$.data.accepted", []string{"false"}, nil, false, "true", validate.ErrMismatch},
		{"boolean is case sensitive", "$.data.accepted", []string{"True"}, nil, false, "true", validate.ErrMismatch},
		{"null is found", "$.data.error", []string{"null"}, nil, true, "null", nil},
		{"null is not empty", "$.data.error", []string{""}, nil, false, "null", validate.ErrMismatch},
		{"object as compact JSON", "$.data.ticket", []string{`{"id":"INC-1","open":true}`}, nil, true, `{"id":"INC-1","open":true}`, nil},
		{"array as compact JSON", "$.data.tags", []string{`["a","b"]`}, nil, true, `["a","b"]`, nil},
		{"missing member", "$.data.nope", []string{"ok"}, nil, false, "", validate.ErrNotFound},
		{"missing deep member", "$.data.ticket.nope.deeper", []string{"ok"}, nil, false, "", validate.ErrNotFound},
		{"index out of range", "$.data.tags[5]", []string{"a"}, nil, false, "", validate.ErrNotFound},
		{"index", "$.data.tags[1]", []string{"b"}, nil, true, "b", nil},
		{"no expected values: found", "$.data.status", nil, nil, true, "ok", nil},
		{"no expected values: null found", "$.data.error", nil, nil, true, "null", nil},
		{"no expected values: missing", "$.data.nope", nil, nil, false, "", validate.ErrNotFound},
		{"wildcard, any matches", "$.data.items[*].state", []string{"failed"}, nil, true, `["done","done","failed"]`, nil},
		{"wildcard, none matches", "$.data.items[*].state", []string{"queued"}, nil, false, `["done","done","failed"]`, validate.ErrMismatch},
		{"wildcard, all required, some differ", "$.data.items[*].state", []string{"done"}, []validate.PathOption{validate.AllMatches()}, false, `["done","done","failed"]`, validate.ErrMismatch},
		{"wildcard, all required, all match", "$.data.same[*].state", []string{"done"}, []validate.PathOption{validate.AllMatches()}, true, `["done","done"]`, nil},
		{"wildcard, numbers by text", "$.data.items[*].n", []string{"3"}, nil, true, `[1,2,3]`, nil},
		{"wildcard matches nothing", "$.data.items[*].nope", []string{"x"}, nil, false, "", validate.ErrNotFound},
		{"filter expression", `$.data.items[?(@.state == "failed")].n`, []string{"3"}, nil, true, `[3]`, nil},
		{"recursive descent", "$.data..state", []string{"failed"}, nil, true, "", nil},
		{"nil option ignored", "$.data.status", []string{"ok"}, []validate.PathOption{nil}, true, "ok", nil},
	}
	body := decodeBody(t, sample)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := validate.JSONPath(tt.path, tt.expected, tt.opts...)
			require.NoError(t, err)
			r := v.Check(body)
			require.Equal(t, tt.passed, r.Passed, r.String())
			if tt.name != "recursive descent" {
				require.Equal(t, tt.found, r.Found)
			}
			require.Equal(t, tt.path, r.Validator)
			if tt.err == nil {
				require.NoError(t, r.Err)
			} else {
				require.ErrorIs(t, r.Err, tt.err)
			}
		})
	}
}

func TestJSONPathAddressing(t *testing.T) {
	obj := decodeBody(t, sample)
	arr := decodeBody(t, `[{"id": "first"}, {"id": "second"}]`)
	tests := []struct {
		name string
		path string
		body any
		want string
	}{
		{"data is the body", "$.data.status", obj, "ok"},
		{"bracketed data", `$["data"].status`, obj, "ok"},
		{"single-quoted data", `$['data'].status`, obj, "ok"},
		{"without data", "$.status", obj, "ok"},
		{"without $", "status", obj, "ok"},
		{"without $ with data", "data.status", obj, "ok"},
		{"surrounding space", "  $.data.status ", obj, "ok"},
		{"member called data", "$.data.data.nested", obj, "yes"},
		{"data alone is the whole body", "$.data", decodeBody(t, `"plain"`), "plain"},
		{"array body", "$.data[1].id", arr, "second"},
		{"array body without data", "$[0].id", arr, "first"},
		{"bracket without $", "[0].id", arr, "first"},
		{"database is not data", "$.database", decodeBody(t, `{"database": "pg"}`), "pg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := validate.JSONPath(tt.path, []string{tt.want})
			require.NoError(t, err)
			r := v.Check(tt.body)
			require.True(t, r.Passed, r.String())
			require.Equal(t, tt.want, r.Found)
		})
	}
}

func TestJSONPathInvalid(t *testing.T) {
	for _, path := range []string{"", "   ", "$.", "$[", "$.data[?(", "$.a[1:2:3:4]", "$.(", "$$", "$.a b"} {
		t.Run(path, func(t *testing.T) {
			v, err := validate.JSONPath(path, []string{"x"})
			require.Nil(t, v)
			require.ErrorIs(t, err, validate.ErrInvalidPath)
			var pe *validate.PathError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, path, pe.Path)
			require.Contains(t, err.Error(), "invalid JSON path")
			require.Panics(t, func() { validate.MustJSONPath(path, nil) })
		})
	}
}

func TestRecursiveDescent(t *testing.T) {
	_, err := validate.JSONPath("$.data..a..b", nil)
	require.ErrorIs(t, err, validate.ErrInvalidPath)
	require.ErrorContains(t, err, "more than one recursive descent")
	_, err = validate.JSONPath(`$.data..a[?(@.b == "..")]`, nil)
	require.NoError(t, err)
	_, err = validate.JSONPath(`$.data["x..y"]`, nil)
	require.NoError(t, err)

	v := validate.MustJSONPath("$.data..id", []string{"deep"})
	nest := func(n int) []byte {
		return []byte(strings.Repeat(`{"a":`, n-1) + `{"id":"deep"}` + strings.Repeat(`}`, n-1))
	}
	r := v.Validate(&validate.Response{Body: nest(validate.MaxDepth)})
	require.True(t, r.Passed, r.String())
	r = v.Validate(&validate.Response{Body: nest(validate.MaxDepth + 1)})
	require.ErrorIs(t, r.Err, validate.ErrTooDeep)
	// Paths without a descent do not care how deep the body goes.
	r = validate.MustJSONPath("$.data.a", nil).Validate(&validate.Response{Body: nest(500)})
	require.True(t, r.Passed)
}

func TestJSONPathDecodedWithFloats(t *testing.T) {
	// Bodies decoded without UseNumber still compare numbers by their JSON
	// text, as encoding/json writes them.
	var body any
	require.NoError(t, json.Unmarshal([]byte(`{"code": 200, "ratio": 0.5}`), &body))
	for path, want := range map[string]string{"$.data.code": "200", "$.data.ratio": "0.5"} {
		r := validate.MustJSONPath(path, []string{want}).Check(body)
		require.True(t, r.Passed, r.String())
	}
}

func TestResponseBodies(t *testing.T) {
	status := validate.MustJSONPath("$.data.status", []string{"ok"})
	tests := []struct {
		name   string
		resp   *validate.Response
		passed bool
		err    error
	}{
		{"valid", &validate.Response{Body: []byte(`{"status":"ok"}`)}, true, nil},
		{"empty", &validate.Response{}, false, validate.ErrNotJSON},
		{"blank", &validate.Response{Body: []byte(" \n")}, false, validate.ErrNotJSON},
		{"html", &validate.Response{Body: []byte("<html>bad gateway</html>")}, false, validate.ErrNotJSON},
		{"cut short", &validate.Response{Body: []byte(`{"status":"o`)}, false, validate.ErrNotJSON},
		{"trailing data", &validate.Response{Body: []byte(`{"status":"ok"} {"status":"ok"}`)}, false, validate.ErrNotJSON},
		{"truncated", &validate.Response{Body: []byte(`{"status":"ok"}`), Truncated: true}, false, validate.ErrTruncated},
		{"deep nesting", &validate.Response{Body: []byte(strings.Repeat("[", 20000) + strings.Repeat("]", 20000))}, false, validate.ErrNotJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := status.Validate(tt.resp)
			require.Equal(t, tt.passed, r.Passed)
			if tt.err == nil {
				require.NoError(t, r.Err)
				return
			}
			require.ErrorIs(t, r.Err, tt.err)
		})
	}
}

func TestResponseDecodesOnce(t *testing.T) {
	resp := &validate.Response{Body: []byte(`{"status":"ok"}`)}
	a, err := resp.JSON()
	require.NoError(t, err)
	resp.Body = []byte("not JSON any more")
	b, err := resp.JSON()
	require.NoError(t, err)
	require.Equal(t, a, b)
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name     string
		v        *validate.StatusValidator
		code     int
		passed   bool
		expected []string
	}{
		{"default accepts 200", validate.Status(), 200, true, []string{"2xx"}},
		{"default accepts 299", validate.Status(), 299, true, []string{"2xx"}},
		{"default rejects 300", validate.Status(), 300, false, []string{"2xx"}},
		{"default rejects 199", validate.Status(), 199, false, []string{"2xx"}},
		{"code", validate.Status(validate.Code(202)), 202, true, []string{"202"}},
		{"code rejects other", validate.Status(validate.Code(202)), 200, false, []string{"202"}},
		{"range", validate.Status(validate.StatusRange{Min: 200, Max: 204}), 204, true, []string{"200-204"}},
		{"several", validate.Status(validate.Code(201), validate.Class(3)), 302, true, []string{"201", "3xx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.v.Validate(&validate.Response{StatusCode: tt.code})
			require.Equal(t, tt.passed, r.Passed)
			require.Equal(t, tt.expected, r.Expected)
			require.Equal(t, "status", r.Validator)
			if !tt.passed {
				require.ErrorIs(t, r.Err, validate.ErrMismatch)
			}
		})
	}
}

// TestStatusRanges checks that Ranges returns what the validator was made
// with, the default included, and that changing it changes nothing.
func TestStatusRanges(t *testing.T) {
	require.Equal(t, []validate.StatusRange{validate.Class(2)}, validate.Status().Ranges())
	v, err := validate.ParseStatus("201, 3xx, 500-503")
	require.NoError(t, err)
	ranges := v.Ranges()
	require.Equal(t, []validate.StatusRange{validate.Code(201), validate.Class(3), {Min: 500, Max: 503}}, ranges)
	ranges[0] = validate.Code(404)
	require.True(t, v.Check(201).Passed)
	require.False(t, v.Check(404).Passed)
}

func TestParseStatus(t *testing.T) {
	good := map[string][]string{
		"":                     {"2xx"},
		"2xx":                  {"2xx"},
		"2XX, 404":             {"2xx", "404"},
		" 200-204 ,409,":       {"200-204", "409"},
		"500-599":              {"5xx"},
		"100,101":              {"100", "101"},
		"200-200":              {"200"},
		"2xx,3xx,4xx,5xx,1xx,": {"2xx", "3xx", "4xx", "5xx", "1xx"},
	}
	for spec, want := range good {
		t.Run(spec, func(t *testing.T) {
			v, err := validate.ParseStatus(spec)
			require.NoError(t, err)
			require.Equal(t, want, v.Check(0).Expected)
		})
	}
	for _, spec := range []string{"abc", "6xx", "99", "600", "204-200", "200-", "-200", "2x", "200-abc"} {
		t.Run(spec, func(t *testing.T) {
			_, err := validate.ParseStatus(spec)
			require.ErrorIs(t, err, validate.ErrInvalidStatus)
		})
	}
}

func TestHeader(t *testing.T) {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Add("X-Torq-Execution", "a")
	h.Add("X-Torq-Execution", "b")
	tests := []struct {
		name   string
		v      *validate.HeaderValidator
		passed bool
		found  string
		err    error
	}{
		{"present", validate.Header("content-type"), true, "application/json", nil},
		{"expected", validate.Header("Content-Type", "text/plain", "application/json"), true, "application/json", nil},
		{"value is case sensitive", validate.Header("X-Torq-Execution", "A"), false, `["a","b"]`, validate.ErrMismatch},
		{"missing", validate.Header("X-Nope"), false, "", validate.ErrNotFound},
		{"repeated, any value", validate.Header("X-Torq-Execution", "b"), true, "b", nil},
		{"repeated, none", validate.Header("X-Torq-Execution", "c"), false, `["a","b"]`, validate.ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.v.Validate(&validate.Response{Header: h})
			require.Equal(t, tt.passed, r.Passed)
			require.Equal(t, tt.found, r.Found)
			require.Equal(t, tt.v.String(), r.Validator)
			if tt.err != nil {
				require.ErrorIs(t, r.Err, tt.err)
			}
		})
	}
	r := validate.Header("X-Any").Validate(&validate.Response{})
	require.ErrorIs(t, r.Err, validate.ErrNotFound)
}

// TestHeaderComparesContentTypeAsMediaType checks Content-Type against
// an expected media type as RFC 9110 compares them: type and subtype
// case-insensitively, parameters only those the expected value names
// (charset's value case-insensitively).
func TestHeaderComparesContentTypeAsMediaType(t *testing.T) {
	tests := []struct {
		got, expected string
		passed        bool
	}{
		{"application/json; charset=utf-8", "application/json", true},
		{"Application/JSON", "application/json", true},
		{"application/json;charset=UTF-8", "application/json; charset=utf-8", true},
		{`application/json; charset="utf-8"; v=2`, "application/json; charset=utf-8", true},
		{"application/json", "application/json; charset=utf-8", false},
		{"application/json; charset=latin1", "application/json; charset=utf-8", false},
		{"application/json; v=2", "application/json; v=3", false},
		{"application/jsonx", "application/json", false},
		{"text/json", "application/json", false},
		{"application/problem+json", "application/json", false},
		{"not a media type;;", "application/json", false},
	}
	for _, tt := range tests {
		t.Run(tt.got+" vs "+tt.expected, func(t *testing.T) {
			h := http.Header{"Content-Type": {tt.got}}
			r := validate.Header("content-type", tt.expected).Validate(&validate.Response{Header: h})
			require.Equal(t, tt.passed, r.Passed, "%+v", r)
			require.Equal(t, tt.got, r.Found)
			if !tt.passed {
				require.ErrorIs(t, r.Err, validate.ErrMismatch)
			}
		})
	}
}

func TestSetRunsEveryValidator(t *testing.T) {
	set := validate.NewSet([]validate.Validator{
		validate.Status(),
		validate.MustJSONPath("$.data.status", []string{"ok"}),
		nil,
		validate.MustJSONPath("$.data.code", []string{"201"}),
		validate.Header("Content-Type", "application/json"),
	}, validate.Message("Torq did not accept the event"), nil)
	require.Equal(t, 4, set.Len())

	h := http.Header{"Content-Type": {"application/json"}}
	rep := set.Validate(&validate.Response{StatusCode: 500, Header: h, Body: []byte(`{"status":"ok","code":200}`)})
	require.False(t, rep.Passed())
	require.Len(t, rep.Results, 4)
	require.Equal(t, []bool{false, true, false, true},
		[]bool{rep.Results[0].Passed, rep.Results[1].Passed, rep.Results[2].Passed, rep.Results[3].Passed})
	require.Equal(t, "Torq did not accept the event", rep.Message)

	err := rep.Err()
	var verr *validate.Error
	require.ErrorAs(t, err, &verr)
	require.Len(t, verr.Failed, 2)
	require.ErrorIs(t, err, validate.ErrMismatch)
	require.NotErrorIs(t, err, validate.ErrNotFound)
	require.Equal(t, `Torq did not accept the event: status: failed: unexpected value, found "500", expected one of "2xx"; `+
		`$.data.code: failed: unexpected value, found "200", expected one of "201"`, err.Error())

	ok := set.Validate(&validate.Response{StatusCode: 200, Header: h, Body: []byte(`{"status":"ok","code":201}`)})
	require.True(t, ok.Passed())
	require.NoError(t, ok.Err())
}

func TestSetDefaults(t *testing.T) {
	empty := validate.NewSet(nil)
	rep := empty.Validate(&validate.Response{StatusCode: 500})
	require.True(t, rep.Passed())
	require.NoError(t, rep.Err())
	require.Equal(t, int64(validate.DefaultMaxBodyBytes), empty.MaxBodyBytes())

	set := validate.NewSet([]validate.Validator{validate.MustJSONPath("$.data", nil)}, validate.Message(""), validate.MaxBodyBytes(0))
	rep = set.Validate(&validate.Response{Body: []byte("nope")})
	require.Equal(t, validate.DefaultMessage, rep.Message)
	require.ErrorIs(t, rep.Err(), validate.ErrNotJSON)
}

func TestNilSetAndResponse(t *testing.T) {
	var set *validate.Set
	require.Equal(t, 0, set.Len())
	require.Equal(t, int64(validate.DefaultMaxBodyBytes), set.MaxBodyBytes())
	require.True(t, set.Validate(nil).Passed())
	rep := validate.NewSet([]validate.Validator{validate.Status()}).Validate(nil)
	require.ErrorIs(t, rep.Err(), validate.ErrMismatch)
	require.Equal(t, "0", rep.Results[0].Found)
}

func TestSetLimit(t *testing.T) {
	set := validate.NewSet([]validate.Validator{validate.MustJSONPath("$.data.status", []string{"ok"})}, validate.MaxBodyBytes(10))
	require.Equal(t, int64(10), set.MaxBodyBytes())
	rep := set.Validate(&validate.Response{Body: []byte(`{"status":"ok"}`)})
	require.ErrorIs(t, rep.Err(), validate.ErrTruncated)
	rep = set.Validate(&validate.Response{Body: []byte(`{"a":1}`)})
	require.ErrorIs(t, rep.Err(), validate.ErrNotFound)
}

func TestRead(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"ok","id":"`+strings.Repeat("x", 100)+`"}`)
	}))
	defer srv.Close()

	get := func(limit int64) *validate.Response {
		res, err := srv.Client().Get(srv.URL)
		require.NoError(t, err)
		defer res.Body.Close()
		resp, err := validate.Read(res, limit)
		require.NoError(t, err)
		return resp
	}
	full := get(0)
	require.Equal(t, http.StatusAccepted, full.StatusCode)
	require.Equal(t, "application/json", full.Header.Get("Content-Type"))
	require.False(t, full.Truncated)
	require.Len(t, full.Body, 123)
	exact := get(123)
	require.False(t, exact.Truncated)
	cut := get(20)
	require.True(t, cut.Truncated)
	require.Len(t, cut.Body, 20)
	_, err := cut.JSON()
	require.ErrorIs(t, err, validate.ErrTruncated)

	noBody, err := validate.Read(&http.Response{StatusCode: 204}, 0)
	require.NoError(t, err)
	require.Empty(t, noBody.Body)

	boom := errors.New("connection reset")
	partial, err := validate.Read(&http.Response{StatusCode: 200, Body: io.NopCloser(io.MultiReader(strings.NewReader(`{"a"`), iotest.ErrReader(boom)))}, 0)
	require.ErrorIs(t, err, boom)
	require.Equal(t, `{"a"`, string(partial.Body))
}

// Read sizes its buffer by Content-Length, which a server may get wrong:
// the body read is what came, within the limit, whatever was announced.
func TestReadAnnouncedLength(t *testing.T) {
	body := strings.Repeat("abcdefgh", 200) // 1,600 bytes
	for _, announced := range []int64{-1, 0, 10, 1600, 5000, 1 << 40} {
		for _, limit := range []int64{100, 1600, 4096} {
			resp, err := validate.Read(&http.Response{StatusCode: 200, ContentLength: announced,
				Body: io.NopCloser(iotest.HalfReader(strings.NewReader(body)))}, limit)
			require.NoError(t, err)
			want := body[:min(int64(len(body)), limit)]
			require.Equal(t, want, string(resp.Body), "announced %d, limit %d", announced, limit)
			require.Equal(t, limit < int64(len(body)), resp.Truncated, "announced %d, limit %d", announced, limit)
		}
	}
}

func TestResultString(t *testing.T) {
	r := validate.MustJSONPath("$.data.status", []string{"ok", "done"}).Check(map[string]any{"status": "failed"})
	require.Equal(t, `$.data.status: failed: unexpected value, found "failed", expected one of "ok", "done"`, r.String())
	r = validate.MustJSONPath("$.data.status", nil).Check(map[string]any{"status": "failed"})
	require.Equal(t, `$.data.status: passed, found "failed"`, r.String())
}

func TestResultJSON(t *testing.T) {
	set := validate.NewSet([]validate.Validator{
		validate.Status(),
		validate.MustJSONPath("$.data.status", []string{"ok"}),
		validate.MustJSONPath("$.data.missing", nil),
		validate.Header("Content-Type", "application/json"),
	})
	rep := set.Validate(&validate.Response{StatusCode: 200, Body: []byte(`{"status":"<failed>"}`)})
	b, err := json.Marshal(rep.Results)
	require.NoError(t, err)
	require.JSONEq(t, `[
		{"validator":"status","passed":true,"found":"200","expected":["2xx"]},
		{"validator":"$.data.status","passed":false,"found":"<failed>","expected":["ok"],"error":"unexpected value"},
		{"validator":"$.data.missing","passed":false,"error":"path not found"},
		{"validator":"header Content-Type","passed":false,"expected":["application/json"],"error":"header not found"}
	]`, string(b))

	var back []validate.Result
	require.NoError(t, json.Unmarshal(b, &back))
	require.Len(t, back, 4)
	for i, r := range back {
		require.Equal(t, rep.Results[i].Validator, r.Validator)
		require.Equal(t, rep.Results[i].Passed, r.Passed)
		require.Equal(t, rep.Results[i].Found, r.Found)
		require.Equal(t, rep.Results[i].Expected, r.Expected)
		if r.Err != nil {
			require.Equal(t, rep.Results[i].Err.Error(), r.Err.Error())
		}
	}
	require.NoError(t, back[0].Err)
	require.ErrorIs(t, back[1].Err, validate.ErrMismatch)
	require.ErrorIs(t, back[2].Err, validate.ErrNotFound)
	require.ErrorIs(t, back[3].Err, validate.ErrNotFound)

	notJSON := set.Validate(&validate.Response{Body: []byte("<html>")}).Results[1]
	b, err = json.Marshal(notJSON)
	require.NoError(t, err)
	var r validate.Result
	require.NoError(t, json.Unmarshal(b, &r))
	require.ErrorIs(t, r.Err, validate.ErrNotJSON)
	require.Equal(t, notJSON.Err.Error(), r.Err.Error())
	require.NoError(t, json.Unmarshal([]byte(`{"validator":"x","error":"custom"}`), &r))
	require.EqualError(t, r.Err, "custom")
	require.Error(t, json.Unmarshal([]byte(`[]`), &r))
}

func TestValidatorsAreSafeForConcurrentUse(t *testing.T) {
	set := validate.NewSet([]validate.Validator{
		validate.Status(), validate.MustJSONPath("$.data.output.notified[*].channel", []string{"slack"}),
	})
	body, err := os.ReadFile("testdata/response.json")
	require.NoError(t, err)
	done := make(chan bool)
	for range 8 {
		go func() {
			ok := true
			for range 100 {
				ok = ok && set.Validate(&validate.Response{StatusCode: 200, Body: body}).Passed()
			}
			done <- ok
		}()
	}
	for range 8 {
		require.True(t, <-done)
	}
}

// Plain paths are walked on the parsed body instead of going through
// PaesslerAG/jsonpath; the walk must give exactly what PaesslerAG/jsonpath
// gives on the decoded body, on the way to a value and off it.
func TestPlainPathsAgreeWithJSONPath(t *testing.T) {
	bodies := []string{
		sample,
		`[{"a":1},{"a":[true,null,"x"]}]`,
		`{"a":{"b":{"c":"deep"}},"a b":"spaced","_x1":0.10,"dup":1,"dup":2}`,
		`"just a string"`, `12.50`, `null`, `{}`, `[]`,
	}
	paths := []string{
		"$.data", "$.data.status", "$.data.code", "$.data.ratio", "$.data.accepted", "$.data.error",
		"$.data.empty", "$.data.ticket", "$.data.ticket.id", "$.data.tags", "$.data.tags[1]", "$.data.tags[2]",
		"$.data.items[0].state", "$.data.items[2].n", "$.data.items[9].n", "$.data.missing", "$.data.status.x",
		"$.data.data.nested", "$.data[0]", "$.data[1].a[2]", "$.data[1].a[1]", "$.data[0].a.b",
		`$.data["a b"]`, "$.data._x1", "$.data.a.b.c", "$.data.dup", "$.data.tags.length", "status", "[0].a",
	}
	for _, body := range bodies {
		for _, path := range paths {
			for _, expected := range [][]string{nil, {"ok"}, {"200", "true", "null", "deep"}} {
				v := validate.MustJSONPath(path, expected)
				got := v.Validate(&validate.Response{Body: []byte(body)})
				want := v.Check(decodeBody(t, body))
				require.Equal(t, want.Passed, got.Passed, "%s on %s", path, body)
				require.Equal(t, want.Found, got.Found, "%s on %s", path, body)
				for _, sentinel := range []error{validate.ErrNotFound, validate.ErrMismatch} {
					require.Equal(t, errors.Is(want.Err, sentinel), errors.Is(got.Err, sentinel), "%s on %s: %v vs %v", path, body, want.Err, got.Err)
				}
			}
		}
	}
}
