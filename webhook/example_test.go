package webhook_test

import (
	"fmt"

	"github.com/outhook/outhook/webhook"
)

func ExampleParseEvent() {
	e, err := webhook.ParseEvent([]byte(`{
		"event_type": "AccessRequestGranted",
		"event_time": 1696263265.851898000,
		"data": {"friendly_id": "AR-7"}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Type(), e.Type().Canonical(), e.Type().Matches(webhook.RequestGranted))
	fmt.Println(e.Time(), e.Time().Time())
	// Output:
	// AccessRequestGranted RequestGranted true
	// 1696263265.851898000 2023-10-02 16:14:25.851898 +0000 UTC
}

func ExampleParseEvent_error() {
	_, err := webhook.ParseEvent([]byte(`{"event_type": "RequestCreated", "event_time": "now"}`))
	fmt.Println(err)
	// Output:
	// webhook: event: event_time: want epoch seconds: digits with at most 9 decimals, not a string
}

func ExampleNewEvent() {
	created, _ := webhook.ParseTimestamp("1773134100.471220518")
	e, err := webhook.NewEvent(webhook.RequestCreated, webhook.AccessRequest{
		ID:           "8c1f4e2a",
		FriendlyID:   "AR-1042",
		Requester:    webhook.User{ID: "usr-1", Name: "Dana Levi", Email: "dana@example.com"},
		CreationDate: created,
	}, webhook.WithTime(created), webhook.WithID("evt-1"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(e.Type(), e.ID(), e.Time())
	// Output:
	// RequestCreated evt-1 1773134100.471220518
}

func ExampleMockEvent() {
	e, _ := webhook.MockEvent(webhook.RequestRejected)
	var req webhook.AccessRequestEvent
	_ = e.Decode(&req)
	fmt.Println(e.Type(), req.Data.FriendlyID, req.Data.Requester.Name, "for", req.Data.Grantee.Name)
	// Output:
	// RequestRejected AR-2203 Marcus Whitfield for Pauline Dubois
}
