/**
 * Harts running in parallel on one shared wasm-backed RAM (Hart.parallel), each with its own decode cache and
 * translator: AMOs and LR/SC in translated code are atomic across harts (exact totals of shared counters), and
 * FENCE.I makes a hart run code another hart rewrote. First interleaved on one thread (any mix of engines), then
 * in real worker threads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { GuestRam } from '../../memory/ram.js';
import type { Engine } from '../engine.js';
import { RAM_BASE, RAM_SIZE, getX, place, setX, type Rig } from '../testing.js';
import { runHart } from '../run.js';
import { makeEngineHart, runUntilIdle } from './test-rig.js';
import type { WorkerJob, WorkerResult } from './parallel-worker.js';
import {
  COUNTERS,
  COUNT_CODE,
  COUNT_PROGRAM,
  FLAG,
  FN,
  FN_V1,
  FN_V2_FIRST,
  RUNNER_PROGRAM,
  WRITER_PROGRAM,
} from './parallel-program.js';

const WRITER_CODE = RAM_BASE + 0x6000;

function sharedRam(): GuestRam {
  return new GuestRam(RAM_BASE, RAM_SIZE, { wasm: true, shared: true });
}

function counters(ram: GuestRam): [number, bigint, bigint, number] {
  const o = (COUNTERS - RAM_BASE) / 4;
  const d = new BigInt64Array(ram.buffer, COUNTERS - RAM_BASE, 3);
  return [ram.i32[o]!, d[1]!, d[2]!, ram.i32[o + 6]! >>> 0];
}

function countingHarts(engines: readonly Engine[], iterations: number): { ram: GuestRam; rigs: Rig[] } {
  const ram = sharedRam();
  place({ ram } as Rig, COUNT_CODE, COUNT_PROGRAM);
  const rigs = engines.map((engine, id) => makeEngineHart(engine, true, ram, id));
  for (const { h } of rigs) {
    setX(h, 10, BigInt(COUNTERS));
    setX(h, 12, BigInt(iterations));
    setX(h, 16, BigInt(engines.length));
    h.pc = COUNT_CODE;
  }
  return { ram, rigs };
}

for (const engines of [['jit', 'jit'], ['interp', 'jit']] as const) {
  test(`two parallel harts (${engines.join(' + ')}) interleaved on one thread keep exact counts`, () => {
    const n = 3000;
    const { ram, rigs } = countingHarts(engines, n);
    // Uneven slices, so that one hart often stops between another's LR and SC.
    const slices = [7, 13, 50, 3, 101, 1, 29];
    for (let round = 0; rigs.some(({ h }) => !h.waiting); round++) {
      assert.ok(round < 100_000, 'the harts finish');
      rigs.forEach(({ h }, i) => {
        if (!h.waiting) runHart(h, slices[(round + i * 3) % slices.length]!);
      });
    }
    assert.deepEqual(counters(ram), [2 * n, BigInt(2 * n), BigInt(6 * n), n]);
    const jit = rigs.find(({ h }) => h.engine === 'jit')!;
    assert.ok(jit.h.jit!.stats.compiled > 0, 'translated code ran');
  });
}

/** Places the runner and the writer (RUNNER_PROGRAM, WRITER_PROGRAM, FN) and sets their registers. */
function fenceSetup(ram: GuestRam): { runnerRegs: [number, bigint][]; writerRegs: [number, bigint][] } {
  place({ ram } as Rig, COUNT_CODE, RUNNER_PROGRAM);
  place({ ram } as Rig, WRITER_CODE, WRITER_PROGRAM);
  place({ ram } as Rig, FN, FN_V1);
  return {
    runnerRegs: [[8, BigInt(FLAG)]],
    writerRegs: [[8, BigInt(FLAG)], [9, BigInt(FN)], [5, BigInt(FN_V2_FIRST)]],
  };
}

test('FENCE.I in translated code runs what another parallel hart wrote', () => {
  const ram = sharedRam();
  const { runnerRegs, writerRegs } = fenceSetup(ram);
  const runner = makeEngineHart('jit', true, ram, 0).h;
  const writer = makeEngineHart('jit', true, ram, 1).h;
  for (const [i, v] of runnerRegs) setX(runner, i, v);
  for (const [i, v] of writerRegs) setX(writer, i, v);
  runner.pc = COUNT_CODE;
  writer.pc = WRITER_CODE;
  // The runner calls FN until its blocks are translated, the writer rewrites FN, then the runner goes on.
  for (let i = 0; i < 20; i++) runHart(runner, 50);
  assert.ok(runner.jit!.stats.compiled >= 2, 'the runner runs translated code');
  assert.ok(runUntilIdle(writer, 1000));
  assert.ok(runUntilIdle(runner, 100_000));
  assert.equal(getX(runner, 18), 2n, 'FN as rewritten');
  assert.ok(getX(runner, 9) >= 20n, 'FN as first written, before');
});

function startWorker(job: WorkerJob): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./parallel-worker.js', import.meta.url), { workerData: job });
    w.once('message', (m: WorkerResult) => resolve(m));
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited with ${code}`));
    });
  });
}

test('two worker threads run translated AMO and LR/SC loops on shared counters: exact totals', async () => {
  const n = 1_000_000;
  const ram = sharedRam();
  place({ ram } as Rig, COUNT_CODE, [...COUNT_PROGRAM]);
  const jobs = [0, 1].map((hartId) =>
    startWorker({
      handle: ram.shareHandle(),
      hartId,
      engine: 'jit',
      pc: COUNT_CODE,
      regs: [[10, BigInt(COUNTERS)], [12, BigInt(n)], [16, 2n]],
      maxInstructions: 10_000_000_000, // the meeting at the start spins until the other worker has started
    }),
  );
  const results = await Promise.all(jobs);
  for (const r of results) {
    assert.ok(r.idle, 'the worker reached its WFI');
    assert.ok(r.compiled > 0, 'the worker ran translated code');
  }
  assert.deepEqual(counters(ram), [2 * n, BigInt(2 * n), BigInt(6 * n), n]);
});

test('worker threads: FENCE.I makes a translated runner see code a writer thread rewrote', async () => {
  const ram = sharedRam();
  const { runnerRegs, writerRegs } = fenceSetup(ram);
  const runner = startWorker({
    handle: ram.shareHandle(),
    hartId: 0,
    engine: 'jit',
    pc: COUNT_CODE,
    regs: runnerRegs,
    maxInstructions: 2_000_000_000,
  });
  // Let the runner get going (and translate FN) before the writer starts: wait until it has called FN a while.
  const x9 = (): number => new Int32Array(ram.buffer, ram.hartArea(0) + 9 * 8, 1)[0]!;
  for (let i = 0; i < 500 && x9() < 1000; i++) await new Promise((r) => setTimeout(r, 10));
  const writer = await startWorker({
    handle: ram.shareHandle(),
    hartId: 1,
    engine: 'jit',
    pc: WRITER_CODE,
    regs: writerRegs,
    maxInstructions: 1000,
  });
  assert.ok(writer.idle);
  const r = await runner;
  assert.ok(r.idle, 'the runner reached its WFI');
  assert.equal(r.x[18], 2n, 'FN as rewritten');
  assert.ok(r.compiled >= 2, 'the runner ran translated code');
});
