/**
 * Sstc: stimecmp's access rules (menvcfg.STCE, mcounteren.TM), STIP as the level time >= stimecmp while STCE is
 * set (software's to write while it is clear), and the ticks until it rises (for sleeping in WFI).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CSR, MIP_STIP, PRIV_S } from './constants.js';
import { csrRead, csrWrite } from './csr.js';
import { MENVCFG_STCE_HI, ticksUntilSupervisorTimer, updateSupervisorTimer } from './sstc.js';
import { A, csrRaw, getX, makeHart, run, setX } from './testing.js';

const T0 = 5;
const T1 = 6;

/** A hart whose `time` reads what `clock.now` holds. */
function timedHart(): { r: ReturnType<typeof makeHart>; clock: { now: number } } {
  const r = makeHart();
  const clock = { now: 1000 };
  (r.h.platform as { readTime: () => number }).readTime = () => clock.now;
  return { r, clock };
}

function toS(r: ReturnType<typeof makeHart>): void {
  r.h.priv = PRIV_S;
  r.h.updateTlbContext();
}

test('without menvcfg.STCE, stimecmp is M-mode only and STIP is software-written', () => {
  const { r } = timedHart();
  assert.ok(csrWrite(r.h, CSR.stimecmp, 5, 0), 'M-mode may access it');
  assert.ok(csrWrite(r.h, CSR.mip, MIP_STIP, 0));
  updateSupervisorTimer(r.h);
  assert.equal((r.h.mipHw | r.h.mipSw) & MIP_STIP, MIP_STIP, 'STIP as M-mode wrote it');
  r.h.mcounteren = 0b010;
  toS(r);
  run(r, [A.csrrs(T1, CSR.stimecmp, 0)]);
  assert.equal(csrRaw(r.h, CSR.mcause), 2n, 'S-mode: illegal instruction');
  assert.equal(ticksUntilSupervisorTimer(r.h), Infinity);
});

test('with STCE and mcounteren.TM, S-mode sets its timer and STIP follows time >= stimecmp', () => {
  const { r, clock } = timedHart();
  const h = r.h;
  csrWrite(h, CSR.mip, MIP_STIP, 0);
  assert.ok(csrWrite(h, CSR.menvcfg, 0, MENVCFG_STCE_HI));
  assert.equal(h.mipSw & MIP_STIP, 0, 'turning STCE on takes the software STIP away');
  h.mcounteren = 0b010;
  toS(r);
  setX(h, T0, 1500n);
  run(r, [A.csrrw(0, CSR.stimecmp, T0), A.csrrs(T1, CSR.sip, 0)]);
  assert.equal(csrRaw(h, CSR.mcause), 0n);
  assert.equal(getX(h, T1) & BigInt(MIP_STIP), 0n, 'not yet due');
  assert.equal(ticksUntilSupervisorTimer(h), 500);
  clock.now = 1500;
  updateSupervisorTimer(h);
  assert.equal(h.mipHw & MIP_STIP, MIP_STIP, 'due at time == stimecmp');
  assert.equal(ticksUntilSupervisorTimer(h), 0);
  // The handler moves the deadline on: STIP drops with the write itself.
  setX(h, T0, 2000n);
  run(r, [A.csrrw(0, CSR.stimecmp, T0)]);
  assert.equal(h.mipHw & MIP_STIP, 0);
  // A deadline already past raises it at once; all ones (Linux's "no event") never does.
  assert.ok(csrWrite(h, CSR.stimecmp, 10, 0));
  assert.equal(h.mipHw & MIP_STIP, MIP_STIP);
  assert.ok(csrWrite(h, CSR.stimecmp, -1, -1));
  assert.equal(h.mipHw & MIP_STIP, 0);
  const out = new Int32Array(2);
  assert.ok(csrRead(h, CSR.stimecmp, out));
  assert.deepEqual([...out], [-1, -1]);
});

test('with STCE, M-mode cannot write STIP, and S-mode without mcounteren.TM cannot reach stimecmp', () => {
  const { r, clock } = timedHart();
  const h = r.h;
  csrWrite(h, CSR.menvcfg, 0, MENVCFG_STCE_HI);
  csrWrite(h, CSR.stimecmp, 5000, 0);
  assert.ok(csrWrite(h, CSR.mip, MIP_STIP, 0));
  assert.equal((h.mipHw | h.mipSw) & MIP_STIP, 0, 'the write to STIP is ignored');
  clock.now = 6000;
  updateSupervisorTimer(h);
  assert.ok(csrWrite(h, CSR.mip, 0, 0));
  assert.equal((h.mipHw | h.mipSw) & MIP_STIP, MIP_STIP, 'nor can it clear the timer\'s level');
  toS(r);
  run(r, [A.csrrs(T1, CSR.stimecmp, 0)]);
  assert.equal(csrRaw(h, CSR.mcause), 2n, 'TM clear: illegal instruction');
  // Turning STCE off hands STIP back to software, clear.
  h.priv = 3;
  csrWrite(h, CSR.menvcfg, 0, 0);
  assert.equal((h.mipHw | h.mipSw) & MIP_STIP, 0);
});

test('menvcfg keeps only FIOM and STCE; senvcfg only FIOM', () => {
  const { r } = timedHart();
  csrWrite(r.h, CSR.menvcfg, -1, -1);
  assert.equal(csrRaw(r.h, CSR.menvcfg), (1n << 63n) | 1n);
  csrWrite(r.h, CSR.senvcfg, -1, -1);
  assert.equal(csrRaw(r.h, CSR.senvcfg), 1n);
});
