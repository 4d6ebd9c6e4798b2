module github.com/outhook/outhook/bench

go 1.26.0

require (
	github.com/aymerick/raymond v2.0.2+incompatible
	github.com/cbroglie/mustache v1.4.2
	github.com/outhook/outhook v0.0.0
)

replace github.com/outhook/outhook => ../
