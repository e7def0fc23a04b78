package train

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHalvesMatchWholeBatch: steps cut into halves (two micro-batches a step, rows of
// unequal lengths) end with the parameters and losses of steps on the whole batches,
// up to the order of float32 sums (dpTolerance), and leave the replica's gradients
// cleared.
func TestHalvesMatchWholeBatch(t *testing.T) {
	run := func(off bool) (*Session, []float64) {
		halvesOff = off
		defer func() { halvesOff = false }()
		s := newDPSession(t)
		var losses []float64
		require.NoError(t, steps(8, &losses)(s))
		return s, losses
	}
	halved, want := run(false)
	whole, got := run(true)
	require.Positive(t, halved.Trainer.halves.loss[1], "the steps were cut: the replica ran a half")
	require.Nil(t, whole.Trainer.halves.second, "no step was cut: no replica")
	require.LessOrEqual(t, maxAbsDiff(halved.Trainer.Model.Params, whole.Trainer.Model.Params), dpTolerance)
	require.InDeltaSlice(t, want, got, 1e-5)
	require.Equal(t, make([]float32, len(halved.Trainer.Model.Grads)), halved.Trainer.halves.second.Grads)
}

// TestHalvesOnlyForRunsAlone: SetData builds no replica (the session may yet become a
// rank); a run alone reserves the halves at its first step, for every training batch
// at once, so that no later step grows them; a distributed rank never builds the
// replica, and its memory estimate leaves the halves out.
func TestHalvesOnlyForRunsAlone(t *testing.T) {
	alone := newDPSession(t)
	require.True(t, alone.Trainer.halves.second == nil, "SetData built the halves' replica")
	var losses []float64
	require.NoError(t, steps(1, &losses)(alone))
	second := alone.Trainer.halves.second
	require.True(t, second != nil, "a step alone cuts its batches in halves")
	capS, capT := second.capS, second.capT
	require.NoError(t, steps(len(alone.loader.Batches()), &losses)(alone))
	require.Equal(t, [2]int{capS, capT}, [2]int{second.capS, second.capT}, "the first step reserved the replica for every batch")

	cfg := dpConfig()
	est := cfg.Memory()
	require.Positive(t, est.Halves)
	rankEst := est
	rankEst.Halves = 0
	require.Equal(t, est, alone.Trainer.Memory(), "a run alone holds the halves")
	onRanks(t, 2, func(int) *Session { return newDPSession(t) }, func(s *Session) error {
		if s.Trainer.halves.second != nil || s.Trainer.halves.pending != nil {
			return fmt.Errorf("rank %d holds the halves' replica or will reserve it", s.Trainer.Rank())
		}
		if _, err := s.Step(); err != nil {
			return err
		}
		if s.Trainer.halves.second != nil {
			return fmt.Errorf("rank %d built the halves' replica at a step", s.Trainer.Rank())
		}
		if got := s.Trainer.Memory(); got != rankEst {
			return fmt.Errorf("rank %d: memory estimate %+v, want %+v (without the halves)", s.Trainer.Rank(), got, rankEst)
		}
		return nil
	})
}
