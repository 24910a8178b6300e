import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Uart16550, UART_IER, UART_IIR, UART_LSR, UART_REG, type Uart16550Config } from './uart16550.js';

function rig(extra: Partial<Uart16550Config> = {}) {
  const irq: boolean[] = [];
  const out: number[] = [];
  let space = 0;
  const uart = new Uart16550({
    irq: { set: (l) => irq.push(l) },
    output: (b) => out.push(b),
    onRxSpace: () => space++,
    ...extra,
  });
  return { uart, irq, out, spaces: () => space };
}

const R = UART_REG;

test('reset values match QEMU: LSR THRE|TEMT, IIR no interrupt, MCR OUT2, MSR DCD|DSR|CTS', () => {
  const { uart } = rig();
  assert.equal(uart.read(R.lsr, 1), 0x60);
  assert.equal(uart.read(R.iirFcr, 1), 0x01);
  assert.equal(uart.read(R.mcr, 1), 0x08);
  assert.equal(uart.read(R.msr, 1), 0xb0);
  assert.equal(uart.read(R.ierDlm, 1), 0);
  assert.equal(uart.read(R.lcr, 1), 0);
});

test('THR writes go to the output at once and LSR stays THRE|TEMT', () => {
  const { uart, out } = rig();
  for (const c of 'hi\n') uart.write(R.rbrThrDll, 1, c.charCodeAt(0));
  assert.deepEqual(out, [0x68, 0x69, 0x0a]);
  assert.equal(uart.read(R.lsr, 1) & (UART_LSR.thre | UART_LSR.temt), 0x60);
});

test('THRE interrupt is raised when ETBEI is set with an empty THR, and cleared by reading IIR', () => {
  const { uart, irq } = rig();
  uart.write(R.ierDlm, 1, UART_IER.thri);
  assert.deepEqual(irq, [true]);
  assert.equal(uart.read(R.iirFcr, 1), UART_IIR.thri);
  assert.deepEqual(irq, [true, false], 'reading IIR while it reports THRE clears it');
  assert.equal(uart.read(R.iirFcr, 1), UART_IIR.noInt);
  uart.write(R.rbrThrDll, 1, 0x41); // the THR empties again: THRE again
  assert.deepEqual(irq, [true, false, true]);
  uart.write(R.ierDlm, 1, 0);
  assert.deepEqual(irq, [true, false, true, false]);
  uart.write(R.ierDlm, 1, 0); // no change: nothing
  assert.equal(irq.length, 4);
});

test("Linux 8250's THRE and TXEN tests see a working UART", () => {
  const { uart } = rig();
  // serial8250_do_startup: THRE re-assertion test
  uart.write(R.ierDlm, 1, UART_IER.thri);
  const iir1 = uart.read(R.iirFcr, 1);
  uart.write(R.ierDlm, 1, 0);
  uart.write(R.ierDlm, 1, UART_IER.thri);
  const iir = uart.read(R.iirFcr, 1);
  uart.write(R.ierDlm, 1, 0);
  assert.equal(iir1 & UART_IIR.noInt, 0);
  assert.equal(iir & UART_IIR.noInt, 0, 'THRE re-asserted: no UART_BUG_THRE');
  // TXEN test
  uart.write(R.ierDlm, 1, UART_IER.thri);
  const lsr = uart.read(R.lsr, 1);
  const iir2 = uart.read(R.iirFcr, 1);
  uart.write(R.ierDlm, 1, 0);
  assert.ok(lsr & UART_LSR.temt);
  assert.equal(iir2 & UART_IIR.noInt, 0, 'no UART_BUG_TXEN');
});

test('8250 autoconfig: IER existence test, loopback test (MSR 0x90) and 16550A detection', () => {
  const { uart, out } = rig();
  uart.write(R.ierDlm, 1, 0);
  assert.equal(uart.read(R.ierDlm, 1) & 0x0f, 0);
  uart.write(R.ierDlm, 1, 0x0f);
  assert.equal(uart.read(R.ierDlm, 1) & 0x0f, 0x0f);
  uart.write(R.ierDlm, 1, 0);
  uart.write(R.mcr, 1, 0x10 | 0x0a);
  assert.equal(uart.read(R.msr, 1) & 0xf0, 0x90);
  uart.write(R.mcr, 1, 0x08);
  uart.write(R.iirFcr, 1, 0x01);
  assert.equal(uart.read(R.iirFcr, 1) >> 6, 3, '16550A: FIFO bits read 11');
  assert.deepEqual(out, []);
});

test('loopback: transmitted bytes are received, not output; host input is held off', () => {
  const { uart, out, spaces } = rig();
  uart.write(R.iirFcr, 1, 0x01);
  uart.write(R.mcr, 1, 0x10);
  assert.equal(uart.canReceive(), false);
  assert.equal(uart.receive(0x55), false);
  uart.write(R.rbrThrDll, 1, 0x42);
  assert.deepEqual(out, []);
  assert.equal(uart.read(R.lsr, 1) & UART_LSR.dr, UART_LSR.dr);
  assert.equal(uart.read(R.rbrThrDll, 1), 0x42);
  assert.equal(spaces(), 0);
  uart.write(R.mcr, 1, 0x08);
  assert.equal(spaces(), 1, 'leaving loopback tells the host it may send again');
  assert.equal(uart.receive(0x55), true);
});

test('receive FIFO holds 16 bytes; the 17th is refused; reading makes room and calls onRxSpace', () => {
  const { uart, spaces } = rig();
  uart.write(R.iirFcr, 1, 0x01);
  for (let i = 0; i < 16; i++) assert.equal(uart.receive(i), true);
  assert.equal(uart.canReceive(), false);
  assert.equal(uart.receive(99), false);
  assert.equal(uart.read(R.lsr, 1) & UART_LSR.oe, 0, 'backpressure, not overrun');
  assert.equal(uart.read(R.rbrThrDll, 1), 0);
  assert.equal(spaces(), 1);
  assert.equal(uart.read(R.rbrThrDll, 1), 1);
  assert.equal(spaces(), 1, 'only when room appears');
  for (let i = 2; i < 16; i++) assert.equal(uart.read(R.rbrThrDll, 1), i);
  assert.equal(uart.read(R.lsr, 1) & UART_LSR.dr, 0);
  assert.equal(uart.read(R.rbrThrDll, 1), 0, 'empty FIFO reads 0');
});

test('without FIFO the receiver holds one byte', () => {
  const { uart } = rig();
  assert.equal(uart.receive(1), true);
  assert.equal(uart.receive(2), false);
  assert.equal(uart.read(R.rbrThrDll, 1), 1);
  assert.equal(uart.receive(2), true);
});

test('received-data and character-timeout interrupts follow the trigger level', () => {
  const { uart, irq } = rig();
  uart.write(R.iirFcr, 1, 0x81); // FIFO on, trigger 8 (what Linux uses for a 16550A)
  uart.write(R.ierDlm, 1, UART_IER.rdi);
  uart.receive(0x61);
  assert.deepEqual(irq, [true]);
  assert.equal(uart.read(R.iirFcr, 1), 0xc0 | UART_IIR.cti);
  for (let i = 0; i < 7; i++) uart.receive(0x61);
  assert.equal(uart.read(R.iirFcr, 1), 0xc0 | UART_IIR.rdi);
  while (uart.read(R.lsr, 1) & UART_LSR.dr) uart.read(R.rbrThrDll, 1);
  assert.equal(uart.read(R.iirFcr, 1), 0xc1);
  assert.deepEqual(irq, [true, false]);
});

test('interrupt priority: line status > received data > THR empty', () => {
  const { uart } = rig();
  uart.write(R.iirFcr, 1, 0x01);
  uart.write(R.mcr, 1, 0x10); // loopback, to overrun the FIFO from the guest side
  for (let i = 0; i < 17; i++) uart.write(R.rbrThrDll, 1, i);
  uart.write(R.ierDlm, 1, UART_IER.rdi | UART_IER.thri | UART_IER.rlsi);
  assert.equal(uart.read(R.iirFcr, 1) & 0x0f, UART_IIR.rlsi);
  const lsr = uart.read(R.lsr, 1);
  assert.equal(lsr & UART_LSR.oe, UART_LSR.oe);
  assert.equal(uart.read(R.lsr, 1) & UART_LSR.oe, 0, 'reading LSR clears OE');
  assert.equal(uart.read(R.iirFcr, 1) & 0x0f, UART_IIR.rdi);
  uart.write(R.iirFcr, 1, 0x03); // clear the receive FIFO
  assert.equal(uart.read(R.iirFcr, 1) & 0x0f, UART_IIR.thri);
});

test('FCR: toggling FIFO enable flushes the receiver; clear-RX empties it', () => {
  const { uart } = rig();
  uart.write(R.iirFcr, 1, 0x01);
  uart.receive(1);
  uart.receive(2);
  uart.write(R.iirFcr, 1, 0x03);
  assert.equal(uart.rxCount(), 0);
  uart.receive(3);
  uart.write(R.iirFcr, 1, 0x00);
  assert.equal(uart.rxCount(), 0);
  assert.equal(uart.read(R.iirFcr, 1), 0x01, 'FIFO bits clear');
});

test('DLAB selects the divisor latch at offsets 0 and 1', () => {
  const { uart, out } = rig();
  uart.write(R.lcr, 1, 0x83);
  uart.write(R.rbrThrDll, 1, 0x01);
  uart.write(R.ierDlm, 1, 0x02);
  assert.equal(uart.read(R.rbrThrDll, 1), 0x01);
  assert.equal(uart.read(R.ierDlm, 1), 0x02);
  uart.write(R.lcr, 1, 0x03);
  assert.equal(uart.read(R.ierDlm, 1), 0, 'IER untouched');
  assert.deepEqual(out, [], 'DLL writes are not transmitted');
  assert.equal(uart.saveState().divisor, 0x0201);
});

test('scratch register, wide accesses and offsets past the registers', () => {
  const { uart, out } = rig();
  uart.write(R.scr, 1, 0xa5);
  assert.equal(uart.read(R.scr, 1), 0xa5);
  uart.write(R.rbrThrDll, 4, 0x1234_5678);
  assert.deepEqual(out, [0x78], 'a wide write acts on the one register, low byte');
  assert.equal(uart.read(R.lsr, 4), 0x60);
  uart.write(8, 1, 1);
  uart.write(0xff, 1, 1);
  assert.equal(uart.read(8, 1), 0);
  assert.equal(uart.read(0x80, 4), 0);
});

test('hostile accesses never throw', () => {
  const { uart } = rig();
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xff }),
      fc.constantFrom(1 as const, 2 as const, 4 as const),
      fc.integer({ min: 0, max: 0xffff_ffff }),
      fc.boolean(),
      (offset, size, value, rx) => {
        if (rx) uart.receive(value & 0xff);
        uart.write(offset, size, value % 2 ** (8 * size));
        const r = uart.read(offset, size);
        assert.ok(Number.isInteger(r) && r >= 0 && r <= 0xff);
      },
    ),
  );
});

test('saveState / restoreState round trip', () => {
  const a = rig();
  a.uart.write(R.iirFcr, 1, 0xc1);
  a.uart.write(R.lcr, 1, 0x83);
  a.uart.write(R.rbrThrDll, 1, 0x0c);
  a.uart.write(R.lcr, 1, 0x03);
  a.uart.write(R.ierDlm, 1, UART_IER.rdi);
  a.uart.write(R.scr, 1, 7);
  for (const b of [1, 2, 3]) a.uart.receive(b);
  a.uart.read(R.rbrThrDll, 1);
  const state = JSON.parse(JSON.stringify(a.uart.saveState())) as unknown;
  const b = rig();
  b.uart.restoreState(state);
  assert.deepEqual(b.uart.saveState(), a.uart.saveState());
  assert.deepEqual(b.irq, [true], 'interrupt level re-sent');
  assert.equal(b.uart.read(R.rbrThrDll, 1), 2);
  assert.equal(b.uart.read(R.rbrThrDll, 1), 3);
});

test('restoreState rejects a FIFO longer than 16 and other malformed fields', () => {
  const { uart } = rig();
  uart.write(R.iirFcr, 1, 0x01);
  const good = uart.saveState();
  const bad: Array<[unknown, RegExp]> = [
    [42, /must be an object/],
    [{ ...good, rxFifo: new Array(17).fill(0) }, /rxFifo holds 17 bytes, more than the 16/],
    [{ ...good, fcr: 0, rxFifo: [1, 2] }, /more than the 1/],
    [{ ...good, rxFifo: [256] }, /rxFifo\[0\]/],
    [{ ...good, rxFifo: 'abc' }, /rxFifo must be an array/],
    [{ ...good, ier: 0x10 }, /ier/],
    [{ ...good, fcr: 0x06 }, /fcr may only hold/],
    [{ ...good, divisor: 0x10000 }, /divisor/],
    [{ ...good, lsrErrors: 0x20 }, /lsrErrors may only hold/],
    [{ ...good, thrInterrupt: 1 }, /thrInterrupt must be a boolean/],
    [{ ...good, mcr: 1.5 }, /mcr/],
  ];
  for (const [state, re] of bad) assert.throws(() => uart.restoreState(state), re);
});

test('a break arrives as a zero character with LSR.BI and a line-status interrupt, only into an empty FIFO', () => {
  const { uart, irq } = rig();
  uart.write(R.ierDlm, 1, UART_IER.rlsi | UART_IER.rdi);
  assert.equal(uart.receive(0x41), true);
  assert.equal(uart.receiveBreak(), false, 'the FIFO holds a byte: the break must wait');
  assert.equal(uart.read(R.rbrThrDll, 1), 0x41);
  assert.equal(uart.receiveBreak(), true);
  assert.equal(irq.at(-1), true);
  assert.equal(uart.read(R.iirFcr, 1) & 0x0f, UART_IIR.rlsi);
  const lsr = uart.read(R.lsr, 1);
  assert.equal(lsr & (UART_LSR.bi | UART_LSR.dr), UART_LSR.bi | UART_LSR.dr);
  assert.equal(uart.read(R.lsr, 1) & UART_LSR.bi, 0, 'reading LSR clears BI');
  assert.equal(uart.read(R.rbrThrDll, 1), 0);
  assert.equal(irq.at(-1), false);
});

test('fastLsr and fastThr say when an LSR read or a THR write has no effect but its value and transmission', () => {
  const { uart, out } = rig();
  const seen: [number, boolean][] = [];
  uart.watch(() => seen.push([uart.fastLsr(), uart.fastThr()]));
  assert.deepEqual(seen, [[0x60, true]], 'told at once');
  uart.receive(0x41);
  assert.deepEqual(seen.at(-1), [0x61, true], 'a received byte sets DR');
  uart.read(R.rbrThrDll, 1);
  assert.deepEqual(seen.at(-1), [0x60, true]);
  uart.write(R.ierDlm, 1, UART_IER.thri);
  assert.equal(uart.fastThr(), false, 'THRE interrupt on: a write raises it');
  assert.equal(seen.at(-1)![1], false);
  uart.write(R.ierDlm, 1, 0);
  uart.write(R.lcr, 1, 0x80);
  assert.equal(uart.fastThr(), false, 'divisor latch open: THR is DLL');
  uart.write(R.lcr, 1, 0x03);
  uart.write(R.mcr, 1, 0x10);
  assert.equal(uart.fastThr(), false, 'loopback: a write is received');
  uart.write(R.mcr, 1, 0x08);
  assert.equal(uart.fastThr(), true);
  uart.write(R.rbrThrDll, 1, 0x42);
  assert.deepEqual(out, [0x42]);
  // An overrun: LSR.OE is cleared by the read, so the read is not side-effect free.
  uart.write(R.mcr, 1, 0x18);
  uart.write(R.rbrThrDll, 1, 1);
  uart.write(R.rbrThrDll, 1, 2);
  uart.write(R.mcr, 1, 0x08);
  assert.equal(uart.fastLsr(), -1);
  assert.equal(uart.read(R.lsr, 1) & UART_LSR.oe, UART_LSR.oe);
  assert.equal(uart.fastLsr(), 0x61);
  assert.deepEqual(seen.at(-1), [0x61, true], 'told after the read');
  uart.watch(undefined);
  const n = seen.length;
  uart.receive(0x43);
  assert.equal(seen.length, n, 'a removed listener is not told');
});
