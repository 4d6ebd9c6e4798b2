package webhook_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/outhook/outhook/webhook"
)

// A definition held costs little heap until it delivers: 2,000 realistic
// definitions added with AddAll hold at most 4,500 bytes each with the
// preset body, and 6,000 with a body each of its own, the default
// definition store's records (about 1,650 bytes each) included.
func TestDefinitionHeapBound(t *testing.T) {
	if testing.Short() {
		t.Skip("adds 4,000 definitions")
	}
	const defs = 2000
	for _, c := range []struct {
		name  string
		body  func(i int) string
		bound float64
	}{
		{"preset", func(int) string { return torqBody }, 4500},
		{"own", func(i int) string {
			return fmt.Sprintf(`{"body":{"event":"New Apono {{event_type}} request made by {{data.requester.name}}","tenant":"org-%06d"}}`, i)
		}, 6000},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := webhook.New(webhook.WithEngine(&countingEngine{}))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close(context.Background())
			before := heapAlloc()
			hooks := make([]webhook.Webhook, defs)
			for i := range hooks {
				hooks[i] = realisticDefinition(t, i, c.body(i))
			}
			if _, err := d.AddAll(hooks); err != nil {
				t.Fatal(err)
			}
			hooks = nil
			perDef := float64(heapAlloc()-before) / defs
			runtime.KeepAlive(d)
			t.Logf("%.0f bytes of heap per definition", perDef)
			if perDef > c.bound {
				t.Errorf("%.0f bytes of heap per definition, want at most %.0f", perDef, c.bound)
			}
		})
	}
}
