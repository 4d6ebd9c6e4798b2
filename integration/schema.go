package integration

import (
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/kindset"
)

// Schema returns the schema of integration events, the payload of all
// three triggers: what "View payload schema" shows. It is shared and
// immutable.
func Schema() *event.Schema {
	return schema()
}

var schema = kindset.Schema(fields)

var fields = []event.SchemaField{
	{Path: "event_type", Type: "string", Description: "The trigger: IntegrationError, IntegrationWarning or IntegrationActive."},
	{Path: "event_time", Type: "number", Description: "When the integration entered its state, in epoch seconds with nine decimals."},
	{Path: "data", Type: "object", Description: "The integration the event is about."},
	{Path: "data.id", Type: "string", Description: "Id of the integration."},
	{Path: "data.name", Type: "string", Description: "Name of the integration, as the organisation chose it."},
	{Path: "data.type", Type: "string", Description: "Kind of integration, such as Postgresql, AWS or Kubernetes."},
	{Path: "data.status", Type: "string", Description: "The state the integration entered: Error, Warning or Active."},
	{Path: "data.issues", Type: "array", Description: "The problems found with the integration; empty when it is Active."},
	{Path: "data.issues[]", Type: "object", Description: "One problem."},
	{Path: "data.issues[].status", Type: "string", Description: "How serious the problem is, such as Error or Warning."},
	{Path: "data.issues[].message", Type: "string", Description: "What went wrong, as the connector reported it; may span several lines."},
}
