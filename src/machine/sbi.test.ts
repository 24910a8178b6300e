/**
 * The built-in SBI: the state a kernel is entered in, and each extension's functions as the SBI spec v2.0 gives
 * them, with the errors it lists for bad hart masks, types and addresses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CSR, MIP_SSIP, MIP_STIP, MSTATUS_SIE, PRIV_S, PRIV_U } from '../riscv/constants.js';
import { A, csrRaw, getX, makeHart, RAM_BASE, run, setCsrRaw, setX, STVEC, type Rig } from '../riscv/testing.js';
import {
  enterSupervisor,
  HSM_STARTED,
  HSM_STOPPED,
  Sbi,
  SBI_RETRY,
  SBI_SUCCESS,
  type SbiHarts,
  SBI_ERR_ALREADY_AVAILABLE,
  SBI_ERR_INVALID_ADDRESS,
  SBI_ERR_INVALID_PARAM,
  SBI_ERR_NOT_SUPPORTED,
  SBI_EXT,
  SBI_IMPL_ID,
  SBI_SPEC_VERSION,
} from './sbi.js';

const CODE = RAM_BASE + 0x1000;
const DTB = RAM_BASE + 0x8_0000;
const T0 = 5;

interface Guest extends Rig {
  readonly out: number[];
  readonly input: number[];
  readonly resets: string[];
  readonly clock: { now: number };
}

/** A hart entered in S-mode at CODE as a kernel would be, with the SBI installed over a recording platform. */
function guest(): Guest {
  const r = makeHart();
  const clock = { now: 1000 };
  (r.h.platform as { readTime: () => number }).readTime = () => clock.now;
  const g: Guest = { ...r, out: [], input: [], resets: [], clock };
  r.h.sbi = new Sbi({
    putchar: (b) => g.out.push(b),
    getchar: () => g.input.shift() ?? -1,
    reset: (kind) => g.resets.push(kind),
    isRam: (pa) => r.ram.contains(pa, 4),
  }).call;
  enterSupervisor(r.h, CODE, DTB);
  setCsrRaw(r.h, CSR.stvec, BigInt(STVEC));
  return g;
}

/** Makes the call (a7 = eid, a6 = fid, a0.. = args) with an ECALL at the current pc; returns [a0, a1]. */
function call(g: Guest, eid: number, fid: number, ...args: bigint[]): [bigint, bigint] {
  const h = g.h;
  setX(h, 17, BigInt(eid));
  setX(h, 16, BigInt(fid));
  args.forEach((v, i) => setX(h, 10 + i, v));
  const pc = h.pc;
  run(g, [A.ecall()]);
  assert.equal(h.priv, PRIV_S, 'the call returns to S-mode');
  if (!h.waiting) assert.equal(h.pc, pc + 4, 'and continues after the ECALL');
  return [getX(h, 10), getX(h, 11)];
}

const ok = (value: bigint | number = 0): [bigint, bigint] => [0n, BigInt(value)];
const err = (code: number): [bigint, bigint] => [BigInt(code), 0n];

test('the kernel is entered in S-mode with a0 = hart id, a1 = device tree, satp off, and S-mode traps delegated', () => {
  const g = guest();
  const h = g.h;
  assert.equal(h.priv, PRIV_S);
  assert.equal(h.pc, CODE);
  assert.equal(getX(h, 10), 0n);
  assert.equal(getX(h, 11), BigInt(DTB));
  assert.equal(csrRaw(h, CSR.satp), 0n);
  // The counters and Sstc's stimecmp are S-mode's to use, as OpenSBI leaves them.
  setX(h, T0, 5000n);
  run(g, [A.csrrs(6, CSR.time, 0), A.csrrw(0, CSR.stimecmp, T0)]);
  assert.equal(getX(h, 6), 1000n);
  assert.equal(csrRaw(h, CSR.stimecmp), 5000n);
  // And user programs read the time (rdtime) and cycle counters.
  h.priv = PRIV_U;
  h.updateTlbContext();
  run(g, [A.csrrs(6, CSR.time, 0), A.csrrs(7, CSR.cycle, 0)]);
  assert.equal(getX(h, 6), 1000n);
  h.priv = PRIV_S;
  h.updateTlbContext();
  // An illegal instruction is the kernel's to handle (the hart has no M-mode firmware to emulate anything).
  run(g, [0xffffffff]);
  assert.equal(h.pc, STVEC);
  assert.equal(csrRaw(h, CSR.scause), 2n);
  assert.equal(h.priv, PRIV_S);
});

test('a trap the guest never delegated still goes to S-mode: nothing runs in M-mode', () => {
  const g = guest();
  g.h.medeleg = 0;
  run(g, [0xffffffff]);
  assert.equal(g.h.priv, PRIV_S);
  assert.equal(g.h.pc, STVEC);
  assert.equal(csrRaw(g.h, CSR.scause), 2n);
});

test('an ECALL from U-mode is a system call for the kernel, not an SBI call', () => {
  const g = guest();
  g.h.priv = PRIV_U;
  g.h.updateTlbContext();
  setX(g.h, 17, BigInt(SBI_EXT.LEGACY_CONSOLE_PUTCHAR));
  setX(g.h, 10, 0x41n);
  run(g, [A.ecall()]);
  assert.equal(g.h.pc, STVEC);
  assert.equal(csrRaw(g.h, CSR.scause), 8n);
  assert.deepEqual(g.out, []);
});

test('BASE: spec version 2.0, the implementation, and probing which extensions exist', () => {
  const g = guest();
  assert.deepEqual(call(g, SBI_EXT.BASE, 0), ok(SBI_SPEC_VERSION));
  assert.deepEqual(call(g, SBI_EXT.BASE, 1), ok(SBI_IMPL_ID));
  for (const eid of Object.values(SBI_EXT)) assert.deepEqual(call(g, SBI_EXT.BASE, 3, BigInt(eid)), ok(1), `probe ${eid.toString(16)}`);
  // PMU, DBCN, the legacy IPI and an EID with high bits set are not there.
  for (const eid of [0x504d55n, 0x4442434en, 0x04n, (1n << 32n) | 0x10n]) assert.deepEqual(call(g, SBI_EXT.BASE, 3, eid), ok(0));
  for (const fid of [4, 5, 6]) assert.deepEqual(call(g, SBI_EXT.BASE, fid), ok(0), 'mvendorid, marchid, mimpid');
  assert.deepEqual(call(g, SBI_EXT.BASE, 7), err(SBI_ERR_NOT_SUPPORTED));
});

test('unknown extensions and functions answer SBI_ERR_NOT_SUPPORTED', () => {
  const g = guest();
  assert.deepEqual(call(g, 0x504d55, 0), err(SBI_ERR_NOT_SUPPORTED));
  assert.deepEqual(call(g, 0x12345678, 0), err(SBI_ERR_NOT_SUPPORTED));
  assert.deepEqual(call(g, SBI_EXT.TIME, 1), err(SBI_ERR_NOT_SUPPORTED));
  assert.deepEqual(call(g, SBI_EXT.SRST, 1), err(SBI_ERR_NOT_SUPPORTED));
});

test('TIME set_timer: the next event goes to stimecmp, and STIP follows it', () => {
  const g = guest();
  const h = g.h;
  assert.equal(h.mipHw & MIP_STIP, 0, 'no timer interrupt before the kernel asks for one');
  assert.deepEqual(call(g, SBI_EXT.TIME, 0, 900n), ok());
  assert.equal(h.mipHw & MIP_STIP, MIP_STIP, 'a time already passed: pending at once');
  assert.deepEqual(call(g, SBI_EXT.TIME, 0, 2000n), ok());
  assert.equal(h.mipHw & MIP_STIP, 0, 'a later time clears it');
  assert.equal(csrRaw(h, CSR.stimecmp), 2000n);
  // The legacy call does the same, its result in a0 alone.
  setX(h, 11, 77n);
  assert.deepEqual(call(g, SBI_EXT.LEGACY_SET_TIMER, 0, 500n), [0n, 77n]);
  assert.equal(h.mipHw & MIP_STIP, MIP_STIP);
});

test('IPI send_ipi: hart 0 by mask or by base -1 gets SSIP; another hart id is an invalid parameter', () => {
  const g = guest();
  const h = g.h;
  assert.deepEqual(call(g, SBI_EXT.IPI, 0, 1n, 0n), ok());
  assert.equal(h.mipSw & MIP_SSIP, MIP_SSIP);
  h.mipSw = 0;
  assert.deepEqual(call(g, SBI_EXT.IPI, 0, 0n, -1n), ok(), 'base -1: every hart');
  assert.equal(h.mipSw & MIP_SSIP, MIP_SSIP);
  h.mipSw = 0;
  assert.deepEqual(call(g, SBI_EXT.IPI, 0, 2n, 0n), err(SBI_ERR_INVALID_PARAM));
  assert.deepEqual(call(g, SBI_EXT.IPI, 0, 1n, 1n), err(SBI_ERR_INVALID_PARAM));
  assert.deepEqual(call(g, SBI_EXT.IPI, 0, 1n << 63n, 0n), err(SBI_ERR_INVALID_PARAM));
  assert.equal(h.mipSw & MIP_SSIP, 0, 'nothing sent on an error');
  assert.deepEqual(call(g, SBI_EXT.IPI, 0, 0n, 0n), ok(), 'an empty mask');
  assert.equal(h.mipSw & MIP_SSIP, 0);
});

test('RFENCE: remote SFENCE.VMA drops the range page by page, or everything for a large or whole range', () => {
  const g = guest();
  const pages: number[] = [];
  let all = 0;
  g.h.tlb.flushPage = (va: number) => void pages.push(va);
  g.h.tlb.flushTranslated = () => void all++;
  assert.deepEqual(call(g, SBI_EXT.RFENCE, 1, 1n, 0n, 0x1_0800n, 0x2000n), ok());
  assert.deepEqual(pages, [0x1_0000, 0x1_1000, 0x1_2000]);
  assert.deepEqual(call(g, SBI_EXT.RFENCE, 2, 1n, 0n, 0x4000n, 0x1000n, 5n), ok(), 'with an ASID');
  assert.deepEqual(pages.slice(3), [0x4000]);
  assert.equal(all, 0);
  assert.deepEqual(call(g, SBI_EXT.RFENCE, 1, 1n, 0n, 0n, 0n), ok(), 'start 0, size 0: everything');
  assert.deepEqual(call(g, SBI_EXT.RFENCE, 1, 1n, 0n, 0x1000n, -1n), ok(), 'size -1: everything');
  assert.deepEqual(call(g, SBI_EXT.RFENCE, 1, 0n, -1n, 0n, 1n << 30n), ok(), 'a gigabyte: everything');
  assert.equal(all, 3);
  assert.deepEqual(call(g, SBI_EXT.RFENCE, 0, 1n, 0n), ok(), 'remote_fence_i');
  assert.deepEqual(call(g, SBI_EXT.RFENCE, 1, 4n, 0n, 0n, 0n), err(SBI_ERR_INVALID_PARAM));
  for (const fid of [3, 4, 5, 6]) assert.deepEqual(call(g, SBI_EXT.RFENCE, fid, 1n, 0n), err(SBI_ERR_NOT_SUPPORTED), 'no H extension');
  assert.equal(all, 3);
  assert.equal(pages.length, 4);
});

test('HSM: hart 0 is started; other hart ids are invalid', () => {
  const g = guest();
  assert.deepEqual(call(g, SBI_EXT.HSM, 2, 0n), ok(HSM_STARTED));
  assert.deepEqual(call(g, SBI_EXT.HSM, 2, 1n), err(SBI_ERR_INVALID_PARAM));
  assert.deepEqual(call(g, SBI_EXT.HSM, 0, 0n, BigInt(CODE), 0n), err(SBI_ERR_ALREADY_AVAILABLE));
  assert.deepEqual(call(g, SBI_EXT.HSM, 0, 3n, BigInt(CODE), 0n), err(SBI_ERR_INVALID_PARAM));
  assert.deepEqual(call(g, SBI_EXT.HSM, 4), err(SBI_ERR_NOT_SUPPORTED));
});

test('HSM hart_suspend: retentive sleeps as WFI and returns success; non-retentive resumes at resume_addr', () => {
  const g = guest();
  const h = g.h;
  const pc = h.pc;
  assert.deepEqual(call(g, SBI_EXT.HSM, 3, 0n), ok());
  assert.equal(h.waiting, true);
  assert.equal(h.pc, pc + 4, 'resumes after the call');
  h.waiting = false;
  assert.deepEqual(call(g, SBI_EXT.HSM, 3, 5n), err(SBI_ERR_INVALID_PARAM), 'a reserved type');
  assert.deepEqual(call(g, SBI_EXT.HSM, 3, 0x8000_0000n, 0x1000n, 0n), err(SBI_ERR_INVALID_ADDRESS), 'resume_addr not in RAM');
  assert.equal(h.waiting, false);
  h.mstatus |= MSTATUS_SIE;
  setCsrRaw(h, CSR.satp, 8n << 60n);
  const resume = RAM_BASE + 0x3000;
  call(g, SBI_EXT.HSM, 3, 0x8000_0000n, BigInt(resume), 0xabcdn);
  assert.equal(h.waiting, true);
  assert.equal(h.pc, resume);
  assert.equal(getX(h, 10), 0n, 'a0: hart id');
  assert.equal(getX(h, 11), 0xabcdn, 'a1: opaque');
  assert.equal(csrRaw(h, CSR.satp), 0n);
  assert.equal(h.mstatus & MSTATUS_SIE, 0);
});

test('SRST: shutdown powers off, reboots reset; reserved types and reasons are invalid', () => {
  const g = guest();
  assert.deepEqual(call(g, SBI_EXT.SRST, 0, 3n, 0n), err(SBI_ERR_INVALID_PARAM));
  assert.deepEqual(call(g, SBI_EXT.SRST, 0, 0n, 2n), err(SBI_ERR_INVALID_PARAM));
  assert.deepEqual(call(g, SBI_EXT.SRST, 0, 0xf000_0000n, 0n), err(SBI_ERR_NOT_SUPPORTED), 'a vendor type');
  assert.deepEqual(g.resets, []);
  call(g, SBI_EXT.SRST, 0, 1n, 0n);
  assert.deepEqual(g.resets, ['reset']);
  assert.equal(g.h.waiting, true, 'the call does not return');
  g.h.waiting = false;
  call(g, SBI_EXT.SRST, 0, 0n, 1n);
  assert.deepEqual(g.resets, ['reset', 'poweroff'], 'a system failure still powers off, as OpenSBI on this board');
});

test('legacy console: putchar writes a byte, getchar reads one or -1, the results in a0 alone', () => {
  const g = guest();
  const h = g.h;
  setX(h, 11, 99n);
  assert.deepEqual(call(g, SBI_EXT.LEGACY_CONSOLE_PUTCHAR, 0, 0x141n), [0n, 99n]);
  assert.deepEqual(g.out, [0x41]);
  g.input.push(0x7a);
  assert.deepEqual(call(g, SBI_EXT.LEGACY_CONSOLE_GETCHAR, 0), [0x7an, 99n]);
  assert.deepEqual(call(g, SBI_EXT.LEGACY_CONSOLE_GETCHAR, 0), [-1n, 99n]);
  // send_ipi and the remote fences of v0.1 take masks in virtual memory: not offered.
  assert.deepEqual(call(g, 0x04, 0, 0n), [BigInt(SBI_ERR_NOT_SUPPORTED), 99n]);
  call(g, SBI_EXT.LEGACY_SHUTDOWN, 0);
  assert.deepEqual(g.resets, ['poweroff']);
});

test('any call with any arguments returns to S-mode without throwing (the guest is hostile)', () => {
  const eids = [...Object.values(SBI_EXT), 0x03, 0x04, 0x09, 0x0f, 0x504d55];
  fc.assert(
    fc.property(
      fc.oneof(fc.constantFrom(...eids.map(BigInt)), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
      fc.oneof(fc.integer({ min: 0, max: 8 }).map(BigInt), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })),
      fc.array(fc.oneof(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), fc.constantFrom(0n, 1n, -1n, BigInt(RAM_BASE))), {
        minLength: 6,
        maxLength: 6,
      }),
      (eid, fid, args) => {
        const g = guest();
        const h = g.h;
        setX(h, 17, eid);
        setX(h, 16, fid);
        args.forEach((v, i) => setX(h, 10 + i, v));
        run(g, [A.ecall()]);
        assert.equal(h.priv, PRIV_S);
        assert.ok(h.waiting || h.pc === CODE + 4, `pc ${h.pc.toString(16)}`);
      },
    ),
    { numRuns: 2000 },
  );
});

/** Hart 0 of four, with the other harts' calls recorded by a fake SbiHarts. */
function fourHarts(fenceResult = SBI_SUCCESS, startResult = SBI_SUCCESS): Guest & { calls: string[] } {
  const g = guest();
  const calls: string[] = [];
  const harts: SbiHarts = {
    count: 4,
    status: (id) => (id === 3 ? HSM_STOPPED : HSM_STARTED),
    start: (id, lo, hi, olo) => (calls.push(`start ${id} ${(hi * 2 ** 32 + (lo >>> 0)).toString(16)} ${olo}`), startResult),
    ipi: (id) => void calls.push(`ipi ${id}`),
    fence: (ids, vma) => (calls.push(`fence ${vma ? 'vma' : 'i'} ${ids.join(',')}`), fenceResult),
    stop: () => (calls.push('stop'), true),
  };
  g.h.sbi = new Sbi({ putchar: () => {}, getchar: () => -1, reset: () => {}, isRam: (pa) => g.ram.contains(pa, 4) }, harts).call;
  return Object.assign(g, { calls });
}

test('several harts: masks select other harts for IPIs and fences; ids past the last hart are invalid', () => {
  const g = fourHarts();
  assert.deepEqual(call(g, SBI_EXT.IPI, 0, 0b1011n, 0n), ok());
  assert.deepEqual(g.calls, ['ipi 1', 'ipi 3']);
  assert.equal(g.h.mipSw & MIP_SSIP, MIP_SSIP, 'hart 0 itself');
  assert.deepEqual(call(g, SBI_EXT.IPI, 0, 0b11n, 2n), ok(), 'base 2: harts 2 and 3');
  assert.deepEqual(call(g, SBI_EXT.IPI, 0, 0n, -1n), ok(), 'base -1: all of them');
  assert.deepEqual(g.calls.slice(2), ['ipi 2', 'ipi 3', 'ipi 1', 'ipi 2', 'ipi 3']);
  g.calls.length = 0;
  assert.deepEqual(call(g, SBI_EXT.IPI, 0, 0b11n, 3n), err(SBI_ERR_INVALID_PARAM), 'hart 4 does not exist');
  assert.deepEqual(call(g, SBI_EXT.RFENCE, 1, 0b110n, 0n, 0n, 0n), ok());
  assert.deepEqual(call(g, SBI_EXT.RFENCE, 0, 0b1111n, 0n), ok());
  assert.deepEqual(g.calls, ['fence vma 1,2', 'fence i 1,2,3']);
});

test('several harts: HSM status and start go to the other hart; a start needs an address in RAM', () => {
  const g = fourHarts();
  assert.deepEqual(call(g, SBI_EXT.HSM, 2, 3n), ok(HSM_STOPPED));
  assert.deepEqual(call(g, SBI_EXT.HSM, 2, 1n), ok(HSM_STARTED));
  assert.deepEqual(call(g, SBI_EXT.HSM, 2, 4n), err(SBI_ERR_INVALID_PARAM));
  assert.deepEqual(call(g, SBI_EXT.HSM, 0, 3n, 0x1000n, 5n), err(SBI_ERR_INVALID_ADDRESS));
  assert.deepEqual(call(g, SBI_EXT.HSM, 0, 3n, BigInt(RAM_BASE + 0x2000), 5n), ok());
  assert.deepEqual(g.calls, [`start 3 ${(RAM_BASE + 0x2000).toString(16)} 5`]);
  assert.equal(call(g, SBI_EXT.HSM, 1)[0], 0n, 'hart_stop does not return: a0 untouched');
  assert.deepEqual(g.calls.slice(1), ['stop']);
});

test('several harts: a fence or start the machine interrupts (parking its harts) is made again later', () => {
  const cases: [Guest, number, number, bigint[]][] = [
    [fourHarts(SBI_RETRY), SBI_EXT.RFENCE, 1, [0b10n, 0n, 0n, 0n]],
    [fourHarts(SBI_SUCCESS, SBI_RETRY), SBI_EXT.HSM, 0, [3n, BigInt(RAM_BASE), 0n]],
  ];
  for (const [g, eid, fid, args] of cases) {
    const h = g.h;
    const pc = h.pc;
    setX(h, 17, BigInt(eid));
    setX(h, 16, BigInt(fid));
    args.forEach((v, i) => setX(h, 10 + i, v));
    run(g, [A.ecall()]);
    assert.equal(h.pc, pc, 'back at the ECALL, to make the call again');
    assert.equal(h.priv, PRIV_S);
    assert.deepEqual([getX(h, 10), getX(h, 11)], [args[0], args[1]], 'no result written');
  }
});
