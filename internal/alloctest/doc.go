// Package alloctest counts the heap allocations that bkm's own code makes while a
// function runs, by the runtime's allocation profile at rate 1, for zero-allocation
// tests that must not fail on the runtime's own bookkeeping.
//
// runtime.MemStats.Mallocs also counts what the runtime allocates for itself: a sudog
// when a goroutine parks on a channel after a garbage collection emptied the sudog
// caches, a background GC worker's or the scavenger's allocations. Those come and go
// with GC timing (about one run in 150 of a multi-threaded test), not with what the
// code under test does. alloctest attributes each allocation to its stack instead.
//
// Imports: the standard library only. Used by tests.
package alloctest
