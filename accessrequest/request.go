package accessrequest

import (
	"encoding/json"

	"github.com/outhook/outhook/event"
)

// The typed form of Apono's access-request event, for services that build
// events in Go. Encoding one of these and decoding it back gives the same
// JSON, field for field and digit for digit; the schema in schema.go
// describes the same fields for people and for template and filter checks.

// Event is a whole access-request event.
type Event struct {
	EventType event.Trigger   `json:"event_type"`
	EventTime event.Timestamp `json:"event_time"`
	// EventID is the event's event_id, empty (and left out) when it has
	// none, as Apono's events.
	EventID string  `json:"event_id,omitempty"`
	Data    Request `json:"data"`
}

// Request is the data of an access-request event.
type Request struct {
	ID                       string            `json:"id"`
	FriendlyID               string            `json:"friendly_id"`
	Requester                User              `json:"requester"`
	Grantee                  Grantee           `json:"grantee"`
	Justification            string            `json:"justification"`
	CreationDate             event.Timestamp   `json:"creation_date"`
	RevocationDate           *event.Timestamp  `json:"revocation_date"` // nil until the access has an end
	AccessFlow               NamedRef          `json:"access_flow"`
	AccessBundle             NamedRef          `json:"access_bundle"` // empty id and name when no bundle was used
	AccessDurationInSeconds  int64             `json:"access_duration_in_seconds"`
	AccessGroups             []AccessGroup     `json:"access_groups"`
	ApprovalsLogicalRelation string            `json:"approvals_logical_relation"` // "AnyOf" or "AllOf"
	Approvals                []Approval        `json:"approvals"`
	CustomFields             map[string]string `json:"custom_fields"`
}

// User is a person known to the access platform.
type User struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Grantee is who receives the access: a user, or a group.
type Grantee struct {
	ID       string `json:"id"`
	SourceID string `json:"source_id"`
	Name     string `json:"name"`
	Type     string `json:"type"`
}

// NamedRef is anything referred to by id and name.
type NamedRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// AccessGroup is the access requested on one integration.
type AccessGroup struct {
	Integration   Integration    `json:"integration"`
	ResourceTypes []ResourceType `json:"resource_types"`
	AccessUnits   []AccessUnit   `json:"access_units"`
}

// Integration is a connected system such as a database cluster or cloud
// account.
type Integration struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Name string `json:"name"`
}

// ResourceType is a kind of resource within an integration.
type ResourceType struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayPath string `json:"display_path"`
}

// AccessUnit is one permission on one resource.
type AccessUnit struct {
	Resource   Resource `json:"resource"`
	Permission NamedRef `json:"permission"`
}

// Resource is a single resource, such as a database or a bucket.
type Resource struct {
	ID   string       `json:"id"`
	Name string       `json:"name"`
	Path string       `json:"path"`
	Type ResourceType `json:"type"`
}

// Approval is one approval step and, once someone acted, who.
type Approval struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Status   string `json:"status"`
	Approver User   `json:"approver"` // empty fields while nobody has acted
}

// MarshalJSON writes nil lists and maps as [] and {}, as the access platform
// does, so a Request built in Go matches the schema.
func (r Request) MarshalJSON() ([]byte, error) {
	type plain Request // without this method
	p := plain(r)
	if p.AccessGroups == nil {
		p.AccessGroups = []AccessGroup{}
	}
	if p.Approvals == nil {
		p.Approvals = []Approval{}
	}
	if p.CustomFields == nil {
		p.CustomFields = map[string]string{}
	}
	return json.Marshal(p)
}

// MarshalJSON writes nil lists as [].
func (g AccessGroup) MarshalJSON() ([]byte, error) {
	type plain AccessGroup
	p := plain(g)
	if p.ResourceTypes == nil {
		p.ResourceTypes = []ResourceType{}
	}
	if p.AccessUnits == nil {
		p.AccessUnits = []AccessUnit{}
	}
	return json.Marshal(p)
}
