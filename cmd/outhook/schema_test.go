package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
)

func TestSchemaOfATrigger(t *testing.T) {
	t.Parallel()
	for _, trigger := range []string{"RequestApproved", "AccessRequestApproved"} {
		r := outhook(t, runOpts{}, "schema", "-o", "json", trigger)
		require.Equal(t, 0, r.code, r.stderr)
		var out struct {
			Trigger string              `json:"trigger"`
			Fields  []event.SchemaField `json:"fields"`
		}
		decodeStrictly(t, r.stdout, &out)
		require.Equal(t, "RequestApproved", out.Trigger)
		require.Equal(t, accessrequest.Schema().Fields(), out.Fields)
	}

	r := outhook(t, runOpts{}, "schema", "RequestCreated")
	require.Equal(t, 0, r.code)
	var want strings.Builder
	require.NoError(t, accessrequest.Schema().WriteText(&want))
	require.Equal(t, "Payload schema of RequestCreated events:\n\n"+want.String(), r.stdout)
	require.Contains(t, r.stdout, "data.requester.name")

	r = outhook(t, runOpts{}, "schema", "RequestCreatd")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, `unknown trigger "RequestCreatd"; the event types are`)
	require.Empty(t, r.stdout)

	r = outhook(t, runOpts{}, "schema", "RequestCreated", "RequestApproved")
	require.Equal(t, 2, r.code)
}
