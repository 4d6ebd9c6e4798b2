package event

// Trigger is an event type, as event_type names it: "RequestCreated",
// "invoice.paid". Webhooks list the triggers they fire on. Apono's
// access-request triggers, and the other spelling Apono's samples use for
// them, are in package accessrequest.
type Trigger string
