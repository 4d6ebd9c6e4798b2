package accessrequest

import (
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/kindset"
)

// Schema returns the schema of Apono's access-request events, the payload
// of all six triggers: what "View payload schema" shows. It is shared and
// immutable.
func Schema() *event.Schema {
	return schema()
}

var schema = kindset.Schema(fields)

func userFields(prefix, who string) []event.SchemaField {
	return []event.SchemaField{
		{Path: prefix + ".id", Type: "string", Description: "Platform id of " + who + "."},
		{Path: prefix + ".name", Type: "string", Description: "Display name of " + who + "."},
		{Path: prefix + ".email", Type: "string", Description: "Email address of " + who + "."},
	}
}

func resourceTypeFields(prefix, what string) []event.SchemaField {
	return []event.SchemaField{
		{Path: prefix + ".id", Type: "string", Description: "Id of " + what + ", such as postgresql-database."},
		{Path: prefix + ".name", Type: "string", Description: "Display name of " + what + ", such as Database."},
		{Path: prefix + ".display_path", Type: "string", Description: "Integration type and " + what + ", such as Postgresql/Database."},
	}
}

func concat(parts ...[]event.SchemaField) []event.SchemaField {
	var out []event.SchemaField
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

const (
	groups = "data.access_groups[]"
	units  = groups + ".access_units[]"
)

var fields = concat(
	[]event.SchemaField{
		{Path: "event_type", Type: "string", Description: "The trigger: RequestCreated, RequestApproved, RequestRejected, RequestGranted, RequestExpired or RequestFailed."},
		{Path: "event_time", Type: "number", Description: "When the event happened, in epoch seconds with nine decimals."},
		{Path: "data", Type: "object", Description: "The access request the event is about."},
		{Path: "data.id", Type: "string", Description: "Unique id of the access request (a UUID)."},
		{Path: "data.friendly_id", Type: "string", Description: "Short id people use, such as AR-1042."},
		{Path: "data.requester", Type: "object", Description: "The user who asked for the access."},
	},
	userFields("data.requester", "the requester"),
	[]event.SchemaField{
		{Path: "data.grantee", Type: "object", Description: "Who receives the access; may differ from the requester."},
		{Path: "data.grantee.id", Type: "string", Description: "Platform id of the grantee."},
		{Path: "data.grantee.source_id", Type: "string", Description: "Id of the grantee in the identity provider, often an email address."},
		{Path: "data.grantee.name", Type: "string", Description: "Display name of the grantee."},
		{Path: "data.grantee.type", Type: "string", Description: "Kind of grantee, such as user or group."},
		{Path: "data.justification", Type: "string", Description: "Free text the requester wrote to justify the request."},
		{Path: "data.creation_date", Type: "number", Description: "When the request was made, in epoch seconds."},
		{Path: "data.revocation_date", Type: "number", Nullable: true, Description: "When the access ends or ended, in epoch seconds; null while unknown."},
		{Path: "data.access_flow", Type: "object", Description: "The access flow that governs the request."},
		{Path: "data.access_flow.id", Type: "string", Description: "Id of the access flow."},
		{Path: "data.access_flow.name", Type: "string", Description: "Name of the access flow."},
		{Path: "data.access_bundle", Type: "object", Description: "The bundle requested, if any; empty id and name otherwise."},
		{Path: "data.access_bundle.id", Type: "string", Description: "Id of the bundle, or empty."},
		{Path: "data.access_bundle.name", Type: "string", Description: "Name of the bundle, or empty."},
		{Path: "data.access_duration_in_seconds", Type: "number", Description: "How long the access lasts once granted, in seconds."},
		{Path: "data.access_groups", Type: "array", Description: "The access requested, one group per integration."},
		{Path: groups, Type: "object", Description: "The access requested on one integration."},
		{Path: groups + ".integration", Type: "object", Description: "The integration (connected system) of this group."},
		{Path: groups + ".integration.id", Type: "string", Description: "Id of the integration."},
		{Path: groups + ".integration.type", Type: "string", Description: "Kind of integration, such as Postgresql, AWS or Kubernetes."},
		{Path: groups + ".integration.name", Type: "string", Description: "Name of the integration."},
		{Path: groups + ".resource_types", Type: "array", Description: "The resource types requested on this integration."},
		{Path: groups + ".resource_types[]", Type: "object", Description: "One resource type."},
	},
	resourceTypeFields(groups+".resource_types[]", "the resource type"),
	[]event.SchemaField{
		{Path: groups + ".access_units", Type: "array", Description: "Each permission requested on each resource."},
		{Path: units, Type: "object", Description: "One permission on one resource."},
		{Path: units + ".resource", Type: "object", Description: "The resource."},
		{Path: units + ".resource.id", Type: "string", Description: "Id of the resource in its integration."},
		{Path: units + ".resource.name", Type: "string", Description: "Name of the resource."},
		{Path: units + ".resource.path", Type: "string", Description: "Integration name and resource, such as prod-postgres-eu/orders."},
		{Path: units + ".resource.type", Type: "object", Description: "The type of the resource."},
	},
	resourceTypeFields(units+".resource.type", "the resource's type"),
	[]event.SchemaField{
		{Path: units + ".permission", Type: "object", Description: "The permission requested on the resource."},
		{Path: units + ".permission.id", Type: "string", Description: "Id of the permission."},
		{Path: units + ".permission.name", Type: "string", Description: "Name of the permission, such as ReadOnly."},
		{Path: "data.approvals_logical_relation", Type: "string", Description: "AnyOf when one approval suffices, AllOf when all are needed."},
		{Path: "data.approvals", Type: "array", Description: "The approval steps; empty when the request was approved automatically."},
		{Path: "data.approvals[]", Type: "object", Description: "One approval step."},
		{Path: "data.approvals[].name", Type: "string", Description: "Name of the approval step."},
		{Path: "data.approvals[].type", Type: "string", Description: "Kind of approver, such as Manager, Group or Shift."},
		{Path: "data.approvals[].status", Type: "string", Description: "State of the step, such as Pending, Approved or Rejected."},
		{Path: "data.approvals[].approver", Type: "object", Description: "Who acted on the step; empty fields while nobody has."},
	},
	userFields("data.approvals[].approver", "the approver"),
	[]event.SchemaField{
		{Path: "data.custom_fields", Type: "object", Description: "Fields the organisation defines, such as environment or ticket."},
		{Path: "data.custom_fields.*", Type: "string", Description: "The value of one custom field."},
	},
)
