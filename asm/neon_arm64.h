// NEON instructions Go's arm64 assembler does not have (vector floating-point
// arithmetic, compares and conversions, signed shifts, integer multiply), encoded
// with WORD, for vecmath_arm64.s, level1_arm64.s and sgemm_arm64.s. Arguments are register
// numbers: FADD4S(1, 2, 3) is FADD V1.4S, V2.4S, V3.4S. The comment above each
// macro is its instruction; scripts/check-arm64-words assembles it with GNU as
// (aarch64-linux-gnu-as) for two register assignments and compares the words.
// Everything the assembler has (VFMLA, VFMLS, VADD, VSUB, VAND, VORR, VEOR, VBIT,
// VBIF, VMOV, VTBL, VUSHR, VSHL) is written natively in the .s files.

// FADD Vd.4S, Vn.4S, Vm.4S
#define FADD4S(d, n, m) WORD $(0x4E20D400|((m)<<16)|((n)<<5)|(d))
// FSUB Vd.4S, Vn.4S, Vm.4S  (d = n − m)
#define FSUB4S(d, n, m) WORD $(0x4EA0D400|((m)<<16)|((n)<<5)|(d))
// FMUL Vd.4S, Vn.4S, Vm.4S
#define FMUL4S(d, n, m) WORD $(0x6E20DC00|((m)<<16)|((n)<<5)|(d))
// FDIV Vd.4S, Vn.4S, Vm.4S  (d = n / m)
#define FDIV4S(d, n, m) WORD $(0x6E20FC00|((m)<<16)|((n)<<5)|(d))
// FMIN Vd.4S, Vn.4S, Vm.4S  (NaN if either is NaN)
#define FMIN4S(d, n, m) WORD $(0x4EA0F400|((m)<<16)|((n)<<5)|(d))
// FMAX Vd.4S, Vn.4S, Vm.4S  (NaN if either is NaN)
#define FMAX4S(d, n, m) WORD $(0x4E20F400|((m)<<16)|((n)<<5)|(d))
// FABS Vd.4S, Vn.4S
#define FABS4S(d, n) WORD $(0x4EA0F800|((n)<<5)|(d))
// FCMGT Vd.4S, Vn.4S, Vm.4S  (all ones where n > m, false for NaN)
#define FCMGT4S(d, n, m) WORD $(0x6EA0E400|((m)<<16)|((n)<<5)|(d))
// FCMEQ Vd.4S, Vn.4S, Vm.4S
#define FCMEQ4S(d, n, m) WORD $(0x4E20E400|((m)<<16)|((n)<<5)|(d))
// CMGT Vd.4S, Vn.4S, Vm.4S  (signed int32 n > m)
#define CMGT4S(d, n, m) WORD $(0x4EA03400|((m)<<16)|((n)<<5)|(d))
// SSHR Vd.4S, Vn.4S, #23
#define SSHR4S_23(d, n) WORD $(0x4F290400|((n)<<5)|(d))
// SSHR Vd.4S, Vn.4S, #1
#define SSHR4S_1(d, n) WORD $(0x4F3F0400|((n)<<5)|(d))
// SSHR Vd.4S, Vn.4S, #3
#define SSHR4S_3(d, n) WORD $(0x4F3D0400|((n)<<5)|(d))
// MUL Vd.4S, Vn.4S, Vm.4S  (int32)
#define MUL4S(d, n, m) WORD $(0x4EA09C00|((m)<<16)|((n)<<5)|(d))
// SCVTF Vd.4S, Vn.4S
#define SCVTF4S(d, n) WORD $(0x4E21D800|((n)<<5)|(d))
// FADDP Vd.4S, Vn.4S, Vm.4S
#define FADDP4S(d, n, m) WORD $(0x6E20D400|((m)<<16)|((n)<<5)|(d))
// FADDP Sd, Vn.2S
#define FADDPS(d, n) WORD $(0x7E30D800|((n)<<5)|(d))
// FMAXV Sd, Vn.4S
#define FMAXVS(d, n) WORD $(0x6E30F800|((n)<<5)|(d))
// FMLA Vd.4S, Vn.4S, Vm.S[0]  (d += n · lane 0 of m; L:H select the lane)
#define FMLA4S_S0(d, n, m) WORD $(0x4F801000|((m)<<16)|((n)<<5)|(d))
// FMLA Vd.4S, Vn.4S, Vm.S[1]
#define FMLA4S_S1(d, n, m) WORD $(0x4FA01000|((m)<<16)|((n)<<5)|(d))
// FMLA Vd.4S, Vn.4S, Vm.S[2]
#define FMLA4S_S2(d, n, m) WORD $(0x4F801800|((m)<<16)|((n)<<5)|(d))
// FMLA Vd.4S, Vn.4S, Vm.S[3]
#define FMLA4S_S3(d, n, m) WORD $(0x4FA01800|((m)<<16)|((n)<<5)|(d))
