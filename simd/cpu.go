package simd

import (
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// cpuDescription names the CPU and the features the dispatch looks at.
func cpuDescription() string {
	var feats []string
	for _, f := range []cpuid.FeatureID{cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.AVX512F, cpuid.ASIMD} {
		if cpuid.CPU.Supports(f) {
			feats = append(feats, strings.ToLower(f.String()))
		}
	}
	brand := cpuid.CPU.BrandName
	if brand == "" {
		brand = "unknown CPU"
	}
	return brand + " [" + strings.Join(feats, " ") + "]"
}

// l2Bytes is the per-core L2 cache size from cpuid, or 1 MiB when it is unknown.
func l2Bytes() int {
	if l2 := cpuid.CPU.Cache.L2; l2 > 0 {
		return l2
	}
	return 1 << 20
}
