package main

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// curve is one line of a plot: a learning curve (Steps are steps) or a sweep (Steps
// are feature dimensions). Err, when set, holds a ± error bar per point (0: none).
type curve struct {
	Name  string
	Steps []float64
	Vals  []float64
	Err   []float64
}

// axes are a plot's title and axis labels; logX and logY put x and y on log scales.
type axes struct {
	title, x, y string
	logX, logY  bool
}

// palette is distinguishable on white and in grey scale order.
var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xd6, 0x27, 0x28, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xff, 0x7f, 0x0e, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	{0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff},
}

// plotCurves writes a PNG of the curves, one line per curve.
func plotCurves(path string, ax axes, curves []curve) error {
	p := plot.New()
	p.Title.Text = ax.title
	p.X.Label.Text = ax.x
	p.Y.Label.Text = ax.y
	if ax.logX {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	if ax.logY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
		if lo, hi := valueRange(curves); hi < 10*lo {
			p.Y.Tick.Marker = plot.DefaultTicks{} // within a decade LogTicks would label nothing
		}
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	for i, c := range curves {
		if len(c.Steps) == 0 {
			continue
		}
		pts := make(plotter.XYs, len(c.Steps))
		for j := range c.Steps {
			pts[j].X, pts[j].Y = c.Steps[j], c.Vals[j]
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return fmt.Errorf("plot %s: %w", c.Name, err)
		}
		col := palette[i%len(palette)]
		line.Color, points.Color = col, col
		line.Width = vg.Points(1.5)
		points.Radius = vg.Points(2)
		p.Add(line, points)
		p.Legend.Add(c.Name, line, points)
		if c.Err != nil {
			bars, err := plotter.NewYErrorBars(errorBars{pts, c.Err})
			if err != nil {
				return fmt.Errorf("plot %s: %w", c.Name, err)
			}
			bars.Color = col
			p.Add(bars)
		}
	}
	if err := p.Save(7*vg.Inch, 4.5*vg.Inch, path); err != nil {
		return fmt.Errorf("writing plot: %w", err)
	}
	return nil
}

// valueRange returns the smallest and largest value of the curves.
func valueRange(curves []curve) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, c := range curves {
		for _, v := range c.Vals {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return lo, hi
}

// errorBars are the points of a curve with a symmetric error each, as plotter's
// YErrorer.
type errorBars struct {
	plotter.XYs
	err []float64
}

func (e errorBars) YError(i int) (float64, float64) { return e.err[i], e.err[i] }
