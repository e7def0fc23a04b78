//go:build purego || !(amd64 || arm64)

package simd

func archReason() string { return "pure Go build (purego tag or an architecture without assembly)" }

func archImpls() []*impl { return nil }
