package template_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/outhook/outhook/template"
)

func event() map[string]any {
	var ev map[string]any
	d := json.NewDecoder(strings.NewReader(`{
		"event_type": "RequestCreated",
		"event_time": 1773134100.482913204,
		"data": {
			"requester": {"name": "Dana \"DL\" Levi", "email": "dana@example.com"},
			"justification": "INC-4821:\nslow queries",
			"access_duration_in_seconds": 14400,
			"revocation_date": null,
			"approvals": [{"name": "SRE On-Call"}, {"name": "Manager"}]
		}
	}`))
	d.UseNumber()
	if err := d.Decode(&ev); err != nil {
		panic(err)
	}
	return ev
}

func Example() {
	t := template.MustParse(`{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}"}}`)
	if err := t.Execute(os.Stdout, event()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"body":{"event":"New Apono RequestCreated request made by Dana \"DL\" Levi"}}
}

// Values in value position render as JSON values; a JSON document escaped
// inside a string gets its values escaped twice.
func Example_jsonContexts() {
	t := template.MustParse(`{
  "duration": {{data.access_duration_in_seconds}},
  "revoked": {{data.revocation_date}},
  "requester": {{data.requester}},
  "approvers": [{{#each data.approvals}}"{{name}}"{{#unless @last}}, {{/unless}}{{/each}}],
  "message": "{ \"why\": \"{{data.justification}}\" }"
}`)
	if err := t.Execute(os.Stdout, event()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {
	//   "duration": 14400,
	//   "revoked": null,
	//   "requester": {"email":"dana@example.com","name":"Dana \"DL\" Levi"},
	//   "approvers": ["SRE On-Call", "Manager"],
	//   "message": "{ \"why\": \"INC-4821:\\nslow queries\" }"
	// }
}

// Parse refuses a template that could render invalid JSON.
func ExampleParse_error() {
	_, err := template.Parse(`{"approvers": [{{#each data.approvals}}"{{name}}"{{/each}}]}`, template.WithName("body"))
	var te *template.Error
	if errors.As(err, &te) {
		fmt.Println(te.Line, te.Column)
		fmt.Println(err)
	}
	// Output:
	// 1 40
	// body:1:40: invalid JSON: expected ',' or ']' after a value, found "\""; separate the items, as in {{#each data.approvals}}…{{#unless @last}},{{/unless}}{{/each}} (when the items of {{#each}} at 1:16 repeat)
}

// A string that starts like a JSON document is read as one, and must be
// one: Parse fails rather than leave a value free to add members to it. A
// {{!plain}} comment at the start of the string says that it is text.
func ExampleParse_plainString() {
	_, err := template.Parse(`{"text": "[{{event_type}}] {{data.requester.name}}"}`)
	fmt.Println(err)

	t := template.MustParse(`{"text": "{{!plain}}[{{event_type}}] {{data.requester.name}}"}`)
	if err := t.Execute(os.Stdout, event()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 1:28: tag after the end of the JSON document: {{data.requester.name}} cannot be placed here, in the string opened at 1:10, which starts like an embedded JSON document; if that string is text, begin it with {{!plain}}
	// {"text": "[RequestCreated] Dana \"DL\" Levi"}
}

func ExampleTemplate_Append() {
	t := template.MustParse(`{"at": "{{time event_time 'RFC3339Nano'}}", "who": "{{upper data.requester.email}}"}`)
	var buf []byte
	for range 2 {
		var err error
		buf, err = t.Append(buf[:0], event()) // reuses buf's memory
		if err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println(string(buf))
	// Output:
	// {"at": "2026-03-10T09:15:00.482913204Z", "who": "DANA@EXAMPLE.COM"}
}

func ExampleWithStrict() {
	t := template.MustParse(`{"who": "{{data.requestor.name}}"}`, template.WithStrict())
	_, err := t.Append(nil, event())
	fmt.Println(errors.Is(err, template.ErrMissingField), err)
	// Output:
	// true 1:12: missing field data.requestor.name
}

func ExampleWithMode() {
	t := template.MustParse("Access requested by {{data.requester.name}}\n", template.WithMode(template.Text))
	if err := t.Execute(os.Stdout, event()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// Access requested by Dana "DL" Levi
}

func ExampleWithHelpers() {
	t := template.MustParse(`{"initials": "{{initials data.requester.name}}"}`, template.WithHelpers(map[string]template.Helper{
		"initials": func(args []any) (any, error) {
			name, _ := args[0].(string)
			var b strings.Builder
			for _, w := range strings.Fields(name) {
				b.WriteString(w[:1])
			}
			return b.String(), nil
		},
	}))
	if err := t.Execute(os.Stdout, event()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"initials": "D\"L"}
}

func ExampleTemplate_Check() {
	schema := mapSchema{
		"data":                 "object",
		"data.requester":       "object",
		"data.requester.name":  "string",
		"data.requester.email": "string",
	}
	t := template.MustParse(`{"who": "{{data.requestor.name}}", "mail": "{{data.requester.emial}}"}`)
	fmt.Println(t.Check(schema))
	// Output:
	// 1:12: unknown field data.requestor.name; did you mean data.requester.name?
	// 1:47: unknown field data.requester.emial; did you mean data.requester.email?
}
