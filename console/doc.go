// Package console is the Webhooks page of a service that offers webhooks
// to its customers: the page on which a tenant's admins list, add, edit,
// test and watch their webhooks, as an http.Handler to mount next to the
// management API (package manage).
//
// Add Webhook offers one kind of webhook per event kind the Dispatcher
// serves (webhook.WithEventKind): a Request Webhook for access requests,
// and so on; each kind's form offers its triggers, payload schema, mock
// events and filters. The editor holds every field of a definition,
// OAuth client credentials and the service's actions (webhook.WithAction)
// among them. A saved webhook's page also has Gate, which calls it once
// as an access flow calls its gate (webhook.Tenant.Gate) with the chosen
// mock event and shows the decision and the invocation data.
//
// Pages are rendered on the server with html/template, which escapes
// everything a definition, an event or a response holds; the style sheet
// and the small script that makes the editor live (template errors and
// preview as you type, the filter's explanation, Test without leaving the
// page) are embedded in the package, so the console works without a
// network or a build step, and every page works without the script.
//
// The host decides who may see what: every request goes through its
// manage.TenantFunc, which names the tenant whose webhooks the request
// sees and the actor its changes are recorded as made by. Mount the
// console behind the host's own authentication, under any prefix:
//
//	mux.Handle("/webhooks/", http.StripPrefix("/webhooks", console))
//
// Links are made relative to the prefix a request came in under, so the
// console needs no setting for it. Requests that change something are POST
// forms refused when they come from another origin (net/http's
// CrossOriginProtection), and every page is served with a content security
// policy that admits the console's own script and style only.
//
// Secrets never reach a page: header values, body secrets and signing
// secrets show masked, as the Dispatcher's Tenant view returns them, and a form sent
// back with a masked value keeps the stored one (for the same URL only, see
// webhook.Tenant.Update). A secret typed into a form that is then refused
// is not sent back either; the page asks for it again.
package console
