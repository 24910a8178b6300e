/**
 * The console UART's LSR and THR in WebAssembly (console-fast-path.ts): a program that prints as Linux's 8250
 * console does (poll LSR, write THR) in S-mode through a page table, on the interpreter and on the translator
 * with the fast path, must give the same bytes, UART state, interrupt levels and architectural state, also when
 * the state makes the fast path step aside (THRE interrupt on, a received byte, an overrun) and when a U-mode
 * access meets the kernel's published translation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, MTVEC, RAM_BASE, csrRaw, getX, iType, setCsrRaw, setX, write64, type Rig } from '../riscv/testing.js';
import { CAUSE, CSR, PRIV_S, PRIV_U } from '../riscv/constants.js';
import { diffState, makeEngineHart, runUntilIdle } from '../riscv/jit/test-rig.js';
import { Uart16550, UART_REG } from '../devices/uart16550.js';
import { attachConsoleFastPath } from './console-fast-path.js';
import { CONSOLE_LSR, CONSOLE_RING_BYTES, CONSOLE_THR } from '../riscv/jit/layout.js';

const CODE = RAM_BASE + 0x1000;
const TEXT = RAM_BASE + 0x30000;
const SAVED = RAM_BASE + 0x40000;
const UART = 0x1000_0000;
const WFI = 0x10500073;
const PT = { root: RAM_BASE + 0x10000, l1: RAM_BASE + 0x11000, l0: RAM_BASE + 0x12000 };
const leaf = (pa: number): bigint => (BigInt(pa / 4096) << 10n) | 0xcfn; // V R W X A D, not U

interface Console {
  readonly rig: Rig;
  readonly uart: Uart16550;
  readonly out: number[];
  readonly irq: boolean[];
  /** Register accesses that reached the UART model through the bus. */
  readonly accesses: { reads: number; writes: number };
}

function place(rig: Rig, addr: number, words: readonly number[]): void {
  words.forEach((w, i) => (rig.ram.i32[(addr - RAM_BASE) / 4 + i] = w));
}

/** A hart of `engine` in S-mode with RAM mapped at its own address and the UART's page at its own address. */
function consoleHart(engine: 'interp' | 'jit'): Console {
  const rig = makeEngineHart(engine);
  const out: number[] = [];
  const irq: boolean[] = [];
  const uart = new Uart16550({ irq: { set: (l) => irq.push(l) }, output: (b) => out.push(b) });
  const accesses = { reads: 0, writes: 0 };
  rig.bus.map(UART, 0x100, {
    name: 'uart',
    read: (o, s) => (accesses.reads++, uart.read(o, s)),
    write: (o, s, v) => (accesses.writes++, uart.write(o, s, v)),
  });
  if (engine === 'jit') attachConsoleFastPath(rig.h, uart, UART);
  write64(rig, PT.root + 8 * 2, leaf(0x8000_0000));
  write64(rig, PT.root, (BigInt(PT.l1 / 4096) << 10n) | 1n);
  write64(rig, PT.l1 + 8 * 128, (BigInt(PT.l0 / 4096) << 10n) | 1n);
  write64(rig, PT.l0, leaf(UART));
  place(rig, MTVEC, [WFI]);
  setCsrRaw(rig.h, CSR.satp, (8n << 60n) | BigInt(PT.root / 4096));
  rig.h.priv = PRIV_S;
  rig.h.updateTlbContext();
  return { rig, uart, out, irq, accesses };
}

/**
 * Prints the `length` bytes at TEXT as the 8250 console does (x22 the UART), after writing `ier` to IER; then
 * saves the last LSR read (lbu) and a signed one (lb).
 */
function printer(c: Console, length: number, ier: number): void {
  place(c.rig, CODE, [
    A.addi(9, 0, ier),
    A.sb(9, 22, UART_REG.ierDlm),
    A.lbu(5, 20, 0), //                  8: next byte
    A.lbu(6, 22, CONSOLE_LSR), //        12: poll LSR
    iType(0x13, 7, 7, 6, 0x20), //       andi x7, x6, THRE
    A.beq(7, 0, -8),
    A.sb(5, 22, CONSOLE_THR),
    A.addi(20, 20, 1),
    A.addi(21, 21, -1),
    A.bne(21, 0, -28),
    A.sb(6, 23, 0),
    A.lb(8, 22, CONSOLE_LSR),
    WFI,
  ]);
  setX(c.rig.h, 20, BigInt(TEXT));
  setX(c.rig.h, 21, BigInt(length));
  setX(c.rig.h, 22, BigInt(UART));
  setX(c.rig.h, 23, BigInt(SAVED));
  c.rig.h.pc = CODE;
}

const message = (length: number): number[] => Array.from({ length }, (_, i) => 0x20 + ((i * 7) % 95));

/** Runs `prepare` on an interpreter hart and a translator hart until WFI; checks they agree; returns both. */
function both(length: number, prepare: (c: Console) => void): [Console, Console] {
  const text = message(length);
  const cs = [consoleHart('interp'), consoleHart('jit')] as const;
  for (const c of cs) {
    text.forEach((b, i) => (c.rig.ram.u8[TEXT - RAM_BASE + i] = b));
    prepare(c);
    assert.ok(runUntilIdle(c.rig.h, 5_000_000), `${c.rig.h.engine}: reaches the WFI`);
  }
  const [a, b] = cs;
  assert.deepEqual(diffState(a.rig, b.rig), []);
  assert.deepEqual(b.out, a.out, 'the same bytes out');
  assert.deepEqual(b.uart.saveState(), a.uart.saveState(), 'the same UART state');
  assert.deepEqual(b.irq, a.irq, 'the same interrupt levels');
  return [a, b];
}

test('a console that polls LSR and writes THR prints the same bytes on both engines, with the translator leaving them to WebAssembly', () => {
  const length = 3 * CONSOLE_RING_BYTES + 100; // more than the queue holds in one run
  const [interp, jit] = both(length, (c) => printer(c, length, 0));
  assert.deepEqual(jit.out, message(length));
  assert.equal(getX(jit.rig.h, 8), 0x60n);
  assert.equal(interp.accesses.reads, length + 1, 'the interpreter reads LSR per byte, and once more at the end');
  assert.ok(jit.accesses.reads < 10 && jit.accesses.writes < 10, `the translator's reached the model ${JSON.stringify(jit.accesses)} times`);
  assert.ok(jit.rig.h.jit!.stats.compiled > 0, 'the loop was compiled: its blocks leave the accesses to the interpreter');
});

test('with the THRE interrupt on, THR writes go to the UART model, which raises the interrupt as on the interpreter', () => {
  const [, jit] = both(300, (c) => printer(c, 300, 0x02));
  assert.deepEqual(jit.out, message(300));
  assert.ok(jit.accesses.writes >= 300, 'every THR write reached the model');
  assert.ok(jit.irq.includes(true));
});

test('a received byte shows in LSR.DR, and an overrun to clear makes the LSR read go to the model', () => {
  const [, jit] = both(40, (c) => {
    printer(c, 40, 0);
    c.uart.receive(0x41);
  });
  assert.equal(jit.rig.ram.u8[SAVED - RAM_BASE], 0x61);
  const [, jit2] = both(40, (c) => {
    printer(c, 40, 0);
    c.uart.write(UART_REG.mcr, 1, 0x18); // loopback: two bytes into a one-byte FIFO overrun it
    c.uart.write(UART_REG.rbrThrDll, 1, 1);
    c.uart.write(UART_REG.rbrThrDll, 1, 2);
    c.uart.write(UART_REG.mcr, 1, 0x08);
  });
  assert.equal(jit2.rig.ram.u8[SAVED - RAM_BASE], 0x61, 'OE was cleared by the first read');
});

test("a U-mode load from the UART's page does not use the kernel's translation: it faults on both engines", () => {
  const [, jit] = both(200, (c) => {
    printer(c, 200, 0);
    runUntilIdle(c.rig.h, 5_000_000);
    // Then from U-mode, code on a user page next to the UART's: the UART's page has no U bit.
    const user = RAM_BASE + 0x50000;
    write64(c.rig, PT.l0 + 8, (BigInt(user / 4096) << 10n) | 0xdfn);
    // (The first instruction fills the fetch TLB, in TypeScript; the WebAssembly interpreter runs the rest.)
    place(c.rig, user, [A.addi(0, 0, 0), A.addi(0, 0, 0), A.lbu(6, 22, CONSOLE_LSR), A.sb(5, 22, CONSOLE_THR), WFI]);
    c.rig.h.waiting = false;
    c.rig.h.priv = PRIV_U;
    c.rig.h.updateTlbContext();
    c.rig.h.pc = UART + 0x1000;
  });
  assert.equal(csrRaw(jit.rig.h, CSR.mcause), BigInt(CAUSE.LOAD_PAGE_FAULT));
  assert.equal(csrRaw(jit.rig.h, CSR.mtval), BigInt(UART + CONSOLE_LSR));
  assert.equal(jit.rig.h.pc, MTVEC + 4, "in the trap handler's WFI");
  assert.deepEqual(jit.out, message(200));
});
