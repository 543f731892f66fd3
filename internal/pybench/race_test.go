//go:build race

package main

// raceEnabled makes BenchmarkSmoke build airlock with -race too, so that
// the build reuses the packages `go test -race` already compiled.
const raceEnabled = true
