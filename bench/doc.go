// Package bench is Outhook's benchmark suite, a module of its own so that
// the core module does not depend on the engines and clients it is
// compared with. On the same inputs (the 3 KB access-request event, the
// Torq body and a rich body, an 885-byte response) it measures:
//
//   - template rendering: Outhook against a hand-written renderer (the
//     lower bound), text/template, cbroglie/mustache and aymerick/raymond
//     (BenchmarkTorq, BenchmarkRich);
//   - the publish path of one webhook, raw event bytes to request body:
//     event.Parse and template Append against encoding/json and
//     cbroglie/mustache (BenchmarkPublishPath);
//   - response validation: package validate against PaesslerAG/jsonpath
//     (BenchmarkValidate);
//   - end-to-end deliveries per second at 8, 64 and 256 in flight to a
//     receiver in another process: the Dispatcher against a bare tuned
//     http.Client and the default one (BenchmarkDelivery), and the
//     Dispatcher's sender CPU over the tuned client's, the two taken in
//     turn in rounds of 5,000 so that both see the same load
//     (BenchmarkDeliveryPaired);
//   - Publish with 10, 1,000 and 10,000 webhooks registered, 10 matching
//     (BenchmarkRegistered), and with 100,000 on the event's type whose
//     filters 10 pass (BenchmarkFiltered);
//   - Add and Remove of 1,000 to 100,000 definitions (BenchmarkRegister);
//   - a healthy webhook beside a stalled one: its throughput and the peak
//     heap, with the default queue policy (QueueReject) and with QueueBlock
//     (BenchmarkStalledNeighbour);
//   - 1,000 quiet tenants alone and beside a tenant with 10 stalled
//     webhooks and a burst of 100,000 events: their throughput and latency
//     (BenchmarkFairness);
//   - one instance following a store of 10, 10,000 and, with -scale,
//     1,000,000 definitions: memory per definition, load time, Publish
//     (BenchmarkScale).
//
// Run the whole suite, six interleaved rounds, and rewrite RESULTS.md with
// the medians, spreads and ratios:
//
//	go run ./cmd/benchreport
//
// or the plain benchmarks:
//
//	go test -run '^$' -bench . -benchmem
package bench
