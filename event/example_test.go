package event_test

import (
	"fmt"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
)

func ExampleParse() {
	e, err := event.Parse([]byte(`{
		"event_type": "AccessRequestGranted",
		"event_time": 1696263265.851898000,
		"data": {"friendly_id": "AR-7"}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Type(), accessrequest.Canonical(e.Type()), accessrequest.Canonical(e.Type()) == accessrequest.Granted)
	fmt.Println(e.Time(), e.Time().Time())
	// Output:
	// AccessRequestGranted RequestGranted true
	// 1696263265.851898000 2023-10-02 16:14:25.851898 +0000 UTC
}

func ExampleParse_error() {
	_, err := event.Parse([]byte(`{"event_type": "RequestCreated", "event_time": "now"}`))
	fmt.Println(err)
	// Output:
	// event: event_time: want epoch seconds: digits with at most 9 decimals, not a string
}

func ExampleNew() {
	created, _ := event.ParseTimestamp("1773134100.471220518")
	e, err := event.New(accessrequest.Created, accessrequest.Request{
		ID:           "8c1f4e2a",
		FriendlyID:   "AR-1042",
		Requester:    accessrequest.User{ID: "usr-1", Name: "Dana Levi", Email: "dana@example.com"},
		CreationDate: created,
	}, event.WithTime(created), event.WithID("evt-1"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Type(), e.ID(), e.Time())
	// Output:
	// RequestCreated evt-1 1773134100.471220518
}
