/*
 * test.h — shared definitions for the bare-metal ISA test programs.
 *
 * Conventions (see README.md):
 *   gp (x3)  the current check: (number | __LINE__ << 8). A failing check exits with its number.
 *   tp (x4)  trap expectation for the next synchronous trap:
 *              0        no trap expected: a trap is reported as a failure
 *              1        expected: skip the trapping instruction, return to the same mode
 *              address  expected: resume at that address, in the same mode
 *            The trap handler that takes the trap records it and sets tp back to 0.
 *   t5, t6   scratch of the CHECK macros (got / expected): tests must not keep values in them.
 *   a0, a7   ecall from any mode with a7 = MAGIC_GOTO continues at a0 in the mode of the handler
 *            that takes the ecall (an M-mode handler for a non-delegated ecall, S for a delegated one).
 *
 * Records (written by the handlers, 8 bytes each):
 *   mtrap_cause, mtrap_epc, mtrap_tval, mtrap_status (mstatus after the trap), mtrap_count
 *   strap_cause, strap_epc, strap_tval, strap_status (sstatus after the trap), strap_count
 *   mirq_cause, mirq_epc, mirq_count       (interrupts taken in M; the handler clears the mie bit)
 *   sirq_cause, sirq_epc, sirq_count       (interrupts taken in S; the handler clears the sie bit)
 */
#ifndef TEST_H
#define TEST_H

/* Tests are assembled with -march=rv64gc, but only rv64c.S (and a few marked spots) emit
 * compressed instructions: keep everything else 4 bytes long and easy to reason about. */
.option norvc

#define MAGIC_GOTO   0x60E0          /* ecall: continue at a0 in the handler's mode */
#define MAGIC_FAIL   0xFA11          /* ecall: report a failed check (t5 got, t6 expected, gp) */
#define MAGIC_SFAIL  0x5FA1          /* ecall from the S handler: report an unexpected S-mode trap */

/* ---- CSR fields ---- */
#define MSTATUS_SIE   (1 << 1)
#define MSTATUS_MIE   (1 << 3)
#define MSTATUS_SPIE  (1 << 5)
#define MSTATUS_UBE   (1 << 6)
#define MSTATUS_MPIE  (1 << 7)
#define MSTATUS_SPP   (1 << 8)
#define MSTATUS_MPP   (3 << 11)
#define MSTATUS_MPP_S (1 << 11)
#define MSTATUS_MPP_M (3 << 11)
#define MSTATUS_FS    (3 << 13)
#define MSTATUS_FS_INITIAL (1 << 13)
#define MSTATUS_FS_CLEAN   (2 << 13)
#define MSTATUS_FS_DIRTY   (3 << 13)
#define MSTATUS_MPRV  (1 << 17)
#define MSTATUS_SUM   (1 << 18)
#define MSTATUS_MXR   (1 << 19)
#define MSTATUS_TVM   (1 << 20)
#define MSTATUS_TW    (1 << 21)
#define MSTATUS_TSR   (1 << 22)
#define MSTATUS_UXL   (3 << 32)
#define MSTATUS_SXL   (3 << 34)
#define MSTATUS_SD    (1 << 63)

#define SSTATUS_SIE   MSTATUS_SIE
#define SSTATUS_SPIE  MSTATUS_SPIE
#define SSTATUS_SPP   MSTATUS_SPP
#define SSTATUS_SUM   MSTATUS_SUM
#define SSTATUS_MXR   MSTATUS_MXR

#define IRQ_S_SOFT   1
#define IRQ_M_SOFT   3
#define IRQ_S_TIMER  5
#define IRQ_M_TIMER  7
#define IRQ_S_EXT    9
#define IRQ_M_EXT    11
#define MIP_SSIP (1 << IRQ_S_SOFT)
#define MIP_MSIP (1 << IRQ_M_SOFT)
#define MIP_STIP (1 << IRQ_S_TIMER)
#define MIP_MTIP (1 << IRQ_M_TIMER)
#define MIP_SEIP (1 << IRQ_S_EXT)
#define MIP_MEIP (1 << IRQ_M_EXT)
#define INTERRUPT_BIT 0x8000000000000000

#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS     1
#define CAUSE_ILLEGAL          2
#define CAUSE_BREAKPOINT       3
#define CAUSE_MISALIGNED_LOAD  4
#define CAUSE_LOAD_ACCESS      5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS     7
#define CAUSE_USER_ECALL       8
#define CAUSE_SUPERVISOR_ECALL 9
#define CAUSE_MACHINE_ECALL    11
#define CAUSE_FETCH_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT  13
#define CAUSE_STORE_PAGE_FAULT 15

#define SATP_MODE_SV39 (8 << 60)
#define SATP_MODE_SV48 (9 << 60)

#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_U (1 << 4)
#define PTE_G (1 << 5)
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)

#define PMP_R     0x01
#define PMP_W     0x02
#define PMP_X     0x04
#define PMP_TOR   0x08
#define PMP_NA4   0x10
#define PMP_NAPOT 0x18
#define PMP_L     0x80

/* ---- devices ---- */
#define CLINT_BASE     0x02000000
#define CLINT_MSIP     (CLINT_BASE + 0x0)
#define CLINT_MTIMECMP (CLINT_BASE + 0x4000)
#define CLINT_MTIME    (CLINT_BASE + 0xbff8)
/* An address with nothing behind it on QEMU spike (nor on Typevisor's bare-metal machine). */
#define UNMAPPED_ADDR  0x40000000

/* ---- program structure ---- */

/* TEST_NAME("rv64i") in .rodata: printed in failure messages. */
#define TEST_NAME(s) .pushsection .rodata; .globl test_name; test_name: .asciz s; .popsection

/* The program's code starts with TEST_BEGIN and ends with TEST_PASS. */
#define TEST_BEGIN .text; .globl test_main; .align 2; test_main:
#define TEST_PASS  li gp, 0; li a0, 0; j exit

/* ---- checks: any mode, any address space (they only need the code to be executable) ---- */
#define SETNUM(n) li gp, ((n) | (__LINE__ << 8))

/* CHECK(n, reg, imm): reg == imm */
#define CHECK(n, reg, val)      SETNUM(n); _check_imm reg, val
/* CHECK_REG(n, reg, reg2): reg == reg2 (neither may be t5/t6) */
#define CHECK_REG(n, reg, reg2) SETNUM(n); _check_reg reg, reg2
/* CHECK_ADDR(n, reg, label): reg == address of label */
#define CHECK_ADDR(n, reg, lbl) SETNUM(n); _check_addr reg, lbl
/* CHECK_MEM(n, symbol, imm): the dword at symbol == imm */
#define CHECK_MEM(n, sym, val)  SETNUM(n); _check_mem sym, val
/* CHECK_MEM_ADDR(n, symbol, label): the dword at symbol == address of label */
#define CHECK_MEM_ADDR(n, sym, lbl) SETNUM(n); _check_mem_addr sym, lbl
/* FAIL_IF(n, cond-branch-form): fail unconditionally (used after a branch that should skip it) */
#define FAIL_NOW(n) SETNUM(n); li t5, 0; li t6, 1; li a7, MAGIC_FAIL; ecall

.macro _fail_here
    li a7, MAGIC_FAIL
    ecall
    /* If the ecall did not trap at all, report from here (M-mode view). */
    j report_fail
.endm
.macro _check_imm reg, val
    mv t5, \reg
    li t6, \val
    beq t5, t6, .Lok\@
    _fail_here
.Lok\@:
.endm
.macro _check_reg reg, reg2
    mv t5, \reg
    mv t6, \reg2
    beq t5, t6, .Lok\@
    _fail_here
.Lok\@:
.endm
.macro _check_addr reg, lbl
    mv t5, \reg
    la t6, \lbl
    beq t5, t6, .Lok\@
    _fail_here
.Lok\@:
.endm
.macro _check_mem sym, val
    la t5, \sym
    ld t5, 0(t5)
    li t6, \val
    beq t5, t6, .Lok\@
    _fail_here
.Lok\@:
.endm
.macro _check_mem_addr sym, lbl
    la t5, \sym
    ld t5, 0(t5)
    la t6, \lbl
    beq t5, t6, .Lok\@
    _fail_here
.Lok\@:
.endm

/* Trap records */
#define CHECK_MTRAP(n, cause)         CHECK_MEM(n, mtrap_cause, cause)
#define CHECK_MTRAP_EPC(n, lbl)       CHECK_MEM_ADDR(n, mtrap_epc, lbl)
#define CHECK_MTRAP_TVAL(n, val)      CHECK_MEM(n, mtrap_tval, val)
#define CHECK_MTRAP_TVAL_ADDR(n, lbl) CHECK_MEM_ADDR(n, mtrap_tval, lbl)
#define CHECK_STRAP(n, cause)         CHECK_MEM(n, strap_cause, cause)
#define CHECK_STRAP_EPC(n, lbl)       CHECK_MEM_ADDR(n, strap_epc, lbl)
#define CHECK_STRAP_TVAL(n, val)      CHECK_MEM(n, strap_tval, val)
#define CHECK_STRAP_TVAL_ADDR(n, lbl) CHECK_MEM_ADDR(n, strap_tval, lbl)

/* Clear all trap/interrupt records (M-mode, or S-mode with identity-mapped data). */
#define CLEAR_RECORDS call clear_records

/* Expect the next instruction to trap: skip it / resume at lbl. */
#define EXPECT_TRAP          li tp, 1
#define EXPECT_TRAP_AT(lbl)  la tp, lbl

/* From M-mode: continue at lbl in S-mode / U-mode (mret with MPP set, MPIE left as it is). */
#define GOTO_S(lbl) li t0, MSTATUS_MPP; csrc mstatus, t0; li t0, MSTATUS_MPP_S; csrs mstatus, t0; la t0, lbl; csrw mepc, t0; mret
#define GOTO_U(lbl) li t0, MSTATUS_MPP; csrc mstatus, t0; la t0, lbl; csrw mepc, t0; mret
/* From S-mode: continue at lbl in U-mode (sret with SPP = U). */
#define SGOTO_U(lbl) li t0, SSTATUS_SPP; csrc sstatus, t0; la t0, lbl; csrw sepc, t0; sret
/* From S/U: back to the mode of the handler that takes the ecall, at lbl. */
#define GOTO_HANDLER(lbl) la a0, lbl; li a7, MAGIC_GOTO; ecall

/* Install the runtime's S-mode trap handler (from M or S). */
#define INSTALL_S_HANDLER la t0, s_trap_vector; csrw stvec, t0; la t0, s_scratch_area; csrw sscratch, t0

/* Bounded wait: loop until the dword at sym is non-zero, or fail after about one second of
 * mtime (10,000,000 ticks) or `count` iterations, whichever comes first. Uses t0, t1, t5, t6. */
#define WAIT_NONZERO(n, sym, count) SETNUM(n); _wait_nonzero sym, count
.macro _wait_nonzero sym, count
    li t0, CLINT_MTIME
    ld t1, 0(t0)
    li t0, 10000000
    add t1, t1, t0                /* t1: deadline */
    li t5, \count
.Lloop\@:
    la t6, \sym
    ld t6, 0(t6)
    bnez t6, .Ldone\@
    li t0, CLINT_MTIME
    ld t0, 0(t0)
    bgtu t0, t1, .Ltimeout\@
    addi t5, t5, -1
    bnez t5, .Lloop\@
.Ltimeout\@:
    li t5, 0      /* got: 0 */
    li t6, 1      /* expected: non-zero */
    _fail_here
.Ldone\@:
.endm

#endif
