package main

// The helpers every test of the command shares: the end-to-end tests build the real
// binary once and drive it as a person would, on a model small enough for a test.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kernelmachines/bkm/train"
	"github.com/stretchr/testify/require"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildLog  []byte
)

func bkmtrainBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "bkmtrain-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "bkmtrain")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		buildLog, buildErr = cmd.CombinedOutput()
	})
	require.NoError(t, buildErr, "go build: %s", buildLog)
	return binPath
}

type result struct {
	code           int
	stdout, stderr string
}

func runBin(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runIn(t, "", stdin, args...)
}

// runIn runs the binary in dir (the test's directory if empty) with stdin and args.
func runIn(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bkmtrainBinary(t), args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{code, out.String(), errb.String()}
}

// tinyModel is a model and recipe small enough for a test: a few steps take well under a second.
var tinyModel = []string{"--d-model", "16", "--heads", "2", "--ffn", "32", "--layers", "1", "--max-len", "40",
	"--max-tokens", "160", "--warmup", "2", "--tokenizer", "byte", "--threads", "1"}

// tiny adds the train command's output settings.
var tiny = append(append([]string(nil), tinyModel...), "--bleu-sentences", "3", "--final-bleu-sentences", "3", "--samples", "1", "--progress", "plain")

func args(extra ...string) []string { return append(append([]string(nil), tiny...), extra...) }

// readMetrics parses a metrics.jsonl file; every line must be a JSON record.
func readMetrics(t *testing.T, path string) []train.MetricsRecord {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var recs []train.MetricsRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r train.MetricsRecord
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), "line %q", sc.Text())
		recs = append(recs, r)
	}
	require.NoError(t, sc.Err())
	return recs
}

func trainSteps(recs []train.MetricsRecord) []int {
	var s []int
	for _, r := range recs {
		if r.Kind == "train" {
			s = append(s, r.Step)
		}
	}
	return s
}

// mustWrite writes contents to the file name in dir and returns its path.
func mustWrite(t *testing.T, dir, name, contents string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(contents), 0o644))
	return path
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// requirePNG requires path to hold a PNG image wider than 400 pixels (every plot is
// 7 inches wide).
func requirePNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	require.Greater(t, img.Bounds().Dx(), 400)
}

// runUntil runs bkmtrain with args, calls act on its process when its stderr prints a
// line starting with at, and returns the stderr it printed and how it ended.
func runUntil(t *testing.T, args []string, at string, act func(*os.Process) error) (string, error) {
	t.Helper()
	cmd := exec.Command(bkmtrainBinary(t), args...)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	cmd.Stdout = io.Discard
	require.NoError(t, cmd.Start())
	deadline := time.AfterFunc(120*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	var log strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), at) {
			require.NoError(t, act(cmd.Process))
		}
	}
	return log.String(), cmd.Wait()
}

// trainTiny trains the tiny model (args' flags, then extra) into a new run directory,
// requires the run to succeed, and returns the directory and what the run printed.
func trainTiny(t *testing.T, extra ...string) (string, result) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	r := runBin(t, "", append([]string{"train"}, args(append(extra, "--out", dir)...)...)...)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	return dir, r
}
