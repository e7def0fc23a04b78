package train_test

import (
	"context"
	"fmt"

	"github.com/kernelmachines/bkm/train"
)

func ExampleCorpusBLEU() {
	hyps := []string{"The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."}
	refs := [][]string{
		{"The dog bit the man.", "It was not unexpected.", "The man bit him first."},
		{"The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."},
	}
	score, err := train.CorpusBLEU(hyps, refs)
	if err != nil {
		panic(err)
	}
	fmt.Println(score)
	// Output: BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)
}

func ExampleTokenize13a() {
	fmt.Println(train.Tokenize13a("Price: $3,000.50 (approx.) - e-mail&amp;more"))
	// Output: Price : $ 3,000.50 ( approx . ) - e-mail & more
}

// A language model on a byte stream: configure, build, take steps, save.
func ExampleTrainer() {
	cfg := train.DefaultConfig()
	cfg.Model.Arch = "decoder"
	cfg.Model.DModel, cfg.Model.Heads, cfg.Model.FFN, cfg.Model.DecLayers, cfg.Model.MaxLen = 32, 2, 64, 1, 32
	cfg.Data.Batch, cfg.Data.Context = 4, 32
	tr, err := train.NewTrainer(cfg)
	if err != nil {
		panic(err)
	}
	text := "the quick brown fox jumps over the lazy dog. "
	for len(text) < 4000 {
		text += text
	}
	loader, err := train.NewLMLoader(train.ByteTokenizer{}.Encode(text), cfg.Data.Batch, cfg.Data.Context, cfg.Seed)
	if err != nil {
		panic(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := tr.Step(loader.Next()); err != nil {
			panic(err)
		}
	}
	fmt.Println("updates:", tr.Steps, "parameters:", tr.Model.NumParams())
	// Output: updates: 3 parameters: 16832
}

// A Translator loaded once serves many goroutines; each call decodes its sentences in
// length-sorted batches, with the results in input order.
func ExampleTranslator() {
	tr, err := train.OpenTranslator("bkmtrain-run/checkpoint.bkm", 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := tr.TranslateBatch(context.Background(), []string{"Y dijo Dios", "Sea la luz"},
		train.TranslateOptions{Beam: 4, LenPenalty: 1, MaxSentences: 32})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range out {
		fmt.Println(t)
	}
}
