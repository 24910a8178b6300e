/*
 * interrupts: CLINT timer and software interrupts, WFI, priorities and delegation.
 *  - mtime (CLINT +0xbff8) advances; mip.MTIP follows mtime >= mtimecmp (CLINT +0x4000)
 *  - machine timer interrupt with mie.MTIE and mstatus.MIE: mcause = 0x8000000000000007,
 *    MIE restored by mret
 *  - WFI with MIE = 0 wakes up (no trap) when the enabled timer interrupt becomes pending, both
 *    for a pending-already and a future mtimecmp; setting MIE afterwards takes it at once
 *  - machine software interrupt via msip (CLINT +0): mcause = 0x8000000000000003; clearing msip
 *    clears mip.MSIP
 *  - priority: MSI is taken before MTI when both are pending
 *  - M interrupts are taken in S/U mode even with mstatus.MIE = 0
 *  - vectored mtvec: an interrupt goes to base + 4 * cause
 *  - supervisor timer: M-mode sets mip.STIP; delegated via mideleg it is taken in S with
 *    scause = 0x8000000000000005 (only when sstatus.SIE = 1 in S, always in U, never in M);
 *    not delegated it goes to M (mcause 5) even with MIE = 0 while in S
 *  - supervisor software interrupt: S-mode sets sip.SSIP, scause = 0x8000000000000001
 */
#include "test.h"
TEST_NAME("interrupts")

#define SET_MTIMECMP_IN(ticks) li t0, CLINT_MTIME; ld t1, 0(t0); li t0, ticks; add t1, t1, t0; li t0, CLINT_MTIMECMP; sd t1, 0(t0)
#define SET_MTIMECMP(val) li t0, CLINT_MTIMECMP; li t1, val; sd t1, 0(t0)
#define SET_MSIP(val) li t0, CLINT_MSIP; li t1, val; sw t1, 0(t0)
/* Wait until mip has bit `mask` set; fail after about a second of mtime or 20M iterations. */
#define WAIT_MIP(n, mask) SETNUM(n); _wait_mip mask
.macro _wait_mip mask
    li t0, CLINT_MTIME
    ld t1, 0(t0)
    li t0, 10000000
    add t1, t1, t0
    li t5, 20000000
1:  csrr t6, mip
    li t0, \mask
    and t6, t6, t0
    bnez t6, 2f
    li t0, CLINT_MTIME
    ld t0, 0(t0)
    bgtu t0, t1, 3f
    addi t5, t5, -1
    bnez t5, 1b
3:  li t5, 0
    li t6, \mask
    _fail_here
2:
.endm

TEST_BEGIN
    CLEAR_RECORDS
    SET_MTIMECMP(-1)
    SET_MSIP(0)
    csrw mie, zero

    /* ---- mtime advances ---- */
    li t0, CLINT_MTIME
    ld s0, 0(t0)
    li a1, 20000
1:  addi a1, a1, -1
    bnez a1, 1b
    li t0, CLINT_MTIME
    ld s1, 0(t0)
    sltu a0, s0, s1
    CHECK(1, a0, 1)
    /* 32-bit reads of mtime work too */
    li t0, CLINT_MTIME
    lwu a0, 4(t0)
    srli a1, s1, 32
    sltu a0, a0, a1                   /* high word cannot have gone backwards */
    CHECK(2, a0, 0)

    /* ---- MTIP follows mtimecmp ---- */
    csrr a0, mip
    andi a0, a0, MIP_MTIP
    CHECK(3, a0, 0)
    SET_MTIMECMP(0)
    WAIT_MIP(4, MIP_MTIP)
    SET_MTIMECMP(-1)
    csrr a0, mip
    andi a0, a0, MIP_MTIP
    CHECK(5, a0, 0)
    CHECK_MEM(6, mirq_count, 0)       /* not enabled: not taken */

    /* ---- machine timer interrupt ---- */
    SET_MTIMECMP_IN(100)
    li t0, MIP_MTIP
    csrw mie, t0
    li t0, MSTATUS_MIE
    csrs mstatus, t0
    WAIT_NONZERO(7, mirq_count, 20000000)
    CHECK_MEM(8, mirq_cause, INTERRUPT_BIT | IRQ_M_TIMER)
    CHECK_MEM(9, mirq_count, 1)
    csrr a0, mstatus
    andi a0, a0, MSTATUS_MIE
    CHECK(10, a0, MSTATUS_MIE)        /* restored by mret */
    csrr a0, mie
    CHECK(11, a0, 0)                  /* the handler disabled MTIE */
    li t0, MSTATUS_MIE
    csrc mstatus, t0
    SET_MTIMECMP(-1)

    /* ---- WFI wakes on a pending enabled interrupt even with MIE = 0 ---- */
    CLEAR_RECORDS
    SET_MTIMECMP(0)                   /* pending already */
    li t0, MIP_MTIP
    csrw mie, t0
    wfi
    CHECK_MEM(12, mirq_count, 0)
    SET_MTIMECMP_IN(2000)             /* 200 us in the future */
    wfi
    WAIT_MIP(13, MIP_MTIP)            /* (wfi may also return early) */
    CHECK_MEM(14, mirq_count, 0)      /* MIE = 0: not taken */
    li t0, MSTATUS_MIE
    csrs mstatus, t0                  /* now it is taken at once */
    nop
    CHECK_MEM(15, mirq_count, 1)
    CHECK_MEM(16, mirq_cause, INTERRUPT_BIT | IRQ_M_TIMER)
    li t0, MSTATUS_MIE
    csrc mstatus, t0
    SET_MTIMECMP(-1)

    /* ---- machine software interrupt ---- */
    CLEAR_RECORDS
    SET_MSIP(1)
    WAIT_MIP(17, MIP_MSIP)
    li t0, CLINT_MSIP
    lw a0, 0(t0)
    CHECK(18, a0, 1)
    li t0, MIP_MSIP
    csrw mie, t0
    li t0, MSTATUS_MIE
    csrs mstatus, t0
    nop
    CHECK_MEM(19, mirq_count, 1)
    CHECK_MEM(20, mirq_cause, INTERRUPT_BIT | IRQ_M_SOFT)
    li t0, MSTATUS_MIE
    csrc mstatus, t0
    SET_MSIP(0)
    csrr a0, mip
    andi a0, a0, MIP_MSIP
    CHECK(21, a0, 0)

    /* ---- priority: MSI before MTI ---- */
    CLEAR_RECORDS
    SET_MTIMECMP(0)
    SET_MSIP(1)
    WAIT_MIP(22, MIP_MSIP)
    WAIT_MIP(23, MIP_MTIP)
    li t0, MIP_MSIP | MIP_MTIP
    csrw mie, t0
    li t0, MSTATUS_MIE
    csrs mstatus, t0
    nop
    nop
    CHECK_MEM(24, mirq_count, 2)
    CHECK_MEM(25, mirq_cause, INTERRUPT_BIT | IRQ_M_TIMER)   /* the second one */
    li t0, MSTATUS_MIE
    csrc mstatus, t0
    SET_MSIP(0)
    SET_MTIMECMP(-1)

    /* ---- M interrupts are enabled in U (and S) regardless of MIE ---- */
    CLEAR_RECORDS
    li t0, MSTATUS_MIE | MSTATUS_MPIE
    csrc mstatus, t0
    SET_MTIMECMP(0)
    WAIT_MIP(26, MIP_MTIP)
    li t0, MIP_MTIP
    csrw mie, t0
    GOTO_U(in_u1)
in_u1:
    nop                               /* the interrupt is taken here (at in_u1) */
    nop
    GOTO_HANDLER(back1)
back1:
    CHECK_MEM(27, mirq_count, 1)
    CHECK_MEM(28, mirq_cause, INTERRUPT_BIT | IRQ_M_TIMER)
    CHECK_MEM_ADDR(29, mirq_epc, in_u1)
    SET_MTIMECMP(-1)

    /* ---- vectored mtvec ---- */
    CLEAR_RECORDS
    la t0, vec_table
    ori t0, t0, 1
    csrw mtvec, t0
    SET_MTIMECMP(0)
    WAIT_MIP(30, MIP_MTIP)
    li t0, MIP_MTIP
    csrw mie, t0
    li t0, MSTATUS_MIE
    csrs mstatus, t0
    nop
    li t0, MSTATUS_MIE
    csrc mstatus, t0
    CHECK_MEM(31, mirq_count, 1)
    CHECK_MEM(32, vec7_hits, 1)
    SET_MSIP(1)
    WAIT_MIP(33, MIP_MSIP)
    li t0, MIP_MSIP
    csrw mie, t0
    li t0, MSTATUS_MIE
    csrs mstatus, t0
    nop
    li t0, MSTATUS_MIE
    csrc mstatus, t0
    CHECK_MEM(34, mirq_count, 2)
    CHECK_MEM(35, vec3_hits, 1)
    SET_MSIP(0)
    SET_MTIMECMP(-1)
    la t0, m_trap_vector
    csrw mtvec, t0

    /* ---- supervisor timer interrupt, delegated ---- */
    CLEAR_RECORDS
    INSTALL_S_HANDLER
    li t0, MIP_STIP
    csrw mideleg, t0
    csrw mie, t0                      /* STIE */
    csrs mip, t0                      /* M-mode raises STIP */
    csrr a0, sip
    CHECK(40, a0, MIP_STIP)
    /* in M: never taken (even with SIE = 1) */
    li t0, MSTATUS_SIE | MSTATUS_MIE
    csrs mstatus, t0
    nop
    CHECK_MEM(41, sirq_count, 0)
    CHECK_MEM(42, mirq_count, 0)
    li t0, MSTATUS_SIE | MSTATUS_MIE | MSTATUS_MPIE
    csrc mstatus, t0
    /* in S with SIE = 0: not taken */
    GOTO_S(in_s1)
in_s1:
    nop
    nop
    CHECK_MEM(43, sirq_count, 0)
    /* in U: taken regardless of SIE */
    SGOTO_U(in_u2)
in_u2:
    nop
    nop
    GOTO_HANDLER(in_s2)               /* (ecall from U: not delegated, back in M) */
in_s2:
    CHECK_MEM(44, sirq_count, 1)
    CHECK_MEM(45, sirq_cause, INTERRUPT_BIT | IRQ_S_TIMER)
    CHECK_MEM_ADDR(46, sirq_epc, in_u2)
    CHECK_MEM(47, mirq_count, 0)
    /* in S with SIE = 1: taken */
    CLEAR_RECORDS
    li t0, MIP_STIP
    csrs mie, t0                      /* the S handler cleared sie.STIE */
    GOTO_S(in_s3)
in_s3:
    csrr a0, sie
    CHECK(48, a0, MIP_STIP)
    li t0, SSTATUS_SIE
    csrs sstatus, t0
    nop
    nop
    CHECK_MEM(49, sirq_count, 1)
    CHECK_MEM(50, sirq_cause, INTERRUPT_BIT | IRQ_S_TIMER)
    csrr a0, sie
    CHECK(51, a0, 0)
    csrr a0, sstatus
    andi a0, a0, SSTATUS_SIE
    CHECK(52, a0, SSTATUS_SIE)        /* restored by sret */
    li t0, SSTATUS_SIE
    csrc sstatus, t0
    /* S-mode cannot clear STIP through sip */
    li t0, MIP_STIP
    csrc sip, t0
    csrr a0, sip
    CHECK(53, a0, MIP_STIP)
    GOTO_HANDLER(back2)
back2:
    li t0, MIP_STIP
    csrc mip, t0
    csrr a0, mip
    andi a0, a0, MIP_STIP
    CHECK(54, a0, 0)

    /* ---- supervisor timer interrupt, not delegated: to M even with MIE = 0 ---- */
    CLEAR_RECORDS
    li t0, MSTATUS_MIE | MSTATUS_MPIE  /* (returning from the last trap set MIE again) */
    csrc mstatus, t0
    csrw mideleg, zero
    li t0, MIP_STIP
    csrw mie, t0
    csrs mip, t0
    nop
    CHECK_MEM(64, mirq_count, 0)       /* MIE = 0 in M: not taken */
    GOTO_S(in_s4)
in_s4:
    nop
    nop
    GOTO_HANDLER(back3)
back3:
    CHECK_MEM(55, mirq_count, 1)
    CHECK_MEM(56, mirq_cause, INTERRUPT_BIT | IRQ_S_TIMER)
    CHECK_MEM_ADDR(57, mirq_epc, in_s4)
    CHECK_MEM(58, sirq_count, 0)
    li t0, MIP_STIP
    csrc mip, t0

    /* ---- supervisor software interrupt raised by S-mode ---- */
    CLEAR_RECORDS
    li t0, MIP_SSIP
    csrw mideleg, t0
    csrw mie, t0
    GOTO_S(in_s5)
in_s5:
    li t0, SSTATUS_SIE
    csrs sstatus, t0
    li t0, MIP_SSIP
    csrs sip, t0
    nop
    nop
    CHECK_MEM(60, sirq_count, 1)
    CHECK_MEM(61, sirq_cause, INTERRUPT_BIT | IRQ_S_SOFT)
    li t0, MIP_SSIP
    csrc sip, t0
    csrr a0, sip
    CHECK(62, a0, 0)
    li t0, SSTATUS_SIE
    csrc sstatus, t0
    GOTO_HANDLER(back4)
back4:
    CHECK_MEM(63, mirq_count, 0)
    csrw mideleg, zero
    csrw mie, zero

    TEST_PASS

/* Vectored M-mode trap table: exceptions (0), MSI (3) and MTI (7) lead to the normal handler,
 * counting the hits; any other entry is a failure. */
    .align 8
vec_table:
    j m_trap_vector                   /* 0: exceptions */
    j vec_bad
    j vec_bad
    j vec3
    j vec_bad
    j vec_bad
    j vec_bad
    j vec7
    j vec_bad
    j vec_bad
    j vec_bad
    j vec_bad
vec3:
    csrrw sp, mscratch, sp
    sd t0, 32(sp)
    la t0, vec3_hits
    j 1f
vec7:
    csrrw sp, mscratch, sp
    sd t0, 32(sp)
    la t0, vec7_hits
1:  sd t1, 40(sp)
    ld t1, 0(t0)
    addi t1, t1, 1
    sd t1, 0(t0)
    ld t1, 40(sp)
    ld t0, 32(sp)
    csrrw sp, mscratch, sp
    j m_trap_vector
vec_bad:
    li gp, 99
    csrr t5, mcause
    li t6, -1
    j report_fail

    .data
    .align 3
vec3_hits: .dword 0
vec7_hits: .dword 0
