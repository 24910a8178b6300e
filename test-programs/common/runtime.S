/*
 * runtime.S — entry point, trap handlers, HTIF console and exit for the ISA test programs.
 * Linked into every program. See test.h for the conventions.
 */
#include "test.h"

/* ------------------------------------------------------------------ entry */
    .section .text.init, "ax", @progbits
    .globl _start
_start:
    /* Start from a known register state (QEMU's reset ROM leaves a0/a1/t0 set). */
    li x1, 0
    li x2, 0
    li x3, 0
    li x4, 0
    li x5, 0
    li x6, 0
    li x7, 0
    li x8, 0
    li x9, 0
    li x10, 0
    li x11, 0
    li x12, 0
    li x13, 0
    li x14, 0
    li x15, 0
    li x16, 0
    li x17, 0
    li x18, 0
    li x19, 0
    li x20, 0
    li x21, 0
    li x22, 0
    li x23, 0
    li x24, 0
    li x25, 0
    li x26, 0
    li x27, 0
    li x28, 0
    li x29, 0
    li x30, 0
    li x31, 0
    la sp, stack_top

    /* PMP: allow S/U everything (a hart with PMP entries but none matching denies S/U).
     * Guarded: if PMP CSRs are not implemented the write traps to the label below. */
    la t0, 1f
    csrw mtvec, t0
    li t0, -1
    csrw pmpaddr0, t0
    li t0, PMP_NAPOT | PMP_R | PMP_W | PMP_X
    csrw pmpcfg0, t0
    .align 2
1:
    la t0, m_trap_vector
    csrw mtvec, t0
    la t0, m_scratch_area
    csrw mscratch, t0
    csrw mie, zero
    csrw mideleg, zero
    csrw medeleg, zero
    csrw satp, zero
    li tp, 0
    li gp, 0
    call test_main
    /* test_main should not return: TEST_PASS exits. */
    li gp, 0xfe
    li t5, 0
    li t6, 0
    j report_fail

/* ------------------------------------------------------------------ M-mode trap handler */
    .text
    .align 6
    .globl m_trap_vector
m_trap_vector:
    csrrw sp, mscratch, sp
    sd t0, 0(sp)
    sd t1, 8(sp)
    sd t2, 16(sp)
    sd t3, 24(sp)
    csrr t0, mcause
    bltz t0, .Lm_irq

    /* ecall from U, S or M with a magic a7? */
    li t1, CAUSE_USER_ECALL
    bltu t0, t1, .Lm_exc
    li t1, CAUSE_MACHINE_ECALL
    bgtu t0, t1, .Lm_exc
    li t1, MAGIC_FAIL
    beq a7, t1, .Lm_check_failed
    li t1, MAGIC_SFAIL
    beq a7, t1, .Lm_s_unexpected
    li t1, MAGIC_GOTO
    bne a7, t1, .Lm_exc
    li a7, 0                /* consumed: a later plain ecall must not look magic */
    csrw mepc, a0
    li t1, MSTATUS_MPP
    csrs mstatus, t1
    j .Lm_ret

.Lm_exc:
    la t1, mtrap_cause
    sd t0, 0(t1)
    csrr t2, mepc
    sd t2, 8(t1)
    csrr t2, mtval
    sd t2, 16(t1)
    csrr t2, mstatus
    sd t2, 24(t1)
    ld t2, 32(t1)
    addi t2, t2, 1
    sd t2, 32(t1)
    beqz tp, .Lm_unexpected
    li t1, 1
    bne tp, t1, .Lm_resume
    /* Skip the trapping instruction: read its first halfword, through the trapped
     * mode's address translation (MPRV) when it came from S/U with paging on. */
    csrr t1, mepc
    csrr t2, satp
    beqz t2, 2f
    csrr t2, mstatus
    li t3, MSTATUS_MPP
    and t2, t2, t3
    beq t2, t3, 2f
    li t3, MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR
    csrrs t0, mstatus, t3
    lhu t2, 0(t1)
    csrw mstatus, t0        /* restore MPRV/SUM/MXR as the test had them */
    j 3f
2:  lhu t2, 0(t1)
3:  andi t2, t2, 3
    li t3, 3
    addi t1, t1, 2
    bne t2, t3, 4f
    addi t1, t1, 2
4:  csrw mepc, t1
    li tp, 0
    j .Lm_ret
.Lm_resume:
    csrw mepc, tp
    li tp, 0
.Lm_ret:
    ld t0, 0(sp)
    ld t1, 8(sp)
    ld t2, 16(sp)
    ld t3, 24(sp)
    csrrw sp, mscratch, sp
    mret

.Lm_irq:
    la t1, mirq_cause
    sd t0, 0(t1)
    csrr t2, mepc
    sd t2, 8(t1)
    ld t2, 16(t1)
    addi t2, t2, 1
    sd t2, 16(t1)
    /* Disable the source in mie so that it does not fire again. */
    andi t1, t0, 63
    li t2, 1
    sll t2, t2, t1
    csrc mie, t2
    j .Lm_ret

.Lm_check_failed:
    /* t5 = got, t6 = expected, gp = check. Registers other than these are free now. */
    csrrw sp, mscratch, sp
    j report_fail

.Lm_unexpected:
    csrrw sp, mscratch, sp
    la a0, msg_fail
    call puts_name_check
    la a0, msg_mtrap
    call puts
    csrr a0, mcause
    call puthex
    la a0, msg_mepc
    call puts
    csrr a0, mepc
    call puthex
    la a0, msg_mtval
    call puts
    csrr a0, mtval
    call puthex
    li a0, '\n'
    call putchar
    j exit_check

.Lm_s_unexpected:
    csrrw sp, mscratch, sp
    la a0, msg_fail
    call puts_name_check
    la a0, msg_strap
    call puts
    csrr a0, scause
    call puthex
    la a0, msg_sepc
    call puts
    csrr a0, sepc
    call puthex
    la a0, msg_stval
    call puts
    csrr a0, stval
    call puthex
    li a0, '\n'
    call putchar
    j exit_check

/* ------------------------------------------------------------------ S-mode trap handler */
    .align 6
    .globl s_trap_vector
s_trap_vector:
    csrrw sp, sscratch, sp
    sd t0, 0(sp)
    sd t1, 8(sp)
    sd t2, 16(sp)
    sd t3, 24(sp)
    csrr t0, scause
    bltz t0, .Ls_irq
    li t1, CAUSE_USER_ECALL
    bne t0, t1, .Ls_exc
    li t1, MAGIC_FAIL
    beq a7, t1, .Ls_forward
    li t1, MAGIC_GOTO
    bne a7, t1, .Ls_exc
    li a7, 0
    csrw sepc, a0
    li t1, SSTATUS_SPP
    csrs sstatus, t1
    j .Ls_ret
.Ls_forward:
    /* Report a failed check from U-mode: pass it on to M-mode with t5/t6/gp intact. */
    ld t0, 0(sp)
    ld t1, 8(sp)
    ld t2, 16(sp)
    ld t3, 24(sp)
    csrrw sp, sscratch, sp
    ecall
.Ls_exc:
    la t1, strap_cause
    sd t0, 0(t1)
    csrr t2, sepc
    sd t2, 8(t1)
    csrr t2, stval
    sd t2, 16(t1)
    csrr t2, sstatus
    sd t2, 24(t1)
    ld t2, 32(t1)
    addi t2, t2, 1
    sd t2, 32(t1)
    beqz tp, .Ls_unexpected
    li t1, 1
    bne tp, t1, .Ls_resume
    /* Skip the instruction (it may sit on a U page or an execute-only page). */
    csrr t1, sepc
    li t3, SSTATUS_SUM | SSTATUS_MXR
    csrrs t3, sstatus, t3
    lhu t2, 0(t1)
    csrw sstatus, t3
    andi t2, t2, 3
    li t3, 3
    addi t1, t1, 2
    bne t2, t3, 4f
    addi t1, t1, 2
4:  csrw sepc, t1
    li tp, 0
    j .Ls_ret
.Ls_resume:
    csrw sepc, tp
    li tp, 0
.Ls_ret:
    ld t0, 0(sp)
    ld t1, 8(sp)
    ld t2, 16(sp)
    ld t3, 24(sp)
    csrrw sp, sscratch, sp
    sret
.Ls_irq:
    la t1, sirq_cause
    sd t0, 0(t1)
    csrr t2, sepc
    sd t2, 8(t1)
    ld t2, 16(t1)
    addi t2, t2, 1
    sd t2, 16(t1)
    andi t1, t0, 63
    li t2, 1
    sll t2, t2, t1
    csrc sie, t2
    j .Ls_ret
.Ls_unexpected:
    li a7, MAGIC_SFAIL
    ecall

/* ------------------------------------------------------------------ records */
    .globl clear_records
clear_records:
    la t0, records_start
    la t1, records_end
1:  sd zero, 0(t0)
    addi t0, t0, 8
    bltu t0, t1, 1b
    ret

/* ------------------------------------------------------------------ HTIF console and exit (M-mode) */
/* putchar(a0): HTIF device 1 (console), command 1 (putchar). Waits (bounded) for the host to have
 * consumed the previous command (tohost == 0), and for its answer in fromhost, which it clears. */
    .globl putchar
putchar:
    la t0, tohost
    li t2, 2000
1:  ld t1, 0(t0)
    beqz t1, 2f
    addi t2, t2, -1
    bnez t2, 1b
2:  li t1, 0x0101000000000000
    andi a0, a0, 0xff
    or t1, t1, a0
    sd t1, 0(t0)
    la t0, fromhost
    li t2, 2000
3:  ld t1, 0(t0)
    bnez t1, 4f
    addi t2, t2, -1
    bnez t2, 3b
4:  sd zero, 0(t0)
    ret

/* puts(a0 = NUL-terminated string) */
    .globl puts
puts:
    mv a4, ra
    mv a3, a0
1:  lbu a0, 0(a3)
    beqz a0, 2f
    call putchar
    addi a3, a3, 1
    j 1b
2:  mv ra, a4
    ret

/* puthex(a0): "0x" and 16 hex digits */
    .globl puthex
puthex:
    mv a5, ra
    mv a2, a0
    li a0, '0'
    call putchar
    li a0, 'x'
    call putchar
    li a3, 60
1:  srl a0, a2, a3
    andi a0, a0, 15
    li a1, 10
    blt a0, a1, 2f
    addi a0, a0, 'a' - 10
    j 3f
2:  addi a0, a0, '0'
3:  call putchar
    addi a3, a3, -4
    bgez a3, 1b
    mv ra, a5
    ret

/* putdec(a0): unsigned decimal */
    .globl putdec
putdec:
    mv a5, ra
    la a1, decbuf_end
    sb zero, 0(a1)
    li a2, 10
1:  remu a3, a0, a2
    divu a0, a0, a2
    addi a3, a3, '0'
    addi a1, a1, -1
    sb a3, 0(a1)
    bnez a0, 1b
    mv a0, a1
    call puts
    mv ra, a5
    ret

/* puts_name_check(a0 = prefix): prints "<prefix><test name>: check N (line L): " */
puts_name_check:
    mv s11, ra
    call puts
    la a0, test_name
    call puts
    la a0, msg_check
    call puts
    andi a0, gp, 0xff
    call putdec
    la a0, msg_line
    call puts
    srli a0, gp, 8
    call putdec
    la a0, msg_close
    call puts
    mv ra, s11
    ret

/* report_fail: "FAIL <name>: check N (line L): got X, expected Y", exit N. */
    .globl report_fail
report_fail:
    la a0, msg_fail
    call puts_name_check
    la a0, msg_got
    call puts
    mv a0, t5
    call puthex
    la a0, msg_expected
    call puts
    mv a0, t6
    call puthex
    li a0, '\n'
    call putchar
exit_check:
    andi a0, gp, 0xff
    bnez a0, exit
    li a0, 0xff
    /* fall through */

/* exit(a0): HTIF device 0 command 0, payload (code << 1) | 1. */
    .globl exit
exit:
    slli a0, a0, 1
    ori a0, a0, 1
    la t0, tohost
    sd a0, 0(t0)
1:  j 1b

/* ------------------------------------------------------------------ data */
    .section .rodata
msg_fail:     .asciz "FAIL "
msg_check:    .asciz ": check "
msg_line:     .asciz " (line "
msg_close:    .asciz "): "
msg_got:      .asciz "got "
msg_expected: .asciz ", expected "
msg_mtrap:    .asciz "unexpected trap mcause="
msg_mepc:     .asciz " mepc="
msg_mtval:    .asciz " mtval="
msg_strap:    .asciz "unexpected S-mode trap scause="
msg_sepc:     .asciz " sepc="
msg_stval:    .asciz " stval="

    .section .tohost, "aw", @progbits
    .align 6
    .globl tohost
    .type tohost, @object
    .size tohost, 8
tohost: .dword 0
    .globl fromhost
    .type fromhost, @object
    .size fromhost, 8
fromhost: .dword 0

    .data
    .align 6
    .globl records_start
records_start:
    .globl mtrap_cause, mtrap_epc, mtrap_tval, mtrap_status, mtrap_count
mtrap_cause:  .dword 0
mtrap_epc:    .dword 0
mtrap_tval:   .dword 0
mtrap_status: .dword 0
mtrap_count:  .dword 0
    .globl strap_cause, strap_epc, strap_tval, strap_status, strap_count
strap_cause:  .dword 0
strap_epc:    .dword 0
strap_tval:   .dword 0
strap_status: .dword 0
strap_count:  .dword 0
    .globl mirq_cause, mirq_epc, mirq_count
mirq_cause:   .dword 0
mirq_epc:     .dword 0
mirq_count:   .dword 0
    .globl sirq_cause, sirq_epc, sirq_count
sirq_cause:   .dword 0
sirq_epc:     .dword 0
sirq_count:   .dword 0
records_end:
decbuf:       .space 31
decbuf_end:   .space 1

    .align 4
    .globl m_scratch_area, s_scratch_area
m_scratch_area: .space 64
s_scratch_area: .space 64

    .bss
    .align 12
stack:   .space 16384
    .globl stack_top
stack_top:
