package main

import (
	"path/filepath"
	"testing"

	"github.com/kernelmachines/bkm/train"
	"github.com/stretchr/testify/require"
)

// TestPlotsWritePNG: a curves plot and a sweep plot (log-scale feature dimension, with
// edp's line) are PNG images.
func TestPlotsWritePNG(t *testing.T) {
	for name, plot := range map[string]func(path string) error{
		"curves": func(path string) error {
			return plotCurves(path, axes{title: "validation loss", x: "step", y: "loss"}, []curve{
				{Name: "edp", Steps: []float64{0, 10, 20}, Vals: []float64{5, 4, 3.5}},
				{Name: "rbf", Steps: []float64{0, 10, 20}, Vals: []float64{5, 4.2, 3.9}},
			})
		},
		"sweep": func(path string) error {
			pts := []train.SweepPoint{{Kernel: "taylor1", FeatureDim: 33, ValLoss: []float64{3.5, 3.4}}, {Kernel: "taylor2", FeatureDim: 561, ValLoss: []float64{3.2}}}
			groups := []train.KernelRuns{{Kernel: "edp", Runs: []train.StudyRun{{Kernel: "edp", ValLoss: 3.0}}}}
			return plotSweep(path, "taylor", "val", pts, groups)
		},
		"sweep-bleu": func(path string) error {
			bleu := 12.0
			pts := []train.SweepPoint{{Kernel: "favor16", FeatureDim: 16, BLEU: []float64{7, 9, 8}}, {Kernel: "favor64", FeatureDim: 64, BLEU: []float64{10}}}
			groups := []train.KernelRuns{{Kernel: "edp", Runs: []train.StudyRun{{Kernel: "edp", BLEU: &bleu}}}}
			return plotSweep(path, "favor", "bleu", pts, groups)
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name+".png")
			require.NoError(t, plot(path))
			requirePNG(t, path)
		})
	}
}
