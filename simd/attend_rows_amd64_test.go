//go:build amd64 && !purego

package simd

import (
	"testing"

	"github.com/kernelmachines/bkm/asm"
	"github.com/stretchr/testify/require"
)

// TestAttendRowsAVX512PanicsPastMaxDim: the kernel holds q in four vectors, so a longer
// q is a programmer error, not a silently truncated dot product. The check comes
// before the assembly call, so it runs without AVX-512 too.
func TestAttendRowsAVX512PanicsPastMaxDim(t *testing.T) {
	d := asm.AttendMaxDimAVX512 + 1
	q, kv, st := make([]float32, d), make([]float32, d), make([]float32, asm.AttendAcc+d)
	require.PanicsWithValue(t, "asm: AttendRowsAVX512: len(q) = 65 > AttendMaxDimAVX512 = 64", func() {
		asm.AttendRowsAVX512(q, kv, kv, d, 1, asm.AttendDot|asm.AttendExp, 1, st)
	})
}
