package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
)

// graph builds one ONNX GraphProto: nodes in topological order (each added after its
// inputs exist), initializers (the weights, as raw little-endian data), and the typed
// inputs and outputs. Value names are unique: every node output gets a fresh name.
type graph struct {
	name            string
	nodes           []pbuf
	inits           []pbuf
	inputs, outputs []pbuf
	ops             map[string]int // node count per operator type (the manifest lists them)
	fresh           int
	consts          map[string]string // constant key → initializer name, so each is stored once
	weightBytes     int
	ioIn, ioOut     []IO // the inputs and outputs, for the manifest
}

func newGraph(name string) *graph {
	return &graph{name: name, ops: map[string]int{}, consts: map[string]string{}}
}

// attr is one node attribute: an int, a float or a list of ints.
type attr struct {
	name string
	kind int
	i    int64
	f    float32
	ints []int64
}

func intAttr(name string, v int64) attr     { return attr{name: name, kind: attrTInt, i: v} }
func floatAttr(name string, v float32) attr { return attr{name: name, kind: attrTFloat, f: v} }
func intsAttr(name string, v ...int64) attr { return attr{name: name, kind: attrTInts, ints: v} }

// node adds a node with nout fresh outputs and returns their names.
func (g *graph) node(op string, inputs []string, nout int, attrs ...attr) []string {
	g.ops[op]++
	var n pbuf
	for _, in := range inputs {
		n.string(nodeInput, in)
	}
	outs := make([]string, nout)
	for i := range outs {
		g.fresh++
		outs[i] = fmt.Sprintf("%s_%d", op, g.fresh)
		n.string(nodeOutput, outs[i])
	}
	n.string(nodeName, fmt.Sprintf("n%d_%s", g.fresh, op))
	n.string(nodeOpType, op)
	for _, a := range attrs {
		var p pbuf
		p.string(attrName, a.name)
		switch a.kind {
		case attrTInt:
			p.int64(attrInt, a.i)
		case attrTFloat:
			p.float32(attrFloat, a.f)
		case attrTInts:
			p.packedInt64(attrInts, a.ints)
		}
		p.int64(attrType, int64(a.kind))
		n.message(nodeAttribute, &p)
	}
	g.nodes = append(g.nodes, n)
	return outs
}

// op adds a node with one output and returns its name.
func (g *graph) op(op string, inputs []string, attrs ...attr) string {
	return g.node(op, inputs, 1, attrs...)[0]
}

// rename makes the last node's output carry a graph output's name: the node that
// produced value is rewritten to write name instead.
func (g *graph) identity(value, name string) {
	g.ops["Identity"]++
	var n pbuf
	n.string(nodeInput, value)
	n.string(nodeOutput, name)
	n.string(nodeName, "out_"+name)
	n.string(nodeOpType, "Identity")
	g.nodes = append(g.nodes, n)
}

func tensorProto(name string, elem int, dims []int64, raw []byte) pbuf {
	var t pbuf
	for _, d := range dims {
		t.int64(tensorDims, d)
	}
	t.int64(tensorDataType, int64(elem))
	t.string(tensorName, name)
	t.bytes(tensorRawData, raw)
	return t
}

// weight stores a float32 initializer called name with the given shape.
func (g *graph) weight(name string, dims []int64, data []float32) string {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	if int64(len(data)) != n {
		panic(fmt.Sprintf("onnx: weight %s: %d values for shape %v", name, len(data), dims))
	}
	raw := make([]byte, 0, 4*len(data))
	for _, v := range data {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	g.inits = append(g.inits, tensorProto(name, typeFloat, dims, raw))
	g.weightBytes += len(raw)
	return name
}

// scalar is a float32 constant of shape [] (broadcasts against anything).
func (g *graph) scalar(v float32) string {
	key := fmt.Sprintf("f%08x", math.Float32bits(v))
	if name, ok := g.consts[key]; ok {
		return name
	}
	name := "const_" + key
	raw := binary.LittleEndian.AppendUint32(nil, math.Float32bits(v))
	g.inits = append(g.inits, tensorProto(name, typeFloat, nil, raw))
	g.consts[key] = name
	return name
}

// ints is a 1-D int64 constant (shapes, axes, split sizes).
func (g *graph) ints(v ...int64) string {
	key := fmt.Sprint("i", v)
	if name, ok := g.consts[key]; ok {
		return name
	}
	name := fmt.Sprintf("const_i%d", len(g.consts))
	raw := make([]byte, 0, 8*len(v))
	for _, x := range v {
		raw = binary.LittleEndian.AppendUint64(raw, uint64(x))
	}
	g.inits = append(g.inits, tensorProto(name, typeInt64, []int64{int64(len(v))}, raw))
	g.consts[key] = name
	return name
}

// dim is one dimension of a graph input or output: a fixed size, or a symbolic name.
type dim struct {
	size  int64
	param string
}

func fixed(n int) dim     { return dim{size: int64(n)} }
func symbol(s string) dim { return dim{param: s} }

func valueInfo(name string, elem int, dims []dim) pbuf {
	var shape pbuf
	for _, d := range dims {
		var dp pbuf
		if d.param != "" {
			dp.string(dimParam, d.param)
		} else {
			dp.int64(dimValue, d.size)
		}
		shape.message(shapeDim, &dp)
	}
	var tt pbuf
	tt.int64(tensorTypeElem, int64(elem))
	tt.message(tensorTypeShape, &shape)
	var ty pbuf
	ty.message(typeTensor, &tt)
	var v pbuf
	v.string(valueName, name)
	v.message(valueType, &ty)
	return v
}

func describe(name string, elem int, dims []dim) IO {
	io := IO{Name: name, Type: map[int]string{typeFloat: "float32", typeInt64: "int64", typeBool: "bool"}[elem]}
	for _, d := range dims {
		if d.param != "" {
			io.Shape = append(io.Shape, d.param)
		} else {
			io.Shape = append(io.Shape, d.size)
		}
	}
	return io
}

func (g *graph) input(name string, elem int, dims ...dim) string {
	g.inputs = append(g.inputs, valueInfo(name, elem, dims))
	g.ioIn = append(g.ioIn, describe(name, elem, dims))
	return name
}

// output names value as a graph output called name.
func (g *graph) output(value, name string, elem int, dims ...dim) {
	g.identity(value, name)
	g.outputs = append(g.outputs, valueInfo(name, elem, dims))
	g.ioOut = append(g.ioOut, describe(name, elem, dims))
}

// model encodes the ModelProto holding the graph.
func (g *graph) model(doc string) []byte {
	var gp pbuf
	for i := range g.nodes {
		gp.message(graphNode, &g.nodes[i])
	}
	gp.string(graphName, g.name)
	for i := range g.inits {
		gp.message(graphInitializer, &g.inits[i])
	}
	for i := range g.inputs {
		gp.message(graphInput, &g.inputs[i])
	}
	for i := range g.outputs {
		gp.message(graphOutput, &g.outputs[i])
	}
	var os pbuf
	os.string(opsetDomain, "")
	os.int64(opsetVersion, opset)
	var m pbuf
	m.int64(modelIRVersion, irVersion)
	m.string(modelProducer, "bkm")
	m.string(modelProducerVer, "1")
	m.string(modelDocString, doc)
	m.message(modelGraph, &gp)
	m.message(modelOpsetImport, &os)
	return m.b
}
