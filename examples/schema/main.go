// Command schema prints the payload schema of Apono's access-request events
// ("View payload schema") and the built-in mock event of one trigger.
//
//	go run ./examples/schema [trigger]
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
)

func main() {
	trigger := accessrequest.Created
	if len(os.Args) > 1 {
		trigger = event.Trigger(os.Args[1])
	}
	if err := run(trigger); err != nil {
		fmt.Fprintln(os.Stderr, "schema:", err)
		os.Exit(1)
	}
}

func run(trigger event.Trigger) error {
	e, ok := accessrequest.Mock(trigger)
	if !ok {
		return fmt.Errorf("no mock event for %q; try one of %v", trigger, accessrequest.Triggers())
	}
	fmt.Println("Payload schema of access-request events:")
	fmt.Println()
	if err := accessrequest.Schema().WriteText(os.Stdout); err != nil {
		return err
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, e.JSON(), "", "  "); err != nil {
		return err
	}
	fmt.Printf("\nMock %s event (event_time %s):\n\n%s\n", e.Type(), e.Time(), pretty.String())
	return nil
}
