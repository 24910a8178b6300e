/**
 * A worker thread of parallel.test.ts: one hart (Hart.parallel) on the shared wasm-backed RAM the test made,
 * running a program until WFI; posts back its registers and translator statistics. Only tests use this module.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { GuestRam, type SharedRamHandle } from '../../memory/ram.js';
import type { Engine } from '../engine.js';
import { getX, setX } from '../testing.js';
import { makeEngineHart, runUntilIdle } from './test-rig.js';

export interface WorkerJob {
  readonly handle: SharedRamHandle;
  readonly hartId: number;
  readonly engine: Engine;
  readonly pc: number;
  /** Registers to set before running: [index, value]. */
  readonly regs: readonly (readonly [number, bigint])[];
  readonly maxInstructions: number;
}

export interface WorkerResult {
  readonly idle: boolean;
  readonly x: readonly bigint[];
  readonly compiled: number;
}

const job = workerData as WorkerJob;
const { h } = makeEngineHart(job.engine, true, GuestRam.over(job.handle), job.hartId);
for (const [i, v] of job.regs) setX(h, i, v);
h.pc = job.pc;
const idle = runUntilIdle(h, job.maxInstructions, 997);
const result: WorkerResult = {
  idle,
  x: Array.from({ length: 32 }, (_, i) => getX(h, i)),
  compiled: h.jit?.stats.compiled ?? 0,
};
parentPort!.postMessage(result);
