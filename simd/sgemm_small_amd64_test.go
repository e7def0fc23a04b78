//go:build !purego

package simd

import (
	"reflect"
	"testing"

	"github.com/kernelmachines/bkm/asm"
	"github.com/stretchr/testify/require"
)

// TestStaticNarrow: a table that lets Sgemm call its narrow kernel by name
// (callNarrow) has that kernel as narrow, so the conformance tests of narrow and of
// Sgemm test the same code.
func TestStaticNarrow(t *testing.T) {
	for _, im := range archImpls {
		if s := im.small; s != nil && s.staticNarrow {
			require.Equal(t, reflect.ValueOf(asm.SgemmSmall8x16AVX512).Pointer(), reflect.ValueOf(s.narrow).Pointer(), "%s: staticNarrow with another narrow kernel", im.name)
		}
	}
}
