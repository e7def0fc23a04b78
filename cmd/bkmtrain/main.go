package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand.
type command struct {
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

var commands = map[string]command{
	"train":           {"train a translation or language model", runTrain},
	"eval":            {"evaluate a checkpoint on validation data", runEval},
	"translate":       {"translate stdin to stdout with a checkpoint", runTranslate},
	"serve":           {"serve translations over HTTP (POST /translate, /healthz, /metrics)", runServe},
	"generate":        {"continue stdin lines with a language-model checkpoint", runGenerate},
	"compare-kernels": {"train the same model per kernel and seed; table and learning curves", runCompare},
	"representer":     {"attention of a trained model against finite kernels (taylor-N, favor-D, distilled) per layer", runRepresenter},
	"bkm":             {"binary kernel machines: bkm fit | bkm predict", runBKM},
	"info":            {"SIMD path, CPU features, threads", runInfo},
	"export":          {"write a translation checkpoint as ONNX models (--onnx DIR)", runExport},
}

// usageError is a mistake in the command line: status 2 and a hint to -h.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes a command line and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "bkmtrain: unknown command %q (commands: %s)\n", args[0], strings.Join(commandNames(), ", "))
		return 2
	}
	err := cmd.run(args[1:], stdin, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "bkmtrain %s: %s (see bkmtrain %s -h)\n", args[0], ue.msg, args[0])
		return 2
	}
	fmt.Fprintf(stderr, "bkmtrain %s: %s\n", args[0], err)
	return 1
}

func commandNames() []string {
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: bkmtrain COMMAND [flags]")
	fmt.Fprintln(w)
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-16s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "`bkmtrain train` with no flags trains a small Spanish→English model on the embedded corpus.")
	fmt.Fprintln(w, "Run `bkmtrain COMMAND -h` for the flags of a command.")
}

// newFlagSet makes a flag set whose errors are returned, not printed and exited on.
// Parse errors become usage errors (status 2).
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("bkmtrain "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// commandFlags are the flags of a command: register adds them to a flag set, parse
// parses and checks a command line.
type commandFlags interface {
	register(fs *flag.FlagSet)
	parse(fs *flag.FlagSet, args []string) error
}

// parseCommand parses the command line args of command name into f, on a new flag set
// (see newFlagSet) that it returns.
func parseCommand(name string, stderr io.Writer, f commandFlags, args []string) (*flag.FlagSet, error) {
	fs := newFlagSet(name, stderr)
	f.register(fs)
	return fs, f.parse(fs, args)
}

// parseFlags parses args and rejects positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard) // the error is reported once, by run
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(out)
			fs.Usage()
			return err
		}
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}
