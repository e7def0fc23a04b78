package cluster

import (
	"fmt"
	"sync"
)

// Local is one rank of an in-process group of goroutines made by NewLocalGroup: the
// same methods as World, with the collectives done in memory. It lets the default
// build test code written for several ranks (bkm's distributed CG, train's data-parallel
// steps) without MPI: every rank runs in its own goroutine and calls the same
// collectives in the same order, as MPI ranks do.
type Local struct {
	g    *localGroup
	rank int
}

type localGroup struct {
	mu      sync.Mutex
	cond    *sync.Cond
	bufs    []any
	arrived int
	round   int
	err     error // the result of the round just completed
	fail    error // set by Fail: every later call returns it
}

// NewLocalGroup makes size ranks that reduce and broadcast among themselves.
func NewLocalGroup(size int) []*Local {
	if size < 1 {
		panic(fmt.Sprintf("cluster: NewLocalGroup: size = %d < 1", size))
	}
	g := &localGroup{bufs: make([]any, size)}
	g.cond = sync.NewCond(&g.mu)
	ranks := make([]*Local, size)
	for r := range ranks {
		ranks[r] = &Local{g, r}
	}
	return ranks
}

func (l *Local) Rank() int { return l.rank }
func (l *Local) Size() int { return len(l.g.bufs) }

// Fail makes every later call of every rank of the group return err, as a broken
// connection would.
func (l *Local) Fail(err error) {
	l.g.mu.Lock()
	l.g.fail = err
	l.g.mu.Unlock()
	l.g.cond.Broadcast()
}

// collective waits until every rank has handed in its buffer; the last to arrive runs
// combine on all of them (in rank order) while the others wait, so no copy is needed.
func (l *Local) collective(buf any, combine func(bufs []any) error) error {
	g := l.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fail != nil {
		return g.fail
	}
	g.bufs[l.rank] = buf
	g.arrived++
	if round := g.round; g.arrived < len(g.bufs) {
		for g.round == round && g.fail == nil {
			g.cond.Wait()
		}
		if g.round == round {
			return g.fail
		}
		return g.err
	}
	g.err = combine(g.bufs)
	g.arrived = 0
	g.round++
	g.cond.Broadcast()
	return g.err
}

// sameLength checks that every rank passed as many elements.
func sameLength[T any](op string, bufs []any) ([][]T, error) {
	out := make([][]T, len(bufs))
	for r, b := range bufs {
		out[r] = b.([]T)
		if len(out[r]) != len(out[0]) {
			return nil, fmt.Errorf("cluster: %s: rank %d passed %d elements, rank 0 %d", op, r, len(out[r]), len(out[0]))
		}
	}
	return out, nil
}

// allReduceLocal sums the ranks' buffers elementwise in rank order into every buffer.
func allReduceLocal[T float32 | float64](l *Local, op string, buf []T) error {
	return l.collective(buf, func(bufs []any) error {
		parts, err := sameLength[T](op, bufs)
		if err != nil {
			return err
		}
		for i := range parts[0] {
			s := parts[0][i]
			for _, p := range parts[1:] {
				s += p[i]
			}
			for _, p := range parts {
				p[i] = s
			}
		}
		return nil
	})
}

func broadcastLocal[T any](l *Local, op string, buf []T, root int) error {
	return l.collective(buf, func(bufs []any) error {
		if root < 0 || root >= len(bufs) {
			return fmt.Errorf("cluster: %s: invalid root %d (size %d)", op, root, len(bufs))
		}
		parts, err := sameLength[T](op, bufs)
		if err != nil {
			return err
		}
		for _, p := range parts {
			copy(p, parts[root])
		}
		return nil
	})
}

func (l *Local) AllReduceSumFloat32(buf []float32) error {
	return allReduceLocal(l, "AllReduceSumFloat32", buf)
}

func (l *Local) AllReduceSumFloat64(buf []float64) error {
	return allReduceLocal(l, "AllReduceSumFloat64", buf)
}

func (l *Local) BroadcastFloat32(buf []float32, root int) error {
	return broadcastLocal(l, "BroadcastFloat32", buf, root)
}

func (l *Local) BroadcastFloat64(buf []float64, root int) error {
	return broadcastLocal(l, "BroadcastFloat64", buf, root)
}

func (l *Local) BroadcastBytes(buf []byte, root int) error {
	return broadcastLocal(l, "BroadcastBytes", buf, root)
}

// AllGatherFloat32 copies every rank's block (counts[r] elements after the blocks of
// ranks 0..r−1) into the same place of every other rank's buf.
func (l *Local) AllGatherFloat32(buf []float32, counts []int) error {
	const op = "AllGatherFloat32"
	if err := checkBlocks(op, len(buf), counts, l.Size()); err != nil {
		return err
	}
	return l.collective(buf, func(bufs []any) error {
		parts, err := sameLength[float32](op, bufs)
		if err != nil {
			return err
		}
		off := 0
		for r, c := range counts {
			for q, p := range parts {
				if q != r {
					copy(p[off:off+c], parts[r][off:off+c])
				}
			}
			off += c
		}
		return nil
	})
}

func (l *Local) Barrier() error { return l.collective(nil, func([]any) error { return nil }) }

// StartAllReduceSumFloat32 sums at once, as AllReduceSumFloat32 does (every rank of a
// local group is a goroutine, so it may block until the others start it too), and
// returns a completed Pending.
func (l *Local) StartAllReduceSumFloat32(buf []float32) (Pending, error) {
	if err := l.AllReduceSumFloat32(buf); err != nil {
		return nil, err
	}
	return completed{}, nil
}

// StartReduceScatterFloat32 makes each rank's block of buf (counts[r] elements after
// the blocks of ranks 0..r−1) the sum of every rank's block r, added in rank order
// after the owner's own, at once (every rank of a local group is a goroutine, so it may
// block until the others start it too), and returns a completed Pending. The other
// blocks are left as they were; scratch is not used, but must have the length MPI's
// needs, (Size()−1)·counts[Rank()].
func (l *Local) StartReduceScatterFloat32(buf, scratch []float32, counts []int) (Pending, error) {
	const op = "StartReduceScatterFloat32"
	if err := checkScatter(op, len(buf), counts, l.Size(), l.rank, len(scratch)); err != nil {
		return nil, err
	}
	err := l.collective(buf, func(bufs []any) error {
		parts, err := sameLength[float32](op, bufs)
		if err != nil {
			return err
		}
		off := 0
		for r, c := range counts {
			sum := parts[r][off : off+c]
			for q, p := range parts {
				if q != r {
					for i, v := range p[off : off+c] {
						sum[i] += v
					}
				}
			}
			off += c
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return completed{}, nil
}
