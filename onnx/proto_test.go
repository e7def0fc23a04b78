package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// field is one decoded protobuf field: varint (wire 0), fixed32 (5) or bytes (2).
type field struct {
	num, wire int
	v         uint64
	b         []byte
}

// parseFields decodes one message's fields, failing on anything malformed: a reader
// written from the wire format's definition, independent of pbuf.
func parseFields(t testing.TB, b []byte) []field {
	t.Helper()
	var fs []field
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		require.Greater(t, n, 0, "bad key")
		b = b[n:]
		f := field{num: int(key >> 3), wire: int(key & 7)}
		switch f.wire {
		case wireVarint:
			f.v, n = binary.Uvarint(b)
			require.Greater(t, n, 0, "bad varint")
			b = b[n:]
		case wireFixed32:
			require.GreaterOrEqual(t, len(b), 4)
			f.v = uint64(binary.LittleEndian.Uint32(b))
			b = b[4:]
		case wireBytes:
			l, n := binary.Uvarint(b)
			require.Greater(t, n, 0, "bad length")
			require.LessOrEqual(t, l, uint64(len(b)-n), "length past the end")
			f.b = b[n : n+int(l)]
			b = b[n+int(l):]
		default:
			t.Fatalf("wire type %d", f.wire)
		}
		fs = append(fs, f)
	}
	return fs
}

func fieldsNamed(fs []field, num int) []field {
	var out []field
	for _, f := range fs {
		if f.num == num {
			out = append(out, f)
		}
	}
	return out
}

func one(t testing.TB, fs []field, num int) field {
	t.Helper()
	got := fieldsNamed(fs, num)
	require.Len(t, got, 1, "field %d", num)
	return got[0]
}

func TestPbufRoundTrip(t *testing.T) {
	var p pbuf
	ints := []int64{0, 1, 127, 128, 300, 1 << 40, -1, math.MinInt64, math.MaxInt64}
	for i, v := range ints {
		p.int64(i+1, v)
	}
	p.string(20, "héllo")
	p.float32(21, -1.5)
	p.packedInt64(22, []int64{3, -2, 1 << 33})
	var inner pbuf
	inner.int64(1, 7)
	p.message(23, &inner)
	fs := parseFields(t, p.b)
	require.Len(t, fs, len(ints)+4)
	for i, v := range ints {
		require.Equal(t, i+1, fs[i].num)
		require.Equal(t, wireVarint, fs[i].wire)
		require.Equal(t, v, int64(fs[i].v), "int64 %d", v)
	}
	require.Equal(t, "héllo", string(one(t, fs, 20).b))
	require.Equal(t, float32(-1.5), math.Float32frombits(uint32(one(t, fs, 21).v)))
	var packed []int64
	for b := one(t, fs, 22).b; len(b) > 0; {
		v, n := binary.Uvarint(b)
		require.Greater(t, n, 0)
		packed, b = append(packed, int64(v)), b[n:]
	}
	require.Equal(t, []int64{3, -2, 1 << 33}, packed)
	require.Equal(t, uint64(7), one(t, parseFields(t, one(t, fs, 23).b), 1).v)
}

// decodedGraph is what the tests read back from a ModelProto.
type decodedGraph struct {
	ir, opset   int64
	nodes       []decodedNode
	inits       map[string]decodedTensor
	inputs      []string
	outputs     []string
	outputShape map[string][]string // dims as values or symbols
}

type decodedNode struct {
	op      string
	inputs  []string
	outputs []string
	attrs   map[string]field
}

type decodedTensor struct {
	dims []int64
	elem int64
	raw  []byte
}

func decodeModel(t testing.TB, b []byte) decodedGraph {
	t.Helper()
	m := parseFields(t, b)
	d := decodedGraph{ir: int64(one(t, m, modelIRVersion).v), inits: map[string]decodedTensor{}, outputShape: map[string][]string{}}
	os := parseFields(t, one(t, m, modelOpsetImport).b)
	require.Equal(t, "", string(one(t, os, opsetDomain).b))
	d.opset = int64(one(t, os, opsetVersion).v)
	g := parseFields(t, one(t, m, modelGraph).b)
	for _, f := range fieldsNamed(g, graphNode) {
		nf := parseFields(t, f.b)
		n := decodedNode{op: string(one(t, nf, nodeOpType).b), attrs: map[string]field{}}
		for _, in := range fieldsNamed(nf, nodeInput) {
			n.inputs = append(n.inputs, string(in.b))
		}
		for _, out := range fieldsNamed(nf, nodeOutput) {
			n.outputs = append(n.outputs, string(out.b))
		}
		for _, a := range fieldsNamed(nf, nodeAttribute) {
			af := parseFields(t, a.b)
			typ := int(one(t, af, attrType).v)
			val := map[int]int{attrTInt: attrInt, attrTFloat: attrFloat, attrTInts: attrInts}[typ]
			require.NotZero(t, val, "attribute type %d", typ)
			n.attrs[string(one(t, af, attrName).b)] = one(t, af, val)
		}
		d.nodes = append(d.nodes, n)
	}
	for _, f := range fieldsNamed(g, graphInitializer) {
		tf := parseFields(t, f.b)
		var td decodedTensor
		for _, dm := range fieldsNamed(tf, tensorDims) {
			td.dims = append(td.dims, int64(dm.v))
		}
		td.elem = int64(one(t, tf, tensorDataType).v)
		td.raw = one(t, tf, tensorRawData).b
		d.inits[string(one(t, tf, tensorName).b)] = td
	}
	vi := func(f field) (string, []string) {
		vf := parseFields(t, f.b)
		ty := parseFields(t, one(t, vf, valueType).b)
		tt := parseFields(t, one(t, ty, typeTensor).b)
		var dims []string
		for _, dm := range fieldsNamed(parseFields(t, one(t, tt, tensorTypeShape).b), shapeDim) {
			df := parseFields(t, dm.b)
			if p := fieldsNamed(df, dimParam); len(p) == 1 {
				dims = append(dims, string(p[0].b))
			} else {
				dims = append(dims, fmt.Sprint(one(t, df, dimValue).v))
			}
		}
		return string(one(t, vf, valueName).b), dims
	}
	for _, f := range fieldsNamed(g, graphInput) {
		name, _ := vi(f)
		d.inputs = append(d.inputs, name)
	}
	for _, f := range fieldsNamed(g, graphOutput) {
		name, dims := vi(f)
		d.outputs = append(d.outputs, name)
		d.outputShape[name] = dims
	}
	return d
}
