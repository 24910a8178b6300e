/*
 * fpu: F/D sanity checks (the FPU has its own exhaustive tests elsewhere).
 *  - FP instructions trap (illegal, mtval = bits) while mstatus.FS = Off; an FP op makes FS Dirty
 *    and sets SD
 *  - fmv.d.x/fmv.x.d, fmv.w.x/fmv.x.w (sign-extends), flw/fmv.w.x NaN-box (upper 32 bits ones),
 *    a single-precision input that is not NaN-boxed reads as the canonical NaN
 *  - fadd.d, fmadd.d, fdiv.d, fsqrt.d, fsgnj*.d, fmin/fmax (NaN and signed zero), feq/flt
 *  - fcvt.d.l, fcvt.l.d / fcvt.w.d / fcvt.wu.d with rounding modes (static and dynamic) and
 *    invalid inputs (NaN, out of range), W results sign-extended, fcvt.s.d/fcvt.d.s
 *  - fclass.d of each class
 *  - fflags: NX, DZ, NV, OF accumulate; fld/fsd/flw/fsw
 */
#include "test.h"
TEST_NAME("fpu")

#define FLAGS_CLEAR csrw fflags, zero
#define CHECK_FLAGS(n, val) csrr a4, fflags; CHECK(n, a4, val)
#define DBL(freg, val) li a5, val; fmv.d.x freg, a5
#define CHECK_DBL(n, freg, val) fmv.x.d a4, freg; CHECK(n, a4, val)

TEST_BEGIN
    CLEAR_RECORDS
    /* ---- FS = Off: illegal ---- */
    li t0, MSTATUS_FS
    csrc mstatus, t0
    EXPECT_TRAP
fp_off:
    fadd.d fa0, fa1, fa2
    CHECK_MTRAP(1, CAUSE_ILLEGAL)
    CHECK_MTRAP_EPC(2, fp_off)
    la t0, fp_off
    lwu t0, 0(t0)
    la t1, mtrap_tval
    ld t1, 0(t1)
    CHECK_REG(3, t1, t0)
    EXPECT_TRAP
    fmv.x.d a0, fa0
    CHECK_MTRAP(4, CAUSE_ILLEGAL)
    EXPECT_TRAP
    fld fa0, 0(sp)
    CHECK_MEM(5, mtrap_count, 3)

    /* ---- FS = Initial -> Dirty after an FP instruction ---- */
    li t0, MSTATUS_FS_INITIAL
    csrs mstatus, t0
    csrr a0, mstatus
    li t0, MSTATUS_FS
    and a0, a0, t0
    CHECK(6, a0, MSTATUS_FS_INITIAL)
    DBL(fa0, 0x3ff8000000000000)       /* 1.5 */
    csrr a0, mstatus
    li t0, MSTATUS_FS
    and a0, a0, t0
    CHECK(7, a0, MSTATUS_FS_DIRTY)
    csrr a0, mstatus
    srli a0, a0, 63
    CHECK(8, a0, 1)

    /* ---- moves and NaN-boxing ---- */
    CHECK_DBL(9, fa0, 0x3ff8000000000000)
    li a1, 0x3f800000
    fmv.w.x fa1, a1
    CHECK_DBL(10, fa1, 0xffffffff3f800000)
    li a1, 0xbf800000
    fmv.w.x fa1, a1
    fmv.x.w a0, fa1
    CHECK(11, a0, 0xffffffffbf800000)  /* fmv.x.w sign-extends */
    la s0, fdata
    li a1, 0x1234567840200000          /* upper word garbage, low word = 2.5f */
    sd a1, 0(s0)
    flw fa2, 0(s0)
    CHECK_DBL(12, fa2, 0xffffffff40200000)
    fsw fa2, 8(s0)
    lwu a0, 8(s0)
    CHECK(13, a0, 0x40200000)
    DBL(fa3, 0x000000003f800000)       /* not NaN-boxed: reads as the canonical NaN */
    fadd.s fa4, fa3, fa3
    CHECK_DBL(14, fa4, 0xffffffff7fc00000)
    fsd fa0, 16(s0)
    ld a0, 16(s0)
    CHECK(15, a0, 0x3ff8000000000000)
    fld fa5, 16(s0)
    CHECK_DBL(16, fa5, 0x3ff8000000000000)

    /* ---- arithmetic ---- */
    FLAGS_CLEAR
    DBL(fa1, 0x4002000000000000)       /* 2.25 */
    fadd.d fa2, fa0, fa1
    CHECK_DBL(17, fa2, 0x400e000000000000)   /* 3.75 */
    CHECK_FLAGS(18, 0)
    DBL(fa0, 0x4000000000000000)       /* 2 */
    DBL(fa1, 0x4008000000000000)       /* 3 */
    DBL(fa2, 0x3ff0000000000000)       /* 1 */
    fmadd.d fa3, fa0, fa1, fa2
    CHECK_DBL(19, fa3, 0x401c000000000000)   /* 7 */
    fnmsub.d fa3, fa0, fa1, fa2        /* -(2*3) + 1 = -5 */
    CHECK_DBL(20, fa3, 0xc014000000000000)
    fdiv.d fa3, fa2, fa1               /* 1/3: inexact */
    CHECK_DBL(21, fa3, 0x3fd5555555555555)
    CHECK_FLAGS(22, 0x01)
    FLAGS_CLEAR
    fmv.d.x fa4, zero
    fdiv.d fa3, fa2, fa4               /* 1/0: +inf, DZ */
    CHECK_DBL(23, fa3, 0x7ff0000000000000)
    CHECK_FLAGS(24, 0x08)
    FLAGS_CLEAR
    DBL(fa4, 0xbff0000000000000)       /* -1 */
    fsqrt.d fa3, fa4                   /* NaN, NV */
    CHECK_DBL(25, fa3, 0x7ff8000000000000)
    CHECK_FLAGS(26, 0x10)
    FLAGS_CLEAR
    DBL(fa4, 0x7fefffffffffffff)       /* DBL_MAX * 2: +inf, OF | NX */
    fadd.d fa3, fa4, fa4
    CHECK_DBL(27, fa3, 0x7ff0000000000000)
    CHECK_FLAGS(28, 0x05)
    fdiv.d fa3, fa2, fa1               /* flags accumulate */
    CHECK_FLAGS(29, 0x05)
    /* sign injection */
    DBL(fa4, 0xbff0000000000000)
    fsgnj.d fa3, fa2, fa4
    CHECK_DBL(30, fa3, 0xbff0000000000000)
    fsgnjn.d fa3, fa4, fa4             /* fneg */
    CHECK_DBL(31, fa3, 0x3ff0000000000000)
    fsgnjx.d fa3, fa4, fa4             /* fabs */
    CHECK_DBL(32, fa3, 0x3ff0000000000000)
    /* min / max */
    FLAGS_CLEAR
    DBL(fa4, 0x7ff8000000000000)       /* qNaN */
    fmin.d fa3, fa4, fa2
    CHECK_DBL(33, fa3, 0x3ff0000000000000)
    CHECK_FLAGS(34, 0)
    DBL(fa4, 0x7ff4000000000000)       /* sNaN */
    fmax.d fa3, fa2, fa4
    CHECK_DBL(35, fa3, 0x3ff0000000000000)
    CHECK_FLAGS(36, 0x10)
    DBL(fa4, 0x8000000000000000)       /* -0 */
    fmv.d.x fa5, zero                  /* +0 */
    fmin.d fa3, fa5, fa4
    CHECK_DBL(37, fa3, 0x8000000000000000)
    fmax.d fa3, fa4, fa5
    CHECK_DBL(38, fa3, 0)
    /* compares */
    FLAGS_CLEAR
    feq.d a0, fa4, fa5                 /* -0 == +0 */
    CHECK(39, a0, 1)
    flt.d a0, fa2, fa1
    CHECK(40, a0, 1)
    fle.d a0, fa1, fa2
    CHECK(41, a0, 0)
    DBL(fa4, 0x7ff8000000000000)
    feq.d a0, fa4, fa4                 /* quiet compare: no NV */
    CHECK(42, a0, 0)
    CHECK_FLAGS(43, 0)
    flt.d a0, fa4, fa2                 /* signalling compare: NV */
    CHECK(44, a0, 0)
    CHECK_FLAGS(45, 0x10)

    /* ---- conversions ---- */
    FLAGS_CLEAR
    li a1, -3
    fcvt.d.l fa0, a1
    CHECK_DBL(46, fa0, 0xc008000000000000)
    DBL(fa0, 0x400e000000000000)       /* 3.75 */
    fcvt.l.d a0, fa0, rtz
    CHECK(47, a0, 3)
    fcvt.l.d a0, fa0, rne
    CHECK(48, a0, 4)
    DBL(fa0, 0x4004000000000000)       /* 2.5 */
    fcvt.l.d a0, fa0, rne
    CHECK(49, a0, 2)
    fcvt.l.d a0, fa0, rmm
    CHECK(50, a0, 3)
    fcvt.l.d a0, fa0, rup
    CHECK(51, a0, 3)
    DBL(fa0, 0xc004000000000000)       /* -2.5 */
    fcvt.l.d a0, fa0, rdn
    CHECK(52, a0, -3)
    fcvt.l.d a0, fa0, rtz
    CHECK(53, a0, -2)
    csrwi frm, 2                       /* dynamic: RDN */
    fcvt.l.d a0, fa0                   /* default rm = dyn */
    CHECK(54, a0, -3)
    csrwi frm, 0
    CHECK_FLAGS(55, 0x01)
    FLAGS_CLEAR
    DBL(fa0, 0xbff0000000000000)       /* -1.0 */
    fcvt.w.d a0, fa0
    CHECK(56, a0, -1)                  /* sign-extended */
    fcvt.wu.d a0, fa0, rtz             /* negative -> 0, NV */
    CHECK(57, a0, 0)
    CHECK_FLAGS(58, 0x10)
    FLAGS_CLEAR
    DBL(fa0, 0x41e65a0bc0000000)       /* 3e9 */
    fcvt.w.d a0, fa0, rtz              /* too large: INT32_MAX, NV */
    CHECK(59, a0, 0x7fffffff)
    fcvt.wu.d a0, fa0, rtz             /* fits: 3000000000, sign-extended from 32 bits */
    CHECK(60, a0, 0xffffffffb2d05e00)
    DBL(fa0, 0x7ff8000000000000)
    fcvt.w.d a0, fa0, rtz              /* NaN: INT32_MAX */
    CHECK(61, a0, 0x7fffffff)
    fcvt.l.d a0, fa0, rtz              /* NaN: INT64_MAX */
    CHECK(62, a0, 0x7fffffffffffffff)
    CHECK_FLAGS(63, 0x10)
    DBL(fa0, 0x3fb999999999999a)       /* 0.1 */
    fcvt.s.d fa1, fa0
    CHECK_DBL(64, fa1, 0xffffffff3dcccccd)
    fcvt.d.s fa2, fa1
    CHECK_DBL(65, fa2, 0x3fb99999a0000000)

    /* ---- fclass.d ---- */
    DBL(fa0, 0xfff0000000000000)
    fclass.d a0, fa0
    CHECK(66, a0, 1 << 0)              /* -inf */
    DBL(fa0, 0xbff0000000000000)
    fclass.d a0, fa0
    CHECK(67, a0, 1 << 1)              /* -normal */
    DBL(fa0, 0x8000000000000001)
    fclass.d a0, fa0
    CHECK(68, a0, 1 << 2)              /* -subnormal */
    DBL(fa0, 0x8000000000000000)
    fclass.d a0, fa0
    CHECK(69, a0, 1 << 3)              /* -0 */
    fmv.d.x fa0, zero
    fclass.d a0, fa0
    CHECK(70, a0, 1 << 4)              /* +0 */
    DBL(fa0, 0x0000000000000001)
    fclass.d a0, fa0
    CHECK(71, a0, 1 << 5)              /* +subnormal */
    DBL(fa0, 0x3ff0000000000000)
    fclass.d a0, fa0
    CHECK(72, a0, 1 << 6)              /* +normal */
    DBL(fa0, 0x7ff0000000000000)
    fclass.d a0, fa0
    CHECK(73, a0, 1 << 7)              /* +inf */
    DBL(fa0, 0x7ff4000000000000)
    fclass.d a0, fa0
    CHECK(74, a0, 1 << 8)              /* sNaN */
    DBL(fa0, 0x7ff8000000000000)
    fclass.d a0, fa0
    CHECK(75, a0, 1 << 9)              /* qNaN */
    fclass.s a0, fa2                   /* fa2 holds a double (not NaN-boxed): a quiet NaN as single */
    CHECK(76, a0, 1 << 9)
    TEST_PASS

    .data
    .align 4
fdata: .space 32
