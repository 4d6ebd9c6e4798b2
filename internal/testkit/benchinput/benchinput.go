// Package benchinput holds the inputs the rendering benchmarks share, in
// the template package and in the bench module, so that their figures
// measure the same work: the two templates of the performance targets,
// Apono's suggested Torq body and a rich body with ten fields and two
// loops, and their hand-written renderers, the lower bound every engine is
// measured against.
package benchinput

import "github.com/outhook/outhook/internal/jsondoc"

// The templates, in Outhook's syntax.
const (
	Torq = `{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}"}}`
	Rich = `{"id":"{{data.id}}","friendly_id":"{{data.friendly_id}}","event":"{{event_type}}",` +
		`"time":{{event_time}},"requester":"{{data.requester.name}}","email":"{{data.requester.email}}",` +
		`"justification":"{{data.justification}}","flow":"{{data.access_flow.name}}",` +
		`"duration":{{data.access_duration_in_seconds}},"integration":"{{data.access_groups.[0].[integration].name}}",` +
		`"resources":[{{#each data.access_groups.[0].access_units}}{"name":"{{resource.name}}","permission":"{{permission.name}}"}{{#unless @last}},{{/unless}}{{/each}}],` +
		`"approvals":[{{#each data.approvals}}{"name":"{{name}}","status":"{{status}}"}{{#unless @last}},{{/unless}}{{/each}}]}`
)

// HandTorq is the hand-written renderer of the Torq body: the lower bound,
// with the keys known at compile time.
func HandTorq(dst []byte, ev *jsondoc.Value) []byte {
	dst = append(dst, `{"body":{"event":"New Apono `...)
	dst = jsondoc.AppendEscaped(dst, ev.Get("event_type").Text())
	dst = append(dst, ` request made by `...)
	dst = jsondoc.AppendEscaped(dst, ev.Get("data").Get("requester").Get("name").Text())
	return append(dst, `"}}`...)
}

// HandRich is the hand-written renderer of the rich body.
func HandRich(dst []byte, ev *jsondoc.Value) []byte {
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
