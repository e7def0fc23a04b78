package train_test

import (
	"context"
	"fmt"

	"github.com/kernelmachines/bkm/train"
)

// A Stream decodes sentences that join and leave between steps: each finished
// sentence gets Translate's translation of it alone, whoever else was decoding.
func ExampleStream() {
	cfg := train.DefaultConfig().Model
	cfg.Arch, cfg.Vocab, cfg.DModel, cfg.Heads, cfg.FFN, cfg.EncLayers, cfg.DecLayers, cfg.MaxLen = "encdec", 300, 32, 2, 64, 1, 1, 24
	m, err := train.NewModel(cfg, 1)
	if err != nil {
		panic(err)
	}
	tr, err := train.NewTranslator(m, train.ByteTokenizer{})
	if err != nil {
		panic(err)
	}
	opts := train.TranslateOptions{Beam: 2, LenPenalty: 1, MaxSentences: 2}
	s, err := tr.NewStream(opts)
	if err != nil {
		panic(err)
	}
	defer s.Close()

	sources := []string{"Y dijo Dios", "Sea la luz", "Y fue la luz", "En el principio"}
	got := make([]string, len(sources))
	finished, next := 0, 0
	for finished < len(sources) {
		// Whenever a place is free, the next sentence joins at the next step.
		for next < len(sources) && s.Room() > 0 {
			i := next
			s.Add(context.Background(), sources[i], func(out string, err error) {
				if err != nil {
					panic(err)
				}
				got[i] = out
				finished++
			})
			next++
		}
		s.Step()
	}
	fmt.Println("finished:", finished)
	for i, src := range sources {
		alone, err := tr.Translate(context.Background(), src, opts)
		if err != nil {
			panic(err)
		}
		fmt.Println(i, got[i] == alone)
	}
	// Output:
	// finished: 4
	// 0 true
	// 1 true
	// 2 true
	// 3 true
}
