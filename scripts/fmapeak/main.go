package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"time"
)

// probe is one timed assembly loop: flopsPerIter > 0 reports GFLOP/s; fmasPerIter > 0
// on a single dependent chain reports ns per FMA (the latency).
type probe struct {
	name         string
	loop         func(iters int)
	flopsPerIter float64
	fmasPerIter  float64
}

func main() {
	runs := flag.Int("runs", 7, "timed runs per probe")
	iters := flag.Int("iters", 100_000_000, "loop iterations per run")
	flag.Parse()
	if *runs < 1 || *iters < 1 {
		fmt.Fprintln(os.Stderr, "fmapeak: -runs and -iters must be at least 1")
		os.Exit(2)
	}
	ps := probes()
	if len(ps) == 0 {
		fmt.Fprintln(os.Stderr, "fmapeak: no FMA probe for", runtime.GOARCH, "(amd64 with AVX2+FMA only, not purego)")
		os.Exit(1)
	}
	runtime.LockOSThread()
	for _, p := range ps {
		p.loop(*iters / 10) // warm up: let the clock settle at its vector licence
		vals := make([]float64, *runs)
		for r := range vals {
			start := time.Now()
			p.loop(*iters)
			sec := time.Since(start).Seconds()
			if p.flopsPerIter > 0 {
				vals[r] = p.flopsPerIter * float64(*iters) / sec / 1e9
			} else {
				vals[r] = sec * 1e9 / (p.fmasPerIter * float64(*iters))
			}
		}
		unit := "GFLOP/s"
		if p.flopsPerIter == 0 {
			unit = "ns per FMA"
		}
		sorted := slices.Clone(vals)
		slices.Sort(sorted)
		fmt.Printf("%-48s median %8.2f %s  runs %.2f\n", p.name, sorted[len(sorted)/2], unit, vals)
	}
}
