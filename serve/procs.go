package serve

import (
	"runtime"

	"github.com/kernelmachines/bkm/simd"
)

// SetProcs sets the process up to serve with workers decoders on threads cores
// (threads ≤ 0: the current GOMAXPROCS), and returns the threads each decoder's parallel routines
// get. Two process-wide settings, so programs opt in (bkmtrain serve does):
//
//   - simd.SetThreads(max(1, threads/workers)): with a decoder per core, each decodes
//     on its own thread. Decoders splitting their small products (a step's rows, one
//     sentence's source) across the shared worker pool wait on each other's halves
//     and spin for them, for no gain when every core already runs a decoder.
//   - runtime.GOMAXPROCS(threads+1): one P more than the decoders keep busy. A
//     goroutine whose connection became readable runs only once the runtime polls the
//     network, which a P does when it runs out of work, or the runtime's monitor every
//     10 ms: with every P stepping a decoder, requests and answers waited up to 10 ms
//     a hop, and the running batches ran emptier (mean 25 of 32 sentences at 64
//     clients, 29 with the spare P; bench/RESULTS.md).
//
// Call it before New (New's default Workers is the Translator's Parallelism, which is
// simd.Threads), and pass workers as Config.Workers.
func SetProcs(threads, workers int) int {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	perDecoder := max(1, threads/max(1, workers))
	simd.SetThreads(perDecoder)
	runtime.GOMAXPROCS(threads + 1)
	return perDecoder
}
