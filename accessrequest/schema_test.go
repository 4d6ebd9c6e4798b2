package accessrequest_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/internal/testkit/sharedtest"
	"github.com/stretchr/testify/require"
)

// walkPaths records every path in a decoded JSON value in the schema's
// notation, with the JSON type found there.
func walkPaths(prefix string, v any, out map[string]map[string]bool) {
	add := func(typ string) {
		if out[prefix] == nil {
			out[prefix] = map[string]bool{}
		}
		out[prefix][typ] = true
	}
	join := func(name string) string {
		if prefix == "" {
			return name
		}
		return prefix + "." + name
	}
	switch v := v.(type) {
	case map[string]any:
		if prefix != "" {
			add("object")
		}
		for k, c := range v {
			walkPaths(join(k), c, out)
		}
	case []any:
		add("array")
		for _, c := range v {
			walkPaths(prefix+"[]", c, out)
		}
	case string:
		add("string")
	case json.Number:
		add("number")
	case bool:
		add("boolean")
	case nil:
		add("null")
	}
}

func TestSchemaMatchesSampleEvents(t *testing.T) {
	schema := accessrequest.Schema()
	seen := map[string]map[string]bool{}
	for _, raw := range withMocks(sharedtest.Events(t)) {
		walkPaths("", sharedtest.DecodeExact(t, raw), seen)
	}

	// Every path that occurs is in the schema, with the type found there.
	matched := map[string]bool{}
	for path, types := range seen {
		f, ok := schema.Field(path)
		require.True(t, ok, "path %s occurs in an event but not in the schema", path)
		matched[f.Path] = true
		for typ := range types {
			if typ == "null" {
				require.True(t, f.Nullable, "%s is null in an event but not nullable in the schema", path)
				continue
			}
			require.Equal(t, f.Type, typ, "type of %s", path)
		}
	}
	// Every path the schema lists occurs somewhere, but the envelope's
	// optional event_id.
	matched[event.IDField.Path] = true
	for _, p := range schema.Paths() {
		require.True(t, matched[p], "schema lists %s, which no event has", p)
	}
}

func ExampleSchema() {
	schema := accessrequest.Schema()
	for _, path := range []string{"data.requester.email", "data.access_groups[].integration.type", "data.revocation_date", "data.requestor.name"} {
		f, ok := schema.Field(path)
		if !ok {
			fmt.Printf("%s: no such field\n", path)
			continue
		}
		fmt.Printf("%s: %s (nullable %v) %s\n", f.Path, f.Type, f.Nullable, f.Description)
	}
	// Output:
	// data.requester.email: string (nullable false) Email address of the requester.
	// data.access_groups[].integration.type: string (nullable false) Kind of integration, such as Postgresql, AWS or Kubernetes.
	// data.revocation_date: number (nullable true) When the access ends or ended, in epoch seconds; null while unknown.
	// data.requestor.name: no such field
}
