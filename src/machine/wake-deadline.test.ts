/**
 * Sleeping in WFI: only a timer deadline still ahead is something to wait for. A guest that masks a timer
 * interrupt which is already due and waits must leave the host idle and its event loop running.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { CSR, MIP_STIP } from '../riscv/constants.js';
import { MENVCFG_STCE_HI } from '../riscv/sstc.js';
import { Machine } from './machine.js';
import { ticksUntilWake } from './wake-deadline.js';

const WFI = 0x10500073;
const JUMP_TO_SELF = 0x0000006f;

function machine(): Machine {
  const m = new Machine({ memBytes: 16 * 1048576, onOutput: () => {} });
  m.ram.load(m.ram.base, new Uint8Array(Uint32Array.of(WFI, JUMP_TO_SELF).buffer));
  m.hart.reset(m.ram.base);
  return m;
}

test('a deadline ahead counts; one whose interrupt is already raised does not; one due but not raised is 0', () => {
  const m = machine();
  const h = m.hart;
  m.clint.write(0x4000, 4, 0);
  m.clint.write(0x4004, 4, 0);
  m.clint.update();
  assert.equal(m.clint.mtip(0), true, 'mtimecmp 0: MTIP high');
  assert.equal(ticksUntilWake(m.clint, h), Infinity);
  // Sstc: stimecmp ahead, then passed but STIP not yet raised by the run loop, then raised.
  h.csr[CSR.menvcfg * 2 + 1] = MENVCFG_STCE_HI;
  const now = m.clint.mtime();
  h.csr[CSR.stimecmp * 2] = now + 1_000_000;
  const ahead = ticksUntilWake(m.clint, h);
  assert.ok(ahead > 900_000 && ahead <= 1_000_000, `${ahead} ticks`);
  h.csr[CSR.stimecmp * 2] = 1;
  assert.equal(ticksUntilWake(m.clint, h), 0, 'due: the next check raises STIP');
  h.mipHw |= MIP_STIP;
  assert.equal(ticksUntilWake(m.clint, h), Infinity);
});

test('a hart waiting with its due timer masked sleeps: the event loop runs and stop() ends the run', { timeout: 20_000 }, async () => {
  const m = machine();
  // At reset mtimecmp is 0 (MTIP high) and mie is 0: the WFI waits for an interrupt that is masked.
  const run = m.run();
  let ticks = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 200) {
    await sleep(10);
    ticks++;
  }
  assert.ok(ticks >= 5, `the event loop ran ${ticks} timers in 200 ms`);
  assert.equal(m.hart.waiting, true);
  m.stop();
  assert.deepEqual(await run, { kind: 'stopped' });
});
