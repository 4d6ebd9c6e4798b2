package console

import (
	"slices"
	"strings"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// kindView is a kind of webhook as the Add Webhook page offers it: the
// event kind (event.Kind's name) whose triggers it receives.
type kindView struct {
	Name        string // the event kind's name, "" for event types of no kind
	Slug        string // in the page's URL: ?kind=request
	Label       string // "Request Webhook"
	Description string
}

// accessRequests is the name of the access-request kind, whose filters
// the builder's dimensions are.
const accessRequests = "access request"

func kindOf(name string) kindView {
	k := kindView{Name: name}
	switch name {
	case accessRequests:
		k.Slug, k.Label = "request", "Request Webhook"
		k.Description = "Access requests: created, approved, rejected, granted, expired or failed."
	case "":
		k.Slug, k.Label = "custom", "Custom Webhook"
		k.Description = "The service's own event types."
	default:
		k.Slug = strings.ReplaceAll(strings.ToLower(name), " ", "-")
		k.Label = strings.ToUpper(name[:1]) + name[1:] + " Webhook"
		switch name {
		case "integration":
			k.Description = "Integrations: an integration enters Error, Warning or Active."
		case "audit":
			k.Description = "The audit log: every change made, by whom and to what."
		}
	}
	return k
}

// kinds lists the kinds of the event types, in their order.
func kinds(types []webhook.EventType) []kindView {
	var out []kindView
	for _, et := range types {
		if !slices.ContainsFunc(out, func(k kindView) bool { return k.Name == et.Kind }) {
			k := kindOf(et.Kind)
			if k.Description == "" {
				k.Description = "Events: " + triggerList(types, et.Kind) + "."
			}
			out = append(out, k)
		}
	}
	return out
}

func triggerList(types []webhook.EventType, kind string) string {
	var ts []string
	for _, et := range types {
		if et.Kind == kind {
			ts = append(ts, string(et.Trigger))
		}
	}
	return strings.Join(ts, ", ")
}

// kindBySlug finds the kind a page's ?kind= names.
func kindBySlug(types []webhook.EventType, slug string) (kindView, bool) {
	for _, k := range kinds(types) {
		if k.Slug == slug {
			return k, true
		}
	}
	return kindView{}, false
}

// kindOfTriggers is the kind of a webhook's first trigger the Dispatcher
// serves, else the first kind.
func kindOfTriggers(types []webhook.EventType, triggers []event.Trigger) kindView {
	for _, t := range triggers {
		for _, et := range types {
			if et.Trigger == t {
				return kindOf(et.Kind)
			}
		}
	}
	if len(types) > 0 {
		return kindOf(types[0].Kind)
	}
	return kindOf(accessRequests)
}
