package defstore_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/outhook/outhook/defstore"
)

// A tenant's admin creates a webhook and another changes it; a third,
// who read it before that change, is refused.
func ExampleMemory() {
	ctx := context.Background()
	store := defstore.NewMemory()

	created, err := store.Create(ctx, defstore.Record{
		Tenant:     "acme",
		ID:         "slack",
		Name:       "Slack",
		Active:     true,
		Triggers:   []string{"RequestCreated"},
		Definition: []byte(`{"url":"https://hooks.slack.com/services/T0/B0/X"}`),
	}, "alice@acme.example", 10)
	if err != nil {
		panic(err)
	}
	fmt.Println("created version", created.Version)

	changed := created
	changed.Active = false
	if _, err := store.Update(ctx, changed, created.Version, "bob@acme.example"); err != nil {
		panic(err)
	}

	stale := created
	stale.Name = "Slack alerts"
	_, err = store.Update(ctx, stale, created.Version, "carol@acme.example")
	var conflict *defstore.ConflictError
	if errors.As(err, &conflict) {
		fmt.Printf("carol read version %d; it is at %d\n", conflict.Expected, conflict.Current)
	}

	history, _ := store.History(ctx, "acme", "slack", 0)
	for _, r := range history {
		fmt.Println(r.Version, r.Action, r.Actor)
	}
	// Output:
	// created version 1
	// carol read version 1; it is at 2
	// 2 updated bob@acme.example
	// 1 created alice@acme.example
}

// An instance follows the store: it reads every change after the last one
// it has seen, when told to and at start.
func ExampleMemory_Changes() {
	ctx := context.Background()
	store := defstore.NewMemory()
	for _, id := range []string{"slack", "jira"} {
		rec := defstore.Record{Tenant: "acme", ID: id, Name: id, Definition: []byte(`{}`)}
		if _, err := store.Create(ctx, rec, "alice", 0); err != nil {
			panic(err)
		}
	}
	if err := store.Delete(ctx, "acme", "slack", defstore.AnyVersion, "bob"); err != nil {
		panic(err)
	}

	var seen uint64 // the last sequence number this instance has applied
	for {
		changes, err := store.Changes(ctx, seen, 100)
		if err != nil {
			panic(err)
		}
		if len(changes) == 0 {
			break
		}
		for _, c := range changes {
			if c.Deleted {
				fmt.Printf("%d: drop %s/%s\n", c.Seq, c.Tenant, c.ID)
			} else {
				fmt.Printf("%d: load %s/%s version %d\n", c.Seq, c.Tenant, c.ID, c.Version)
			}
			seen = c.Seq
		}
	}
	// Output:
	// 2: load acme/jira version 1
	// 3: drop acme/slack
}
