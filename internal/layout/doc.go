// Package layout checks that the repository keeps the shape
// docs/ARCHITECTURE.md draws: imports point one way down the floors
//
//	cmd → pipeline, kernel → analyses → pkg → internal
//
// and the package map in docs/ARCHITECTURE.md lists every package with its doc
// comment's first sentence. It has no code, only tests; run
//
//	go test ./internal/layout -update
//
// to regenerate the map after adding, moving or documenting a package.
package layout
