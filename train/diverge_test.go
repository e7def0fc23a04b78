package train

import (
	"errors"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// trainerState is what an update changes, for comparing a trainer with an earlier self.
type trainerState struct {
	params, opt  []float32
	adamT, steps int
	micro        uint64
}

func stateOf(tr *Trainer) trainerState {
	return trainerState{slices.Clone(tr.Model.Params), slices.Clone(tr.Opt.State), tr.Opt.T, tr.Steps, tr.Micro}
}

func allFinite(x []float32) bool {
	for _, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return true
}

func tinyTrainer(t *testing.T, arch string) *Trainer {
	cfg := DefaultConfig()
	cfg.Model = tinyModelConfig(arch)
	cfg.Data = DataConfig{Batch: 2, Context: 5, MaxTokens: 8}
	cfg.Schedule = ScheduleConfig{Kind: "constant"}
	cfg.Threads = 1
	tr, err := NewTrainer(cfg)
	require.NoError(t, err)
	return tr
}

// TestStepUndoesOverflowingUpdate: an update that overflows (a learning rate near the
// float32 maximum, as --lr 3e38) is undone: the trainer holds exactly the parameters,
// moments and counters of before the step, all finite — what the CLI saves as "the last
// good model" (it used to save NaN/Inf parameters).
func TestStepUndoesOverflowingUpdate(t *testing.T) {
	tr := tinyTrainer(t, "encdec")
	b := tinyBatch("encdec")
	for range 2 {
		_, err := tr.Step(b)
		require.NoError(t, err)
	}
	before := stateOf(tr)
	tr.Cfg.Optim.LR = math.MaxFloat32
	_, err := tr.Step(b)
	require.ErrorIs(t, err, ErrDiverged)
	var de *DivergedError
	require.True(t, errors.As(err, &de))
	require.Equal(t, 3, de.Step)
	require.Equal(t, 2, de.Restore)
	require.ErrorContains(t, err, "made a parameter or moment NaN or infinite at step 3")
	require.Equal(t, before, stateOf(tr))
	require.True(t, allFinite(tr.Model.Params) && allFinite(tr.Opt.State))

	// The trainer goes on from there with a sane learning rate, as if the bad step had
	// never been tried.
	tr.Cfg.Optim.LR = 5e-4
	_, err = tr.Step(b)
	require.NoError(t, err)
	require.Equal(t, 3, tr.Steps)
}

// TestStepRestoresBeforeBadParameters: finite parameters that give a NaN loss (as after
// --lr 1e12) are not "the last good model": the step that meets the NaN loss goes back to
// the state before the update that produced them — the last one whose loss was finite —
// and a checkpoint saved then evaluates to a finite loss.
func TestStepRestoresBeforeBadParameters(t *testing.T) {
	tr := tinyTrainer(t, "encdec")
	b := tinyBatch("encdec")
	_, err := tr.Step(b)
	require.NoError(t, err)
	good := stateOf(tr) // after step 1: step 2's loss will be finite
	_, err = tr.Step(b)
	require.NoError(t, err)
	// Stand-in for a huge but finite update: parameters that overflow the forward pass.
	for i := range tr.Model.Params {
		tr.Model.Params[i] = 1e30
	}
	_, err = tr.Step(b)
	require.ErrorIs(t, err, ErrDiverged)
	require.ErrorContains(t, err, "loss is NaN at step 3")
	require.Equal(t, good, stateOf(tr))

	path := filepath.Join(t.TempDir(), "ck.bkm")
	require.NoError(t, tr.Save(path, DataState{}, nil))
	back, _, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, 1, back.Steps)
	loss, _ := back.Eval([]*Batch{b})
	require.NoError(t, FiniteLoss(loss))

	// With no good state left (used up), a second bad step leaves the parameters alone.
	for i := range tr.Model.Params {
		tr.Model.Params[i] = 1e30
	}
	micro := tr.Micro
	_, err = tr.Step(b)
	require.ErrorIs(t, err, ErrDiverged)
	require.Equal(t, micro, tr.Micro, "the micro-batch counter goes back to the step's start")
}

// TestRevert: a state found bad after a successful update (a NaN validation loss) goes
// back to the state before that update; with no good state left, Revert changes
// nothing and says so.
func TestRevert(t *testing.T) {
	tr := tinyTrainer(t, "encdec")
	b := tinyBatch("encdec")
	err := tr.Revert("validation loss is NaN")
	require.ErrorIs(t, err, ErrDiverged, "no update yet")
	require.ErrorContains(t, err, "validation loss is NaN after step 0, with no earlier state to go back to")
	_, err = tr.Step(b)
	require.NoError(t, err)
	good := stateOf(tr)
	_, err = tr.Step(b)
	require.NoError(t, err)
	err = tr.Revert("validation loss is NaN")
	var de *DivergedError
	require.ErrorAs(t, err, &de)
	require.Equal(t, DivergedError{Step: 2, What: "validation loss is NaN", Restore: 1}, *de)
	require.Equal(t, good, stateOf(tr))
	bad := stateOf(tr)
	require.ErrorContains(t, tr.Revert("validation loss is NaN"), "no earlier state", "the good state is used up")
	require.Equal(t, bad, stateOf(tr))
}

// TestNonFiniteModelFails: evaluation, translation and generation of a model whose
// parameters give NaN say so (they used to report a NaN loss and NUL-byte translations
// with exit status 0).
func TestNonFiniteModelFails(t *testing.T) {
	tok := ByteTokenizer{}
	for _, arch := range []string{"encdec", "decoder"} {
		cfg := tinyModelConfig(arch)
		cfg.Vocab, cfg.Pad, cfg.BOS, cfg.EOS = 259, BytePad, ByteBOS, ByteEOS
		m, err := NewModel(cfg, 1)
		require.NoError(t, err)
		if arch == "encdec" {
			_, err = Translate(m, tok, "ab", 1, 1)
			require.NoError(t, err, "a fresh model is finite")
		}
		for i := range m.Params {
			m.Params[i] = float32(math.NaN())
		}
		if arch == "encdec" {
			for _, beam := range []int{1, 3} {
				_, err = Translate(m, tok, "ab", beam, 1)
				require.ErrorIs(t, err, ErrNonFinite, "beam %d", beam)
				require.ErrorContains(t, err, "translate: the model produces non-finite values")
			}
		} else {
			_, err = Generate(m, tok, "ab", 3)
			require.ErrorIs(t, err, ErrNonFinite)
		}
	}
	require.NoError(t, FiniteLoss(2.5))
	for _, v := range []float64{math.NaN(), math.Inf(1)} {
		require.ErrorIs(t, FiniteLoss(v), ErrNonFinite)
	}
}
