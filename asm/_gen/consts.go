package main

import "math"

// The one table of the vector-math constants. Each row: the name the assembly uses
// (a DATA symbol name<>(SB) on amd64, a #define of the bits on arm64), the name of the
// Go constant the twins use (none if they do not), the float32 bit pattern, what it
// is, and, where the bits are the float32 rounding of a formula, that formula
// (checked when generating).
//
// The polynomial coefficients were fitted by a Remez exchange in float64 (relative
// error, fixed low-order terms) and rounded to float32; their bits are those values.

type kind int

const (
	floatKind kind = iota // a float32 value
	bitsKind              // an integer or a bit mask, used by integer instructions
)

// where: which files carry a row.
const (
	amd64  = 1 << iota // vecmath_consts_amd64.h, a 32-byte vector (or table)
	arm64              // vecmath_consts_arm64.h
	scalar             // on amd64 a single 4-byte value instead of a vector
	both   = amd64 | arm64
)

type konst struct {
	name    string
	goName  string
	bits    uint32
	table   []uint32 // an 8-entry table instead of one value
	kind    kind
	where   int
	meaning string
	from    func() float64
}

func f(v float64) func() float64 { return func() float64 { return v } }

var consts = []konst{
	// Common values.
	{name: "vmOne", bits: 0x3f800000, where: both, meaning: "1.0", from: f(1)},
	{name: "vmTwo", bits: 0x40000000, where: both, meaning: "2.0", from: f(2)},
	{name: "vmHalf", bits: 0x3f000000, where: both, meaning: "0.5", from: f(0.5)},
	{name: "vmAbsMask", bits: 0x7fffffff, kind: bitsKind, where: both, meaning: "clears the sign bit"},
	{name: "vmSignMask", bits: 0x80000000, kind: bitsKind, where: both, meaning: "the sign bit"},
	{name: "vmBias127", bits: 0x0000007f, kind: bitsKind, where: both, meaning: "int32 127, the exponent bias"},

	// exp: x = k·ln2/8 + r, |r| ≤ ln2/16, k = round(8x·log2e); e^x = 2^(k>>3)·T[k&7]·e^r
	// with T[j] = 2^(j/8) held as float32 hi + lo (expTabHi, expTabLo).
	{name: "exp8Log2e", goName: "exp8Log2e", bits: 0x4138aa3b, where: both, meaning: "float32(8·log2 e)", from: f(8 * math.Log2E)},
	{name: "expShifter", goName: "expShifter", bits: 0x4b400000, where: both, meaning: "0x1.8p23: adding it rounds to an integer kept in the low mantissa bits", from: f(0x1.8p23)},
	{name: "exp8Ln2Hi", goName: "exp8Ln2Hi", bits: 0x3db17218, where: both, meaning: "float32(ln 2)/8", from: f(float64(float32(math.Ln2)) / 8)},
	{name: "exp8Ln2Lo", goName: "exp8Ln2Lo", bits: 0xaf82e308, where: both, meaning: "float32(ln 2/8 − exp8Ln2Hi)", from: f(math.Ln2/8 - float64(float32(math.Ln2))/8)},
	// Inputs are clamped to [expMin, expMax] first: exp(88.8) overflows to +Inf and
	// exp(−104) rounds to +0, so the clamp changes no result and keeps k>>3 in [−150, 128].
	{name: "expMax", goName: "expMax", bits: 0x42b1999a, where: both, meaning: "88.8, the upper clamp", from: f(88.8)},
	{name: "expMin", goName: "expMin", bits: 0xc2d00000, where: both, meaning: "−104, the lower clamp", from: f(-104)},
	// e^r ≈ 1 + r + r²·(½ + r/6 + r²/24) on |r| ≤ ln2/16: relative error 1.4e-9
	// before rounding (0.02 ULP).
	{name: "expC1", goName: "expC1", bits: 0x3e2aaaab, where: both, meaning: "float32(1/6)", from: f(1.0 / 6)},
	{name: "expC2", goName: "expC2", bits: 0x3d2aaaab, where: both, meaning: "float32(1/24)", from: f(1.0 / 24)},
	{name: "expExpMask", bits: 0xff800000, kind: bitsKind, where: both, meaning: "sign and exponent field"},
	{name: "expFastMax", bits: 0x42ae0000, kind: bitsKind, where: both, meaning: "bits of 87.0: |x| ≤ 87 gives a normal result", from: f(87)},
	{name: "expTabHi", goName: "expTabHi", where: both, meaning: "2^(j/8) = expTabHi[j] + expTabLo[j] to 48 bits, j = 0..7",
		table: []uint32{0x3f800000, 0x3f8b95c2, 0x3f9837f0, 0x3fa5fed7, 0x3fb504f3, 0x3fc5672a, 0x3fd744fd, 0x3feac0c7}},
	{name: "expTabLo", goName: "expTabLo", where: both, meaning: "2^(j/8) − expTabHi[j], rounded to float32",
		table: []uint32{0x00000000, 0xb260aba1, 0x33231b71, 0xb32c9d5e, 0x32cfe77a, 0x320aa837, 0xb2d4a58a, 0xb24116de}},
	// NEON's TBL picks bytes: lane index k&7 becomes byte indices 4j..4j+3.
	{name: "expIndexMask", bits: 0x00000007, kind: bitsKind, where: arm64, meaning: "int32 7: k&7 selects the table entry"},
	{name: "expByteSpread", bits: 0x04040404, kind: bitsKind, where: arm64, meaning: "j·0x04040404 puts 4j in each byte of a lane"},
	{name: "expByteOffsets", bits: 0x03020100, kind: bitsKind, where: arm64, meaning: "the byte offsets 0..3 within a float32"},

	// log: x = 2^e·m with m in [√½, √2), f = m − 1; log x = e·ln2 + f + f²·Q(f).
	{name: "logNormalSpan", bits: 0x7effffff, kind: bitsKind, where: amd64 | scalar, meaning: "bits(MaxFloat32) − bits(min normal): x is a positive normal number exactly when bits(x) − 0x800000, as unsigned, is at most this"},
	{name: "logSqrtHalf", goName: "logSqrtHalfBits", bits: 0x3f3504f3, kind: bitsKind, where: both, meaning: "bits of float32(√½)", from: f(math.Sqrt(0.5))},
	{name: "logMant", bits: 0x007fffff, kind: bitsKind, where: both, meaning: "mantissa field"},
	{name: "logMinNormal", bits: 0x00800000, kind: bitsKind, where: both, meaning: "bits of the smallest normal"},
	{name: "logInfBits", bits: 0x7f800000, kind: bitsKind, where: both, meaning: "bits of +Inf"},
	{name: "logTwo23", goName: "logTwo23", bits: 0x4b000000, where: both, meaning: "2^23, the scale of subnormal inputs", from: f(0x1p23)},
	{name: "logMinus23", bits: 0xffffffe9, kind: bitsKind, where: both, meaning: "int32 −23"},
	{name: "logNaN", bits: 0x7fc00000, kind: bitsKind, where: both, meaning: "quiet NaN"},
	{name: "logNegInf", bits: 0xff800000, kind: bitsKind, where: both, meaning: "−Inf"},
	{name: "logLn2Hi", goName: "logLn2Hi", bits: 0x3f317200, where: both, meaning: "ln 2 to 15 bits: e·logLn2Hi is exact for |e| < 256"},
	{name: "logLn2Lo", goName: "logLn2Lo", bits: 0x35bfbe8e, where: both, meaning: "float32(ln 2 − logLn2Hi)", from: f(math.Ln2 - float64(math.Float32frombits(0x3f317200)))},
	// Q(f) ≈ (log1p(f) − f)/f² on [√½−1, √2−1]: relative error of f²·Q against
	// log1p(f) is 4.1e-9 before rounding.
	{name: "logC0", goName: "logC0", bits: 0xbefffffc, where: both, meaning: "Q's coefficient of f⁰"},
	{name: "logC1", goName: "logC1", bits: 0x3eaaaaa8, where: both, meaning: "Q's coefficient of f¹"},
	{name: "logC2", goName: "logC2", bits: 0xbe800214, where: both, meaning: "Q's coefficient of f²"},
	{name: "logC3", goName: "logC3", bits: 0x3e4cd1fa, where: both, meaning: "Q's coefficient of f³"},
	{name: "logC4", goName: "logC4", bits: 0xbe2a13a4, where: both, meaning: "Q's coefficient of f⁴"},
	{name: "logC5", goName: "logC5", bits: 0x3e1138ad, where: both, meaning: "Q's coefficient of f⁵"},
	{name: "logC6", goName: "logC6", bits: 0xbe079c3d, where: both, meaning: "Q's coefficient of f⁶"},
	{name: "logC7", goName: "logC7", bits: 0x3e04254d, where: both, meaning: "Q's coefficient of f⁷"},
	{name: "logC8", goName: "logC8", bits: 0xbd9c1810, where: both, meaning: "Q's coefficient of f⁸"},

	// tanh: |x| < tanhSmall uses x + x³·P(x²); above it 1 − 2/(e^{2|x|} + 1).
	// tanh(x) rounds to 1 for |x| > 9.01, so |x| is clamped to tanhMax (no Inf, and the
	// exponent of e^{2|x|} stays small enough to be scaled in one step).
	{name: "tanhSmall", goName: "tanhSmall", bits: 0x3f100000, where: both, meaning: "0.5625", from: f(0.5625)},
	{name: "tanhMax", goName: "tanhMax", bits: 0x41200000, where: both, meaning: "10, the clamp of |x| (and the upper clamp of GELU')", from: f(10)},
	// P(t) ≈ (tanh √t − √t)/t^{3/2} on t in [0, 0.5625²]: relative error 1.3e-9.
	{name: "tanhC0", goName: "tanhC0", bits: 0xbeaaaaa4, where: both, meaning: "P's coefficient of t⁰"},
	{name: "tanhC1", goName: "tanhC1", bits: 0x3e088639, where: both, meaning: "P's coefficient of t¹"},
	{name: "tanhC2", goName: "tanhC2", bits: 0xbd5c84a3, where: both, meaning: "P's coefficient of t²"},
	{name: "tanhC3", goName: "tanhC3", bits: 0x3cac17d8, where: both, meaning: "P's coefficient of t³"},
	{name: "tanhC4", goName: "tanhC4", bits: 0xbbca800e, where: both, meaning: "P's coefficient of t⁴"},

	// GELU (tanh form): gelu(x) = ½·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³).
	{name: "geluK1", goName: "geluK1", bits: 0x3d372713, where: both, meaning: "float32(0.044715)", from: f(0.044715)},
	{name: "geluK1x3", goName: "geluK1x3", bits: 0x3e095d4f, where: both, meaning: "float32(3·0.044715), in gelu'", from: f(3 * 0.044715)},
	{name: "geluBwdMin", goName: "geluBwdMin", bits: 0xc1200000, where: both, meaning: "−10, the lower clamp of GELU and GELU' (the upper is tanhMax)", from: f(-10)},
	// The kernels compute ½(1 + tanh u) as the logistic 1/(1 + e^{−2u}): −2u = geluM2K0·(x + k1·x³).
	{name: "geluM2K0", goName: "geluM2K0", bits: 0xbfcc422a, where: both, meaning: "float32(−2·√(2/π))", from: f(-2 * math.Sqrt(2/math.Pi))},
}
