// Package audit is Apono's audit-event model: the event an
// access-management service publishes for each entry of its audit log
// (someone created, changed or deleted an access flow, a bundle, an
// integration…), as one import.
//
// Apono's guide to audit webhooks documents the payload but no event_type
// value; the one trigger, Recorded, spells it as Apono spells its
// access-request triggers ("AuditRecorded"). Kind returns it with its
// schema and mock events, for webhook.WithEventKind.
//
// Schema describes the payload field by field: who acted (actor_id,
// actor_name, actor_type), from where (source), on what (target_id,
// target_type, target_name), and the object before and after
// (previous_target_object, current_target_object), whose members vary
// with the target and are open to templates and filters. Event and Entry
// type it for services that build events in Go (encoding one and decoding
// it back gives the same JSON, digit for digit). Mocks are three realistic
// entries (a creation, an update and a deletion) holding the values
// templates most often get wrong: a target name with a '"', a '\' and a
// newline, non-ASCII names, null previous and current objects, an empty
// metadata object and empty lists.
package audit
