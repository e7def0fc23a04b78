package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kernelmachines/bkm/internal/atomicfile"
	"github.com/kernelmachines/bkm/train"
)

// representerFlags are the flags of bkmtrain representer.
type representerFlags struct {
	mf                     modelFlags
	validPath              string
	sentences, maxTokens   int
	taylor, favor, distill string
	favorSeeds             string
	distillPoints          int
	distillSteps           int
	distillHidden          int
	seed                   uint64
	outDir                 string
	overwrite              bool
	plotDir                string // --plot DIR: redraw the curves of a saved run
	opt                    train.RepresenterOptions
}

func (f *representerFlags) register(fs *flag.FlagSet) {
	f.mf.register(fs, false)
	fs.StringVar(&f.validPath, "valid", "", "held-out sentence pairs (TSV); default: the embedded validation set")
	fs.IntVar(&f.sentences, "sentences", 64, "use the first N pairs (0 = all)")
	fs.IntVar(&f.maxTokens, "max-tokens", 2048, "padded tokens per captured batch")
	fs.StringVar(&f.taylor, "taylor", "1,2,3,4", "taylor-N orders (empty: none)")
	fs.StringVar(&f.favor, "favor", "16,32,64,128,256,512,1024", "favor-D feature counts (empty: none)")
	fs.StringVar(&f.favorSeeds, "favor-seeds", "1,2,3", "seeds of favor's random features (mean ± std over them)")
	fs.StringVar(&f.distill, "distill", "4,8,16,32,64,128", "widths of the kernels learned by bkm.Distill (empty: none)")
	fs.IntVar(&f.distillPoints, "distill-points", 64, "queries and keys per head the distillation fits")
	fs.IntVar(&f.distillSteps, "distill-steps", 300, "Adam steps of each distillation")
	fs.IntVar(&f.distillHidden, "distill-hidden", 0, "hidden units of the learned maps (0: linear maps)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the distillation samples and initializations")
	fs.StringVar(&f.outDir, "out", "representer", "directory for representer.md, representer.json and the PNG curves")
	fs.BoolVar(&f.overwrite, "overwrite", false, "replace the results of an earlier representer run in --out")
	fs.StringVar(&f.plotDir, "plot", "", "redraw the PNG curves from DIR/representer.json of an earlier run, measuring nothing")
}

// intList parses a comma-separated list of positive integers of flag name.
func intList(name, s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, usagef("--%s: %q is not a positive integer", name, f)
		}
		out = append(out, n)
	}
	return out, nil
}

func (f *representerFlags) parse(fs *flag.FlagSet, args []string) error {
	if err := f.mf.parse(fs, args); err != nil {
		return err
	}
	if f.mf.checkpoint == "" && f.plotDir == "" {
		return usagef("--checkpoint is required")
	}
	if err := checkCounts(map[string]int{"sentences": f.sentences, "distill-steps": f.distillSteps, "distill-hidden": f.distillHidden}); err != nil {
		return err
	}
	if f.maxTokens < 1 || f.distillPoints < 1 {
		return usagef("--max-tokens = %d, --distill-points = %d: must be ≥ 1", f.maxTokens, f.distillPoints)
	}
	o := &f.opt
	var err error
	if o.TaylorOrders, err = intList("taylor", f.taylor); err != nil {
		return err
	}
	if o.FavorDims, err = intList("favor", f.favor); err != nil {
		return err
	}
	if o.DistillWidths, err = intList("distill", f.distill); err != nil {
		return err
	}
	for _, s := range splitList(f.favorSeeds) {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return usagef("--favor-seeds: %q is not a non-negative integer", s)
		}
		o.FavorSeeds = append(o.FavorSeeds, n)
	}
	o.DistillPoints, o.DistillSteps, o.DistillHidden, o.Seed = f.distillPoints, f.distillSteps, f.distillHidden, f.seed
	return nil
}

// representerFiles are the files bkmtrain representer writes in --out (besides the
// per-layer PNGs).
var representerFiles = []string{"representer.md", "representer.json"}

func runRepresenter(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	var f representerFlags
	fs := newFlagSet("representer", stderr)
	f.register(fs)
	if err := f.parse(fs, args); err != nil {
		return err
	}
	if f.plotDir != "" {
		return replotRepresenter(f.plotDir)
	}
	if !f.overwrite {
		for _, name := range representerFiles {
			if _, err := os.Stat(filepath.Join(f.outDir, name)); err == nil {
				return fmt.Errorf("%s holds the results of another run (%s): choose another --out or give --overwrite", f.outDir, name)
			}
		}
	}
	// Before the minutes of fitting, not after them.
	if err := ensureWritableDir("--out directory", f.outDir); err != nil {
		return err
	}
	s, err := f.mf.open("representer")
	if err != nil {
		return err
	}
	if taskOf(s.Trainer.Cfg) != "translate" {
		return fmt.Errorf("%s holds a language model: representer needs a translation model", f.mf.checkpoint)
	}
	c, err := loadData("translate", f.validPath, f.validPath)
	if err != nil {
		return err
	}
	pairs := c.Valid
	if f.sentences > 0 {
		pairs = pairs[:min(f.sentences, len(pairs))]
	}
	m := s.Trainer.Model
	batches, err := train.HeldOutBatches(m, s.Tok, pairs, f.maxTokens)
	if err != nil {
		return err
	}
	start := time.Now()
	var caps []train.AttentionCapture
	for _, bt := range batches {
		caps = append(caps, m.CaptureAttention(bt)...)
	}
	fmt.Fprintf(stderr, "captured %d attention layers on %d sentences in %d batches\n", len(caps)/len(batches), len(pairs), len(batches))
	points, err := train.RepresenterCurves(caps, f.opt, func(msg string) {
		fmt.Fprintf(stderr, "%s (%s)\n", msg, time.Since(start).Round(time.Second))
	})
	if err != nil {
		return err
	}
	if err := train.WriteApproxPoints(filepath.Join(f.outDir, "representer.json"), points); err != nil {
		return err
	}
	heading := fmt.Sprintf("Checkpoint %s (kernel %s, %d heads of dimension %d); %d held-out sentence pairs from %s; "+
		"favor seeds %v; distillation: %d queries and %d keys per head, %d Adam steps, hidden %d, seed %d; %s.",
		f.mf.checkpoint, caps[0].Kernel.Name(), caps[0].H, caps[0].D, len(pairs), c.Name, f.opt.FavorSeeds,
		f.distillPoints, f.distillPoints, f.distillSteps, f.distillHidden, f.seed, time.Since(start).Round(time.Second))
	md := train.ApproxReport(heading, points)
	if err := atomicfile.WriteFile(filepath.Join(f.outDir, "representer.md"), []byte(md), 0o644); err != nil {
		return err
	}
	if err := plotRepresenter(f.outDir, points); err != nil {
		return err
	}
	fmt.Fprint(stdout, md)
	return nil
}

// replotRepresenter redraws the curves of an earlier run from its representer.json
// (--plot DIR).
func replotRepresenter(dir string) error {
	name := filepath.Join(dir, "representer.json")
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	points, err := train.ParseApproxPoints(name, b)
	if err != nil {
		return err
	}
	return plotRepresenter(dir, points)
}

// plotRepresenter writes curves-LAYER.png (output error against feature dimension,
// one line per method) for every layer, and curves-METHOD.png (one line per layer).
func plotRepresenter(dir string, points []train.ApproxPoint) error {
	var layers, methods []string
	lines := map[[2]string]*curve{}
	for _, p := range points {
		if p.Head != -1 || p.Method == train.ApproxExact || !(p.OutErr > 0) {
			continue
		}
		key := [2]string{p.Layer, p.Method}
		c := lines[key]
		if c == nil {
			c = &curve{}
			lines[key] = c
			if !slices.Contains(layers, p.Layer) {
				layers = append(layers, p.Layer)
			}
			if !slices.Contains(methods, p.Method) {
				methods = append(methods, p.Method)
			}
		}
		c.Steps, c.Vals = append(c.Steps, float64(p.Dim)), append(c.Vals, p.OutErr)
	}
	ax := axes{x: "feature dimension", y: "relative error of the attention output", logX: true, logY: true}
	for _, l := range layers {
		var cs []curve
		for _, m := range methods {
			if c := lines[[2]string{l, m}]; c != nil {
				cs = append(cs, curve{Name: m, Steps: c.Steps, Vals: c.Vals})
			}
		}
		ax.title = "layer " + l
		if err := plotCurves(filepath.Join(dir, "curves-"+strings.ReplaceAll(l, ".", "-")+".png"), ax, cs); err != nil {
			return err
		}
	}
	for _, m := range methods {
		var cs []curve
		for _, l := range layers {
			if c := lines[[2]string{l, m}]; c != nil {
				cs = append(cs, curve{Name: l, Steps: c.Steps, Vals: c.Vals})
			}
		}
		ax.title = m + ", per layer"
		if err := plotCurves(filepath.Join(dir, "curves-"+m+".png"), ax, cs); err != nil {
			return err
		}
	}
	return nil
}
