//go:build !race

package pypi

const raceEnabled = false
