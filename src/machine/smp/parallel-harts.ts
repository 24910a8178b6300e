/**
 * A machine's harts running in parallel, one worker thread each: the shared memory they need (control block,
 * CLINT registers), the loop on the machine's thread that serves their device accesses, and parking them for
 * pause and snapshot. The Machine owns one of these when it has several harts (docs/design/smp.md).
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { clintStorageBytes } from '../../devices/clint.js';
import { BUS_ERROR, type SystemBus } from '../../memory/bus.js';
import type { GuestRam } from '../../memory/ram.js';
import type { Engine } from '../../riscv/engine.js';
import type { Hart } from '../../riscv/hart.js';
import { restoreHartState, saveHartState } from '../../riscv/hart-state.js';
import { ACCESS_READ, ControlBlock, REQ_SSIP } from './control-block.js';
import { HSM_STARTED, HSM_STOPPED, isStopped } from '../sbi.js';
import { MIP_SSIP } from '../../riscv/constants.js';
import { HartPool } from './hart-pool.js';

/** How long the machine's thread watches for the next device access before it waits. */
const SERVE_SPIN_MS = 0.1;
/** How long console output may wait to be handed over with more. */
const OUTPUT_BATCH_MS = 5;
/** Longest wait for the doorbell before looking at the machine's state again. */
const MAX_WAIT_MS = 50;
/** Longest stretch of back-to-back serving before the event loop gets a turn. */
const BUSY_SLICE_MS = 4;

/** What the serving loop needs from the machine. */
export interface ParallelHost {
  readonly harts: readonly Hart[];
  readonly bus: SystemBus;
  readonly ram: GuestRam;
  readonly engine: Engine;
  readonly timebaseFrequency: number;
  readonly clintBase: number;
  /** Whether the run should end (the guest powered off, or stop() was called). */
  ended(): boolean;
  /** Ends the run because of `e` (a worker failed). */
  fail(e: Error): void;
  /** Ends the run at the instruction limit. */
  limitReached(): void;
  readonly maxInstructions: number;
  /** Console output bytes buffered, and handing them over. */
  outputPending(): number;
  flushOutput(): void;
  /** Whether the machine is paused (harts are not started then). */
  paused(): boolean;
  /** Whether the harts answer SBI calls themselves (sbi.ts), with no M-mode firmware. */
  readonly sbi: boolean;
}

export class ParallelHarts {
  readonly control: ControlBlock;
  /** The CLINT's registers, shared by the machine's CLINT and every worker's. */
  readonly clintStorage: SharedArrayBuffer;
  private pool: HartPool | undefined;
  /** Whether the machine's hart records are newer than the workers' (before the first run, after a restore). */
  private hartsDirty = true;
  /** While the workers park: resolves once their states are in the machine's records. */
  private parking: Promise<void> | undefined;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(harts: number) {
    this.control = new ControlBlock(harts);
    this.clintStorage = new SharedArrayBuffer(clintStorageBytes(harts));
  }

  /** Instructions retired by every hart, as the workers last reported them (undefined before they run). */
  instructions(): number | undefined {
    return this.pool !== undefined ? this.control.totalInstret() : undefined;
  }

  /** Wakes the serving loop (to notice that the machine stopped). */
  ring(): void {
    this.control.ring();
  }

  /** Resolves once a parking under way has finished (at once when none is). */
  parked(): Promise<void> {
    return this.parking ?? Promise.resolve();
  }

  /**
   * Parks every hart at its next burst boundary and copies their states into `harts`. Resolves at once when the
   * workers are not running yet. Call it once per pause.
   */
  park(harts: readonly Hart[]): Promise<void> {
    if (this.parking !== undefined) return this.parking;
    const pool = this.pool;
    if (pool === undefined) return Promise.resolve();
    const parking = pool.park().then((states) => {
      states.forEach((st, id) => restoreHartState(harts[id]!, st));
      // An IPI of the built-in SBI sent as the harts parked (sbi-harts.ts): into the hart's state, for a snapshot.
      harts.forEach((h, id) => {
        if ((this.control.requests(id) & REQ_SSIP) !== 0) h.mipSw |= MIP_SSIP;
      });
    });
    this.parking = parking;
    void parking
      .finally(() => {
        if (this.parking === parking) this.parking = undefined;
      })
      .catch(() => undefined);
    return parking;
  }

  /** Lets the workers run their harts again once any parking has finished, unless the host is paused again or ended. */
  unpark(host: ParallelHost): void {
    const go = (): void => {
      if (!host.paused() && !host.ended()) this.start(host.harts);
    };
    if (this.parking !== undefined) void this.parking.then(go, () => undefined);
    else go();
  }

  private start(harts: readonly Hart[]): void {
    const pool = this.pool;
    if (pool === undefined) return;
    if (this.hartsDirty) {
      // The harts' HSM states for the built-in SBI (sbi-harts.ts), before any of them runs and starts another.
      harts.forEach((h, id) => this.control.setHsm(id, isStopped(h) ? HSM_STOPPED : HSM_STARTED));
    }
    pool.run(this.hartsDirty ? harts.map((h) => saveHartState(h)) : undefined);
    this.hartsDirty = false;
  }

  /**
   * Starts the workers and serves their device accesses (waiting on the doorbell between them, which lets the
   * event loop run) until the host says the run has ended; then ends the workers.
   */
  async run(host: ParallelHost): Promise<void> {
    const control = this.control;
    const bus = host.bus;
    const serve = (access: number, addr: number, size: number, value: number): number | undefined => {
      if (access === ACCESS_READ) {
        const v = bus.read(addr, size as 1 | 2 | 4);
        return v === BUS_ERROR ? undefined : v;
      }
      return bus.write(addr, size as 1 | 2 | 4, value) ? 0 : undefined;
    };
    try {
      const pool = await HartPool.start(control, {
        harts: host.harts.length,
        engine: host.engine,
        ram: host.ram.shareHandle(),
        control: control.buffer,
        clintStorage: this.clintStorage,
        clintBase: host.clintBase,
        timebaseFrequency: host.timebaseFrequency,
        windows: bus.windows(),
        yieldOnPause: host.harts.length > availableParallelism(),
        sbi: host.sbi,
      });
      this.pool = pool;
      pool.onFailure = (e) => host.fail(e);
      if (!host.paused() && !host.ended()) this.start(host.harts);
      let lastYield = performance.now();
      while (!host.ended()) {
        const seen = control.doorbell;
        const served = control.serve(serve);
        this.batchOutput(host);
        if (control.totalInstret() >= host.maxInstructions) host.limitReached();
        if (served > 0) {
          // Busy: a hart doing device I/O (console output: a status read and a data write per byte) sends the
          // next request within microseconds, sooner than this thread would wake from a wait, so watch the
          // doorbell for a moment first.
          const bell = control.doorbell;
          const spinEnd = performance.now() + SERVE_SPIN_MS;
          while (control.doorbell === bell && performance.now() < spinEnd);
          if (performance.now() - lastYield < BUSY_SLICE_MS) continue;
          host.flushOutput();
          await yieldToEventLoop();
        } else await control.waitDoorbell(seen, MAX_WAIT_MS);
        lastYield = performance.now();
      }
    } finally {
      await this.pool?.terminate();
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      host.flushOutput();
    }
  }

  /** Console output goes out in batches: a write per byte would cost more than the byte's round trip. */
  private batchOutput(host: ParallelHost): void {
    const pending = host.outputPending();
    if (pending >= 4096) host.flushOutput();
    else if (pending > 0 && this.flushTimer === undefined) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        host.flushOutput();
      }, OUTPUT_BATCH_MS);
    }
  }
}
