/*
 * pmp: physical memory protection. The runtime's start-up entry (pmpaddr0 = -1, NAPOT RWX), which
 * lets S/U run at all, is moved to entry 15 (lowest priority) and entries 0..5 are used:
 *    0: NA4 at page3 + 0x100, no permissions (a 4-byte hole inside entry 4)
 *    1: NAPOT 4 KiB page1, R            -> S/U load ok, store faults (7), fetch faults (1)
 *    2+3: TOR [page2, page2 + 4 KiB), no permissions -> S/U load (5) and store (7) fault
 *    4: NAPOT 4 KiB page3, RWX          -> S can run code there
 *    5: NAPOT 4 KiB page4, R, locked    -> M-mode stores fault too; entry 5 can't be rewritten
 * mtval = the address. M-mode is not restricted by unlocked entries. The lowest-numbered matching
 * entry decides (NA4 hole). pmpcfg1/pmpcfg3 do not exist on RV64 (illegal instruction).
 */
#include "test.h"
TEST_NAME("pmp")

#define NAPOT_4K(reg, sym) la reg, sym; srli reg, reg, 2; ori reg, reg, 0x1ff
#define CHECK_CAUSE_TVAL(n, cause, reg) CHECK_MTRAP(n, cause); la t0, mtrap_tval; ld t0, 0(t0); CHECK_REG(n, t0, reg); CHECK_MEM(n, mtrap_count, 1)

TEST_BEGIN
    CLEAR_RECORDS
    /* a "ret" at the start of page1 and page3; data words */
    li a1, 0x00008067
    la t0, page1
    sw a1, 0(t0)
    la t0, page3
    sw a1, 0(t0)
    fence.i
    li a1, 0x1111
    la t0, page1
    sd a1, 8(t0)
    li a1, 0x2222
    la t0, page2
    sd a1, 8(t0)
    li a1, 0x3333
    la t0, page3
    sw a1, 0x104(t0)
    li a1, 0x4444
    la t0, page4
    sd a1, 8(t0)

    /* ---- program the entries ---- */
    csrw pmpcfg0, zero
    li t0, -1
    csrw pmpaddr15, t0
    li t0, (PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 56
    csrw pmpcfg2, t0                   /* entry 15: everything else, RWX */
    la t0, page3 + 0x100
    srli t0, t0, 2
    csrw pmpaddr0, t0
    NAPOT_4K(t0, page1)
    csrw pmpaddr1, t0
    la t0, page2
    srli t0, t0, 2
    csrw pmpaddr2, t0
    la t0, page2 + 4096
    srli t0, t0, 2
    csrw pmpaddr3, t0
    NAPOT_4K(t0, page3)
    csrw pmpaddr4, t0
    li s1, PMP_NA4 | ((PMP_NAPOT | PMP_R) << 8) | (PMP_TOR << 24) | ((PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 32)
    csrw pmpcfg0, s1
    csrr a0, pmpcfg0
    CHECK_REG(1, a0, s1)
    NAPOT_4K(t1, page1)
    csrr a0, pmpaddr1
    CHECK_REG(2, a0, t1)

    /* ---- M-mode is not restricted by unlocked entries ---- */
    la s0, page2
    ld a0, 8(s0)
    CHECK(3, a0, 0x2222)
    sd a0, 16(s0)
    la s0, page1
    sd a0, 16(s0)
    la s0, page3 + 0x100
    lw a0, 0(s0)
    CHECK_MEM(4, mtrap_count, 0)

    /* ---- S-mode ---- */
    GOTO_S(in_s)
in_s:
    la s0, page1
    ld a0, 8(s0)
    CHECK(5, a0, 0x1111)               /* R allowed */
    CLEAR_RECORDS
    addi s0, s0, 8
    EXPECT_TRAP
    sd a0, 0(s0)                       /* W denied */
    CHECK_CAUSE_TVAL(6, CAUSE_STORE_ACCESS, s0)
    CLEAR_RECORDS
    la s0, page1
    EXPECT_TRAP_AT(1f)
    jalr ra, 0(s0)                     /* X denied */
1:  CHECK_CAUSE_TVAL(7, CAUSE_FETCH_ACCESS, s0)
    CHECK_MEM_ADDR(8, mtrap_epc, page1)
    CLEAR_RECORDS
    la s0, page2 + 8
    EXPECT_TRAP
    ld a0, 0(s0)
    CHECK_CAUSE_TVAL(9, CAUSE_LOAD_ACCESS, s0)
    CLEAR_RECORDS
    la s0, page2 + 4088                /* last dword of the TOR range */
    EXPECT_TRAP
    sd a0, 0(s0)
    CHECK_CAUSE_TVAL(10, CAUSE_STORE_ACCESS, s0)
    la s0, page3
    li a0, 0
    jalr ra, 0(s0)                     /* X allowed */
    CLEAR_RECORDS
    la s0, page3 + 0x104
    lw a0, 0(s0)
    CHECK(11, a0, 0x3333)
    lw a0, -8(s0)                      /* page3 + 0xfc */
    CHECK(12, a0, 0)
    CHECK_MEM(13, mtrap_count, 0)
    la s0, page3 + 0x100
    EXPECT_TRAP
    lw a0, 0(s0)                       /* the NA4 hole */
    CHECK_CAUSE_TVAL(14, CAUSE_LOAD_ACCESS, s0)
    GOTO_HANDLER(back1)
back1:

    /* ---- U-mode: the same rules ---- */
    CLEAR_RECORDS
    GOTO_U(in_u)
in_u:
    la s0, page1
    ld a0, 8(s0)
    CHECK(15, a0, 0x1111)
    la s0, page2 + 16
    EXPECT_TRAP
    ld a0, 0(s0)
    GOTO_HANDLER(back2)
back2:
    la s0, page2 + 16
    CHECK_CAUSE_TVAL(16, CAUSE_LOAD_ACCESS, s0)

    /* ---- a locked entry applies to M-mode too ---- */
    NAPOT_4K(t0, page4)
    csrw pmpaddr5, t0
    li t0, (PMP_L | PMP_NAPOT | PMP_R) << 40
    csrs pmpcfg0, t0
    la s0, page4 + 8
    ld a0, 0(s0)
    CHECK(17, a0, 0x4444)
    CLEAR_RECORDS
    EXPECT_TRAP
    sd a0, 0(s0)
    CHECK_CAUSE_TVAL(18, CAUSE_STORE_ACCESS, s0)
    /* entry 5 can no longer be changed */
    csrw pmpaddr5, zero
    NAPOT_4K(t1, page4)
    csrr a0, pmpaddr5
    CHECK_REG(19, a0, t1)
    li t0, 0xff << 40
    csrc pmpcfg0, t0
    csrr a0, pmpcfg0
    srli a0, a0, 40
    andi a0, a0, 0xff
    CHECK(20, a0, PMP_L | PMP_NAPOT | PMP_R)
    /* the other entries still can */
    csrr a0, pmpcfg0
    li t0, 0xffffffffff
    and a0, a0, t0
    CHECK_REG(21, a0, s1)

    /* ---- pmpcfg1 and pmpcfg3 do not exist on RV64 ---- */
    CLEAR_RECORDS
    EXPECT_TRAP
    csrr a0, pmpcfg1
    CHECK_MTRAP(22, CAUSE_ILLEGAL)
    EXPECT_TRAP
    csrr a0, pmpcfg3
    CHECK_MTRAP(23, CAUSE_ILLEGAL)
    CHECK_MEM(24, mtrap_count, 2)
    TEST_PASS

    .bss
    .align 12
page1: .space 4096
page2: .space 4096
page3: .space 4096
page4: .space 4096
