// Package bench compares Outhook's template package with other Go template
// engines (text/template, github.com/cbroglie/mustache and
// github.com/aymerick/raymond) on the two bodies of the performance
// targets: Apono's Torq body and a rich body with ten fields and two loops,
// over a 3 KB access-request event. It is a module of its own so that the
// core module does not depend on those engines.
//
// Run the benchmarks with
//
//	go test -run '^$' -bench . -benchmem
//
// and the ratios, measured in one run, with
//
//	go test -run TestRatios -v -ratios
package bench
