/*
 * zicsr: csrrw/csrrs/csrrc and the immediate forms (old value returned, zimm zero-extended);
 * csrrs/csrrc with rs1 = x0 and csrrsi/csrrci with zimm = 0 do not write (no trap on read-only
 * CSRs); any write to a read-only CSR (cycle, mhartid, mvendorid, ...) traps as illegal
 * instruction with mtval = the instruction bits;
 * an unimplemented CSR traps; misa = RV64 IMAFDCSU (the H bit that QEMU's default CPU adds is
 * ignored); mhartid = 0; mstatus UXL/SXL = 2, MPP/MPIE/MIE across ecall and mret, mret to M
 * keeps MPRV; sstatus is a restricted view of mstatus; sie/sip only show delegated
 * interrupts; mideleg/medeleg writable bits; which mip bits M-mode may write; fflags/frm/fcsr
 * aliasing and masking (FS becomes Dirty, SD set), FP CSRs trap when mstatus.FS = Off;
 * privilege checks: S-mode cannot touch M CSRs, U-mode cannot touch S CSRs.
 */
#include "test.h"
TEST_NAME("zicsr")

/* Expect an illegal-instruction trap on the instruction at label lbl, with mtval = its bits. */
#define CHECK_ILLEGAL(n, lbl) CHECK_MTRAP(n, CAUSE_ILLEGAL); CHECK_MTRAP_EPC(n, lbl); la t0, lbl; lwu t0, 0(t0); la t1, mtrap_tval; ld t1, 0(t1); CHECK_REG(n, t1, t0)

TEST_BEGIN
    CLEAR_RECORDS
    /* ---- csrrw / csrrs / csrrc ---- */
    li a1, 0x123456789abcdef0
    csrw mscratch, a1
    li a2, 0x0fedcba987654321
    csrrw a0, mscratch, a2
    CHECK(1, a0, 0x123456789abcdef0)
    csrr a0, mscratch
    CHECK(2, a0, 0x0fedcba987654321)
    li a2, 0xf0000000000000f0
    csrrs a0, mscratch, a2
    CHECK(3, a0, 0x0fedcba987654321)
    csrr a0, mscratch
    CHECK(4, a0, 0xffedcba9876543f1)
    li a2, 0xff000000000000ff
    csrrc a0, mscratch, a2
    CHECK(5, a0, 0xffedcba9876543f1)
    csrr a0, mscratch
    CHECK(6, a0, 0x00edcba987654300)
    csrrs a0, mscratch, x0           /* read only */
    CHECK(7, a0, 0x00edcba987654300)
    csrrc a0, mscratch, x0
    csrr a0, mscratch
    CHECK(8, a0, 0x00edcba987654300)
    /* rd = rs1 */
    li a0, 0x55
    csrrw a0, mscratch, a0
    CHECK(9, a0, 0x00edcba987654300)
    csrr a0, mscratch
    CHECK(10, a0, 0x55)
    /* immediate forms: zimm is zero-extended */
    csrrwi a0, mscratch, 31
    CHECK(11, a0, 0x55)
    csrr a0, mscratch
    CHECK(12, a0, 31)
    csrrci a0, mscratch, 0x11
    CHECK(13, a0, 31)
    csrr a0, mscratch
    CHECK(14, a0, 0x0e)
    csrrsi a0, mscratch, 0x10
    CHECK(15, a0, 0x0e)
    csrr a0, mscratch
    CHECK(16, a0, 0x1e)
    csrrsi a0, mscratch, 0
    csrrci a0, mscratch, 0
    CHECK(17, a0, 0x1e)
    csrwi mscratch, 0
    csrr a0, mscratch
    CHECK(18, a0, 0)
    li a1, -1
    csrw sscratch, a1
    csrr a0, sscratch
    CHECK(19, a0, -1)
    la t0, m_scratch_area
    csrw mscratch, t0

    /* ---- read-only CSRs: reading never traps ---- */
    csrrs a0, mhartid, x0
    CHECK(20, a0, 0)
    csrrc a0, mhartid, x0
    CHECK(21, a0, 0)
    csrrsi a0, mhartid, 0
    CHECK(22, a0, 0)
    csrrci a0, mhartid, 0
    CHECK(23, a0, 0)
    csrr a0, mvendorid
    csrr a0, marchid
    csrr a0, mimpid
    csrr a0, cycle
    csrr a0, instret
    csrrs a0, cycle, x0
    CHECK_MEM(24, mtrap_count, 0)

    /* ---- writes to read-only CSRs trap as illegal instructions ---- */
    EXPECT_TRAP
ro1: csrw mhartid, a0
    CHECK_ILLEGAL(25, ro1)
    EXPECT_TRAP
ro2: csrrw x0, cycle, a0
    CHECK_ILLEGAL(26, ro2)
    /* (csrrs with rs1 != x0 holding 0 is a write by the spec, but QEMU 7.2 does not trap:
     * it looks at the value. Not tested.) */
    li a1, 1
    EXPECT_TRAP
ro3: csrrs a0, mhartid, a1
    CHECK_ILLEGAL(27, ro3)
    EXPECT_TRAP
ro4: csrrsi a0, mvendorid, 1
    CHECK_ILLEGAL(28, ro4)
    EXPECT_TRAP
ro5: csrrci a0, instret, 4
    CHECK_ILLEGAL(29, ro5)
    EXPECT_TRAP
ro6: csrrwi x0, marchid, 0
    CHECK_ILLEGAL(30, ro6)
    CHECK_MEM(31, mtrap_count, 6)
    /* an unimplemented CSR (custom space) */
    EXPECT_TRAP
un1: csrr a0, 0x7ff
    CHECK_ILLEGAL(32, un1)
    EXPECT_TRAP
un2: csrw 0x8ff, a0
    CHECK_ILLEGAL(33, un2)

    /* ---- misa, mhartid ---- */
    csrr a0, misa
    li a1, ~(1 << 7)                   /* QEMU's default CPU also sets H */
    and a0, a0, a1
    CHECK(34, a0, 0x800000000014112d)  /* RV64 A C D F I M S U */
    csrr a0, mhartid
    CHECK(35, a0, 0)

    /* ---- mstatus ---- */
    csrr a0, mstatus
    srli a0, a0, 32
    andi a0, a0, 0xf
    CHECK(36, a0, 0xa)                 /* SXL = UXL = 2 (64-bit) */
    csrr a0, sstatus
    srli a0, a0, 32
    andi a0, a0, 0xf
    CHECK(37, a0, 0x2)                 /* sstatus shows UXL only */
    /* ecall with MIE = 1: trap clears MIE, MPIE = 1, MPP = M; mret restores MIE, MPP = U */
    csrw mie, zero
    li t0, MSTATUS_MIE
    csrs mstatus, t0
    li t0, MSTATUS_MPIE | MSTATUS_MPP
    csrc mstatus, t0
    EXPECT_TRAP
    ecall
    la t0, mtrap_status
    ld a0, 0(t0)
    li t2, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP; and a0, a0, t2
    CHECK(38, a0, MSTATUS_MPIE | MSTATUS_MPP_M)
    csrr a0, mstatus
    li t2, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP; and a0, a0, t2
    CHECK(39, a0, MSTATUS_MIE | MSTATUS_MPIE)
    /* ecall with MIE = 0: MPIE = 0 in the handler; mret sets MPIE = 1 */
    li t0, MSTATUS_MIE
    csrc mstatus, t0
    EXPECT_TRAP
    ecall
    la t0, mtrap_status
    ld a0, 0(t0)
    li t2, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP; and a0, a0, t2
    CHECK(40, a0, MSTATUS_MPP_M)
    csrr a0, mstatus
    li t2, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP; and a0, a0, t2
    CHECK(41, a0, MSTATUS_MPIE)
    /* mret to M (MPP = M) keeps MPRV; mret to S clears it */
    li t0, MSTATUS_MPRV | MSTATUS_MPP
    csrs mstatus, t0
    la t0, 1f
    csrw mepc, t0
    mret
1:  csrr a0, mstatus
    li t0, MSTATUS_MPRV
    and a0, a0, t0
    CHECK(42, a0, MSTATUS_MPRV)
    /* (Priv. spec 1.12: an mret to S or U also clears MPRV. QEMU 7.2 does not, so that is not
     * tested; Spike and newer QEMU do clear it.) */
    li t0, MSTATUS_MPRV | MSTATUS_MPP
    csrc mstatus, t0
    /* MPP, SPP, TVM, TW, TSR, SUM, MXR are writable */
    li t0, MSTATUS_MPP | MSTATUS_SPP | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR | MSTATUS_SUM | MSTATUS_MXR
    csrs mstatus, t0
    csrr a0, mstatus
    and a0, a0, t0
    CHECK_REG(44, a0, t0)
    csrc mstatus, t0
    csrr a0, mstatus
    and a0, a0, t0
    CHECK(45, a0, 0)
    /* sstatus writes reach only the S fields of mstatus */
    li t0, MSTATUS_MIE
    csrc mstatus, t0
    li t0, MSTATUS_MPP | MSTATUS_MPIE
    csrs mstatus, t0
    li a1, SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM | SSTATUS_MXR
    csrw sstatus, a1
    csrr a0, mstatus
    li t0, MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE | MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TSR | MSTATUS_TW
    and a0, a0, t0
    CHECK(46, a0, MSTATUS_MPP | MSTATUS_MPIE | SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM | SSTATUS_MXR)
    csrr a0, sstatus
    and a0, a0, t0
    CHECK(47, a0, SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM | SSTATUS_MXR)  /* M fields hidden */
    csrw sstatus, zero
    csrr a0, mstatus
    and a0, a0, t0
    CHECK(48, a0, MSTATUS_MPP | MSTATUS_MPIE)
    li t0, MSTATUS_MPP | MSTATUS_MPIE
    csrc mstatus, t0

    /* ---- delegation registers ---- */
    li t0, -1
    csrw mideleg, t0
    csrr a0, mideleg
    li t2, 0xaaa; and a0, a0, t2
    CHECK(49, a0, 0x222)               /* SSIP, STIP, SEIP delegable; M bits are not */
    csrw mideleg, zero
    csrr a0, mideleg
    li t2, 0xaaa                       /* (QEMU with H forces the VS bits to 1) */
    and a0, a0, t2
    CHECK(50, a0, 0)
    li t0, -1
    csrw medeleg, t0
    csrr a0, medeleg
    li t0, 0xb3ff
    and a0, a0, t0
    CHECK(51, a0, 0xb3ff)              /* causes 0-9, 12, 13, 15 delegable */
    csrw medeleg, zero
    /* sie / sip show only delegated interrupts */
    li t0, MIP_SSIP | MIP_STIP | MIP_SEIP
    csrw mie, t0
    csrr a0, sie
    CHECK(52, a0, 0)
    csrw mideleg, t0
    csrr a0, sie
    CHECK(53, a0, MIP_SSIP | MIP_STIP | MIP_SEIP)
    csrw sie, zero
    csrr a0, mie
    CHECK(54, a0, 0)
    li t1, MIP_STIP
    csrw mideleg, t1
    csrw sie, t0                       /* only STIE is writable through sie now */
    csrr a0, mie
    CHECK(55, a0, MIP_STIP)
    csrw mie, zero
    csrw mideleg, zero
    /* mip: M-mode can set and clear SSIP/STIP/SEIP; MTIP/MSIP are read-only */
    li t0, CLINT_MTIMECMP
    li t1, -1
    sd t1, 0(t0)                       /* no timer interrupt pending */
    li t0, MIP_SSIP | MIP_STIP | MIP_SEIP | MIP_MSIP | MIP_MTIP
    csrs mip, t0
    csrr a0, mip
    li t2, 0xaaa; and a0, a0, t2
    CHECK(56, a0, MIP_SSIP | MIP_STIP | MIP_SEIP)
    csrc mip, t0
    csrr a0, mip
    li t2, 0xaaa; and a0, a0, t2
    CHECK(57, a0, 0)
    /* sip: S-mode view; SSIP writable when delegated */
    li t0, MIP_SSIP | MIP_STIP
    csrw mideleg, t0
    csrs mip, t0
    csrr a0, sip
    CHECK(58, a0, MIP_SSIP | MIP_STIP)
    csrc sip, t0                       /* clears SSIP only: STIP is read-only in sip */
    csrr a0, mip
    li t2, 0xaaa; and a0, a0, t2
    CHECK(59, a0, MIP_STIP)
    csrc mip, t0
    csrw mideleg, zero

    /* ---- floating-point CSRs ---- */
    li t0, MSTATUS_FS
    csrc mstatus, t0
    EXPECT_TRAP
fs1: csrr a0, fcsr                     /* FS = Off: illegal */
    CHECK_ILLEGAL(60, fs1)
    EXPECT_TRAP
fs2: csrw fflags, a0
    CHECK_ILLEGAL(61, fs2)
    li t0, MSTATUS_FS_INITIAL
    csrs mstatus, t0
    csrw fcsr, 0                       /* also exercise the immediate form below */
    li a1, 0xff
    csrw fcsr, a1
    csrr a0, frm
    CHECK(62, a0, 7)
    csrr a0, fflags
    CHECK(63, a0, 0x1f)
    csrr a0, fcsr
    CHECK(64, a0, 0xff)
    csrwi frm, 3
    csrr a0, fcsr
    CHECK(65, a0, 0x7f)
    csrwi fflags, 0x05
    csrr a0, fcsr
    CHECK(66, a0, 0x65)
    li a1, 0xfff                       /* bits above 7 are not stored */
    csrw fcsr, a1
    csrr a0, fcsr
    CHECK(67, a0, 0xff)
    li a1, 0x3f
    csrw fflags, a1
    csrr a0, fflags
    CHECK(68, a0, 0x1f)
    li a1, 0xf8
    csrw frm, a1
    csrr a0, frm
    CHECK(69, a0, 0)
    csrr a0, fcsr
    CHECK(70, a0, 0x1f)
    csrrci a0, fflags, 0x3
    CHECK(71, a0, 0x1f)
    frflags a0
    CHECK(72, a0, 0x1c)
    fsrm a0, a1                        /* swap frm: old 0, new 0xf8 & 7 = 0 */
    CHECK(73, a0, 0)
    csrw fcsr, zero
    csrr a0, mstatus
    li t0, MSTATUS_FS
    and a0, a0, t0
    CHECK(74, a0, MSTATUS_FS_DIRTY)    /* writing an FP CSR makes FS Dirty */
    csrr a0, mstatus
    srli a0, a0, 63
    CHECK(75, a0, 1)                   /* SD */
    csrr a0, sstatus
    srli a0, a0, 63
    CHECK(76, a0, 1)

    /* ---- privilege checks ---- */
    CLEAR_RECORDS
    GOTO_S(s_mode)
s_mode:
    csrr a0, sstatus                   /* fine */
    csrr a0, sscratch
    EXPECT_TRAP
pv1: csrr a0, mstatus                  /* M CSR from S: illegal */
    EXPECT_TRAP
pv2: csrw mscratch, a0
    EXPECT_TRAP
pv3: csrr a0, mhartid
    GOTO_HANDLER(back_from_s)
back_from_s:
    CHECK_MTRAP_EPC(80, pv3)
    CHECK_MEM(81, mtrap_count, 3)
    CHECK_ILLEGAL(82, pv3)
    la t0, mtrap_status
    ld a0, 0(t0)
    li t0, MSTATUS_MPP
    and a0, a0, t0
    CHECK(83, a0, MSTATUS_MPP_S)       /* the trap came from S */
    CLEAR_RECORDS
    GOTO_U(u_mode)
u_mode:
    EXPECT_TRAP
pv4: csrr a0, sstatus                  /* S CSR from U: illegal */
    EXPECT_TRAP
pv5: csrw sscratch, a0
    EXPECT_TRAP
pv6: csrr a0, satp
    GOTO_HANDLER(back_from_u)
back_from_u:
    CHECK_MEM(84, mtrap_count, 3)
    CHECK_ILLEGAL(85, pv6)
    la t0, mtrap_status
    ld a0, 0(t0)
    li t0, MSTATUS_MPP
    and a0, a0, t0
    CHECK(86, a0, 0)                   /* the trap came from U */

    TEST_PASS
