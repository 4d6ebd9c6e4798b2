package validate_test

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/outhook/outhook/validate"
)

// Apono's response validators: $.data is the response body.
func ExampleJSONPath() {
	v, err := validate.JSONPath("$.data.status", []string{"ok", "accepted"})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := v.Validate(&validate.Response{StatusCode: 200, Body: []byte(`{"status": "accepted"}`)})
	fmt.Println(r.Passed, r.Found)
	r = v.Validate(&validate.Response{StatusCode: 200, Body: []byte(`{"status": "rejected"}`)})
	fmt.Println(r.Passed, r.Found, errors.Is(r.Err, validate.ErrMismatch))
	// Output:
	// true accepted
	// false rejected true
}

// Numbers and booleans compare by their JSON text.
func ExampleJSONPath_numbers() {
	v := validate.MustJSONPath("$.data.code", []string{"200"})
	r := v.Validate(&validate.Response{Body: []byte(`{"code": 200}`)})
	fmt.Println(r.Passed)
	// Output: true
}

// A path that can match several values passes when any of them is expected,
// or, with AllMatches, when all are.
func ExampleAllMatches() {
	body := []byte(`{"deliveries": [{"ok": true}, {"ok": false}]}`)
	anyOK := validate.MustJSONPath("$.data.deliveries[*].ok", []string{"true"})
	allOK := validate.MustJSONPath("$.data.deliveries[*].ok", []string{"true"}, validate.AllMatches())
	fmt.Println(anyOK.Validate(&validate.Response{Body: body}).Passed)
	r := allOK.Validate(&validate.Response{Body: body})
	fmt.Println(r.Passed, r.Found)
	// Output:
	// true
	// false [true,false]
}

// A Set runs all of a webhook's validators and carries its custom message.
func ExampleSet() {
	set := validate.NewSet([]validate.Validator{
		validate.Status(),
		validate.MustJSONPath("$.data.status", []string{"ok"}),
		validate.Header("Content-Type", "application/json"),
	}, validate.Message("Torq rejected the event"))

	rep := set.Validate(&validate.Response{
		StatusCode: 200,
		Header:     http.Header{"Content-Type": {"text/html"}},
		Body:       []byte(`<html>maintenance</html>`),
	})
	for _, r := range rep.Results {
		fmt.Println(r.Validator, r.Passed)
	}
	fmt.Println(rep.Err())
	// Output:
	// status true
	// $.data.status false
	// header Content-Type false
	// Torq rejected the event: $.data.status: failed: response body is not JSON: json: line 1, column 1: unexpected '<', expected a value, expected one of "ok"; header Content-Type: failed: unexpected value, found "text/html", expected one of "application/json"
}

func ExampleParseStatus() {
	v, err := validate.ParseStatus("2xx, 409")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.Check(409).Passed, v.Check(500).Passed, v.Check(500).Expected)
	// Output: true false [2xx 409]
}
