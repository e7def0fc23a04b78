package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/kernelmachines/bkm/simd"
)

func runInfo(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("info", stderr)
	threads := fs.Int("threads", 0, "threads to report after simd.SetThreads (0 = GOMAXPROCS)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkThreads(*threads); err != nil {
		return err
	}
	simd.SetThreads(*threads)
	r := simd.Info()
	fmt.Fprintf(stdout, "simd path:     %s (%s)\n", r.Path, r.Reason)
	fmt.Fprintf(stdout, "available:     %s\n", strings.Join(r.Available, ", "))
	fmt.Fprintf(stdout, "cpu:           %s\n", r.CPU)
	fmt.Fprintf(stdout, "arch:          %s/%s, %d logical CPUs, GOMAXPROCS %d\n", runtime.GOOS, r.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(stdout, "threads:       %d (simd.SetThreads; --threads of every command)\n", r.Threads)
	fmt.Fprintf(stdout, "gemm:          micro-tile %dx%d, blocks kc=%d mc=%d nc=%d\n", r.GemmTile[0], r.GemmTile[1], r.GemmBlock[0], r.GemmBlock[1], r.GemmBlock[2])
	fmt.Fprintf(stdout, "go:            %s\n", runtime.Version())
	return nil
}
