module github.com/outhook/outhook/bench

go 1.26.0

require (
	github.com/PaesslerAG/jsonpath v0.1.1
	github.com/aymerick/raymond v2.0.2+incompatible
	github.com/cbroglie/mustache v1.4.2
	github.com/outhook/outhook v0.0.0
)

require (
	github.com/PaesslerAG/gval v1.0.0 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/go-logr/logr v1.4.4 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	go.opentelemetry.io/auto/sdk v1.2.1 // indirect
	go.opentelemetry.io/otel v1.47.0 // indirect
	go.opentelemetry.io/otel/log v1.47.0 // indirect
	go.opentelemetry.io/otel/metric v1.47.0 // indirect
	go.opentelemetry.io/otel/trace v1.47.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/oauth2 v0.38.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace github.com/outhook/outhook => ../
