//go:build race

package bkm

// raceEnabled: the race detector allocates, so allocation counts are not checked.
const raceEnabled = true
