package operational_test

import (
	"fmt"

	"github.com/outhook/outhook/operational"
)

func ExampleMock() {
	e, _ := operational.Mock(operational.DeadLettered)
	var ev operational.Event
	_ = e.Decode(&ev)
	fmt.Println(e.Type(), ev.Data.WebhookName, ev.Data.TargetHost)
	fmt.Println(ev.Data.DeadLetter.DeliveryID, ev.Data.DeadLetter.EventType, ev.Data.Suppressed, "held back")
	// Output:
	// WebhookDeadLettered PagerDuty Zürich events.pagerduty.com
	// dl-3c1f8e2a6b RequestCreated 37 held back
}

func ExampleSchema() {
	for _, f := range operational.Schema().Fields()[18:23] {
		fmt.Printf("%-28s %-6s %s\n", f.Path, f.Type, f.Description)
	}
	// Output:
	// data.dead_letter             object The delivery that became a dead letter (WebhookDeadLettered); null otherwise.
	// data.dead_letter.delivery_id string Id of the delivery, which Redeliver takes.
	// data.dead_letter.event_id    string event_id of the delivered event; empty when it had none.
	// data.dead_letter.event_type  string event_type of the delivered event.
	// data.dead_letter.attempts    number Attempts the delivery made.
}
