package audit

import (
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/kindset"
)

// Schema returns the schema of audit events: what "View payload schema"
// shows. It is shared and immutable. The members of data.metadata and of
// the two target objects are open (type any), since they vary with the
// action and the target.
func Schema() *event.Schema {
	return schema()
}

var schema = kindset.Schema(fields)

var fields = []event.SchemaField{
	{Path: "event_type", Type: "string", Description: "The trigger: AuditRecorded."},
	{Path: "event_time", Type: "number", Description: "When the entry was recorded, in epoch seconds with nine decimals."},
	{Path: "data", Type: "object", Description: "The audit log entry."},
	{Path: "data.timestamp", Type: "number", Description: "When the action happened, in epoch seconds with nine decimals."},
	{Path: "data.action", Type: "string", Description: "What was done to the target, such as created, updated or deleted."},
	{Path: "data.actor_id", Type: "string", Description: "Who acted: a user's email address, or the id of an API key or integration."},
	{Path: "data.actor_name", Type: "string", Description: "Full name of who acted."},
	{Path: "data.actor_type", Type: "string", Description: "Kind of actor, such as user or api_key."},
	{Path: "data.source", Type: "string", Description: "Where the action came from: API, integration, Terraform or web application."},
	{Path: "data.target_id", Type: "string", Description: "Id of the object acted on."},
	{Path: "data.target_type", Type: "string", Description: "Kind of object acted on, such as access flow, bundle or integration."},
	{Path: "data.target_name", Type: "string", Description: "Name of the object acted on."},
	{Path: "data.metadata", Type: "object", Description: "Details that vary with the action; empty when there are none."},
	{Path: "data.metadata.*", Type: "any", Description: "One detail."},
	{Path: "data.current_target_object", Type: "object", Nullable: true, Description: "The object as the action left it; null after a deletion."},
	{Path: "data.current_target_object.*", Type: "any", Description: "One member of the object, which varies with the target type."},
	{Path: "data.previous_target_object", Type: "object", Nullable: true, Description: "The object before the action; null after a creation."},
	{Path: "data.previous_target_object.*", Type: "any", Description: "One member of the object, which varies with the target type."},
}
