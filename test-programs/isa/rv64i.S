/*
 * rv64i: every RV64I integer instruction. Register-register and immediate arithmetic including the
 * W forms and their sign extension, shifts by 0/31/32/63 (and shift amounts that use only the low
 * 6 / 5 bits), slt/sltu corners, lui/auipc, all branches taken and not taken, jal/jalr (link value,
 * jalr clearing bit 0, rd == rs1), loads and stores of every width with sign/zero extension,
 * x0 staying 0, fence, and fence.i after modifying code that has already run.
 */
#include "test.h"
TEST_NAME("rv64i")

/* a0 = a1 op a2 */
#define TEST_RR(n, op, res, a, b) li a1, a; li a2, b; op a0, a1, a2; CHECK(n, a0, res)
/* a0 = a1 op imm */
#define TEST_RI(n, op, res, a, imm) li a1, a; op a0, a1, imm; CHECK(n, a0, res)
/* branch: a0 = 1 if taken */
#define TEST_BR(n, op, a, b, taken) li a1, a; li a2, b; li a0, 1; op a1, a2, 1f; li a0, 0; 1: CHECK(n, a0, taken)

TEST_BEGIN
    /* ---- add / sub / addi ---- */
    TEST_RR(1, add, 3, 1, 2)
    TEST_RR(2, add, 0x8000000000000000, 0x7fffffffffffffff, 1)
    TEST_RR(3, add, 0, -1, 1)
    TEST_RR(4, sub, -1, 0, 1)
    TEST_RR(5, sub, 0x7fffffffffffffff, 0x8000000000000000, 1)
    TEST_RR(6, sub, 0x8000000000000000, 0, 0x8000000000000000)
    TEST_RI(7, addi, -2048, 0, -2048)
    TEST_RI(8, addi, 2047, 0, 2047)
    TEST_RI(9, addi, 0x8000000000000000, 0x7fffffffffffffff, 1)
    TEST_RI(10, addi, 0xfffffffffffff800, 0, 0x800 - 0x1000)

    /* ---- W forms: 32-bit result, sign-extended; upper source bits ignored ---- */
    TEST_RR(11, addw, 0xffffffff80000000, 0x7fffffff, 1)
    TEST_RR(12, addw, 2, 0xffffffff00000001, 0x1234567800000001)
    TEST_RR(13, addw, 0, 0xffffffff, 1)
    TEST_RR(14, subw, 0xffffffff80000000, 0, 0x80000000)
    TEST_RR(15, subw, 0x7fffffff, 0x80000000, 1)
    TEST_RR(16, subw, -1, 0x100000000, 1)
    TEST_RI(17, addiw, 0xffffffff80000000, 0x7fffffff, 1)
    TEST_RI(18, addiw, 0xffffffff80000000, 0x80000000, 0)      /* sext.w */
    TEST_RI(19, addiw, 1, 0x100000001, 0)
    TEST_RI(20, addiw, 0x7ffff800, 0x80000000, -2048)
    TEST_RI(21, addiw, -1, 0, -1)

    /* ---- logic ---- */
    TEST_RR(22, and, 0x0f000f000f000f00, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0)
    TEST_RR(23, or,  0xfff0fff0fff0fff0, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0)
    TEST_RR(24, xor, 0xf0f0f0f0f0f0f0f0, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0)
    TEST_RI(25, andi, 0xff00ff00ff00ff00, 0xff00ff00ff00ff00, -1)     /* imm sign-extended */
    TEST_RI(26, andi, 0x700, 0xff00ff00ff00ff00, 0x7f0)
    TEST_RI(27, ori, 0xfffffffffffff80f, 0x000000000000000f, -2048)
    TEST_RI(28, xori, 0x00ff00ff00ff00ff, 0xff00ff00ff00ff00, -1)     /* not */
    TEST_RI(29, xori, 0xff00ff00ff00f8ff, 0xff00ff00ff00ff00, 0x7ff)

    /* ---- 64-bit shifts: by 0/31/32/63; register amounts use the low 6 bits ---- */
    TEST_RR(30, sll, 0x8000000000000001, 0x8000000000000001, 0)
    TEST_RR(31, sll, 0x0000000080000000, 1, 31)
    TEST_RR(32, sll, 0x0000000100000000, 1, 32)
    TEST_RR(33, sll, 0x8000000000000000, 1, 63)
    TEST_RR(34, sll, 0x2, 1, 65)
    TEST_RR(35, sll, 0xfffffffffffffffe, -1, 0xffffffffffffffc1)
    TEST_RR(36, srl, 0x8000000000000000, 0x8000000000000000, 0)
    TEST_RR(37, srl, 0x0000000100000000, 0x8000000000000000, 31)
    TEST_RR(38, srl, 0x0000000080000000, 0x8000000000000000, 32)
    TEST_RR(39, srl, 1, 0x8000000000000000, 63)
    TEST_RR(40, srl, 0x4000000000000000, 0x8000000000000000, 64 + 1)
    TEST_RR(41, sra, 0x8000000000000000, 0x8000000000000000, 0)
    TEST_RR(42, sra, 0xffffffff00000000, 0x8000000000000000, 31)
    TEST_RR(43, sra, 0xffffffff80000000, 0x8000000000000000, 32)
    TEST_RR(44, sra, -1, 0x8000000000000000, 63)
    TEST_RR(45, sra, 0x3fffffffffffffff, 0x7fffffffffffffff, 1)
    TEST_RR(46, sra, 0xc000000000000000, 0x8000000000000000, 128 + 1)
    TEST_RI(47, slli, 0x8000000000000001, 0x8000000000000001, 0)
    TEST_RI(48, slli, 0x0000000080000000, 1, 31)
    TEST_RI(49, slli, 0x0000000100000000, 1, 32)
    TEST_RI(50, slli, 0x8000000000000000, 1, 63)
    TEST_RI(51, srli, 0x0000000100000000, 0x8000000000000000, 31)
    TEST_RI(52, srli, 0x0000000080000000, 0x8000000000000000, 32)
    TEST_RI(53, srli, 1, 0x8000000000000000, 63)
    TEST_RI(54, srli, 0xffffffffffffffff, 0xffffffffffffffff, 0)
    TEST_RI(55, srai, 0xffffffff00000000, 0x8000000000000000, 31)
    TEST_RI(56, srai, 0xffffffff80000000, 0x8000000000000000, 32)
    TEST_RI(57, srai, -1, 0x8000000000000000, 63)
    TEST_RI(58, srai, 0x0000000000000001, 0x7fffffffffffffff, 62)
    TEST_RI(59, srai, 0x8000000000000000, 0x8000000000000000, 0)

    /* ---- 32-bit shifts: operate on the low word, sign-extend; register amounts use 5 bits ---- */
    TEST_RR(60, sllw, 0xffffffff80000000, 1, 31)
    TEST_RR(61, sllw, 1, 1, 32)                                   /* amount 32 -> 0 */
    TEST_RR(62, sllw, 0xffffffff80000000, 0x80000000, 0)          /* shift 0 still sign-extends */
    TEST_RR(63, sllw, 0x12345678, 0xabcdef0012345678, 0)
    TEST_RR(64, sllw, 0xffffffffabcdef00, 0x00000000fabcdef0, 4)
    TEST_RR(65, srlw, 1, 0xffffffff80000000, 31)
    TEST_RR(66, srlw, 0xffffffff80000000, 0x0000000080000000, 0)  /* shift 0 still sign-extends */
    TEST_RR(67, srlw, 0x08000000, 0x0000000080000000, 4)
    TEST_RR(68, srlw, 1, 0x1234567800000010, 4)                   /* upper bits ignored */
    TEST_RR(69, srlw, 0x40000000, 0x80000000, 33)                 /* amount 33 -> 1 */
    TEST_RR(70, sraw, -1, 0x80000000, 31)
    TEST_RR(71, sraw, 0xfffffffff8000000, 0x80000000, 4)
    TEST_RR(72, sraw, 0x07ffffff, 0x7fffffff, 4)
    TEST_RR(73, sraw, 0xffffffff80000000, 0x0000000080000000, 0)
    TEST_RR(74, sraw, 0xffffffffc0000000, 0x80000000, 32 + 1)
    TEST_RI(75, slliw, 0xffffffff80000000, 1, 31)
    TEST_RI(76, slliw, 0xffffffff80000000, 0x80000000, 0)
    TEST_RI(77, slliw, 0, 0x100000000, 4)
    TEST_RI(78, srliw, 1, 0x80000000, 31)
    TEST_RI(79, srliw, 0xffffffff80000000, 0x80000000, 0)
    TEST_RI(80, srliw, 0x0fffffff, 0xffffffffffffffff, 4)
    TEST_RI(81, sraiw, -1, 0x80000000, 31)
    TEST_RI(82, sraiw, 0xfffffffff8000000, 0x80000000, 4)
    TEST_RI(83, sraiw, 0xffffffff80000000, 0x0000000080000000, 0)
    TEST_RI(84, sraiw, 0x00000000, 0xffffffff00000000, 31)

    /* ---- set-less-than ---- */
    TEST_RR(85, slt, 1, -1, 0)
    TEST_RR(86, slt, 0, 0, -1)
    TEST_RR(87, slt, 0, 5, 5)
    TEST_RR(88, slt, 1, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_RR(89, slt, 0, 0x7fffffffffffffff, 0x8000000000000000)
    TEST_RR(90, sltu, 0, -1, 0)
    TEST_RR(91, sltu, 1, 0, -1)
    TEST_RR(92, sltu, 0, 5, 5)
    TEST_RR(93, sltu, 0, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_RR(94, sltu, 1, 0x7fffffffffffffff, 0x8000000000000000)
    TEST_RI(95, slti, 1, -2049, -2048)
    TEST_RI(96, slti, 0, -2048, -2048)
    TEST_RI(97, slti, 1, 0x8000000000000000, 0)
    TEST_RI(98, slti, 0, 2047, 2047)
    TEST_RI(99, sltiu, 1, 0, 1)                                  /* seqz */
    TEST_RI(100, sltiu, 0, 1, 1)
    TEST_RI(101, sltiu, 1, 0x7fffffffffffffff, -1)               /* imm is sign-extended, then unsigned */
    TEST_RI(102, sltiu, 0, -1, -1)
    TEST_RI(103, sltiu, 1, 0xfffffffffffff000, -2048)
    TEST_RR(104, sltu, 1, 0, 1)                                  /* snez */
    TEST_RR(105, sltu, 0, 0, 0)

    /* ---- lui / auipc ---- */
    lui a0, 0x80000
    CHECK(106, a0, 0xffffffff80000000)
    lui a0, 0x7ffff
    CHECK(107, a0, 0x7ffff000)
    lui a0, 0xfffff
    CHECK(108, a0, 0xfffffffffffff000)
    lui a0, 0
    CHECK(109, a0, 0)
auipc_here:
    auipc a0, 0
    CHECK_ADDR(110, a0, auipc_here)
auipc_here2:
    auipc a0, 0x80000              /* pc - 0x8000_0000: the immediate is sign-extended */
    la a1, auipc_here2
    li a2, 0x80000000
    sub a1, a1, a2
    CHECK_REG(111, a0, a1)
auipc_here3:
    auipc a0, 1
    la a1, auipc_here3 + 0x1000
    CHECK_REG(112, a0, a1)

    /* ---- branches, both ways, signed and unsigned corners ---- */
    TEST_BR(113, beq, 3, 3, 1)
    TEST_BR(114, beq, 3, 4, 0)
    TEST_BR(115, beq, 0x100000003, 3, 0)
    TEST_BR(116, bne, 3, 4, 1)
    TEST_BR(117, bne, 3, 3, 0)
    TEST_BR(118, blt, -1, 1, 1)
    TEST_BR(119, blt, 1, -1, 0)
    TEST_BR(120, blt, 1, 1, 0)
    TEST_BR(121, blt, 0x8000000000000000, 0x7fffffffffffffff, 1)
    TEST_BR(122, bge, 1, 1, 1)
    TEST_BR(123, bge, 1, -1, 1)
    TEST_BR(124, bge, -1, 1, 0)
    TEST_BR(125, bltu, -1, 1, 0)
    TEST_BR(126, bltu, 1, -1, 1)
    TEST_BR(127, bltu, 1, 1, 0)
    TEST_BR(128, bgeu, -1, 1, 1)
    TEST_BR(129, bgeu, 1, -1, 0)
    TEST_BR(130, bgeu, 7, 7, 1)
    /* backward taken branch: count a loop */
    li a0, 0
    li a1, 10
1:  addi a0, a0, 1
    addi a1, a1, -1
    bnez a1, 1b
    CHECK(131, a0, 10)

    /* ---- jal / jalr ---- */
    jal a0, jal_target
jal_return:
    FAIL_NOW(132)
jal_target:
    CHECK_ADDR(133, a0, jal_return)
    jal x0, 1f
    FAIL_NOW(134)
1:
    /* jalr clears bit 0 of the target */
    la a1, jalr_target + 1
    jalr a0, 0(a1)
jalr_return:
    FAIL_NOW(135)
jalr_target:
    CHECK_ADDR(136, a0, jalr_return)
    /* immediate offset, odd sum */
    la a1, jalr_target2 - 7
    jalr a0, 8(a1)
jalr_return2:
    FAIL_NOW(137)
jalr_target2:
    CHECK_ADDR(138, a0, jalr_return2)
    /* rd == rs1: the target uses the old value */
    la a1, jalr_target3
    jalr a1, 0(a1)
jalr_return3:
    FAIL_NOW(139)
jalr_target3:
    CHECK_ADDR(140, a1, jalr_return3)
    /* negative offset */
    la a1, jalr_target4 + 2044
    jalr a0, -2044(a1)
jalr_return4:
    FAIL_NOW(141)
jalr_target4:
    CHECK_ADDR(142, a0, jalr_return4)
    /* a real call/return */
    li a0, 0
    call add_seven
    CHECK(143, a0, 7)

    /* ---- loads: every width, sign and zero extension, negative offsets ---- */
    la s0, load_data
    lb a0, 0(s0)
    CHECK(144, a0, 0xffffffffffffff88)
    lbu a0, 0(s0)
    CHECK(145, a0, 0x88)
    lb a0, 1(s0)
    CHECK(146, a0, 0x77)
    lh a0, 0(s0)
    CHECK(147, a0, 0x7788)
    lh a0, 2(s0)
    CHECK(148, a0, 0xffffffffffff8566)
    lhu a0, 2(s0)
    CHECK(149, a0, 0x8566)
    lw a0, 0(s0)
    CHECK(150, a0, 0xffffffff85667788)
    lwu a0, 0(s0)
    CHECK(151, a0, 0x85667788)
    lw a0, 4(s0)
    CHECK(152, a0, 0x11223344)
    lwu a0, 4(s0)
    CHECK(153, a0, 0x11223344)
    ld a0, 0(s0)
    CHECK(154, a0, 0x1122334485667788)
    addi s1, s0, 8
    ld a0, -8(s1)
    CHECK(155, a0, 0x1122334485667788)
    lbu a0, -1(s1)
    CHECK(156, a0, 0x11)
    lb a0, 15(s0)
    CHECK(157, a0, 0xffffffffffffff80)
    lh a0, 14(s0)
    CHECK(158, a0, 0xffffffffffff80ff)
    lw a0, 12(s0)
    CHECK(159, a0, 0xffffffff80ffffff)
    ld a0, 8(s0)
    CHECK(160, a0, 0x80ffffff7f000000)

    /* ---- stores: only the addressed bytes change ---- */
    la s0, store_data
    li a1, -1
    sd a1, 0(s0)
    sd a1, 8(s0)
    li a2, 0x0123456789abcdef
    sb a2, 0(s0)
    ld a0, 0(s0)
    CHECK(161, a0, 0xffffffffffffffef)
    sh a2, 2(s0)
    ld a0, 0(s0)
    CHECK(162, a0, 0xffffffffcdefffef)
    sw a2, 4(s0)
    ld a0, 0(s0)
    CHECK(163, a0, 0x89abcdefcdefffef)
    sd a2, 8(s0)
    ld a0, 8(s0)
    CHECK(164, a0, 0x0123456789abcdef)
    addi s1, s0, 16
    sb zero, -1(s1)
    ld a0, 8(s0)
    CHECK(165, a0, 0x0023456789abcdef)
    sw zero, -8(s1)
    ld a0, 8(s0)
    CHECK(166, a0, 0x0023456700000000)
    ld a0, 0(s0)
    CHECK(167, a0, 0x89abcdefcdefffef)

    /* ---- x0 stays 0 ---- */
    addi x0, x0, 5
    CHECK(168, x0, 0)
    lui x0, 0x12345
    CHECK(169, x0, 0)
    la s0, load_data
    ld x0, 0(s0)
    CHECK(170, x0, 0)
    li a1, 77
    add x0, a1, a1
    CHECK(171, x0, 0)
    jal x0, 1f
1:  CHECK(172, x0, 0)
    add a0, x0, x0
    CHECK(173, a0, 0)
    csrrw x0, mscratch, a1        /* harmless: restored below */
    la a1, m_scratch_area
    csrw mscratch, a1
    CHECK(174, x0, 0)

    /* ---- fence / fence.i with self-modifying code ---- */
    fence
    fence rw, rw
    fence.i
    call patch_site
    CHECK(175, a0, 1)
    call patch_site                /* run it twice so that it is surely cached */
    CHECK(176, a0, 1)
    la s0, patch_site
    li a1, 0x00200513              /* addi a0, x0, 2 */
    sw a1, 0(s0)
    fence.i
    call patch_site
    CHECK(177, a0, 2)
    li a1, 0x02a00513              /* addi a0, x0, 42 */
    sw a1, 0(s0)
    fence.i
    call patch_site
    CHECK(178, a0, 42)

    TEST_PASS

add_seven:
    addi a0, a0, 7
    ret

    .align 3
patch_site:
    addi a0, x0, 1
    ret

    .data
    .align 4
load_data:
    .dword 0x1122334485667788
    .dword 0x80ffffff7f000000
store_data:
    .dword 0, 0
