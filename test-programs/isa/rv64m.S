/*
 * rv64m: mul/mulh/mulhsu/mulhu/mulw and div/divu/rem/remu with their W forms, including
 * division by zero (quotient all ones, remainder = dividend), signed overflow (INT_MIN / -1 =
 * INT_MIN, remainder 0), sign extension of the W results and W forms ignoring upper source bits.
 */
#include "test.h"
TEST_NAME("rv64m")

#define TEST_RR(n, op, res, a, b) li a1, a; li a2, b; op a0, a1, a2; CHECK(n, a0, res)

TEST_BEGIN
    /* ---- mul ---- */
    TEST_RR(1, mul, 42, 6, 7)
    TEST_RR(2, mul, -42, -6, 7)
    TEST_RR(3, mul, 0x0000000100000000, 0x10000, 0x10000)
    TEST_RR(4, mul, 0xfffffffe00000001, 0xffffffff, 0xffffffff)
    TEST_RR(5, mul, 0x8000000000000000, 0x8000000000000000, -1)
    TEST_RR(6, mul, 0x70a3d709bf5479b0, 0x123456789abcdef0, 0x00000000075bcd15)
    TEST_RR(7, mul, 1, -1, -1)
    /* ---- mulh (signed x signed, high half) ---- */
    TEST_RR(8, mulh, 0, 6, 7)
    TEST_RR(9, mulh, -1, -6, 7)
    TEST_RR(10, mulh, 0, -1, -1)
    TEST_RR(11, mulh, 0x4000000000000000, 0x8000000000000000, 0x8000000000000000)
    TEST_RR(12, mulh, 0xc000000000000000, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_RR(13, mulh, 0x3fffffffffffffff, 0x7fffffffffffffff, 0x7fffffffffffffff)
    TEST_RR(14, mulh, 0x014b66dc33f6acdc, 0x123456789abcdef0, 0x123456789abcdef0)
    /* ---- mulhu (unsigned x unsigned) ---- */
    TEST_RR(15, mulhu, 0xfffffffffffffffe, -1, -1)
    TEST_RR(16, mulhu, 0x4000000000000000, 0x8000000000000000, 0x8000000000000000)
    TEST_RR(17, mulhu, 0, 6, 7)
    TEST_RR(18, mulhu, 5, -1, 6)
    TEST_RR(19, mulhu, 0x014b66dc33f6acdc, 0x123456789abcdef0, 0x123456789abcdef0)
    /* ---- mulhsu (signed rs1 x unsigned rs2) ---- */
    TEST_RR(20, mulhsu, -1, -1, 1)
    TEST_RR(21, mulhsu, 0xffffffffffffffff, -1, -1)
    TEST_RR(22, mulhsu, 0, 1, -1)
    TEST_RR(23, mulhsu, 0xc000000000000000, 0x8000000000000000, 0x8000000000000000)
    TEST_RR(24, mulhsu, 0x7ffffffffffffffe, 0x7fffffffffffffff, -1)
    TEST_RR(25, mulhsu, -6, -6, 0xffffffffffffffff)
    /* ---- mulw: low 32 bits, sign-extended ---- */
    TEST_RR(26, mulw, 42, 6, 7)
    TEST_RR(27, mulw, 0xffffffff80000000, 0x40000000, 2)
    TEST_RR(28, mulw, 0, 0x100000000, 0x100000000)
    TEST_RR(29, mulw, 1, 0xffffffffffffffff, 0x00000000ffffffff)
    TEST_RR(30, mulw, 0xffffffffedcba988, 0x1234567812345678, -1)

    /* ---- div / divu ---- */
    TEST_RR(31, div, 3, 20, 6)
    TEST_RR(32, div, -3, -20, 6)
    TEST_RR(33, div, -3, 20, -6)
    TEST_RR(34, div, 3, -20, -6)
    TEST_RR(35, div, -1, 1, 0)                                      /* by zero: -1 */
    TEST_RR(36, div, -1, 0, 0)
    TEST_RR(37, div, -1, 0x8000000000000000, 0)
    TEST_RR(38, div, 0x8000000000000000, 0x8000000000000000, -1)    /* overflow */
    TEST_RR(39, div, 0xc000000000000000, 0x8000000000000000, 2)
    TEST_RR(40, divu, 3, 20, 6)
    TEST_RR(41, divu, 0x2aaaaaaaaaaaaaa7, -20, 6)
    TEST_RR(42, divu, 0, 20, -6)
    TEST_RR(43, divu, 0xffffffffffffffff, 5, 0)                     /* by zero: all ones */
    TEST_RR(44, divu, 1, 0x8000000000000000, 0x8000000000000000)
    TEST_RR(45, divu, 0, 0x8000000000000000, -1)
    /* ---- rem / remu: sign of the dividend ---- */
    TEST_RR(46, rem, 2, 20, 6)
    TEST_RR(47, rem, -2, -20, 6)
    TEST_RR(48, rem, 2, 20, -6)
    TEST_RR(49, rem, -2, -20, -6)
    TEST_RR(50, rem, 5, 5, 0)                                       /* by zero: dividend */
    TEST_RR(51, rem, -5, -5, 0)
    TEST_RR(52, rem, 0, 0x8000000000000000, -1)                     /* overflow: 0 */
    TEST_RR(53, remu, 2, 20, 6)
    TEST_RR(54, remu, 2, -20, 6)
    TEST_RR(55, remu, 20, 20, -6)
    TEST_RR(56, remu, 0xfffffffffffffffb, -5, 0)                    /* by zero: dividend */
    TEST_RR(57, remu, 0x7fffffffffffffff, 0x7fffffffffffffff, 0x8000000000000000)

    /* ---- divw / divuw / remw / remuw: 32-bit operands, sign-extended 32-bit results ---- */
    TEST_RR(58, divw, 3, 20, 6)
    TEST_RR(59, divw, -3, -20, 6)
    TEST_RR(60, divw, -3, 0xffffffff00000014, 0x00000000fffffffa)   /* upper bits ignored: 20 / -6 */
    TEST_RR(61, divw, -1, 7, 0)                                     /* by zero */
    TEST_RR(62, divw, -1, 7, 0x100000000)                           /* low word zero = by zero */
    TEST_RR(63, divw, 0xffffffff80000000, 0x80000000, -1)           /* overflow */
    TEST_RR(64, divw, 0xffffffff80000000, 0xffffffff80000000, 0xffffffff)
    TEST_RR(65, divuw, 0x2aaaaaa7, -20, 6)
    TEST_RR(66, divuw, -1, 7, 0)                                    /* by zero: all ones (sign-extended) */
    TEST_RR(67, divuw, 0xffffffff80000000, 0x80000000, 1)           /* result sign-extended */
    TEST_RR(68, divuw, 0, 0x80000000, 0xffffffff)
    TEST_RR(69, remw, -2, -20, 6)
    TEST_RR(70, remw, 0xffffffff80000000, 0x80000000, 0)            /* by zero: dividend, sign-extended */
    TEST_RR(71, remw, 0, 0x80000000, -1)                            /* overflow */
    TEST_RR(72, remw, 2, 0x1234567800000014, 6)
    TEST_RR(73, remuw, 2, -20, 6)
    TEST_RR(74, remuw, 0xfffffffffffffffb, -5, 0)                   /* by zero: dividend (sign-extended) */
    TEST_RR(75, remuw, 0xffffffff80000000, 0x80000000, 0x90000000)
    TEST_RR(76, remuw, 1, 0x1234567800000010, 0xabcdef0000000003)

    /* ---- rd == rs1 == rs2 ---- */
    li a0, 9
    mul a0, a0, a0
    CHECK(77, a0, 81)
    li a0, -9
    div a0, a0, a0
    CHECK(78, a0, 1)

    TEST_PASS
