package onnx

import (
	"fmt"

	"github.com/kernelmachines/bkm/train"
)

// exporter turns one model into the two graphs. Linear layers are Gemm nodes with the
// weight as stored ([out, in], transB), so no weight is copied or transposed; rows are
// kept 2-D [rows, C] and reshaped to heads only around attention.
type exporter struct {
	m       *train.Model
	cfg     train.ModelConfig
	C, H, D int
	kernels []*kernelGraph // per attention layer, in ModelConfig.LayerKernels order
	params  map[string][]float32
	shapes  map[string][]int
}

func newExporter(m *train.Model) (*exporter, error) {
	cfg := m.Cfg
	if cfg.Arch != "encdec" {
		return nil, fmt.Errorf("%w: the model is a %s; only encoder–decoder translation models are exported", ErrModel, cfg.Arch)
	}
	e := &exporter{m: m, cfg: cfg, C: m.C, H: m.H, D: m.D, params: map[string][]float32{}, shapes: map[string][]int{}}
	for _, t := range m.Tensors {
		e.params[t.Name] = m.Params[t.Offset : t.Offset+t.Size]
		e.shapes[t.Name] = t.Shape
	}
	n := cfg.EncLayers + 2*cfg.DecLayers
	for i := 0; i < n; i++ {
		spec := cfg.Kernel
		if len(cfg.LayerKernels) > 0 {
			spec = cfg.LayerKernels[i]
		}
		kg, err := newKernelGraph(spec, cfg.KernelScale, m.D)
		if err != nil {
			return nil, fmt.Errorf("%w: attention layer %d: %w", ErrModel, i, err)
		}
		e.kernels = append(e.kernels, kg)
	}
	return e, nil
}

// weight adds the parameter tensor called name to g (once per graph) and returns its name.
func (e *exporter) weight(g *graph, name string) string {
	if _, ok := g.consts["w:"+name]; ok {
		return name
	}
	data, ok := e.params[name]
	if !ok {
		panic(fmt.Sprintf("onnx: model has no tensor %q", name))
	}
	dims := make([]int64, len(e.shapes[name]))
	for i, s := range e.shapes[name] {
		dims[i] = int64(s)
	}
	g.consts["w:"+name] = name
	return g.weight(name, dims, data)
}

// table adds a fixed table that is not a parameter (the sinusoid positions).
func (e *exporter) table(g *graph, name string, rows, cols int, data []float32) string {
	if _, ok := g.consts["w:"+name]; ok {
		return name
	}
	g.consts["w:"+name] = name
	return g.weight(name, []int64{int64(rows), int64(cols)}, data[:rows*cols])
}

// linear is x·Wᵀ + b for x [rows, in] and the layer's weight [out, in] and bias [out].
func (e *exporter) linear(g *graph, x, name string) string {
	return g.op("Gemm", []string{x, e.weight(g, name+".weight"), e.weight(g, name+".bias")}, intAttr("transB", 1))
}

func (e *exporter) layerNorm(g *graph, x, name string) string {
	return g.op("LayerNormalization", []string{x, e.weight(g, name+".weight"), e.weight(g, name+".bias")},
		intAttr("axis", -1), floatAttr("epsilon", 1e-5))
}

// residual wraps a sublayer f as the model does: pre-LN x + f(LN(x)), post-LN LN(x + f(x)).
func (e *exporter) residual(g *graph, x, norm string, f func(string) string) string {
	if e.cfg.PreLN {
		return g.op("Add", []string{x, f(e.layerNorm(g, x, norm))})
	}
	return e.layerNorm(g, g.op("Add", []string{x, f(x)}), norm)
}

func (e *exporter) ffn(g *graph, x, p string) string {
	h := e.linear(g, x, p+"fc1")
	if e.cfg.Activation == "gelu" {
		// ½·h·(1 + tanh(√(2/π)·(h + 0.044715·h³))), the tanh approximation bkm trains with.
		h3 := g.op("Mul", []string{g.op("Mul", []string{h, h}), h})
		in := g.op("Mul", []string{g.op("Add", []string{h, g.op("Mul", []string{h3, g.scalar(0.044715)})}), g.scalar(0.7978845608028654)})
		t := g.op("Add", []string{g.op("Tanh", []string{in}), g.scalar(1)})
		h = g.op("Mul", []string{g.op("Mul", []string{h, t}), g.scalar(0.5)})
	} else {
		h = g.op("Relu", []string{h})
	}
	return e.linear(g, h, p+"fc2")
}

// heads reshapes x [n·T, C] (rows of n sequences) to [n, H, T, D]; nT is a 1-D int64
// [n, T] or [n, −1] shape prefix.
func (e *exporter) heads(g *graph, x, prefix string) string {
	shape := g.op("Concat", []string{prefix, g.ints(int64(e.H), int64(e.D))}, intAttr("axis", 0))
	r := g.op("Reshape", []string{x, shape})
	return g.op("Transpose", []string{r}, intsAttr("perm", 0, 2, 1, 3))
}

// merge turns [n, H, T, D] back into rows [n·T, C].
func (e *exporter) merge(g *graph, o string) string {
	t := g.op("Transpose", []string{o}, intsAttr("perm", 0, 2, 1, 3))
	return g.op("Reshape", []string{t, g.ints(-1, int64(e.C))})
}

func (e *exporter) split3(g *graph, x string, parts int) []string {
	sizes := make([]int64, parts)
	for i := range sizes {
		sizes[i] = int64(e.C)
	}
	return g.node("Split", []string{x, g.ints(sizes...)}, parts, intAttr("axis", -1))
}

// embed is scale·wte[tok] + pos for tok of any shape and pos broadcastable to it.
func (e *exporter) embed(g *graph, tok, wte, pos string) string {
	emb := g.op("Gather", []string{wte, tok}, intAttr("axis", 0))
	if s := e.m.EmbedScale(); s != 1 {
		emb = g.op("Mul", []string{emb, g.scalar(s)})
	}
	return g.op("Add", []string{emb, pos})
}

func (e *exporter) positions(g *graph, encoder bool) string {
	if e.cfg.Positions == "learned" {
		if encoder {
			return e.weight(g, "encoder.embed_positions.weight")
		}
		return e.weight(g, "decoder.embed_positions.weight")
	}
	enc, dec := e.m.PositionTables()
	tab := dec
	if encoder {
		tab = enc
	}
	return e.table(g, "sinusoid_positions", e.cfg.MaxLen, e.C, tab)
}

func (e *exporter) encoderTable() string {
	if e.cfg.ShareAllEmbeddings {
		return "decoder.embed_tokens.weight"
	}
	return "encoder.embed_tokens.weight"
}

// encoder builds encoder.onnx: src [batch, src_len] int64 → enc_out [batch, src_len, C]
// and, per decoder layer l, cross_k_l and cross_v_l [batch, H, src_len, D].
func (e *exporter) encoder() *graph {
	g := newGraph("bkm_encoder")
	C, H, D := e.C, e.H, e.D
	src := g.input("src", typeInt64, symbol("batch"), symbol("src_len"))
	nS := g.op("Shape", []string{src})                                           // [batch, src_len]
	sLen := g.op("Shape", []string{src}, intAttr("start", 1), intAttr("end", 2)) // [src_len]
	keep := e.keyMask(g, src)
	pos := g.op("Slice", []string{e.positions(g, true), g.ints(0), sLen, g.ints(0)})
	x := e.embed(g, src, e.weight(g, e.encoderTable()), pos)
	x = g.op("Reshape", []string{x, g.ints(-1, int64(C))})
	for i := 0; i < e.cfg.EncLayers; i++ {
		p := fmt.Sprintf("encoder.layers.%d.", i)
		kg := e.kernels[i]
		x = e.residual(g, x, p+"self_attn_layer_norm", func(in string) string {
			qkv := e.split3(g, e.linear(g, in, p+"self_attn.qkv"), 3)
			o := kg.attend(g, e.heads(g, qkv[0], nS), e.heads(g, qkv[1], nS), e.heads(g, qkv[2], nS), keep)
			return e.linear(g, e.merge(g, o), p+"self_attn.out_proj")
		})
		x = e.residual(g, x, p+"final_layer_norm", func(in string) string { return e.ffn(g, in, p) })
	}
	if e.cfg.PreLN {
		x = e.layerNorm(g, x, "encoder.layer_norm")
	}
	outShape := g.op("Concat", []string{nS, g.ints(int64(C))}, intAttr("axis", 0))
	g.output(g.op("Reshape", []string{x, outShape}), "enc_out", typeFloat, symbol("batch"), symbol("src_len"), fixed(C))
	for l := 0; l < e.cfg.DecLayers; l++ {
		kv := e.split3(g, e.linear(g, x, fmt.Sprintf("decoder.layers.%d.encoder_attn.kv", l)), 2)
		g.output(e.heads(g, kv[0], nS), fmt.Sprintf("cross_k_%d", l), typeFloat, symbol("batch"), fixed(H), symbol("src_len"), fixed(D))
		g.output(e.heads(g, kv[1], nS), fmt.Sprintf("cross_v_%d", l), typeFloat, symbol("batch"), fixed(H), symbol("src_len"), fixed(D))
	}
	return g
}

// keyMask is the bool mask [batch, 1, 1, src_len] of the real (non-Pad) source tokens.
func (e *exporter) keyMask(g *graph, src string) string {
	pad := g.ints(int64(e.cfg.Pad))
	keep := g.op("Not", []string{g.op("Equal", []string{src, pad})})
	return g.op("Unsqueeze", []string{keep, g.ints(1, 2)})
}

// decoderStep builds decoder_step.onnx. Inputs: tokens [rows] (rows = batch·beams, the
// hypotheses of each sentence adjacent), position [1] (the step t, the same for all),
// src [batch, src_len] (for the padding mask), per decoder layer l cross_k_l, cross_v_l
// [batch, H, src_len, D] from the encoder and past_k_l, past_v_l [rows, H, past_len, D]
// (past_len = t; 0 at the first step). Outputs: logprobs [rows, V] and per layer
// present_k_l, present_v_l [rows, H, past_len+1, D].
func (e *exporter) decoderStep() *graph {
	g := newGraph("bkm_decoder_step")
	H, D, V := e.H, e.D, e.cfg.Vocab
	tok := g.input("tokens", typeInt64, symbol("rows"))
	position := g.input("position", typeInt64, fixed(1))
	src := g.input("src", typeInt64, symbol("batch"), symbol("src_len"))
	type layerIO struct{ ck, cv, pk, pv string }
	io := make([]layerIO, e.cfg.DecLayers)
	for l := range io {
		io[l].ck = g.input(fmt.Sprintf("cross_k_%d", l), typeFloat, symbol("batch"), fixed(H), symbol("src_len"), fixed(D))
		io[l].cv = g.input(fmt.Sprintf("cross_v_%d", l), typeFloat, symbol("batch"), fixed(H), symbol("src_len"), fixed(D))
	}
	for l := range io {
		io[l].pk = g.input(fmt.Sprintf("past_k_%d", l), typeFloat, symbol("rows"), fixed(H), symbol("past_len"), fixed(D))
		io[l].pv = g.input(fmt.Sprintf("past_v_%d", l), typeFloat, symbol("rows"), fixed(H), symbol("past_len"), fixed(D))
	}
	keep := e.keyMask(g, src)
	pos := g.op("Gather", []string{e.positions(g, false), position}, intAttr("axis", 0)) // [1, C]
	x := e.embed(g, tok, e.weight(g, "decoder.embed_tokens.weight"), pos)                // [rows, C]
	rowHeads := g.ints(-1, 1)                                                            // [rows, 1] sequences of one
	batch := g.op("Shape", []string{src}, intAttr("start", 0), intAttr("end", 1))
	perSentence := g.op("Concat", []string{batch, g.ints(-1)}, intAttr("axis", 0)) // [batch, beams]
	presents := make([][2]string, e.cfg.DecLayers)
	for l := 0; l < e.cfg.DecLayers; l++ {
		p := fmt.Sprintf("decoder.layers.%d.", l)
		self, cross := e.kernels[e.cfg.EncLayers+2*l], e.kernels[e.cfg.EncLayers+2*l+1]
		x = e.residual(g, x, p+"self_attn_layer_norm", func(in string) string {
			qkv := e.split3(g, e.linear(g, in, p+"self_attn.qkv"), 3)
			q, k, v := e.heads(g, qkv[0], rowHeads), e.heads(g, qkv[1], rowHeads), e.heads(g, qkv[2], rowHeads)
			pk := g.op("Concat", []string{io[l].pk, k}, intAttr("axis", 2))
			pv := g.op("Concat", []string{io[l].pv, v}, intAttr("axis", 2))
			presents[l] = [2]string{pk, pv}
			return e.linear(g, e.merge(g, self.attend(g, q, pk, pv, "")), p+"self_attn.out_proj")
		})
		x = e.residual(g, x, p+"encoder_attn_layer_norm", func(in string) string {
			// The queries of each sentence's hypotheses attend together to its keys:
			// [batch, H, beams, D] against [batch, H, src_len, D].
			q := e.heads(g, e.linear(g, in, p+"encoder_attn.q_proj"), perSentence)
			o := cross.attend(g, q, io[l].ck, io[l].cv, keep)
			return e.linear(g, e.merge(g, o), p+"encoder_attn.out_proj")
		})
		x = e.residual(g, x, p+"final_layer_norm", func(in string) string { return e.ffn(g, in, p) })
	}
	if e.cfg.PreLN {
		x = e.layerNorm(g, x, "decoder.layer_norm")
	}
	out := "decoder.embed_tokens.weight"
	if !e.cfg.ShareDecoderEmbeddings {
		out = "decoder.output_projection.weight"
	}
	logits := g.op("Gemm", []string{x, e.weight(g, out)}, intAttr("transB", 1))
	g.output(g.op("LogSoftmax", []string{logits}, intAttr("axis", -1)), "logprobs", typeFloat, symbol("rows"), fixed(V))
	for l, pr := range presents {
		g.output(pr[0], fmt.Sprintf("present_k_%d", l), typeFloat, symbol("rows"), fixed(H), symbol("present_len"), fixed(D))
		g.output(pr[1], fmt.Sprintf("present_v_%d", l), typeFloat, symbol("rows"), fixed(H), symbol("present_len"), fixed(D))
	}
	return g
}

func (e *exporter) manifest(enc, dec *graph) *Manifest {
	c := e.cfg
	m := &Manifest{Format: "bkm-onnx-1", IRVersion: irVersion, Opset: opset,
		Encoder: EncoderFile, DecoderStep: DecoderStepFile, Tokenizer: TokenizerFile,
		Vocab: c.Vocab, DModel: e.C, Heads: e.H, HeadDim: e.D, FFN: c.FFN, EncLayers: c.EncLayers, DecLayers: c.DecLayers,
		MaxLen: c.MaxLen, Pad: c.Pad, BOS: c.BOS, EOS: c.EOS, PreLN: c.PreLN, Activation: c.Activation, Positions: c.Positions,
		EncoderInputs: enc.ioIn, EncoderOutputs: enc.ioOut, DecoderStepInputs: dec.ioIn, DecoderStepOutputs: dec.ioOut,
		Operators: map[string]map[string]int{EncoderFile: enc.ops, DecoderStepFile: dec.ops}}
	for _, k := range e.kernels {
		m.Kernels = append(m.Kernels, k.name)
		m.Gammas = append(m.Gammas, k.gamma)
	}
	if m.Activation == "" {
		m.Activation = "relu"
	}
	if m.Positions == "" {
		m.Positions = "sinusoidal"
	}
	return m
}
