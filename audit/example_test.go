package audit_test

import (
	"fmt"

	"github.com/outhook/outhook/audit"
)

func ExampleMocks() {
	for _, e := range audit.Mocks() {
		var ev audit.Event
		_ = e.Decode(&ev)
		d := ev.Data
		fmt.Printf("%s %s %q by %s via %s; previous %s, current %s\n", d.Action, d.TargetType, d.TargetName, d.ActorName, d.Source,
			kind(d.PreviousTargetObject), kind(d.CurrentTargetObject))
	}
	// Output:
	// created access flow "Prod DB \"break-glass\" C:\\oncall\nEU" by Zoë Åkesson-Nakamura via web application; previous null, current object
	// updated bundle "Data engineering starter" by Terraform · plateforme-données via Terraform; previous object, current object
	// deleted integration "k8s-staging-東京" by CI deploy key via API; previous object, current null
}

func kind(raw []byte) string {
	if string(raw) == "null" {
		return "null"
	}
	return "object"
}
