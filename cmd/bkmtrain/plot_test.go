package main

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/kernelmachines/bkm/train"
	"github.com/stretchr/testify/require"
)

func TestPlotCurvesWritesPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.png")
	err := plotCurves(path, axes{title: "validation loss", x: "step", y: "loss"}, []curve{
		{Name: "edp", Steps: []float64{0, 10, 20}, Vals: []float64{5, 4, 3.5}},
		{Name: "rbf", Steps: []float64{0, 10, 20}, Vals: []float64{5, 4.2, 3.9}},
	})
	require.NoError(t, err)
	requirePNG(t, path)
}

// A sweep plot (log-scale feature dimension, with edp's line) is a PNG.
func TestPlotSweepWritesPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sweep-taylor.png")
	pts := []train.SweepPoint{{Kernel: "taylor1", FeatureDim: 33, ValLoss: []float64{3.5, 3.4}}, {Kernel: "taylor2", FeatureDim: 561, ValLoss: []float64{3.2}}}
	groups := []train.KernelRuns{{Kernel: "edp", Runs: []train.StudyRun{{Kernel: "edp", ValLoss: 3.0}}}}
	require.NoError(t, plotSweep(path, "taylor", pts, groups))
	requirePNG(t, path)
}

// requirePNG requires path to hold a PNG image wider than 400 pixels.
func requirePNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	require.Greater(t, img.Bounds().Dx(), 400)
}
