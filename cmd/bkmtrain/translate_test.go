package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/kernelmachines/bkm/train"
	"github.com/stretchr/testify/require"
)

// TestEndToEndTranslateBatched: translate reads every line of --input (or stdin) and
// writes the translation Translate gives for each, in order, whatever the batch
// limits; --progress reports on stderr; bad limits are usage errors.
func TestEndToEndTranslateBatched(t *testing.T) {
	dir, _ := trainTiny(t, "--steps", "3", "--eval-every", "0")
	lines := []string{"Y dijo Dios", "", "EN el principio creó Dios los cielos y la tierra.", "y", "Y la tierra estaba desordenada y vacía, y las tinieblas estaban sobre la faz del abismo",
		"luz", "Y vio Dios que la luz era buena"}
	s, err := train.OpenModel(filepath.Join(dir, "checkpoint.bkm"), 1)
	require.NoError(t, err)
	var want strings.Builder
	for _, l := range lines {
		out, err := train.Translate(s.Trainer.Model, s.Tok, l, 2, 1)
		require.NoError(t, err)
		want.WriteString(out + "\n")
	}
	input := filepath.Join(t.TempDir(), "in.txt")
	require.NoError(t, os.WriteFile(input, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	for _, limits := range [][]string{{"--batch", "1"}, {"--batch", "3", "--max-tokens", "40"}, {}} {
		cmd := append([]string{"translate", "--checkpoint", dir, "--threads", "1", "--beam", "2", "--len-penalty", "1", "--input", input, "--progress"}, limits...)
		r := runBin(t, "", cmd...)
		require.Equal(t, 0, r.code, "%v: stderr: %s", limits, r.stderr)
		require.Equal(t, want.String(), r.stdout, "%v", limits)
		require.Contains(t, r.stderr, "translated 7 lines", "%v", limits)
	}
	r := runBin(t, strings.Join(lines, "\n"), "translate", "--checkpoint", dir, "--threads", "1", "--beam", "2", "--len-penalty", "1")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	require.Equal(t, want.String(), r.stdout, "stdin, last line without a newline")
	require.Empty(t, r.stderr, "no progress when stderr is not a terminal")
	for _, bad := range [][]string{{"--batch", "0"}, {"--max-tokens", "-1"}} {
		r := runBin(t, "", append([]string{"translate", "--checkpoint", dir}, bad...)...)
		require.Equal(t, 2, r.code, "%v", bad)
		require.Contains(t, r.stderr, bad[0])
	}
	r = runBin(t, "", "translate", "--checkpoint", dir, "--input", filepath.Join(dir, "missing.txt"))
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "missing.txt")
}

// TestEndToEndServe: bkmtrain serve answers a translation as Translate does, and
// SIGTERM stops it cleanly (status 0).
func TestEndToEndServe(t *testing.T) {
	dir, _ := trainTiny(t, "--steps", "2", "--eval-every", "0")
	cmd := exec.Command(bkmtrainBinary(t), "serve", "--checkpoint", dir, "--addr", "127.0.0.1:0", "--threads", "1")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stderr)
	require.True(t, sc.Scan(), "the first stderr line names the address")
	m := regexp.MustCompile(`http://(\S+)`).FindStringSubmatch(sc.Text())
	require.NotNil(t, m, sc.Text())
	resp, err := http.Post("http://"+m[1]+"/translate", "application/json", strings.NewReader(`{"text": "Y dijo Dios", "beam": 2}`))
	require.NoError(t, err)
	var body struct{ Translation string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	s, err := train.OpenModel(filepath.Join(dir, "checkpoint.bkm"), 1)
	require.NoError(t, err)
	want, err := train.Translate(s.Trainer.Model, s.Tok, "Y dijo Dios", 2, 1)
	require.NoError(t, err)
	// JSON carries text: encoding/json replaces each byte of invalid UTF-8 (an
	// undertrained byte-level model emits some) by U+FFFD.
	b, err := json.Marshal(want)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &want))
	require.Equal(t, want, body.Translation)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	var rest strings.Builder
	for sc.Scan() {
		rest.WriteString(sc.Text() + "\n")
	}
	require.NoError(t, cmd.Wait(), "stderr: %s", rest.String())
	require.Contains(t, rest.String(), "stopped")
}
