/*
 * counters: rdcycle/rdinstret/rdtime and their gating.
 *  - cycle and instret increase (instret by at least the instructions retired); mcycle/minstret
 *    are writable from M and count on from the written value; the unprivileged cycle/instret
 *    shadow mcycle/minstret
 *  - time: on QEMU's spike machine the time CSR is not implemented (rdtime traps as illegal, and
 *    firmware emulates it): the test accepts that, but if rdtime reads it must lie between two
 *    reads of the CLINT's mtime and increase. (Typevisor should implement it.)
 *  - mcounteren gates S and U, scounteren additionally gates U (CY bit 0, TM bit 1, IR bit 2):
 *    a gated read is an illegal instruction
 */
#include "test.h"
TEST_NAME("counters")

TEST_BEGIN
    CLEAR_RECORDS
    /* ---- cycle / instret increase ---- */
    rdcycle s0
    rdinstret s1
    li a1, 1000
1:  addi a1, a1, -1
    bnez a1, 1b                        /* 2000 instructions */
    rdcycle s2
    rdinstret s3
    sltu a0, s0, s2
    CHECK(1, a0, 1)
    sub a0, s3, s1
    sltiu a0, a0, 2000
    CHECK(2, a0, 0)                    /* instret advanced by >= 2000 */
    csrr a0, mcycle
    sltu a0, s2, a0
    CHECK(3, a0, 1)
    csrr a0, minstret
    sltu a0, s3, a0
    CHECK(4, a0, 1)
    /* writable from M */
    li t0, 1000000000
    csrw minstret, t0
    rdinstret a0
    sub a0, a0, t0
    li t1, 1000000
    sltu a0, a0, t1
    CHECK(5, a0, 1)                    /* 0 <= instret - 1e9 < 1e6 */
    li t0, 0x100000000000
    csrw mcycle, t0
    rdcycle a0
    sub a0, a0, t0
    li t1, 100000000
    sltu a0, a0, t1
    CHECK(6, a0, 1)

    /* ---- time ---- */
    li s4, 0                           /* s4 = 1 if the time CSR works */
    li t0, CLINT_MTIME
    ld s0, 0(t0)
    li tp, 1                           /* a trap is acceptable here */
time1:
    rdtime s1
    beqz tp, 2f                        /* it trapped */
    li tp, 0
    li t0, CLINT_MTIME
    ld s2, 0(t0)
    sltu a0, s1, s0
    CHECK(7, a0, 0)                    /* mtime1 <= time */
    sltu a0, s2, s1
    CHECK(8, a0, 0)                    /* time <= mtime2 */
    li a1, 20000
1:  addi a1, a1, -1
    bnez a1, 1b
    rdtime s3
    sltu a0, s1, s3
    CHECK(9, a0, 1)
    li s4, 1
    j 3f
2:  CHECK_MTRAP(10, CAUSE_ILLEGAL)
    CHECK_MTRAP_EPC(11, time1)
3:
    /* ---- mcounteren / scounteren ---- */
    csrw mcounteren, zero
    csrw scounteren, zero
    CLEAR_RECORDS
    GOTO_S(s1)
s1: EXPECT_TRAP
    rdcycle a0
    CHECK_MTRAP(12, CAUSE_ILLEGAL)
    EXPECT_TRAP
    rdinstret a0
    CHECK_MTRAP(13, CAUSE_ILLEGAL)
    EXPECT_TRAP
    rdtime a0
    CHECK_MTRAP(14, CAUSE_ILLEGAL)
    CHECK_MEM(15, mtrap_count, 3)
    GOTO_HANDLER(m1)
m1: li t0, 0x7                         /* CY, TM, IR for S */
    csrw mcounteren, t0
    csrr a0, mcounteren
    andi a0, a0, 7
    CHECK(16, a0, 7)
    CLEAR_RECORDS
    GOTO_S(s2)
s2: rdcycle a0
    rdinstret a0
    beqz s4, 1f
    rdtime a0
1:  CHECK_MEM(17, mtrap_count, 0)
    /* U: still gated by scounteren */
    SGOTO_U(u1)
u1: EXPECT_TRAP
    rdcycle a0
    EXPECT_TRAP
    rdinstret a0
    EXPECT_TRAP
    rdtime a0
    GOTO_HANDLER(m2)
m2: CHECK_MEM(18, mtrap_count, 3)
    CHECK_MTRAP(19, CAUSE_ILLEGAL)
    /* scounteren = CY only: U may read cycle, not instret */
    li t0, 1
    csrw scounteren, t0
    csrr a0, scounteren
    andi a0, a0, 7
    CHECK(20, a0, 1)
    CLEAR_RECORDS
    GOTO_U(u2)
u2: rdcycle a0
    EXPECT_TRAP
    rdinstret a0
    GOTO_HANDLER(m3)
m3: CHECK_MEM(21, mtrap_count, 1)
    /* all three for U */
    li t0, 7
    csrw scounteren, t0
    CLEAR_RECORDS
    GOTO_U(u3)
u3: rdcycle s0
    rdinstret s1
    beqz s4, 1f
    rdtime a0
1:  rdcycle s2
    GOTO_HANDLER(m4)
m4: CHECK_MEM(22, mtrap_count, 0)
    sltu a0, s0, s2
    CHECK(23, a0, 1)
    /* mcounteren = 0 gates U even when scounteren allows */
    csrw mcounteren, zero
    GOTO_U(u4)
u4: EXPECT_TRAP
    rdcycle a0
    GOTO_HANDLER(m5)
m5: CHECK_MEM(24, mtrap_count, 1)
    TEST_PASS
