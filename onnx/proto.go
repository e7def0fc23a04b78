package onnx

import (
	"encoding/binary"
	"math"
)

// The protobuf wire format, as much of it as ONNX's ModelProto needs: a message is a
// sequence of fields, each a key (field number << 3 | wire type) followed by a varint
// (wire type 0), 4 little-endian bytes (type 5) or a length-delimited payload (type 2:
// strings, bytes, embedded messages, packed repeated scalars).
const (
	wireVarint  = 0
	wireBytes   = 2
	wireFixed32 = 5
)

// pbuf accumulates one message's encoding.
type pbuf struct{ b []byte }

func (p *pbuf) key(field, wire int) { p.b = binary.AppendUvarint(p.b, uint64(field)<<3|uint64(wire)) }

// int64 writes a varint field; zero is written too (ONNX readers accept it and some
// fields, like a dimension of 0, mean it).
func (p *pbuf) int64(field int, v int64) {
	p.key(field, wireVarint)
	p.b = binary.AppendUvarint(p.b, uint64(v))
}

func (p *pbuf) bytes(field int, v []byte) {
	p.key(field, wireBytes)
	p.b = binary.AppendUvarint(p.b, uint64(len(v)))
	p.b = append(p.b, v...)
}

func (p *pbuf) string(field int, v string) { p.bytes(field, []byte(v)) }

func (p *pbuf) message(field int, m *pbuf) { p.bytes(field, m.b) }

func (p *pbuf) float32(field int, v float32) {
	p.key(field, wireFixed32)
	p.b = binary.LittleEndian.AppendUint32(p.b, math.Float32bits(v))
}

// packedInt64 writes a packed repeated int64 field.
func (p *pbuf) packedInt64(field int, v []int64) {
	var q pbuf
	for _, x := range v {
		q.b = binary.AppendUvarint(q.b, uint64(x))
	}
	p.bytes(field, q.b)
}

// Field numbers of onnx.proto (IR version 8) for the messages written here.
const (
	modelIRVersion   = 1
	modelProducer    = 2
	modelProducerVer = 3
	modelDocString   = 6
	modelGraph       = 7
	modelOpsetImport = 8

	opsetDomain  = 1
	opsetVersion = 2

	graphNode        = 1
	graphName        = 2
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12

	nodeInput     = 1
	nodeOutput    = 2
	nodeName      = 3
	nodeOpType    = 4
	nodeAttribute = 5

	attrName   = 1
	attrFloat  = 2
	attrInt    = 3
	attrInts   = 8
	attrType   = 20
	attrTFloat = 1 // AttributeProto.AttributeType
	attrTInt   = 2
	attrTInts  = 7

	tensorDims     = 1
	tensorDataType = 2
	tensorName     = 8
	tensorRawData  = 9

	valueName       = 1
	valueType       = 2
	typeTensor      = 1
	tensorTypeElem  = 1
	tensorTypeShape = 2
	shapeDim        = 1
	dimValue        = 1
	dimParam        = 2
)

// Element types (TensorProto.DataType).
const (
	typeFloat = 1
	typeInt64 = 7
	typeBool  = 9
)

// irVersion and opsetVersion are what the models declare: IR 8 carries opset 17, whose
// LayerNormalization and axes-as-input reductions the graphs use.
const (
	irVersion = 8
	opset     = 17
)
