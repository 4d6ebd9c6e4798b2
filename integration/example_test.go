package integration_test

import (
	"fmt"

	"github.com/outhook/outhook/integration"
)

func ExampleMock() {
	e, _ := integration.Mock(integration.Error)
	var ev integration.Event
	_ = e.Decode(&ev)
	fmt.Println(e.Type(), ev.Data.Type, ev.Data.Status, len(ev.Data.Issues), "issues")
	fmt.Printf("%q\n", ev.Data.Issues[1].Message)
	// Output:
	// IntegrationError Postgresql Error 2 issues
	// "could not read the secret at C:\\ProgramData\\Apono\\connector.yaml; using the cached credentials"
}

func ExampleSchema() {
	for _, f := range integration.Schema().Fields()[4:] {
		fmt.Printf("%-22s %-6s %s\n", f.Path, f.Type, f.Description)
	}
	// Output:
	// data.id                string Id of the integration.
	// data.name              string Name of the integration, as the organisation chose it.
	// data.type              string Kind of integration, such as Postgresql, AWS or Kubernetes.
	// data.status            string The state the integration entered: Error, Warning or Active.
	// data.issues            array  The problems found with the integration; empty when it is Active.
	// data.issues[]          object One problem.
	// data.issues[].status   string How serious the problem is, such as Error or Warning.
	// data.issues[].message  string What went wrong, as the connector reported it; may span several lines.
}
