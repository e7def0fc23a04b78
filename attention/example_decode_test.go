package attention_test

import (
	"fmt"

	"github.com/kernelmachines/bkm/attention"
)

// One decoding step of two heads against a key/value cache allocated for four
// positions and filled up to three: the cache is read in place through its strides.
func ExampleDecode() {
	const B, H, D, maxLen = 1, 2, 2, 4
	cache := attention.Strides{Batch: H * maxLen * D, Head: maxLen * D, Row: D}
	k := []float32{
		1, 0, 0, 1, 1, 1, 0, 0, // head 0: three keys, one free slot
		0, 1, 0, 1, 0, 1, 0, 0, // head 1
	}
	v := []float32{
		1, 2, 3, 4, 5, 6, 0, 0,
		1, 1, 2, 2, 3, 3, 0, 0,
	}
	q := []float32{1, 0, 0, 1} // one query per head
	out := make([]float32, B*H*D)
	dense := attention.DenseStrides(H, 1, D)
	o := &attention.Options{Kernel: attention.EDP(), Scale: 1}
	attention.Decode(o, B, H, 1, 3, D, q, dense, k, v, cache, out, dense, nil)
	fmt.Printf("%.3f\n", out)
	// Output:
	// [3.000 4.000 2.000 2.000]
}

// A step of three rows (hypotheses of two sentences decoded together), one head:
// rows 0 and 1 attend to cache entry 0 (two keys), row 2 to entry 1 (one key).
func ExampleDecodeRows() {
	const H, D, maxLen = 1, 2, 2
	cache := attention.Strides{Batch: H * maxLen * D, Head: maxLen * D, Row: D}
	k := []float32{
		1, 0, 0, 1, // entry 0: two keys
		1, 1, 0, 0, // entry 1: one key and a free slot
	}
	v := []float32{
		2, 0, 0, 2,
		5, 5, 0, 0,
	}
	rows := []attention.DecodeRow{{Entry: 0, Keys: 2}, {Entry: 0, Keys: 1}, {Entry: 1, Keys: 1}}
	q := []float32{1, 1, 1, 0, 3, 3} // one query a row
	out := make([]float32, len(rows)*H*D)
	dense := attention.DenseStrides(H, 1, D)
	o := &attention.Options{Kernel: attention.EDP(), Scale: 1}
	attention.DecodeRows(o, rows, H, D, q, dense, k, v, cache, out, dense, nil)
	fmt.Printf("%.3f\n", out)
	// Output:
	// [1.000 1.000 2.000 0.000 5.000 5.000]
}
