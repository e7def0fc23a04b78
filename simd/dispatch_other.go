//go:build purego || !(amd64 || arm64)

package simd

// archImpls is empty: this build runs the generic table only.
var archImpls []*impl

const archNote = "pure Go build: purego tag or an architecture without assembly"
