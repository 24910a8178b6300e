import { performance } from 'node:perf_hooks';
import type { TickSource } from '../devices/mmio.js';

/**
 * Milliseconds on the process's monotonic clock (CLOCK_MONOTONIC, through process.hrtime), the same clock in
 * every worker thread: harts on different threads must never see time go backwards between them, which a
 * per-thread performance.now() (each counts from its own thread's start) re-based by calibration could not
 * promise to the tick.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Float64 slots of a clock's state: ticks counted up to the last resume, its host time, stopped (0/1). */
export const CLOCK_STATE_SLOTS = 3;

/**
 * The guest's time base: mtime advances with the host's monotonic clock at the platform timer frequency, so a
 * `sleep 1` in the guest takes one second of real time whatever the emulation speed. While the VM is paused the
 * clock stands still (as QEMU's virtual clock does), so the guest sees no jump when it resumes.
 *
 * The state may live in shared memory (`state`), so that harts in worker threads read the same clock; only the
 * thread that owns the machine pauses and resumes it.
 */
export class HostClock implements TickSource {
  private readonly ticksPerMs: number;
  /** [ticks up to the last resume, monotonic ms of the last resume, stopped] */
  private readonly s: Float64Array;

  constructor(frequency: number, state?: Float64Array) {
    this.ticksPerMs = frequency / 1000;
    if (state !== undefined) {
      if (state.length < CLOCK_STATE_SLOTS) throw new RangeError('clock state needs 3 slots');
      this.s = state;
    } else {
      this.s = new Float64Array(CLOCK_STATE_SLOTS);
      this.s[1] = monotonicMs();
    }
  }

  /** Starts the count at zero now (the owner of a shared clock does this once). */
  start(): void {
    this.s[0] = 0;
    this.s[1] = monotonicMs();
    this.s[2] = 0;
  }

  ticks(): number {
    const s = this.s;
    if (s[2] !== 0) return s[0]!;
    return s[0]! + Math.floor((monotonicMs() - s[1]!) * this.ticksPerMs);
  }

  /** Freezes the count. */
  pause(): void {
    if (this.s[2] !== 0) return;
    this.s[0] = this.ticks();
    this.s[2] = 1;
  }

  /** Lets the count run on from where it stood. */
  resume(): void {
    if (this.s[2] === 0) return;
    this.s[1] = monotonicMs();
    this.s[2] = 0;
  }
}
