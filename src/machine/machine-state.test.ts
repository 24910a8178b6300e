/**
 * The shared snapshot conformance test: a machine with every kind of part (hart, CLINT, PLIC, UART, virtio
 * disk, network, entropy and console) runs real Linux for a while, is captured, restored into a fresh machine,
 * and captured again: the two captures are the same. Then hostile records: every value of every section
 * replaced by wrong ones is refused with a MachineStateError (or accepted if valid), never anything else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { bootLinux } from './boot.js';
import { attachDisk, attachRng, attachVirtioConsole, type Attached } from './devices.js';
import { attachNet } from './net-device.js';
import { inflateKernel } from './linux-image.js';
import { Machine } from './machine.js';
import { captureMachineState, MachineStateError, restoreMachineState } from './machine-state.js';

const images = (f: string): string => fileURLToPath(new URL(`../../guest/images/${f}`, import.meta.url));
const MEM = 64 * 1048576;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-mstate-'));
const disk = path.join(dir, 'disk.img');
fs.writeFileSync(disk, new Uint8Array(1 << 20));

function build(attached: Attached[]): Machine {
  const m = new Machine({ memBytes: MEM, onOutput: () => {}, maxInstructions: 40_000_000 });
  attached.push(attachDisk(m, { path: disk, readOnly: false, serial: 'conf' }));
  attached.push(attachNet(m, 'user'));
  attachRng(m);
  attachVirtioConsole(m);
  return m;
}

function withoutTime(sections: Map<string, unknown>): Map<string, unknown> {
  const copy = new Map(sections);
  copy.set('machine', { ...(sections.get('machine') as object), savedAtMs: 0 });
  return copy;
}

test('conformance: snapshot, restore into a fresh machine, snapshot again gives the same state', { timeout: 120_000 }, async () => {
  const attached: Attached[] = [];
  const a = build(attached);
  bootLinux(a, {
    firmware: fs.readFileSync(images('fw_dynamic.bin')),
    kernel: await inflateKernel(fs.readFileSync(images('Image.gz'))),
    initrd: fs.readFileSync(images('initramfs.cpio')),
    cmdline: 'console=ttyS0',
    mmu: 'sv39',
  });
  assert.equal((await a.run()).kind, 'limit');
  a.pause();
  const first = captureMachineState(a);
  const ram = a.ram.u8.slice();
  const b = build(attached);
  b.pause(); // a frozen clock: mtime comes back exactly as saved
  b.ram.u8.set(ram);
  restoreMachineState(b, first);
  const second = captureMachineState(b);
  assert.deepEqual(withoutTime(second), withoutTime(first));
  // Every part was in it, and the guest had got far enough for the devices to be live.
  assert.deepEqual([...first.keys()].sort(), ['clint', 'console', 'hart.0', 'machine', 'plic', 'uart', 'virtio.0', 'virtio.1', 'virtio.2', 'virtio.3']);
  assert.ok(a.hart.instret >= 40_000_000);
  // Restoring the same record twice is the same as once.
  restoreMachineState(b, first);
  assert.deepEqual(withoutTime(captureMachineState(b)), withoutTime(first));

  // Time: 'continue' brings mtime back exactly (never backward); 'catch-up' adds the wall time since the snapshot.
  const mtime = (sections: Map<string, unknown>): bigint => {
    const c = sections.get('clint') as { mtimeLo: number; mtimeHi: number };
    return (BigInt(c.mtimeHi) << 32n) + BigInt(c.mtimeLo);
  };
  const aged = new Map(first);
  aged.set('machine', { ...(first.get('machine') as object), savedAtMs: Date.now() - 5000 });
  restoreMachineState(b, aged, 'continue');
  assert.equal(mtime(captureMachineState(b)), mtime(first));
  restoreMachineState(b, aged, 'catch-up');
  const ahead = mtime(captureMachineState(b)) - mtime(first);
  assert.ok(ahead >= 50_000_000n && ahead < 50_000_000n * 100n, `caught up by ${ahead} ticks for 5 s at 10 MHz`);

  // Hostile records: replace one value anywhere with another of any type.
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, at: (string | number)[]): void => {
    if (Array.isArray(v)) v.slice(0, 40).forEach((x, i) => walk(x, [...at, i]));
    else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
    else paths.push(at);
  };
  for (const [name, value] of first) walk(value, [name]);
  const junk = fc.oneof(
    fc.integer({ min: -5, max: 5 }),
    fc.constantFrom(2 ** 32, 2 ** 53, -1, 0.5, NaN, 1e300, '', 'x', '0', null, true, false, [], {}),
    fc.string(),
    fc.double(),
  );
  const c = build(attached);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: paths.length - 1 }), junk, (which, value) => {
      const p = paths[which]!;
      const sections = structuredClone(first);
      let obj = sections.get(p[0] as string) as Record<string | number, unknown>;
      for (const k of p.slice(1, -1)) obj = obj[k] as Record<string | number, unknown>;
      if (p.length === 1) sections.set(p[0] as string, value);
      else obj[p.at(-1)!] = value;
      try {
        restoreMachineState(c, sections);
      } catch (e) {
        if (!(e instanceof MachineStateError)) throw new Error(`${p.join('.')} = ${JSON.stringify(value)}: ${String(e)}`);
      }
    }),
    { numRuns: 3000 },
  );
  // Sections missing altogether.
  for (const name of first.keys()) {
    const sections = new Map(first);
    sections.delete(name);
    assert.throws(() => restoreMachineState(c, sections), (e: unknown) => e instanceof MachineStateError && e.message.includes(name));
  }
  for (const x of attached) x.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
