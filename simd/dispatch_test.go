package simd

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestChooseImpl: an empty BKM_SIMD picks the last (best) implementation, a name
// picks that one, and a name the machine cannot run is an error naming it and what
// is available — e.g. avx512 on a CPU without AVX-512F.
func TestChooseImpl(t *testing.T) {
	best := &impl{name: "avx2"}
	list := []*impl{genericImpl, best}

	im, why, err := chooseImpl("", list)
	require.NoError(t, err)
	require.Same(t, best, im)
	require.Contains(t, why, "best available")

	im, why, err = chooseImpl("generic", list)
	require.NoError(t, err)
	require.Same(t, genericImpl, im)
	require.Equal(t, "forced by BKM_SIMD=generic", why)

	_, _, err = chooseImpl("avx512", list)
	require.Error(t, err)
	require.Contains(t, err.Error(), `BKM_SIMD="avx512" cannot run on this machine`)
	require.Contains(t, err.Error(), "available: generic, avx2")
}

// TestAvailableOrder: generic comes first, every name is known and appears once, the
// active implementation is one of them, and on amd64 avx512 (when present) comes
// after avx2, so that it is the default.
func TestAvailableOrder(t *testing.T) {
	names := Implementations()
	require.Equal(t, "generic", names[0])
	rank := map[string]int{"generic": 0, "avx2": 1, "neon": 1, "avx512": 2}
	for i, n := range names {
		r, ok := rank[n]
		require.True(t, ok, "unknown implementation %q", n)
		if i > 0 {
			require.Greater(t, r, rank[names[i-1]], "order %v", names)
		}
	}
	require.Contains(t, names, Info().Path)
}
