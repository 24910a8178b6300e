/**
 * bootLinux with boot files not in memory (FileImage): placed as the same bytes would be, read into guest RAM
 * where they go, and the machine told when they are there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BootError, bootLinux, type FileImage } from './boot.js';
import { Machine } from './machine.js';

const MIB = 1048576;

/** A RISC-V Image header (text_offset 2 MiB, image_size 1 MiB) followed by `payload` bytes of a pattern. */
function kernelImage(payload: number): Uint8Array {
  const k = new Uint8Array(64 + payload).map((_, i) => (i * 31 + 7) & 0xff);
  const dv = new DataView(k.buffer);
  dv.setBigUint64(8, 0x20_0000n, true);
  dv.setBigUint64(16, BigInt(MIB), true);
  k.set([...'RISCV'].map((c) => c.charCodeAt(0)), 48);
  k.set([0x52, 0x53, 0x43, 0x05], 56);
  return k;
}

/** A cpio "newc" archive's start and `size` - 6 more bytes. */
const initramfs = (size: number): Uint8Array => new Uint8Array(size).map((_, i) => (i < 6 ? '070701'.charCodeAt(i) : (i * 13) & 0xff));

/** `bytes` as a FileImage whose read lands later, as one from the thread pool does; `fail` makes it fail instead. */
function fileOf(bytes: Uint8Array, reads: Uint8Array[], fail?: Error): FileImage {
  return {
    size: bytes.length,
    head: bytes.slice(0, 64),
    readInto: (dest) =>
      new Promise((resolve, reject) =>
        setImmediate(() => {
          reads.push(dest);
          if (fail !== undefined) reject(fail);
          else {
            dest.set(bytes);
            resolve();
          }
        }),
      ),
  };
}

const machine = (memBytes = 64 * MIB): Machine => new Machine({ memBytes, engine: 'interp', sbi: true, onOutput: () => undefined });

test('a kernel and initramfs read into RAM land where their bytes would, once `loaded` settles', async () => {
  const kernel = kernelImage(300_000);
  const initrd = initramfs(200_003);
  const a = machine();
  const inMemory = bootLinux(a, { firmware: 'builtin', kernel, initrd, cmdline: 'console=ttyS0' });
  const b = machine();
  const reads: Uint8Array[] = [];
  const fromFiles = bootLinux(b, { firmware: 'builtin', kernel: fileOf(kernel, reads), initrd: fileOf(initrd, reads), cmdline: 'console=ttyS0' });
  const { loaded: _a, ...layoutA } = inMemory;
  const { loaded, ...layoutB } = fromFiles;
  assert.deepEqual(layoutB, layoutA);
  assert.equal(reads.length, 0, 'read on the thread pool, not at once');
  await loaded;
  assert.equal(reads.length, 2);
  assert.deepEqual(reads.map((d) => d.length), [kernel.length, initrd.length]);
  const at = (m: Machine, addr: number, n: number): Uint8Array => m.ram.view(addr, n)!;
  assert.deepEqual(at(b, layoutB.kernelStart, kernel.length), kernel);
  assert.deepEqual(at(b, layoutB.initrdStart!, initrd.length), initrd);
  // The device tree differs only in its random seed: its size and place are the same.
  assert.equal(layoutB.dtb, layoutA.dtb);
});

test('a read that fails rejects `loaded` with its error', async () => {
  const m = machine();
  const failure = new Error("cannot read initrd 'x': it shrank to 4096 bytes while being read");
  const { loaded } = bootLinux(m, { firmware: 'builtin', kernel: kernelImage(1000), initrd: fileOf(initramfs(10_000), [], failure), cmdline: '' });
  await assert.rejects(loaded, (e) => e === failure);
});

test('a FileImage is placed by its size and head: too large for RAM or not a kernel is refused before any read', () => {
  const reads: Uint8Array[] = [];
  const huge: FileImage = { size: 2 ** 31 + 4096, head: initramfs(64), readInto: () => Promise.reject(new Error('read')) };
  assert.throws(() => bootLinux(machine(), { firmware: 'builtin', kernel: fileOf(kernelImage(1000), reads), initrd: huge, cmdline: '' }), (e) => e instanceof BootError && /guest memory of 64\.0 MiB is too small/.test(e.message));
  const notKernel = fileOf(initramfs(4096), reads);
  assert.throws(() => bootLinux(machine(), { firmware: 'builtin', kernel: notKernel, cmdline: '' }), /not a RISC-V Linux Image/);
  const notInitrd = fileOf(kernelImage(100), reads);
  assert.throws(() => bootLinux(machine(), { firmware: 'builtin', kernel: kernelImage(100), initrd: notInitrd, cmdline: '' }), /initrd is neither a cpio archive/);
  assert.equal(reads.length, 0);
});
