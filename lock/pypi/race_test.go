//go:build race

package pypi

// raceEnabled: the race detector slows the timed tests tenfold.
const raceEnabled = true
