package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/outhook/outhook/accessrequest"
	"github.com/outhook/outhook/event"
	"github.com/outhook/outhook/webhook"
)

func TestNewRejectsBadConfig(t *testing.T) {
	d := func(v time.Duration) webhook.Duration { return webhook.Duration(v) }
	tests := []struct {
		name   string
		opts   []webhook.Option
		option string // ConfigError.Option
		says   string // in the message
	}{
		{"no workers", configOpts(webhook.WithWorkers(0)), "WithWorkers", "0 workers"},
		{"negative workers", configOpts(webhook.WithWorkers(-3)), "WithWorkers", "-3 workers"},
		{"no concurrency", configOpts(webhook.WithConcurrency(0)), "WithConcurrency", "concurrency 0"},
		{"negative concurrency", configOpts(webhook.WithConcurrency(-1)), "WithConcurrency", "concurrency -1"},
		{"empty queue", configOpts(webhook.WithQueue(0, webhook.QueueBlock)), "WithQueue", "size 0"},
		{"negative queue", configOpts(webhook.WithQueue(-1, webhook.QueueReject)), "WithQueue", "size -1"},
		{"unknown queue policy", configOpts(webhook.WithQueue(10, webhook.QueuePolicy(7))), "WithQueue", "unknown queue policy 7"},
		{"negative max attempts", configOpts(webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: -1})), "WithRetryPolicy", "max_attempts -1"},
		{"negative initial interval", configOpts(webhook.WithRetryPolicy(webhook.RetryPolicy{InitialInterval: d(-time.Second)})), "WithRetryPolicy", "initial_interval -1s"},
		{"negative max interval", configOpts(webhook.WithRetryPolicy(webhook.RetryPolicy{MaxInterval: d(-time.Second)})), "WithRetryPolicy", "max_interval -1s"},
		{"negative max elapsed", configOpts(webhook.WithRetryPolicy(webhook.RetryPolicy{MaxElapsed: d(-time.Second)})), "WithRetryPolicy", "max_elapsed -1s"},
		{"negative max retry-after", configOpts(webhook.WithRetryPolicy(webhook.RetryPolicy{MaxRetryAfter: d(-time.Second)})), "WithRetryPolicy", "max_retry_after -1s"},
		{"multiplier below 1", configOpts(webhook.WithRetryPolicy(webhook.RetryPolicy{Multiplier: 0.5})), "WithRetryPolicy", "multiplier 0.5"},
		{"negative multiplier", configOpts(webhook.WithRetryPolicy(webhook.RetryPolicy{Multiplier: -2})), "WithRetryPolicy", "multiplier -2"},
		{"NaN multiplier", configOpts(webhook.WithRetryPolicy(webhook.RetryPolicy{Multiplier: math.NaN()})), "WithRetryPolicy", "multiplier NaN"},
		{"infinite multiplier", configOpts(webhook.WithRetryPolicy(webhook.RetryPolicy{Multiplier: math.Inf(1)})), "WithRetryPolicy", "multiplier +Inf"},
		{"initial above max interval", configOpts(webhook.WithRetryPolicy(webhook.RetryPolicy{InitialInterval: d(time.Hour)})), "WithRetryPolicy", "initial_interval 1h0m0s is above max_interval 5m0s"},
		{"negative cooldown", configOpts(webhook.WithBreaker(webhook.BreakerSettings{Cooldown: -time.Second})), "WithBreaker", "cooldown -1s"},
		{"negative max cooldown", configOpts(webhook.WithBreaker(webhook.BreakerSettings{MaxCooldown: -time.Second})), "WithBreaker", "max cooldown -1s"},
		{"max cooldown below cooldown", configOpts(webhook.WithBreaker(webhook.BreakerSettings{Cooldown: time.Minute, MaxCooldown: time.Second})), "WithBreaker", "max cooldown 1s is below the cooldown 1m0s"},
		{"no stall threshold", configOpts(webhook.WithStallThreshold(0)), "WithStallThreshold", "0s; want a duration from 10ms to 10m0s"},
		{"negative stall threshold", configOpts(webhook.WithStallThreshold(-time.Second)), "WithStallThreshold", "-1s"},
		{"stall threshold of a nanosecond", configOpts(webhook.WithStallThreshold(time.Nanosecond)), "WithStallThreshold", "1ns is below 10ms"},
		{"stall threshold just below its floor", configOpts(webhook.WithStallThreshold(webhook.MinStallThreshold - 1)), "WithStallThreshold", "9.999999ms is below 10ms"},
		{"stall threshold above the longest attempt timeout", configOpts(webhook.WithStallThreshold(webhook.MaxTimeout + time.Second)), "WithStallThreshold", "10m1s is above MaxTimeout 10m0s"},
		{"negative stalled attempts", configOpts(webhook.WithStalledAttempts(-1)), "WithStalledAttempts", "-1 stalled attempts"},
		{"no response bytes", configOpts(webhook.WithMaxResponseBytes(0)), "WithMaxResponseBytes", "0 bytes"},
		{"negative response bytes", configOpts(webhook.WithMaxResponseBytes(-1)), "WithMaxResponseBytes", "-1 bytes"},
		{"empty event type", configOpts(webhook.WithEventType("", nil)), "WithEventType", "empty event type"},
		{"user agent with a line break", configOpts(webhook.WithUserAgent("Outhook/1\r\nX-Injected: 1")), "WithUserAgent", "control character at byte 9"},
		{"empty allowed target", configOpts(webhook.WithAllowedTargets("")), "WithAllowedTargets", `""`},
		{"unreadable allowed target", configOpts(webhook.WithAllowedTargets("10.0.0.0/33x")), "WithAllowedTargets", "10.0.0.0/33x"},
		{"allowed target checked with a client of one's own", configOpts(webhook.WithHTTPClient(&http.Client{}), webhook.WithAllowedTargets("not a host")), "WithAllowedTargets", "not a host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := webhook.New(tt.opts...)
			require.Nil(t, d)
			require.ErrorIs(t, err, webhook.ErrInvalidConfig)
			var ce *webhook.ConfigError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tt.option, ce.Option)
			require.Contains(t, err.Error(), "webhook: "+tt.option+": ")
			require.Contains(t, err.Error(), tt.says)
		})
	}
}

func configOpts(o ...webhook.Option) []webhook.Option { return o }

func TestNewReportsEveryBadOption(t *testing.T) {
	_, err := webhook.New(webhook.WithWorkers(0), webhook.WithQueue(-1, webhook.QueuePolicy(9)), webhook.WithMaxResponseBytes(0))
	require.ErrorIs(t, err, webhook.ErrInvalidConfig)
	var named []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *webhook.ConfigError
		require.ErrorAs(t, e, &ce)
		named = append(named, ce.Option)
	}
	require.Equal(t, []string{"WithWorkers", "WithQueue", "WithQueue", "WithMaxResponseBytes"}, named)
}

func TestNewAcceptsEdgeValues(t *testing.T) {
	d, err := webhook.New(
		webhook.WithWorkers(1), webhook.WithConcurrency(1), webhook.WithQueue(1, webhook.QueueReject),
		webhook.WithRetryPolicy(webhook.RetryPolicy{MaxAttempts: 1, Multiplier: 1, InitialInterval: webhook.Duration(time.Minute), MaxInterval: webhook.Duration(time.Minute)}),
		webhook.WithBreaker(webhook.BreakerSettings{Threshold: -1, Cooldown: time.Second, MaxCooldown: time.Second}),
		webhook.WithMaxResponseBytes(1), webhook.WithUserAgent(""), webhook.WithUserAgent("Outhook/1\t(tests)"),
		webhook.WithEventType("invoice.paid", nil), webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true}),
		webhook.WithStallThreshold(webhook.MinStallThreshold), webhook.WithStallThreshold(webhook.MaxTimeout),
		// nil keeps the default
		webhook.WithHTTPClient(nil), webhook.WithEngine(nil), webhook.WithInvocationStore(nil), webhook.WithInvocationHook(nil),
		webhook.WithRetryDecider(nil), webhook.WithLogger(nil), webhook.WithBreakerHook(nil),
		webhook.WithTracerProvider(nil), webhook.WithMeterProvider(nil), nil,
	)
	require.NoError(t, err)
	require.NoError(t, d.Close(context.Background()))
}

func TestInvocationHooksAreChained(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(srv.Close)
	var mu sync.Mutex
	var calls []string
	hook := func(name string) func(webhook.Invocation) {
		return func(webhook.Invocation) {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, name)
		}
	}
	d, err := webhook.New(
		webhook.WithURLPolicy(webhook.URLPolicy{AllowHTTP: true, AllowCustomPorts: true}), webhook.WithAllowedTargets("127.0.0.1"),
		webhook.WithInvocationHook(hook("first")), webhook.WithInvocationHook(nil), webhook.WithInvocationHook(hook("second")),
	)
	require.NoError(t, err)
	_, err = d.Add(webhook.Webhook{Name: "hooked", Active: true, URL: srv.URL, Triggers: []event.Trigger{accessrequest.Created}})
	require.NoError(t, err)
	_, err = d.Publish(context.Background(), mock(t, accessrequest.Created))
	require.NoError(t, err)
	require.NoError(t, d.Close(context.Background())) // drains: the one delivery is recorded
	require.Equal(t, []string{"first", "second"}, calls)
}

func ExampleConfigError() {
	_, err := webhook.New(webhook.WithWorkers(0), webhook.WithRetryPolicy(webhook.RetryPolicy{Multiplier: 0.5}))
	fmt.Println(errors.Is(err, webhook.ErrInvalidConfig))
	fmt.Println(err)
	// Output:
	// true
	// webhook: WithWorkers: 0 workers; want at least 1
	// webhook: WithRetryPolicy: invalid delivery settings: multiplier 0.5 is not a finite number of at least 1
}
