//go:build !purego

package simd

func archVecmath(list []*impl) []*impl { return list }
