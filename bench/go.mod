module github.com/outhook/outhook/bench

go 1.26.0

require (
	github.com/aymerick/raymond v2.0.2+incompatible
	github.com/cbroglie/mustache v1.4.2
	github.com/outhook/outhook v0.0.0
)

require (
	github.com/PaesslerAG/gval v1.0.0 // indirect
	github.com/PaesslerAG/jsonpath v0.1.1 // indirect
	github.com/cenkalti/backoff/v4 v4.3.0 // indirect
)

replace github.com/outhook/outhook => ../
