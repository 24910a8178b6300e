/*
 * misaligned: loads and stores of every width (lh/lhu/lw/lwu/ld, sh/sw/sd, flw/fld/fsw/fsd) at
 * every offset inside a 16-byte window that straddles a 4 KiB page boundary. They must complete
 * without a trap and give the same bytes as byte-by-byte accesses (little-endian), including sign
 * extension, and stores must not touch neighbouring bytes. (Typevisor handles misaligned
 * accesses in hardware; QEMU does too.) The check number is base + offset.
 */
#include "test.h"
TEST_NAME("misaligned")

/* gp = (n + s2) | line << 8: the offset is part of the check number */
#define SETNUM_OFF(n) li gp, ((n) | (__LINE__ << 8)); add gp, gp, s2
#define CHECK_OFF(n, reg, reg2) SETNUM_OFF(n); _check_reg reg, reg2

/* a0 = reference value of `bytes` bytes at s3 (unsigned, little-endian), built from lbu */
.macro ref_load bytes
    li a0, 0
    li a5, \bytes - 1
1:  add a4, s3, a5
    lbu a4, 0(a4)
    slli a0, a0, 8
    or a0, a0, a4
    addi a5, a5, -1
    bgez a5, 1b
.endm

/* Fill the 32-byte window at s0 with the pattern */
.macro fill_window
    li a5, 0
1:  add a4, s0, a5
    li a3, 0x1d
    mul a3, a3, a5
    addi a3, a3, 0x83
    sb a3, 0(a4)
    addi a5, a5, 1
    li a3, 32
    blt a5, a3, 1b
.endm

/* After a store of `bytes` bytes of s4 at s3: check every byte of the window. */
.macro check_window n, bytes
    li a5, 0
1:  add a4, s0, a5
    lbu a0, 0(a4)                 /* got */
    li a3, 0x1d                   /* expected: pattern ... */
    mul a3, a3, a5
    addi a3, a3, 0x83
    andi a3, a3, 0xff
    sub a2, a4, s3                /* ... or the stored byte if s3 <= a4 < s3 + bytes */
    bltz a2, 2f
    li a1, \bytes
    bge a2, a1, 2f
    slli a2, a2, 3
    srl a3, s4, a2
    andi a3, a3, 0xff
2:  CHECK_OFF(\n, a0, a3)
    addi a5, a5, 1
    li a3, 32
    blt a5, a3, 1b
.endm

TEST_BEGIN
    li t0, MSTATUS_FS_INITIAL
    csrs mstatus, t0
    la s0, window                 /* s0: window start = page boundary - 8 */
    fill_window
    li s2, 0                      /* s2: offset 0..15 */
    li s4, 0x0123456789abcdef     /* value for stores */
load_loop:
    add s3, s0, s2                /* s3: access address */
    /* lhu / lh */
    ref_load 2
    lhu a1, 0(s3)
    CHECK_OFF(0, a1, a0)
    slli a0, a0, 48
    srai a0, a0, 48
    lh a1, 0(s3)
    CHECK_OFF(16, a1, a0)
    /* lwu / lw */
    ref_load 4
    lwu a1, 0(s3)
    CHECK_OFF(32, a1, a0)
    sext.w a0, a0
    lw a1, 0(s3)
    CHECK_OFF(48, a1, a0)
    /* ld */
    ref_load 8
    ld a1, 0(s3)
    CHECK_OFF(64, a1, a0)
    /* fld / flw (flw result is NaN-boxed) */
    fld fa0, 0(s3)
    fmv.x.d a1, fa0
    CHECK_OFF(80, a1, a0)
    ref_load 4
    flw fa0, 0(s3)
    fmv.x.d a1, fa0
    li a2, 0xffffffff00000000
    or a0, a0, a2
    CHECK_OFF(96, a1, a0)
    addi s2, s2, 1
    li a0, 16
    blt s2, a0, load_loop

    /* stores */
    li s2, 0
store_loop:
    add s3, s0, s2
    fill_window
    sh s4, 0(s3)
    check_window 112, 2
    fill_window
    sw s4, 0(s3)
    check_window 128, 4
    fill_window
    sd s4, 0(s3)
    check_window 144, 8
    fill_window
    fmv.d.x fa1, s4
    fsd fa1, 0(s3)
    check_window 160, 8
    fill_window
    fmv.w.x fa1, s4
    fsw fa1, 0(s3)
    check_window 176, 4
    addi s2, s2, 1
    li a0, 16
    blt s2, a0, store_loop

    /* no trap was taken */
    CHECK_MEM(200, mtrap_count, 0)
    TEST_PASS

    .data
    .align 12
    .space 4096 - 8
window:
    .space 32
    .space 4096
