/*
 * RISC-V F/D test-vector generator.
 *
 * Cross-compiled for riscv64 (static) and run under qemu-riscv64. Every
 * instruction is executed for real through inline assembly on operands that
 * mix special values, boundary values and random bit patterns, in every
 * static rounding mode and in the dynamic mode (rm=7) with a random frm.
 * fflags are cleared before and read right after each instruction.
 *
 * Usage: fpugen SEED PER_RM PER_OP > vectors.bin
 *   PER_RM: vectors per (instruction, rounding-mode) pair for rounding ops
 *   PER_OP: vectors per instruction for instructions without a rounding mode
 *
 * Output format (little endian):
 *   "FPV1" u16 nops, then per op: u8 kind, u8 namelen, name bytes
 *   then records until EOF: u8 op, u8 (rm | frm << 4), u8 fflags,
 *   then the operands as u64 (count given by kind), then the u64 result.
 *
 * Kinds (operands / destination):
 *   0 FFF  (f rs1, f rs2 -> f rd, uses rm)      1 FF  (f rs1 -> f rd, uses rm)
 *   2 FFFF (f rs1, rs2, rs3 -> f rd, uses rm)   3 FFF_N (f rs1, f rs2 -> f rd, no rm)
 *   4 XFF  (f rs1, f rs2 -> x rd, no rm)        5 XF  (f rs1 -> x rd, uses rm)
 *   6 XF_N (f rs1 -> x rd, no rm)               7 FX  (x rs1 -> f rd, uses rm)
 *   8 FX_N (x rs1 -> f rd, no rm)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_FFF, K_FF, K_FFFF, K_FFF_N, K_XFF, K_XF, K_XF_N, K_FX, K_FX_N };
static const int kind_inputs[] = {2, 1, 3, 2, 2, 1, 1, 1, 1};
static const int kind_has_rm[] = {1, 1, 1, 0, 0, 1, 0, 1, 0};

typedef uint64_t (*opfn)(uint64_t a, uint64_t b, uint64_t c, uint64_t *flags);

/* ---------- one C function per (instruction, rounding mode) ---------- */

#define PRE "csrw fflags, zero\n\t"
#define POST "\n\tcsrr %1, fflags"

#define DEF_FFF(fn, mn, rm, rmn_)                                                              \
  static uint64_t fn(uint64_t a, uint64_t b, uint64_t c, uint64_t *fl) {                 \
    uint64_t r, f; (void)c;                                                              \
    __asm__ volatile("fmv.d.x ft1, %2\n\tfmv.d.x ft2, %3\n\t" PRE mn " ft0, ft1, ft2" rm \
                     POST "\n\tfmv.x.d %0, ft0"                                          \
                     : "=&r"(r), "=&r"(f) : "r"(a), "r"(b) : "ft0", "ft1", "ft2");        \
    *fl = f; return r; }
#define DEF_FF(fn, mn, rm, rmn_)                                                               \
  static uint64_t fn(uint64_t a, uint64_t b, uint64_t c, uint64_t *fl) {                 \
    uint64_t r, f; (void)b; (void)c;                                                     \
    __asm__ volatile("fmv.d.x ft1, %2\n\t" PRE mn " ft0, ft1" rm                         \
                     POST "\n\tfmv.x.d %0, ft0"                                          \
                     : "=&r"(r), "=&r"(f) : "r"(a) : "ft0", "ft1");                       \
    *fl = f; return r; }
#define DEF_FFFF(fn, mn, rm, rmn_)                                                             \
  static uint64_t fn(uint64_t a, uint64_t b, uint64_t c, uint64_t *fl) {                 \
    uint64_t r, f;                                                                       \
    __asm__ volatile("fmv.d.x ft1, %2\n\tfmv.d.x ft2, %3\n\tfmv.d.x ft3, %4\n\t" PRE    \
                     mn " ft0, ft1, ft2, ft3" rm POST "\n\tfmv.x.d %0, ft0"              \
                     : "=&r"(r), "=&r"(f) : "r"(a), "r"(b), "r"(c)                        \
                     : "ft0", "ft1", "ft2", "ft3");                                      \
    *fl = f; return r; }
#define DEF_XFF_BODY(fn, mn, rm)                                                            \
  static uint64_t fn(uint64_t a, uint64_t b, uint64_t c, uint64_t *fl) {                 \
    uint64_t r, f; (void)c;                                                              \
    __asm__ volatile("fmv.d.x ft1, %2\n\tfmv.d.x ft2, %3\n\t" PRE mn " %0, ft1, ft2" rm  \
                     POST : "=&r"(r), "=&r"(f) : "r"(a), "r"(b) : "ft1", "ft2");         \
    *fl = f; return r; }
#define DEF_XF(fn, mn, rm, rmn_)                                                               \
  static uint64_t fn(uint64_t a, uint64_t b, uint64_t c, uint64_t *fl) {                 \
    uint64_t r, f; (void)b; (void)c;                                                     \
    __asm__ volatile("fmv.d.x ft1, %2\n\t" PRE mn " %0, ft1" rm                          \
                     POST : "=&r"(r), "=&r"(f) : "r"(a) : "ft1");                         \
    *fl = f; return r; }
#define DEF_FX(fn, mn, rm, rmn_)                                                               \
  static uint64_t fn(uint64_t a, uint64_t b, uint64_t c, uint64_t *fl) {                 \
    uint64_t r, f; (void)b; (void)c;                                                     \
    __asm__ volatile(PRE mn " ft0, %2" rm POST "\n\tfmv.x.d %0, ft0"                     \
                     : "=&r"(r), "=&r"(f) : "r"(a) : "ft0");                              \
    *fl = f; return r; }

/* The assembler refuses a rounding mode on exact conversions (fcvt.d.w,
 * fcvt.d.wu, fcvt.d.s), yet the field exists and must be decoded: .insn */
#define DEF_FXE(fn, f7, rs2, rmn)                                                        \
  static uint64_t fn(uint64_t a, uint64_t b, uint64_t c, uint64_t *fl) {                 \
    uint64_t r, f; (void)b; (void)c;                                                     \
    __asm__ volatile(PRE ".insn r 0x53, " #rmn ", " #f7 ", ft0, %2, " #rs2               \
                     POST "\n\tfmv.x.d %0, ft0" : "=&r"(r), "=&r"(f) : "r"(a) : "ft0");   \
    *fl = f; return r; }
#define DEF_FFE(fn, f7, rs2, rmn)                                                        \
  static uint64_t fn(uint64_t a, uint64_t b, uint64_t c, uint64_t *fl) {                 \
    uint64_t r, f; (void)b; (void)c;                                                     \
    __asm__ volatile("fmv.d.x ft1, %2\n\t" PRE ".insn r 0x53, " #rmn ", " #f7 ", ft0, ft1, " #rs2 \
                     POST "\n\tfmv.x.d %0, ft0" : "=&r"(r), "=&r"(f) : "r"(a) : "ft0", "ft1"); \
    *fl = f; return r; }
#define DEF_FX_DW(fn, mn, rm, rmn) DEF_FXE(fn, 0x69, x0, rmn)
#define DEF_FX_DWU(fn, mn, rm, rmn) DEF_FXE(fn, 0x69, x1, rmn)
#define DEF_FF_DS(fn, mn, rm, rmn) DEF_FFE(fn, 0x21, f0, rmn)
#define K_FX_DW K_FX
#define K_FX_DWU K_FX
#define K_FF_DS K_FF

/* instructions without a rounding-mode operand ignore the rm suffix */
#define DEF_FFF_N(fn, mn, rm, rmn) DEF_FFF(fn, mn, "", 0)
#define DEF_XFF(fn, mn, rm, rmn) DEF_XFF_BODY(fn, mn, "")
#define DEF_XF_N(fn, mn, rm, rmn) DEF_XF(fn, mn, "", 0)
#define DEF_FX_N(fn, mn, rm, rmn) DEF_FX(fn, mn, "", 0)

/* instruction list: X(id, mnemonic, kind) */
#define OPS(X)                                                     \
  X(fadd_s, "fadd.s", FFF) X(fsub_s, "fsub.s", FFF)                \
  X(fmul_s, "fmul.s", FFF) X(fdiv_s, "fdiv.s", FFF)                \
  X(fsqrt_s, "fsqrt.s", FF)                                        \
  X(fmadd_s, "fmadd.s", FFFF) X(fmsub_s, "fmsub.s", FFFF)          \
  X(fnmsub_s, "fnmsub.s", FFFF) X(fnmadd_s, "fnmadd.s", FFFF)      \
  X(fmin_s, "fmin.s", FFF_N) X(fmax_s, "fmax.s", FFF_N)            \
  X(fsgnj_s, "fsgnj.s", FFF_N) X(fsgnjn_s, "fsgnjn.s", FFF_N)      \
  X(fsgnjx_s, "fsgnjx.s", FFF_N)                                   \
  X(feq_s, "feq.s", XFF) X(flt_s, "flt.s", XFF) X(fle_s, "fle.s", XFF) \
  X(fclass_s, "fclass.s", XF_N) X(fmv_x_w, "fmv.x.w", XF_N)        \
  X(fmv_w_x, "fmv.w.x", FX_N)                                      \
  X(fcvt_w_s, "fcvt.w.s", XF) X(fcvt_wu_s, "fcvt.wu.s", XF)        \
  X(fcvt_l_s, "fcvt.l.s", XF) X(fcvt_lu_s, "fcvt.lu.s", XF)        \
  X(fcvt_s_w, "fcvt.s.w", FX) X(fcvt_s_wu, "fcvt.s.wu", FX)        \
  X(fcvt_s_l, "fcvt.s.l", FX) X(fcvt_s_lu, "fcvt.s.lu", FX)        \
  X(fadd_d, "fadd.d", FFF) X(fsub_d, "fsub.d", FFF)                \
  X(fmul_d, "fmul.d", FFF) X(fdiv_d, "fdiv.d", FFF)                \
  X(fsqrt_d, "fsqrt.d", FF)                                        \
  X(fmadd_d, "fmadd.d", FFFF) X(fmsub_d, "fmsub.d", FFFF)          \
  X(fnmsub_d, "fnmsub.d", FFFF) X(fnmadd_d, "fnmadd.d", FFFF)      \
  X(fmin_d, "fmin.d", FFF_N) X(fmax_d, "fmax.d", FFF_N)            \
  X(fsgnj_d, "fsgnj.d", FFF_N) X(fsgnjn_d, "fsgnjn.d", FFF_N)      \
  X(fsgnjx_d, "fsgnjx.d", FFF_N)                                   \
  X(feq_d, "feq.d", XFF) X(flt_d, "flt.d", XFF) X(fle_d, "fle.d", XFF) \
  X(fclass_d, "fclass.d", XF_N) X(fmv_x_d, "fmv.x.d", XF_N)        \
  X(fmv_d_x, "fmv.d.x", FX_N)                                      \
  X(fcvt_w_d, "fcvt.w.d", XF) X(fcvt_wu_d, "fcvt.wu.d", XF)        \
  X(fcvt_l_d, "fcvt.l.d", XF) X(fcvt_lu_d, "fcvt.lu.d", XF)        \
  X(fcvt_d_w, "fcvt.d.w", FX_DW) X(fcvt_d_wu, "fcvt.d.wu", FX_DWU)        \
  X(fcvt_d_l, "fcvt.d.l", FX) X(fcvt_d_lu, "fcvt.d.lu", FX)        \
  X(fcvt_s_d, "fcvt.s.d", FF) X(fcvt_d_s, "fcvt.d.s", FF_DS)

#define DEF_ALL_RM(id, mn, kind)                 \
  DEF_##kind(id##_rne, mn, ", rne", 0)              \
  DEF_##kind(id##_rtz, mn, ", rtz", 1)              \
  DEF_##kind(id##_rdn, mn, ", rdn", 2)              \
  DEF_##kind(id##_rup, mn, ", rup", 3)              \
  DEF_##kind(id##_rmm, mn, ", rmm", 4)              \
  DEF_##kind(id##_dyn, mn, ", dyn", 7)              \
  DEF_##kind(id##_norm, mn, "", 7)
OPS(DEF_ALL_RM)

struct opdef { const char *name; int kind; int fmt_d; opfn fn[6]; opfn norm; };
#define K_OF(kind) K_##kind
#define TABLE(id, mn, kind)                                                           \
  {mn, K_OF(kind), 0, {id##_rne, id##_rtz, id##_rdn, id##_rup, id##_rmm, id##_dyn}, id##_norm},
static struct opdef ops[] = {OPS(TABLE)};
#define NOPS ((int)(sizeof ops / sizeof ops[0]))

/* ---------- random numbers ---------- */
static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint64_t rnd64(void) {
  rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return rs;
}
static uint32_t rndn(uint32_t n) { return (uint32_t)(rnd64() % n); }

static uint64_t dbits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static double bitsd(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float bitsf(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
#define BOX(u32) (0xffffffff00000000ull | (uint64_t)(uint32_t)(u32))

static const double dvals[] = {
  0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.5, 0.25, 0.75, -0.75,
  0.49999999999999994, -0.49999999999999994, 0.5000000000000001, 1e-300, 1e300, 3.0, 10.0,
  2147483647.0, 2147483647.5, 2147483648.0, 2147483646.5, -2147483648.0, -2147483648.5,
  -2147483649.0, -2147483647.5, 4294967295.0, 4294967295.5, 4294967296.0, 4294967294.5,
  -0.9, -1.5, 9223372036854775808.0, -9223372036854775808.0, 9223372036854774784.0,
  -9223372036854777856.0, 18446744073709551616.0, 18446744073709549568.0,
  4503599627370496.0, 4503599627370497.0, 9007199254740992.0, 9007199254740994.0,
  16777216.0, 16777217.0, 16777218.0, 8388608.5, 3.4028234663852886e38, 3.4028235677973366e38,
  3.4028236e38, 1.1754943508222875e-38, 1.1754942807573643e-38, 1.401298464324817e-45,
  7.006492321624085e-46, 7.006492321624087e-46, 1.1754943e-38, 3.0e-39, 0.1, -0.1,
};
static const uint64_t dspecial[] = {
  0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000000000000ull,
  0x7ff8000000000123ull, 0x7ff0000000000001ull, 0xfff4000000000000ull, 0x7ff7ffffffffffffull,
  0x0000000000000001ull, 0x8000000000000001ull, 0x000fffffffffffffull, 0x800fffffffffffffull,
  0x0008000000000000ull, 0x0010000000000000ull, 0x8010000000000000ull, 0x0010000000000001ull,
  0x7fefffffffffffffull, 0xffefffffffffffffull, 0x7fe0000000000000ull, 0x000fffffffffffffull,
  0x3ff0000000000001ull, 0x3fefffffffffffffull,
};
static const float fvals[] = {
  0.0f, -0.0f, 1.0f, -1.0f, 2.0f, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 3.5f, 0.75f,
  0.49999997f, -0.49999997f, 2147483648.0f, -2147483648.0f, 2147483520.0f, -2147483904.0f,
  4294967296.0f, 4294967040.0f, 9223372036854775808.0f, -9223372036854775808.0f,
  9223371487098961920.0f, -9223373136366403584.0f, 18446744073709551616.0f,
  18446742974197923840.0f, 16777216.0f, 16777215.0f, 8388608.5f, 8388607.5f, 0.1f, -0.1f, 3.0f,
};
static const uint32_t fspecial[] = {
  0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u, 0x7fc00123u, 0x7f800001u, 0xffa00000u,
  0x7fbfffffu, 0x00000001u, 0x80000001u, 0x007fffffu, 0x807fffffu, 0x00400000u, 0x00800000u,
  0x80800000u, 0x00800001u, 0x7f7fffffu, 0xff7fffffu, 0x7f000000u, 0x3f800001u, 0x3f7fffffu,
};
#define NEL(a) ((int)(sizeof a / sizeof a[0]))

/* a random double from one of several distributions */
static uint64_t rand_d(void) {
  uint64_t r = rnd64();
  switch (rndn(12)) {
  case 0: return dbits(dvals[rndn(NEL(dvals))]);
  case 1: return dspecial[rndn(NEL(dspecial))];
  case 2: case 3: return r;                                             /* any pattern */
  case 4: case 5: case 6: /* moderate exponent */
    return (r & 0x800fffffffffffffull) | ((uint64_t)(1023 - 40 + rndn(80)) << 52);
  case 7: /* few mantissa bits: exact results and ties */
    return (r & 0x800ff00000000000ull) | ((uint64_t)(1023 - 30 + rndn(60)) << 52)
           | ((uint64_t)rndn(2) << rndn(52));
  case 8: /* extreme exponents: overflow / underflow / subnormals */
    { uint64_t e = rndn(2) ? rndn(60) : 2047 - 1 - rndn(60); return (r & 0x800fffffffffffffull) | (e << 52); }
  case 9: /* mantissa all ones / all zeros */
    return (r & 0xfff0000000000000ull) | ((rndn(2) ? 0x000fffffffffffffull : 0) ^ (rndn(4) == 0));
  case 10: /* near integers */
    { double v = (double)(int64_t)(rnd64() >> rndn(64)) + (double)rndn(4) * 0.25;
      uint64_t u = dbits(rndn(2) ? -v : v); return u + (uint64_t)(int)(rndn(3) - 1); }
  default: /* a float value, so D and S ops see the same numbers */
    return dbits((double)bitsf((uint32_t)r));
  }
}
static uint32_t rand_f32(void) {
  uint32_t r = (uint32_t)rnd64();
  switch (rndn(11)) {
  case 0: return fbits(fvals[rndn(NEL(fvals))]);
  case 1: return fspecial[rndn(NEL(fspecial))];
  case 2: case 3: return r;
  case 4: case 5: case 6: return (r & 0x807fffffu) | ((uint32_t)(127 - 20 + rndn(40)) << 23);
  case 7: return (r & 0x807f0000u) | ((uint32_t)(127 - 12 + rndn(24)) << 23) | ((uint32_t)rndn(2) << rndn(23));
  case 8: { uint32_t e = rndn(2) ? rndn(30) : 254 - rndn(30); return (r & 0x807fffffu) | (e << 23); }
  case 9: return (r & 0xff800000u) | ((rndn(2) ? 0x007fffffu : 0) ^ (rndn(4) == 0));
  default: { float v = (float)(int64_t)(rnd64() >> rndn(64)) + (float)rndn(4) * 0.25f;
      uint32_t u = fbits(rndn(2) ? -v : v); return u + (uint32_t)(int)(rndn(3) - 1); }
  }
}
/* a single, usually NaN-boxed, sometimes not */
static uint64_t rand_s(void) {
  uint32_t v = rand_f32();
  if (rndn(40) == 0) return ((uint64_t)(uint32_t)rnd64() << 32) | v; /* improperly boxed */
  return BOX(v);
}

/* operand b related to a (cancellation, near ties, close exponents) */
static uint64_t related_d(uint64_t a) {
  switch (rndn(5)) {
  case 0: return a ^ 0x8000000000000000ull;                     /* -a */
  case 1: return (a ^ 0x8000000000000000ull) + (uint64_t)(int)(rndn(5) - 2);
  case 2: { int64_t e = (int64_t)((a >> 52) & 0x7ff) - (int64_t)rndn(60);  /* close exponent */
            if (e < 0) e = 0;
            return (rnd64() & 0x800fffffffffffffull) | ((uint64_t)e << 52); }
  case 3: return (a & 0xfff0000000000000ull) | (rnd64() & 0x000fffffffffffffull);
  default: return a + (uint64_t)(int)(rndn(7) - 3);
  }
}
static uint64_t related_s(uint64_t a) {
  uint32_t v = (uint32_t)a;
  switch (rndn(5)) {
  case 0: v ^= 0x80000000u; break;
  case 1: v = (v ^ 0x80000000u) + (uint32_t)(int)(rndn(5) - 2); break;
  case 2: { int e = (int)((v >> 23) & 0xff) - (int)rndn(30); if (e < 0) e = 0;
            v = ((uint32_t)rnd64() & 0x807fffffu) | ((uint32_t)e << 23); break; }
  case 3: v = (v & 0xff800000u) | ((uint32_t)rnd64() & 0x007fffffu); break;
  default: v = v + (uint32_t)(int)(rndn(7) - 3);
  }
  return BOX(v);
}

/* random integer register value for int -> float conversions */
static uint64_t rand_int(void) {
  uint64_t r = rnd64();
  switch (rndn(6)) {
  case 0: { static const uint64_t sp[] = {0, 1, (uint64_t)-1, 0x7fffffff, 0x80000000, 0xffffffff,
              0x100000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffff80000000ull,
              0x1000001, 0x1000003, 0xffffff, 0x20000000000001ull, 0x20000000000003ull,
              0x1fffffffffffffull, 0xfffffffffffffc00ull, 0xfffffffffffffbffull, 0x7ffffe00u,
              0x7fffff80u, 0xffffff80u, 0x7fffffffffffff80ull};
            return sp[rndn(NEL(sp))]; }
  case 1: return r;
  case 2: return r >> rndn(64);
  case 3: return -(r >> rndn(64));
  case 4: { /* halfway patterns: 1 followed by 10000 at bit k */
    int top = 24 + (int)rndn(40); uint64_t m = (1ull << (top - 1)) | (rnd64() & ((1ull << (top - 1)) - 1));
    int keep = rndn(2) ? 24 : 53; if (top > keep) { int drop = top - keep;
      m &= ~((1ull << drop) - 1); if (rndn(2)) m |= 1ull << (drop - 1); if (rndn(3) == 0) m |= 1; }
    return rndn(2) ? m : -m; }
  default: return (uint64_t)(int64_t)(int32_t)(uint32_t)r;
  }
}

/* ---------- operand selection per instruction ---------- */
static int is_d(const char *name) {
  size_t n = strlen(name);
  if (strcmp(name, "fcvt.s.d") == 0) return 1;          /* source format */
  if (strcmp(name, "fcvt.d.s") == 0) return 0;
  if (strcmp(name, "fmv.x.d") == 0) return 1;
  return name[n - 1] == 'd' || strncmp(name, "fcvt.d.", 7) == 0;
}
static uint64_t rand_f(int d) { return d ? rand_d() : rand_s(); }

static void operands(const struct opdef *op, uint64_t *a, uint64_t *b, uint64_t *c) {
  int d = is_d(op->name);
  const char *n = op->name;
  *a = rand_f(d); *b = rand_f(d); *c = rand_f(d);
  if (op->kind == K_FX || op->kind == K_FX_N) { *a = rand_int(); return; }
  if (op->kind == K_XF && rndn(3) == 0) {
    /* near the integer conversion limits */
    static const double lim[] = {2147483648.0, -2147483648.0, 4294967296.0, 9223372036854775808.0,
                                 -9223372036854775808.0, 18446744073709551616.0, 0.0, 1.0, -1.0};
    double l = lim[rndn(NEL(lim))] + (double)((int)rndn(9) - 4) * 0.25 + (double)((int)rndn(3) - 1);
    if (d) *a = dbits(l) + (uint64_t)(int)(rndn(5) - 2);
    else *a = BOX(fbits((float)l) + (uint32_t)(int)(rndn(5) - 2));
    return;
  }
  if ((op->kind == K_FFF || op->kind == K_FFF_N || op->kind == K_XFF) && rndn(3) == 0)
    *b = d ? related_d(*a) : related_s(*a);
  if (op->kind == K_FFF && (strncmp(n, "fmul", 4) == 0 || strncmp(n, "fdiv", 4) == 0) && rndn(3) == 0) {
    /* product / quotient near overflow or underflow */
    if (d) { int ea = (int)((*a >> 52) & 0x7ff); int want = rndn(2) ? 2046 : 1; int eb;
      if (n[1] == 'm') eb = want - ea + 1023; else eb = ea - want + 1023;
      eb += (int)rndn(5) - 2; if (eb < 0) eb = 0; if (eb > 2046) eb = 2046;
      *b = (*b & 0x800fffffffffffffull) | ((uint64_t)eb << 52);
    } else { int ea = (int)((*a >> 23) & 0xff); int want = rndn(2) ? 254 : 1; int eb;
      if (n[1] == 'm') eb = want - ea + 127; else eb = ea - want + 127;
      eb += (int)rndn(5) - 2; if (eb < 0) eb = 0; if (eb > 254) eb = 254;
      *b = BOX(((uint32_t)*b & 0x807fffffu) | ((uint32_t)eb << 23));
    }
  }
  if (op->kind == K_FFFF && rndn(2) == 0) {
    /* addend close to -(a*b): cancellation and subtle rounding */
    if (d) { double p = bitsd(*a) * bitsd(*b);
      uint64_t pb = dbits(p) + (uint64_t)(int)(rndn(5) - 2);
      if (rndn(2)) pb ^= 0x8000000000000000ull;
      if (rndn(3) == 0) pb = (pb & 0xfff0000000000000ull) - ((uint64_t)rndn(60) << 52);
      *c = pb;
    } else { float p = bitsf((uint32_t)*a) * bitsf((uint32_t)*b);
      uint32_t pb = fbits(p) + (uint32_t)(int)(rndn(5) - 2);
      if (rndn(2)) pb ^= 0x80000000u;
      if (rndn(3) == 0) pb = (pb & 0xff800000u) - (rndn(30) << 23);
      *c = BOX(pb);
    }
  }
}

static void put(const void *p, size_t n) { fwrite(p, 1, n, stdout); }

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: %s SEED PER_RM PER_OP\n", argv[0]); return 2; }
  rs ^= strtoull(argv[1], 0, 0) * 0x2545f4914f6cdd1dull; if (!rs) rs = 1;
  long per_rm = strtol(argv[2], 0, 0), per_op = strtol(argv[3], 0, 0);
  put("FPV1", 4);
  uint16_t nops = (uint16_t)NOPS; put(&nops, 2);
  for (int i = 0; i < NOPS; i++) {
    uint8_t k = (uint8_t)ops[i].kind, l = (uint8_t)strlen(ops[i].name);
    put(&k, 1); put(&l, 1); put(ops[i].name, l);
  }
  static const uint8_t rmfield[] = {0, 1, 2, 3, 4, 7};
  for (int i = 0; i < NOPS; i++) {
    const struct opdef *op = &ops[i];
    int nin = kind_inputs[op->kind];
    int nrm = kind_has_rm[op->kind] ? 6 : 1;
    long count = kind_has_rm[op->kind] ? per_rm : per_op;
    for (int m = 0; m < nrm; m++) {
      for (long j = 0; j < count; j++) {
        uint64_t a, b, c, fl, r;
        operands(op, &a, &b, &c);
        uint8_t rm = nrm == 1 ? 0 : rmfield[m], frm = (uint8_t)rndn(5);
        __asm__ volatile("fsrm %0" : : "r"((uint64_t)frm));
        r = nrm == 1 ? op->norm(a, b, c, &fl) : op->fn[m](a, b, c, &fl);
        __asm__ volatile("fsrm zero");
        uint8_t hdr[3] = {(uint8_t)i, (uint8_t)(rm | frm << 4), (uint8_t)fl};
        put(hdr, 3);
        uint64_t in[3] = {a, b, c};
        put(in, 8 * (size_t)nin);
        put(&r, 8);
      }
    }
  }
  return 0;
}
