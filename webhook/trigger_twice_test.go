package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/defstore"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

// A trigger given twice, in either spelling, is refused where it stands;
// a list longer than the event types served is one problem.
func TestATriggerGivenTwiceIsRefused(t *testing.T) {
	rc := newReceiver(t, nil)
	d, _ := newDispatcher(t)
	w := tenantHook(rc, "twice", accessrequest.Created, accessrequest.Approved, "AccessRequestCreated")
	_, err := d.Tenant("acme").Create(context.Background(), w, "admin")
	require.ErrorIs(t, err, webhook.ErrDuplicateTrigger)
	var de *webhook.DefinitionError
	require.True(t, errors.As(err, &de))
	require.Equal(t, "triggers[2]", de.Field)

	many := make([]event.Trigger, len(d.Tenant("acme").EventTypes())+1)
	for i := range many {
		many[i] = accessrequest.Created
	}
	w.Triggers = many
	err = d.Tenant("acme").Validate(w)
	require.ErrorIs(t, err, webhook.ErrTooManyTriggers)
	var list webhook.DefinitionErrors
	require.True(t, errors.As(err, &list))
	require.Len(t, list, 1)
}

// A definition stored with a trigger twice, before that was refused,
// still loads and delivers once per event, and reads back with each
// trigger once, so that sending it back as read is no error.
func TestAStoredTriggerGivenTwiceIsReadOnce(t *testing.T) {
	rc := newReceiver(t, nil)
	ctx := context.Background()
	importer, _ := newDispatcher(t)
	rec, err := importer.Tenant("acme").Encode(tenantHook(rc, "old", accessrequest.Created))
	require.NoError(t, err)
	once := []byte(`"triggers":["RequestCreated"]`)
	twice := []byte(`"triggers":["RequestCreated","AccessRequestCreated","RequestCreated"]`)
	require.True(t, bytes.Contains(rec.Definition, once), "%s", rec.Definition)
	require.True(t, bytes.Contains(rec.Secrets, once), "%s", rec.Secrets)
	rec.Definition = bytes.Replace(rec.Definition, once, twice, 1)
	rec.Secrets = bytes.Replace(rec.Secrets, once, twice, 1)

	store := defstore.NewMemory()
	_, err = store.Create(ctx, rec, "import", 0)
	require.NoError(t, err)
	d, invs := newDispatcher(t, webhook.WithDefinitionStore(store))
	acme := d.Tenant("acme")
	got, err := acme.Get(ctx, rec.ID)
	require.NoError(t, err)
	require.Equal(t, []event.Trigger{accessrequest.Created}, got.Triggers)

	pub, err := acme.Publish(ctx, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Len(t, pub.Deliveries, 1)
	require.Equal(t, webhook.Delivered, waitFinal(t, invs, 1)[0].Outcome)

	inv, err := acme.Test(ctx, rec.ID, mustMock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, inv.Outcome)
	_, err = acme.Update(ctx, got, "admin")
	require.NoError(t, err)
}
