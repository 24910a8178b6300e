/*
 * rv64c: the compressed instruction set, written with explicit c.* mnemonics (the CHECK macros are
 * compressed too where possible). Covers c.li, c.lui (sign-extended), c.addi, c.addiw (sign
 * extension), c.addi16sp, c.addi4spn, c.lwsp/c.ldsp/c.swsp/c.sdsp, c.lw/c.ld/c.sw/c.sd,
 * c.fld/c.fsd/c.fldsp/c.fsdsp, c.slli/c.srli/c.srai (shamt up to 63), c.andi, c.mv, c.add,
 * c.sub/c.xor/c.or/c.and, c.subw/c.addw, c.j, c.jr, c.jalr (link = pc + 2), c.beqz/c.bnez both
 * ways, c.nop, 32-bit instructions at 2-byte-aligned addresses (incl. branch/jump targets) and a
 * 32-bit instruction straddling a 4 KiB page boundary.
 */
#include "test.h"
TEST_NAME("rv64c")

TEST_BEGIN
    .option rvc
    li t0, MSTATUS_FS_INITIAL
    csrs mstatus, t0

    /* ---- constants ---- */
    c.li a0, -32
    CHECK(1, a0, -32)
    c.li a0, 31
    CHECK(2, a0, 31)
    c.lui a0, 1
    CHECK(3, a0, 0x1000)
    c.lui a0, 0x1f
    CHECK(4, a0, 0x1f000)
    c.lui a0, 0xfffe0                 /* nzimm = -32: sign-extended */
    CHECK(5, a0, 0xfffffffffffe0000)
    c.lui a0, 0xfffff
    CHECK(6, a0, 0xfffffffffffff000)

    /* ---- c.addi / c.addiw ---- */
    li a0, 100
    c.addi a0, -32
    CHECK(7, a0, 68)
    c.addi a0, 31
    CHECK(8, a0, 99)
    li a0, 0x7fffffff
    c.addiw a0, 1
    CHECK(9, a0, 0xffffffff80000000)
    li a0, 0x1ffffffff
    c.addiw a0, 0                     /* sext.w */
    CHECK(10, a0, -1)
    li a0, 0x100000000
    c.addiw a0, -1
    CHECK(11, a0, -1)

    /* ---- stack-pointer forms ---- */
    mv s1, sp
    c.addi16sp sp, -512
    addi a1, s1, -512
    CHECK_REG(12, sp, a1)
    c.addi16sp sp, 496
    addi a1, s1, -16
    CHECK_REG(13, sp, a1)
    c.addi16sp sp, 16
    CHECK_REG(14, sp, s1)
    c.addi16sp sp, -256
    c.addi4spn a0, sp, 1020
    addi a1, sp, 1020
    CHECK_REG(15, a0, a1)
    c.addi4spn s0, sp, 4
    addi a1, sp, 4
    CHECK_REG(16, s0, a1)
    li a0, 0x8000000012345678
    c.sdsp a0, 0(sp)
    c.sdsp a0, 240(sp)
    li a0, 0xfedcba9887654321
    c.swsp a0, 8(sp)
    c.swsp a0, 252(sp)
    c.ldsp a1, 0(sp)
    CHECK(17, a1, 0x8000000012345678)
    c.ldsp a1, 240(sp)
    CHECK(18, a1, 0x8000000012345678)
    c.lwsp a1, 8(sp)                  /* sign-extended */
    CHECK(19, a1, 0xffffffff87654321)
    c.lwsp a1, 252(sp)
    CHECK(20, a1, 0xffffffff87654321)
    c.lwsp a1, 4(sp)
    CHECK(21, a1, 0xffffffff80000000)
    ld a1, 0(sp)
    CHECK(22, a1, 0x8000000012345678)
    c.addi16sp sp, 256
    CHECK_REG(23, sp, s1)

    /* ---- register-based loads/stores (x8..x15) ---- */
    la s0, cdata
    li a2, 0x0123456789abcdef
    c.sd a2, 0(s0)
    c.sd a2, 248(s0)
    li a3, 0x80000001
    c.sw a3, 8(s0)
    c.sw a3, 124(s0)
    c.ld a4, 0(s0)
    CHECK(24, a4, 0x0123456789abcdef)
    c.ld a4, 248(s0)
    CHECK(25, a4, 0x0123456789abcdef)
    c.lw a5, 8(s0)
    CHECK(26, a5, 0xffffffff80000001)
    c.lw a5, 124(s0)
    CHECK(27, a5, 0xffffffff80000001)
    c.lw a5, 4(s0)
    CHECK(28, a5, 0x01234567)

    /* ---- floating-point loads/stores ---- */
    li a2, 0x400921fb54442d18        /* pi */
    c.sd a2, 16(s0)
    c.fld fa0, 16(s0)
    fmv.x.d a1, fa0
    CHECK(29, a1, 0x400921fb54442d18)
    c.fsd fa0, 24(s0)
    c.ld a1, 24(s0)
    CHECK(30, a1, 0x400921fb54442d18)
    c.fsd fa0, 248(s0)
    c.ld a1, 248(s0)
    CHECK(31, a1, 0x400921fb54442d18)
    c.addi16sp sp, -64
    c.fsdsp fa0, 56(sp)
    c.ldsp a1, 56(sp)
    CHECK(32, a1, 0x400921fb54442d18)
    li a2, 0x3ff0000000000000
    c.sdsp a2, 0(sp)
    c.fldsp fa1, 0(sp)
    fmv.x.d a1, fa1
    CHECK(33, a1, 0x3ff0000000000000)
    c.addi16sp sp, 64

    /* ---- shifts and logic ---- */
    li a0, 1
    c.slli a0, 63
    CHECK(34, a0, 0x8000000000000000)
    li a0, 1
    c.slli a0, 32
    CHECK(35, a0, 0x100000000)
    li a0, 0x8000000000000000
    c.srli a0, 63
    CHECK(36, a0, 1)
    li a0, 0x8000000000000000
    c.srli a0, 32
    CHECK(37, a0, 0x80000000)
    li a0, 0x8000000000000000
    c.srai a0, 63
    CHECK(38, a0, -1)
    li a0, 0x8000000000000000
    c.srai a0, 31
    CHECK(39, a0, 0xffffffff00000000)
    li a0, 0x7000000000000000
    c.srai a0, 60
    CHECK(40, a0, 7)
    li a0, 0xffffffffffffffff
    c.andi a0, -32
    CHECK(41, a0, 0xffffffffffffffe0)
    li a0, 0xffffffffffffffff
    c.andi a0, 31
    CHECK(42, a0, 31)
    li a0, 0x1234
    c.mv a1, a0
    CHECK(43, a1, 0x1234)
    li a0, 0x7fffffffffffffff
    li a1, 1
    c.add a0, a1
    CHECK(44, a0, 0x8000000000000000)
    li a0, 0
    li a1, 1
    c.sub a0, a1
    CHECK(45, a0, -1)
    li a0, 0xff00ff00ff00ff00
    li a1, 0x0ff00ff00ff00ff0
    c.xor a0, a1
    CHECK(46, a0, 0xf0f0f0f0f0f0f0f0)
    li a0, 0xff00ff00ff00ff00
    c.or a0, a1
    CHECK(47, a0, 0xfff0fff0fff0fff0)
    li a0, 0xff00ff00ff00ff00
    c.and a0, a1
    CHECK(48, a0, 0x0f000f000f000f00)
    li a0, 0x7fffffff
    li a1, 1
    c.addw a0, a1
    CHECK(49, a0, 0xffffffff80000000)
    li a0, 0x100000000
    li a1, 1
    c.subw a0, a1
    CHECK(50, a0, -1)
    li a0, 0x80000000
    li a1, 0x100000000
    c.subw a0, a1                     /* upper bits ignored, result sign-extended */
    CHECK(51, a0, 0xffffffff80000000)

    /* ---- control flow ---- */
    li a0, 0
    c.beqz a0, 1f
    FAIL_NOW(52)
1:  li a0, 1
    c.beqz a0, 2f
    c.bnez a0, 3f
2:  FAIL_NOW(53)
3:  li a0, 0
    c.bnez a0, 2b
    /* backward c.bnez loop */
    li a0, 5
    li a1, 0
4:  c.addi a1, 2
    c.addi a0, -1
    c.bnez a0, 4b
    CHECK(54, a1, 10)
    c.j 5f
    FAIL_NOW(55)
5:  la a1, cfunc
    c.jalr a1                         /* ra = address of the next instruction (pc + 2) */
cjalr_ret:
    CHECK_ADDR(56, ra, cjalr_ret)
    CHECK(57, a0, 0x73)
    la a1, 6f
    c.jr a1
    FAIL_NOW(58)
6:  c.nop

    /* ---- 32-bit instructions at 2-byte-aligned addresses ---- */
    .balign 4
    c.nop
    .option norvc
odd_addi:
    addi a0, zero, 0x123              /* at pc % 4 == 2 */
    .option rvc
    CHECK(59, a0, 0x123)
    la a0, odd_addi
    andi a0, a0, 3
    CHECK(60, a0, 2)
    /* jump to a 32-bit instruction at a 2 mod 4 target */
    la a1, odd_target
    jalr ra, 0(a1)
    CHECK(61, a0, 0x456)
    /* a 32-bit instruction that straddles a page boundary */
    li a0, 1
    call straddle
    CHECK(62, a0, 0x124)
    la a0, straddle
    li a1, 0xfff
    and a0, a0, a1
    CHECK(63, a0, 0xffe)

    .option norvc
    TEST_PASS

    .option rvc
    .balign 4
cfunc:
    c.li a0, 0
    c.addi a0, 0x17
    c.slli a0, 2
    c.addi a0, 0x17
    c.jr ra

    .balign 4
    c.nop
odd_target:
    .option norvc
    addi a0, zero, 0x456
    .option rvc
    c.jr ra

    .balign 4096
    .skip 4096 - 2
straddle:
    .option norvc
    addi a0, a0, 0x123                /* bytes 0-1 on one page, 2-3 on the next */
    .option rvc
    c.jr ra
    .option norvc

    .data
    .align 8
cdata:
    .space 256
