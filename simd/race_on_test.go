//go:build race

package simd

// raceEnabled: the race detector makes sync.Pool drop objects on purpose, so
// allocation counts are meaningless under it.
const raceEnabled = true
