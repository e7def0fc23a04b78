package main

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPlotCurvesWritesPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.png")
	err := plotCurves(path, axes{title: "validation loss", x: "step", y: "loss"}, []curve{
		{Name: "edp", Steps: []float64{0, 10, 20}, Vals: []float64{5, 4, 3.5}},
		{Name: "rbf", Steps: []float64{0, 10, 20}, Vals: []float64{5, 4.2, 3.9}},
	})
	require.NoError(t, err)
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	require.Greater(t, img.Bounds().Dx(), 400)
}
