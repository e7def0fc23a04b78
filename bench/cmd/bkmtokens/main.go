// Command bkmtokens prints how a checkpoint's tokenizer reads text: for each line of
// stdin, the token ids of the line, a tab, and the text those ids decode to. The PyTorch
// peer checks its own tokenizer against it (bench/torch_translate.py --check-tokens):
//
//	cut -f1,2 --output-delimiter=$'\n' /tmp/bible/test.tsv |
//	  go run ./bench/cmd/bkmtokens --checkpoint ckpt.bkm > tokens.txt
//
// Imports: train and the standard library.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/kernelmachines/bkm/train"
)

func main() {
	ckpt := flag.String("checkpoint", "", "checkpoint file whose tokenizer is used")
	flag.Parse()
	if *ckpt == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: bkmtokens --checkpoint FILE < text > tokens")
		os.Exit(2)
	}
	if err := run(*ckpt, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bkmtokens:", err)
		os.Exit(1)
	}
}

func run(path string, in io.Reader, out io.Writer) error {
	hdr, _, _, err := train.ReadCheckpoint(path)
	if err != nil {
		return err
	}
	tok, err := hdr.Tokenizer.Tokenizer()
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	w := bufio.NewWriter(out)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	var line []byte
	for sc.Scan() {
		ids := tok.Encode(sc.Text())
		line = line[:0]
		for i, id := range ids {
			if i > 0 {
				line = append(line, ' ')
			}
			line = strconv.AppendInt(line, int64(id), 10)
		}
		line = append(line, '\t')
		line = append(line, tok.Decode(ids)...)
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return w.Flush()
}
