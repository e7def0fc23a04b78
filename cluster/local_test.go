package cluster

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// onLocal runs body on every rank of a new group of size goroutines.
func onLocal(size int, body func(c *Local)) {
	var wg sync.WaitGroup
	for _, c := range NewLocalGroup(size) {
		wg.Go(func() { body(c) })
	}
	wg.Wait()
}

func TestLocalGroupCollectives(t *testing.T) {
	for _, size := range []int{1, 2, 3} {
		errs := make([]error, size)
		onLocal(size, func(c *Local) {
			r := c.Rank()
			for round := range 3 { // rounds reuse the group's state
				f32 := []float32{float32(r + 1), float32(round)}
				f64 := []float64{float64(10 * (r + 1))}
				b := []byte{byte(r), byte(round)}
				if errs[r] = errors.Join(c.AllReduceSumFloat32(f32), c.AllReduceSumFloat64(f64), c.BroadcastBytes(b, size-1), c.Barrier()); errs[r] != nil {
					return
				}
				s := float32(size*(size+1)) / 2
				if f32[0] != s || f32[1] != float32(size*round) || f64[0] != 10*float64(s) || b[0] != byte(size-1) || b[1] != byte(round) {
					errs[r] = errors.New("wrong result")
					return
				}
			}
			assert.Equal(t, size, c.Size())
		})
		for r, err := range errs {
			require.NoError(t, err, "size %d rank %d", size, r)
		}
	}
}

func TestLocalGroupErrors(t *testing.T) {
	errs := make([]error, 2)
	onLocal(2, func(c *Local) {
		errs[c.Rank()] = c.BroadcastFloat64([]float64{1}, 2)
	})
	for _, err := range errs {
		require.ErrorContains(t, err, "invalid root 2")
	}
	onLocal(2, func(c *Local) {
		errs[c.Rank()] = c.AllReduceSumFloat32(make([]float32, 1+c.Rank()))
	})
	for _, err := range errs {
		require.ErrorContains(t, err, "rank 1 passed 2 elements, rank 0 1")
	}
	// Fail releases a rank waiting for the others, and every later call fails.
	broken := errors.New("link down")
	onLocal(2, func(c *Local) {
		if c.Rank() == 0 {
			errs[0] = c.Barrier()
			return
		}
		time.Sleep(10 * time.Millisecond)
		c.Fail(broken)
		errs[1] = c.Barrier()
	})
	require.ErrorIs(t, errs[0], broken)
	require.ErrorIs(t, errs[1], broken)
	require.Panics(t, func() { NewLocalGroup(0) })
}

// TestLocalAllGather: every rank ends with every rank's block; the counts are checked.
func TestLocalAllGather(t *testing.T) {
	for _, size := range []int{1, 2, 3} {
		counts := []int{2, 0, 3}[:size]
		n := 0
		for _, c := range counts {
			n += c
		}
		got := make([][]float32, size)
		errs := make([]error, size)
		onLocal(size, func(c *Local) {
			r := c.Rank()
			buf := make([]float32, n)
			off := 0
			for q := range r {
				off += counts[q]
			}
			for i := range counts[r] {
				buf[off+i] = float32(10*r + i + 1)
			}
			errs[r], got[r] = c.AllGatherFloat32(buf, counts), buf
		})
		want := []float32{1, 2, 21, 22, 23}[:n]
		if size == 2 {
			want = []float32{1, 2}
		}
		for r := range size {
			require.NoError(t, errs[r])
			require.Equal(t, want, got[r], "size %d rank %d", size, r)
		}
	}
	onLocal(2, func(c *Local) {
		assert.ErrorContains(t, c.AllGatherFloat32(make([]float32, 3), []int{1, 1}), "the counts sum to 2, the buffer holds 3")
	})
}

// TestLocalReduceScatterFloat32 is TestMPIReduceScatterFloat32 on local groups of 1 to 3.
func TestLocalReduceScatterFloat32(t *testing.T) {
	for _, size := range []int{1, 2, 3} {
		got, want := make([][]float32, size), make([][]float32, size)
		errs := make([]error, size)
		onLocal(size, func(c *Local) {
			counts, buf, w := reduceScatterCase(c.Rank(), size)
			var p Pending
			if p, errs[c.Rank()] = c.StartReduceScatterFloat32(buf, make([]float32, (size-1)*counts[c.Rank()]), counts); errs[c.Rank()] == nil {
				errs[c.Rank()] = p.Wait()
			}
			got[c.Rank()], want[c.Rank()] = buf, w
		})
		for r := range size {
			require.NoError(t, errs[r], "size %d rank %d", size, r)
			require.Equal(t, want[r], got[r], "size %d rank %d", size, r)
		}
		if size > 1 {
			_, err := NewLocalGroup(size)[0].StartReduceScatterFloat32(make([]float32, 4), nil, []int{2, 2, 0}[:size])
			require.Error(t, err)
		}
	}
}
