package webhook

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/signature"
)

// A templated target's redactor extends the webhook's: a delivery works
// out the forms of what it rendered, not again those of every secret of
// the definition (signing secrets, headers, the URL's), and still redacts
// all of them.
func TestTargetRedactorExtendsTheWebhooks(t *testing.T) {
	c := newConfig([]Option{WithEventType("T", nil)})
	signing := []string{signature.NewSecret(), signature.NewSecret()}
	h, errs := c.compile(Webhook{Name: "f", Triggers: []event.Trigger{"T"}, SigningSecrets: signing,
		URL:     "https://h.example/a/{{data.id}}?key=static-key-31",
		Headers: map[string]string{"Authorization": "Bearer static-bearer-77", "X-Tenant-Token": "{{data.token}}"}})
	require.Nil(t, errs)
	e, err := event.New("T", map[string]any{"id": "seg-1234", "token": "rendered-token-55"})
	require.NoError(t, err)
	red := h.redactorOf()
	tg, err := h.target.render(e, red, h.parsedURL())
	require.NoError(t, err)
	text := "static-key-31 Bearer static-bearer-77 rendered-token-55 " + signing[0] + " " + signing[1]
	require.Equal(t, "REDACTED REDACTED REDACTED REDACTED REDACTED", tg.redactor.String(text))
	require.Equal(t, "https://h.example/a/seg-1234?key=REDACTED", tg.redactedURL)

	allocs := testing.AllocsPerRun(50, func() { _, _ = h.target.render(e, red, h.parsedURL()) })
	require.LessOrEqual(t, allocs, 32.0)
}

func BenchmarkTargetRender(b *testing.B) {
	c := newConfig([]Option{WithEventType("T", nil)})
	h, errs := c.compile(Webhook{Name: "f", Triggers: []event.Trigger{"T"}, SigningSecrets: []string{signature.NewSecret()},
		URL:     "https://h.example/a/{{data.id}}?key=static-key-31",
		Headers: map[string]string{"Authorization": "Bearer static-bearer-77", "X-Tenant-Token": "{{data.token}}"}})
	if errs != nil {
		b.Fatal(errs)
	}
	e, err := event.New("T", map[string]any{"id": "seg-1234", "token": "rendered-token-55"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = h.target.render(e, h.redactorOf(), h.parsedURL())
	}
}
