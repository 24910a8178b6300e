import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Htif, HTIF, type HtifConfig } from './htif.js';

const MEM_BASE = 0x8000_0000;

function rig(extra: Partial<HtifConfig> = {}) {
  const out: number[] = [];
  const exits: number[] = [];
  const mem = new Uint8Array(0x10000);
  const htif = new Htif({
    output: (b) => out.push(b),
    onExit: (c) => exits.push(c),
    readGuest: (addr, len) =>
      addr >= MEM_BASE && addr + len <= MEM_BASE + mem.length ? mem.slice(addr - MEM_BASE, addr - MEM_BASE + len) : undefined,
    writeGuest: (addr, bytes) => {
      if (addr < MEM_BASE || addr + bytes.length > MEM_BASE + mem.length) return false;
      mem.set(bytes, addr - MEM_BASE);
      return true;
    },
    ...extra,
  });
  const dv = new DataView(mem.buffer);
  return { htif, out, exits, mem, dv };
}

/** tohost = dev << 56 | cmd << 48 | payload, written as the bus splits an 8-byte store. */
function tohost(h: Htif, dev: number, cmd: number, payload: number): void {
  const hi = (dev * 2 ** 24 + cmd * 2 ** 16 + Math.floor(payload / 2 ** 32)) >>> 0;
  h.write(0, 4, payload % 2 ** 32);
  h.write(4, 4, hi);
}

test('exit: payload bit 0 set, code = payload >> 1, only once the high half is written', () => {
  const { htif, exits } = rig();
  htif.write(0, 4, (5 << 1) | 1);
  assert.deepEqual(exits, [], 'nothing until the high half lands');
  htif.write(4, 4, 0);
  assert.deepEqual(exits, [5]);
  assert.deepEqual(htif.tohost(), [0, 0], 'tohost is cleared once taken');
  tohost(htif, 0, 0, 1); // riscv-tests pass
  assert.deepEqual(exits, [5, 0]);
  tohost(htif, 0, 0, 2 ** 40 + 1);
  assert.deepEqual(exits, [5, 0, 2 ** 39]);
});

test('console putchar: output, then fromhost acknowledges as QEMU does', () => {
  const { htif, out } = rig();
  tohost(htif, 1, 1, 0x41);
  assert.deepEqual(out, [0x41]);
  assert.deepEqual(htif.fromhost(), [0x141, 0x0101_0000]);
  assert.equal(htif.read(8, 4), 0x141);
  assert.equal(htif.read(12, 4), 0x0101_0000);
  htif.write(8, 4, 0); // the guest acknowledges
  htif.write(12, 4, 0);
  assert.deepEqual(htif.fromhost(), [0, 0]);
});

test('syscall SYS_write to stdout through magic mem, reply fromhost = 1 and the return value', () => {
  const { htif, out, dv } = rig();
  const mm = MEM_BASE + 0x100;
  const buf = MEM_BASE + 0x200;
  new TextEncoder().encodeInto('ok\n', new Uint8Array(dv.buffer, 0x200));
  dv.setBigUint64(0x100, 64n, true);
  dv.setBigUint64(0x108, 1n, true);
  dv.setBigUint64(0x110, BigInt(buf), true);
  dv.setBigUint64(0x118, 3n, true);
  tohost(htif, 0, 0, mm);
  assert.deepEqual(out, [0x6f, 0x6b, 0x0a]);
  assert.equal(dv.getBigUint64(0x100, true), 3n);
  assert.deepEqual(htif.fromhost(), [1, 0]);
});

test('syscall errors: bad fd, bad buffer, unknown syscall', () => {
  const { htif, out, dv } = rig();
  const run = (num: bigint, a0: bigint, a1: bigint, a2: bigint): bigint => {
    dv.setBigUint64(0x100, num, true);
    dv.setBigUint64(0x108, a0, true);
    dv.setBigUint64(0x110, a1, true);
    dv.setBigUint64(0x118, a2, true);
    tohost(htif, 0, 0, MEM_BASE + 0x100);
    return dv.getBigInt64(0x100, true);
  };
  assert.equal(run(64n, 3n, BigInt(MEM_BASE), 1n), -9n);
  assert.equal(run(64n, 2n, 0x1000n, 4n), -14n);
  assert.equal(run(1234n, 0n, 0n, 0n), -38n);
  assert.equal(htif.unknownCommands, 1);
  assert.equal(htif.badAddresses, 1);
  assert.deepEqual(out, []);
  tohost(htif, 0, 0, 0x40); // magic mem outside RAM: counted, acknowledged
  assert.equal(htif.badAddresses, 2);
  assert.deepEqual(htif.fromhost(), [1, 0]);
});

test('syscall SYS_exit', () => {
  const { htif, exits, dv } = rig();
  dv.setBigUint64(0x100, 93n, true);
  dv.setBigUint64(0x108, 7n, true);
  tohost(htif, 0, 0, MEM_BASE + 0x100);
  assert.deepEqual(exits, [7]);
});

test('getchar waits for input; receive() answers it', () => {
  const { htif } = rig();
  assert.equal(htif.receive(0x61), false, 'no request yet');
  tohost(htif, 1, 0, 0);
  assert.deepEqual(htif.fromhost(), [0, 0], 'no answer without input');
  assert.equal(htif.canReceive(), true);
  assert.equal(htif.receive(0x61), true);
  assert.deepEqual(htif.fromhost(), [0x161, 0x0100_0000]);
  assert.equal(htif.receive(0x62), false);
});

test('unknown devices and commands are ignored and counted', () => {
  const { htif, out, exits } = rig();
  tohost(htif, 1, 7, 0x41);
  tohost(htif, 9, 0, 1);
  tohost(htif, 0, 3, 1);
  assert.equal(htif.unknownCommands, 3);
  assert.deepEqual(out, []);
  assert.deepEqual(exits, []);
  assert.deepEqual(htif.fromhost(), [0, 0]);
});

test('32-bit programs: sw low, sw high; byte stores act when the top byte lands', () => {
  const { htif, exits } = rig();
  htif.write(0, 4, 3);
  htif.write(4, 4, 0);
  for (let i = 0; i < 8; i++) htif.write(i, 1, i === 0 ? 5 : 0);
  assert.deepEqual(exits, [1, 2]);
});

test('fromhost at another offset (riscv-tests put it 64 bytes after tohost)', () => {
  const { htif } = rig({ fromhostOffset: 64 });
  assert.equal(htif.size, 72);
  tohost(htif, 1, 1, 0x42);
  assert.equal(htif.read(64, 4), 0x142);
  assert.equal(htif.read(8, 4), 0, 'the gap reads 0');
  assert.throws(() => rig({ fromhostOffset: 12 }), /fromhostOffset/);
});

test('without guest-memory callbacks, syscalls are acknowledged and counted', () => {
  const out: number[] = [];
  const htif = new Htif({ output: (b) => out.push(b), onExit: () => {} });
  tohost(htif, 0, 0, MEM_BASE);
  assert.equal(htif.unknownCommands, 1);
  assert.deepEqual(htif.fromhost(), [1, 0]);
});

test('hostile accesses never throw', () => {
  const { htif } = rig();
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 15 }),
      fc.constantFrom(1 as const, 2 as const, 4 as const),
      fc.integer({ min: 0, max: 0xffff_ffff }),
      (offset, size, value) => {
        htif.write(offset, size, value % 2 ** (8 * size));
        const r = htif.read(offset, size);
        assert.ok(Number.isInteger(r) && r >= 0 && r < 2 ** (8 * size));
      },
    ),
  );
});

test('saveState / restoreState round trip and validation', () => {
  const a = rig();
  a.htif.write(0, 4, 0x1234); // half-written command
  tohost(a.htif, 1, 0, 0); // a pending getchar... (takes the half-written low word too: overwritten)
  a.htif.write(0, 4, 0x99);
  const state = JSON.parse(JSON.stringify(a.htif.saveState())) as unknown;
  const b = rig();
  b.htif.restoreState(state);
  assert.deepEqual(b.htif.saveState(), { tohostLo: 0x99, tohostHi: 0, fromhostLo: 0, fromhostHi: 0, pendingRead: true });
  assert.equal(b.htif.receive(0x30), true);
  const good = b.htif.saveState();
  assert.throws(() => b.htif.restoreState(null), /must be an object/);
  assert.throws(() => b.htif.restoreState({ ...good, tohostHi: 2 ** 32 }), /tohostHi/);
  assert.throws(() => b.htif.restoreState({ ...good, fromhostLo: -1 }), /fromhostLo/);
  assert.throws(() => b.htif.restoreState({ ...good, pendingRead: 'yes' }), /pendingRead/);
});

test('constants', () => {
  assert.equal(HTIF.sysWrite, 64);
  assert.equal(HTIF.sysExit, 93);
});
