//go:build !purego

package simd

// Placeholder until the arm64 assembly lands: only the pure-Go path is registered.
func archReason() string { return "assembly for arm64 not yet registered: pure Go" }

func archImpls() []*impl { return nil }
