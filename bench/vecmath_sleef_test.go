//go:build sleef && cgo && amd64

package bench

import "testing"

func BenchmarkExpSLEEFu10AVX2(b *testing.B)  { benchElementwise(b, "exp", SleefExp) }
func BenchmarkLogSLEEFu10AVX2(b *testing.B)  { benchElementwise(b, "log", SleefLog) }
func BenchmarkTanhSLEEFu10AVX2(b *testing.B) { benchElementwise(b, "tanh", SleefTanh) }
