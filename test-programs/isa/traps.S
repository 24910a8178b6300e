/*
 * traps: synchronous exceptions and privilege transitions.
 *  - ecall from M/S/U: mcause 11/9/8, mepc = the ecall, mtval = 0
 *  - ebreak and c.ebreak: cause 3, mepc; mtval = 0 (QEMU 7.2) or the pc (newer QEMU, Spike)
 *  - illegal instructions: cause 2 with mtval = the instruction bits (16 bits for a compressed
 *    one, e.g. 0x0000 and a reserved c.addi4spn); 32-bit reserved encodings; mret/sret from U,
 *    mret from S, sret from S with TSR, wfi from U and from S with TW, sfence.vma and satp access
 *    from S with TVM
 *  - access faults outside RAM and devices: fetch (1, mepc = mtval = target), load (5), store and
 *    AMO (7; QEMU 7.2 says 5), mtval = the address; the last RAM dword (RAM is 128 MiB) works, the next one faults
 *  - mret to S and U, sret to U and S, SPP/SPIE/SIE across a delegated trap and sret
 *  - medeleg delegation to S (stvec, sepc, scause, stval) of U ecall, illegal instruction,
 *    breakpoint and load access fault from U and S; exceptions in M are never delegated;
 *    S ecall stays in M when not delegated
 *  - mtvec/stvec in vectored mode still send exceptions to the base address
 */
#include "test.h"
TEST_NAME("traps")

#define CHECK_MTVAL_INSN32(n, lbl) la t0, lbl; lwu t0, 0(t0); la t1, mtrap_tval; ld t1, 0(t1); CHECK_REG(n, t1, t0)
#define CHECK_STVAL_INSN32(n, lbl) la t0, lbl; lwu t0, 0(t0); la t1, strap_tval; ld t1, 0(t1); CHECK_REG(n, t1, t0)
#define MPP_OF_LAST_TRAP(reg) la reg, mtrap_status; ld reg, 0(reg); srli reg, reg, 11; andi reg, reg, 3

TEST_BEGIN
    CLEAR_RECORDS
    /* ---- ecall from M ---- */
    EXPECT_TRAP
ec_m:
    ecall
    CHECK_MTRAP(1, CAUSE_MACHINE_ECALL)
    CHECK_MTRAP_EPC(2, ec_m)
    CHECK_MTRAP_TVAL(3, 0)
    CHECK_MEM(4, mtrap_count, 1)

    /* ---- ebreak / c.ebreak ---- */
    EXPECT_TRAP
eb_m:
    ebreak
    CHECK_MTRAP(5, CAUSE_BREAKPOINT)
    CHECK_MTRAP_EPC(6, eb_m)
    /* mtval: 0 on QEMU 7.2, the pc on Spike and newer QEMU: accept both */
    la t0, mtrap_tval
    ld t0, 0(t0)
    la t1, eb_m
    bne t0, t1, 1f
    li t0, 0
1:  CHECK(7, t0, 0)
    li a0, 0
    EXPECT_TRAP
    .option rvc
ceb_m:
    c.ebreak
    c.li a0, 9                        /* executed: the handler skipped 2 bytes */
    .option norvc
    CHECK_MTRAP(8, CAUSE_BREAKPOINT)
    CHECK_MTRAP_EPC(9, ceb_m)
    CHECK(10, a0, 9)

    /* ---- illegal instructions ---- */
    EXPECT_TRAP
ill1:
    .word 0xffffffff                  /* reserved (all ones) */
    CHECK_MTRAP(11, CAUSE_ILLEGAL)
    CHECK_MTRAP_EPC(12, ill1)
    CHECK_MTRAP_TVAL(13, 0xffffffff)
    EXPECT_TRAP
ill2:
    .word 0xfe000033                  /* OP with funct7 = 0x7f: reserved */
    CHECK_MTRAP(14, CAUSE_ILLEGAL)
    CHECK_MTRAP_TVAL(15, 0xfe000033)
    EXPECT_TRAP
ill3:
    .word 0x00007003                  /* LOAD with funct3 = 7: reserved */
    CHECK_MTRAP(16, CAUSE_ILLEGAL)
    CHECK_MTRAP_TVAL(17, 0x00007003)
    li a0, 0
    EXPECT_TRAP
ill4:
    .half 0x0000                      /* the all-zero 16-bit instruction is illegal */
    .option rvc
    c.li a0, 5                        /* the handler skipped only 2 bytes */
    .option norvc
    CHECK_MTRAP(18, CAUSE_ILLEGAL)
    CHECK_MTRAP_EPC(19, ill4)
    CHECK_MTRAP_TVAL(20, 0)
    CHECK(21, a0, 5)
    EXPECT_TRAP
ill5:
    .half 0x0004                      /* c.addi4spn with nzuimm = 0: reserved */
    .half 0x0001                      /* c.nop */
    CHECK_MTRAP(22, CAUSE_ILLEGAL)
    CHECK_MTRAP_TVAL(23, 0x0004)      /* only the 16 instruction bits */
    EXPECT_TRAP
ill6:
    .word 0x30200073 | (1 << 15)      /* mret with rs1 != 0: reserved encoding */
    CHECK_MTRAP(24, CAUSE_ILLEGAL)
    CHECK_MTRAP_TVAL(25, 0x30208073)

    /* ---- access faults ---- */
    li s0, UNMAPPED_ADDR
    EXPECT_TRAP
af_load:
    ld a0, 0(s0)
    CHECK_MTRAP(30, CAUSE_LOAD_ACCESS)
    CHECK_MTRAP_EPC(31, af_load)
    CHECK_MTRAP_TVAL(32, UNMAPPED_ADDR)
    EXPECT_TRAP
    lbu a0, 5(s0)
    CHECK_MTRAP(33, CAUSE_LOAD_ACCESS)
    CHECK_MTRAP_TVAL(34, UNMAPPED_ADDR + 5)
    EXPECT_TRAP
af_store:
    sw a0, 8(s0)
    CHECK_MTRAP(35, CAUSE_STORE_ACCESS)
    CHECK_MTRAP_EPC(36, af_store)
    CHECK_MTRAP_TVAL(37, UNMAPPED_ADDR + 8)
    EXPECT_TRAP
    amoadd.w a0, a0, (s0)
    /* an AMO faults as a store (7); QEMU 7.2 (one hart) reports a load fault (5): accept both */
    la t0, mtrap_cause
    ld t0, 0(t0)
    li t1, CAUSE_LOAD_ACCESS
    bne t0, t1, 1f
    li t0, CAUSE_STORE_ACCESS
1:  CHECK(38, t0, CAUSE_STORE_ACCESS)
    CHECK_MTRAP_TVAL(39, UNMAPPED_ADDR)
    /* fetch: resume at the label, since the faulting pc itself cannot be read */
    EXPECT_TRAP_AT(af_fetch_back)
    jalr ra, 0(s0)
af_fetch_back:
    CHECK_MTRAP(40, CAUSE_FETCH_ACCESS)
    CHECK_MTRAP_EPC(41, UNMAPPED_ADDR_label)
    CHECK_MTRAP_TVAL(42, UNMAPPED_ADDR)
    /* fetch from address 0 */
    EXPECT_TRAP_AT(af_fetch_back2)
    jalr ra, 0(zero)
af_fetch_back2:
    CHECK_MTRAP(43, CAUSE_FETCH_ACCESS)
    CHECK_MTRAP_TVAL(44, 0)
    /* RAM ends at 0x8000_0000 + 128 MiB */
    li s0, 0x80000000 + 128 * 1024 * 1024 - 8
    li a1, 0x1234
    sd a1, 0(s0)
    ld a0, 0(s0)
    CHECK(45, a0, 0x1234)
    EXPECT_TRAP
    ld a0, 8(s0)
    CHECK_MTRAP(46, CAUSE_LOAD_ACCESS)
    CHECK_MTRAP_TVAL(47, 0x80000000 + 128 * 1024 * 1024)
    EXPECT_TRAP
    sb a0, 8(s0)
    CHECK_MTRAP(48, CAUSE_STORE_ACCESS)

    /* ---- mret to S, ecall from S; mret to U, ecall from U ---- */
    CLEAR_RECORDS
    li t0, MSTATUS_MPIE
    csrs mstatus, t0
    GOTO_S(in_s)
in_s:
    EXPECT_TRAP
ec_s:
    ecall
    CHECK_MTRAP(50, CAUSE_SUPERVISOR_ECALL)
    CHECK_MTRAP_EPC(51, ec_s)
    CHECK_MTRAP_TVAL(52, 0)
    /* still in S: sstatus is accessible */
    csrr a0, sstatus
    /* mret from S is illegal */
    EXPECT_TRAP
mret_s:
    mret
    CHECK_MTRAP(53, CAUSE_ILLEGAL)
    CHECK_MTRAP_EPC(54, mret_s)
    MPP_OF_LAST_TRAP(a0)
    CHECK(55, a0, 1)
    GOTO_HANDLER(back1)
back1:
    GOTO_U(in_u)
in_u:
    EXPECT_TRAP
ec_u:
    ecall
    CHECK_MTRAP(56, CAUSE_USER_ECALL)
    CHECK_MTRAP_EPC(57, ec_u)
    CHECK_MTRAP_TVAL(58, 0)
    MPP_OF_LAST_TRAP(a0)
    CHECK(59, a0, 0)
    EXPECT_TRAP
mret_u:
    mret
    CHECK_MTRAP(60, CAUSE_ILLEGAL)
    CHECK_MTRAP_EPC(61, mret_u)
    EXPECT_TRAP
sret_u:
    sret
    CHECK_MTRAP(62, CAUSE_ILLEGAL)
    CHECK_MTRAP_EPC(63, sret_u)
    EXPECT_TRAP
wfi_u:
    wfi                               /* U-mode wfi is illegal on QEMU (S-mode exists) */
    CHECK_MTRAP(64, CAUSE_ILLEGAL)
    CHECK_MTRAP_EPC(65, wfi_u)
    EXPECT_TRAP
sfence_u:
    sfence.vma
    CHECK_MTRAP(66, CAUSE_ILLEGAL)
    /* a U-mode access fault */
    li s0, UNMAPPED_ADDR
    EXPECT_TRAP
    sd a0, 0(s0)
    CHECK_MTRAP(67, CAUSE_STORE_ACCESS)
    MPP_OF_LAST_TRAP(a0)
    CHECK(68, a0, 0)
    GOTO_HANDLER(back2)
back2:

    /* ---- TSR, TW, TVM ---- */
    li t0, MSTATUS_TSR | MSTATUS_TW | MSTATUS_TVM
    csrs mstatus, t0
    GOTO_S(in_s2)
in_s2:
    EXPECT_TRAP
tsr_sret:
    sret
    CHECK_MTRAP(70, CAUSE_ILLEGAL)
    CHECK_MTRAP_EPC(71, tsr_sret)
    EXPECT_TRAP
tw_wfi:
    wfi
    CHECK_MTRAP(72, CAUSE_ILLEGAL)
    CHECK_MTRAP_EPC(73, tw_wfi)
    EXPECT_TRAP
tvm_sfence:
    sfence.vma
    CHECK_MTRAP(74, CAUSE_ILLEGAL)
    CHECK_MTRAP_EPC(75, tvm_sfence)
    EXPECT_TRAP
tvm_satp:
    csrr a0, satp
    CHECK_MTRAP(76, CAUSE_ILLEGAL)
    CHECK_MTRAP_EPC(77, tvm_satp)
    CHECK_MTVAL_INSN32(78, tvm_satp)
    GOTO_HANDLER(back3)
back3:
    li t0, MSTATUS_TSR | MSTATUS_TW | MSTATUS_TVM
    csrc mstatus, t0
    /* without them, S may use sret, wfi, sfence.vma and satp */
    GOTO_S(in_s3)
in_s3:
    csrr a0, satp
    sfence.vma
    la t0, 1f
    csrw sepc, t0
    li t0, SSTATUS_SPP
    csrs sstatus, t0
    sret                              /* to S */
1:  csrr a0, sstatus                  /* proves S-mode */
    GOTO_HANDLER(back4)
back4:
    CHECK_MEM(79, mtrap_count, 12)

    /* ---- delegation to S ---- */
    CLEAR_RECORDS
    INSTALL_S_HANDLER
    li t0, (1 << CAUSE_USER_ECALL) | (1 << CAUSE_ILLEGAL) | (1 << CAUSE_BREAKPOINT) | (1 << CAUSE_LOAD_ACCESS)
    csrw medeleg, t0
    li t0, SSTATUS_SIE
    csrs sstatus, t0                  /* SIE = 1 before the U trap: SPIE must become 1 */
    GOTO_S(in_s4)
in_s4:
    SGOTO_U(in_u4)
in_u4:
    EXPECT_TRAP
dec_u:
    ecall
    EXPECT_TRAP
dill_u:
    .word 0xfe000033
    EXPECT_TRAP
deb_u:
    ebreak
    li s0, UNMAPPED_ADDR
    EXPECT_TRAP
dld_u:
    lw a0, 12(s0)
    GOTO_HANDLER(in_s5)               /* delegated U ecall: back to S */
in_s5:
    CHECK_MEM(80, strap_count, 4)
    CHECK_STRAP(81, CAUSE_LOAD_ACCESS)
    CHECK_STRAP_EPC(82, dld_u)
    CHECK_STRAP_TVAL(83, UNMAPPED_ADDR + 12)
    la t0, strap_status
    ld a0, 0(t0)
    andi a0, a0, SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE
    CHECK(84, a0, SSTATUS_SPIE)       /* from U (SPP = 0); SIE was 1 -> SPIE = 1, SIE = 0 */
    CHECK_MEM(85, mtrap_count, 0)     /* M saw none of them */
    /* now in S after the handler's sret to S (SPP was set): SIE = SPIE = 1 */
    csrr a0, sstatus
    andi a0, a0, SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE
    CHECK(86, a0, SSTATUS_SPIE | SSTATUS_SIE)
    /* check the individual traps again, one at a time, from U */
    CLEAR_RECORDS
    SGOTO_U(in_u6)
in_u6:
    EXPECT_TRAP
    ecall
    GOTO_HANDLER(in_s6)
in_s6:
    CHECK_STRAP(87, CAUSE_USER_ECALL)
    CHECK_STRAP_TVAL(88, 0)
    SGOTO_U(in_u7)
in_u7:
    EXPECT_TRAP
dill_u2:
    .word 0xfe000033
    GOTO_HANDLER(in_s7)
in_s7:
    CHECK_STRAP(89, CAUSE_ILLEGAL)
    CHECK_STRAP_EPC(90, dill_u2)
    CHECK_STRAP_TVAL(91, 0xfe000033)
    SGOTO_U(in_u8)
in_u8:
    EXPECT_TRAP
deb_u2:
    ebreak
    GOTO_HANDLER(in_s8)
in_s8:
    CHECK_STRAP(92, CAUSE_BREAKPOINT)
    CHECK_STRAP_EPC(93, deb_u2)
    /* traps from S to S are delegated too; SPP = 1 */
    EXPECT_TRAP
dill_s:
    .word 0xfe000033
    CHECK_STRAP(94, CAUSE_ILLEGAL)
    CHECK_STRAP_EPC(95, dill_s)
    la t0, strap_status
    ld a0, 0(t0)
    andi a0, a0, SSTATUS_SPP
    CHECK(96, a0, SSTATUS_SPP)
    /* ecall from S is not delegated: goes to M */
    CLEAR_RECORDS
    EXPECT_TRAP
dec_s:
    ecall
    CHECK_MEM(97, strap_count, 0)
    CHECK_MTRAP(98, CAUSE_SUPERVISOR_ECALL)
    CHECK_MTRAP_EPC(99, dec_s)
    GOTO_HANDLER(back5)
back5:
    /* exceptions taken in M are never delegated */
    CLEAR_RECORDS
    EXPECT_TRAP
    .word 0xfe000033
    EXPECT_TRAP
    ebreak
    CHECK_MEM(100, mtrap_count, 2)
    CHECK_MEM(101, strap_count, 0)
    CHECK_MTRAP(102, CAUSE_BREAKPOINT)

    /* ---- vectored mtvec / stvec: exceptions still go to the base ---- */
    la t0, m_trap_vector
    ori t0, t0, 1
    csrw mtvec, t0
    csrr a0, mtvec
    andi a0, a0, 3
    CHECK(103, a0, 1)
    CLEAR_RECORDS
    EXPECT_TRAP
vec_ec:
    ecall
    CHECK_MTRAP(104, CAUSE_MACHINE_ECALL)
    CHECK_MTRAP_EPC(105, vec_ec)
    la t0, s_trap_vector
    ori t0, t0, 1
    csrw stvec, t0
    GOTO_S(in_s9)
in_s9:
    EXPECT_TRAP
vec_ill:
    .word 0xfe000033
    CHECK_STRAP(106, CAUSE_ILLEGAL)
    CHECK_STRAP_EPC(107, vec_ill)
    GOTO_HANDLER(back6)
back6:
    la t0, m_trap_vector
    csrw mtvec, t0
    csrw medeleg, zero
    TEST_PASS

    .equ UNMAPPED_ADDR_label, UNMAPPED_ADDR
