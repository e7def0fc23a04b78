package train

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
)

// MemoryEstimate is the memory a training run of a config needs, in bytes, estimated
// from the model's layout and the largest batch (Model.Reserve's arena); Go's runtime
// and the data come on top.
type MemoryEstimate struct {
	Params      float64 // parameters, their gradients and fixed tables
	Optimizer   float64 // AdamW's two moments, and Trainer.Step's copy of the last good state
	Activations float64 // the activation arena for the largest batch, with the logits
	Halves      float64 // the step's second half in a run alone (halves.go): its arena for half the batch, its gradients and tables
}

// Total is the sum of the parts.
func (e MemoryEstimate) Total() float64 { return e.Params + e.Optimizer + e.Activations + e.Halves }

// Memory estimates what training with c alone needs (Config.Validate checks it: it is
// the most a rank of a distributed run needs too, whose estimate is Trainer.Memory's).
// Sizes are taken as floats, so absurd configs give a huge estimate instead of
// overflowing.
func (c *Config) Memory() MemoryEstimate {
	m := c.Model
	C, F, V, L := float64(m.DModel), float64(m.FFN), float64(m.Vocab), float64(m.MaxLen)
	encdec := m.Arch == "encdec"
	enc, dec := 0.0, float64(m.DecLayers)
	if encdec {
		enc = float64(m.EncLayers)
	}
	selfAttn, cross, ffn := 4*C*C+6*C, 4*C*C+6*C, 2*C*F+F+3*C
	params := (enc+dec)*(selfAttn+ffn) + 2*C
	if encdec {
		params += dec * cross
	}
	embeddings := 1.0
	if encdec && !m.ShareAllEmbeddings {
		embeddings++
	}
	if !m.ShareDecoderEmbeddings {
		embeddings++
	}
	params += embeddings * V * C
	tables := 0.0 // fixed tables: the sinusoids
	if m.Positions == "learned" {
		params += L * C
		if encdec {
			params += L * C
		}
	} else {
		tables = L * C
	}

	// Rows of the largest batch: source and target tokens, padding included.
	ns, n := 0.0, float64(c.Data.Batch)*float64(c.Data.Context)
	if encdec {
		ns, n = float64(c.Data.MaxTokens), float64(c.Data.MaxTokens)
	}
	attnRows := 10 * C // layer norm, dropout mask, sums, q/k/v, merged
	acts := enc*ns*(2*attnRows+5*C+4*F) + dec*n*(attnRows+5*C+4*F)
	if encdec {
		acts += dec * (n*attnRows + ns*4*C)
	}
	nm := math.Max(n, ns)
	acts += (ns+n)*3*C + n*V + nm*(9*C+2*F) + ns*3*C
	half := acts/2 + params + tables // the replica's arena for about half the rows, its gradients and tables
	return MemoryEstimate{Params: 8*params + 4*tables, Optimizer: 8*params + 12*params, Activations: 4 * acts, Halves: 4 * half}
}

// Memory estimates what t's run needs (Config.Memory): a rank of a distributed run
// (Distribute) runs its shard of every batch whole, without the step's halves.
func (t *Trainer) Memory() MemoryEstimate {
	e := t.Cfg.Memory()
	if t.dp != nil {
		e.Halves = 0
	}
	return e
}

// MemoryLimit is the most memory Config.Validate lets a run need: the physical memory
// (MemTotal of /proc/meminfo), or the cgroup's limit (/sys/fs/cgroup/memory.max) when a
// container sets a lower one, or 64 GiB where neither is known. (GOMEMLIMIT is not used:
// it is a soft target for the garbage collector, not a bound on what a run may hold.)
func MemoryLimit() int64 {
	memoryOnce.Do(func() {
		memoryLimit, memoryLimitSource = 64<<30, "fixed, physical memory unknown"
		if total, ok := physicalMemory(); ok {
			memoryLimit, memoryLimitSource = total, "physical memory"
		}
		if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
			if v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && v > 0 && v < memoryLimit {
				memoryLimit, memoryLimitSource = v, "the cgroup's memory.max"
			}
		}
	})
	return memoryLimit
}

var (
	memoryOnce        sync.Once
	memoryLimit       int64
	memoryLimitSource string // where memoryLimit comes from
)

// physicalMemory reads MemTotal from /proc/meminfo (Linux).
func physicalMemory() (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && fields[0] == "MemTotal:" && fields[2] == "kB" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			return kb << 10, err == nil && kb > 0
		}
	}
	return 0, false
}

// bytesString prints a byte count in binary units.
func bytesString(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for ; b >= 1024 && i < len(units)-1; i++ {
		b /= 1024
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}
