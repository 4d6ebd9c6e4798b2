package webhook_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/webhook"
)

// A Dispatcher given no tracer provider traces with the otel global's,
// which may be set after New: deliveries from then on have their spans,
// those before it none. It runs in a process of its own, since the global
// provider cannot be unset.
func TestSpansFollowGlobalProviderSetAfterNew(t *testing.T) {
	engine := os.Getenv("OUTHOOK_GLOBAL_TRACER_TEST")
	if engine == "" {
		for _, engine := range []string{"memory", "queued"} {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSpansFollowGlobalProviderSetAfterNew$", "-test.count=1")
			cmd.Env = append(os.Environ(), "OUTHOOK_GLOBAL_TRACER_TEST="+engine)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "engine %s:\n%s", engine, out)
		}
		return
	}
	rc := newReceiver(t, func(int, http.ResponseWriter, *http.Request) {})
	var opts []webhook.Option
	if engine == "queued" {
		opts = append(opts, webhook.WithEngine(&inlineEngine{}))
	}
	d, invs := newDispatcher(t, opts...)
	_, err := d.Add(torqLike(rc.URL + "/hook"))
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, waitFinal(t, invs, 1)[0].Outcome)

	spans := tracetest.NewInMemoryExporter()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans)))
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.Equal(t, webhook.Delivered, waitFinal(t, invs, 1)[0].Outcome)
	require.NoError(t, d.Close(context.Background()))
	names := map[string]int{}
	for _, s := range spans.GetSpans() {
		names[s.Name]++
	}
	want := map[string]int{"webhook.delivery": 1, http.MethodPost: 1}
	if engine == "queued" {
		want["webhook.enqueue"] = 1
	}
	require.Equal(t, want, names)
}

// With no tracer provider given nor set globally, a delivery makes no
// spans: it allocates no more than one traced with a no-op provider, whose
// spans cost little, where the global's idle spans cost more.
func TestNoSpansWithoutTracer(t *testing.T) {
	allocs := func(opts ...webhook.Option) float64 {
		opts = append(opts, webhook.WithHTTPClient(&http.Client{Transport: cannedTransport{}}), webhook.WithEngine(&inlineEngine{}))
		d, err := webhook.New(opts...)
		require.NoError(t, err)
		defer d.Close(context.Background())
		_, err = d.Add(torqLike("https://hooks.example/x"))
		require.NoError(t, err)
		e := mock(t, accessrequest.Created)
		return testing.AllocsPerRun(200, func() {
			if _, err := d.Publish(context.Background(), e); err != nil {
				t.Fatal(err)
			}
		})
	}
	global, noOp := allocs(), allocs(webhook.WithTracerProvider(noop.NewTracerProvider()))
	require.LessOrEqual(t, global, noOp, "allocations per delivery")
}
