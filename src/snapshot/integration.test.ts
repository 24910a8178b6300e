import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CSR } from '../riscv/constants.js';
import { runBlock } from '../riscv/execute.js';
import { restoreHartState, saveHartState } from '../riscv/hart-state.js';
import { A, makeHart, place, RAM_BASE, setX, type Rig } from '../riscv/testing.js';
import { decodeSnapshot, encodeSnapshot, loadRam, saveRam, SnapshotError, writeFileAtomic } from './index.js';

function runSteps(r: Rig, n: number): void {
  let left = n;
  while (left > 0) left -= Math.max(1, runBlock(r.h, Math.min(left, 5)));
}

function machine(): Rig {
  const r = makeHart();
  place(r, RAM_BASE, [
    A.addi(5, 5, 3),
    A.sd(5, 10, 0),
    A.addi(10, 10, 8),
    A.csrrw(0, CSR.mscratch, 5),
    A.jal(0, -16),
  ]);
  setX(r.h, 10, BigInt(RAM_BASE + 0x1000));
  return r;
}

async function snapshotTo(dir: string, r: Rig): Promise<void> {
  await writeFileAtomic(path.join(dir, 'ram'), saveRam(r.ram.u8));
  await writeFileAtomic(path.join(dir, 'state'), encodeSnapshot(new Map([['hart0', saveHartState(r.h)]])));
}

function restoreFrom(dir: string): Rig {
  const r = makeHart();
  const sections = decodeSnapshot(fs.readFileSync(path.join(dir, 'state')));
  loadRam(fs.readFileSync(path.join(dir, 'ram')), r.ram.u8);
  restoreHartState(r.h, sections.get('hart0'));
  return r;
}

test('hart + RAM snapshot through files: the restored machine continues exactly, repeatedly', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-snap-'));
  const a = machine();
  runSteps(a, 1000);
  await snapshotTo(dir, a);
  runSteps(a, 777);
  for (let k = 0; k < 3; k++) {
    const b = restoreFrom(dir);
    runSteps(b, 777);
    assert.deepEqual(saveHartState(b.h), saveHartState(a.h));
    assert.deepEqual(b.ram.u8, a.ram.u8);
  }
  // Snapshot, restore, snapshot again: the same bytes.
  const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-snap-'));
  await snapshotTo(dir2, restoreFrom(dir));
  for (const f of ['ram', 'state']) assert.deepEqual(fs.readFileSync(path.join(dir2, f)), fs.readFileSync(path.join(dir, f)));
  // A corrupted state file is refused.
  const state = fs.readFileSync(path.join(dir, 'state'));
  state[state.length - 10]! ^= 4;
  fs.writeFileSync(path.join(dir, 'state'), state);
  assert.throws(() => restoreFrom(dir), SnapshotError);
  fs.rmSync(dir, { recursive: true });
  fs.rmSync(dir2, { recursive: true });
});
