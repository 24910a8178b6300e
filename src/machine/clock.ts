import { performance } from 'node:perf_hooks';
import type { TickSource } from '../devices/mmio.js';

/**
 * The guest's time base: mtime advances with the host's monotonic clock at the platform timer frequency, so a
 * `sleep 1` in the guest takes one second of real time whatever the emulation speed. While the VM is paused the
 * clock stands still (as QEMU's virtual clock does), so the guest sees no jump when it resumes.
 */
export class HostClock implements TickSource {
  private readonly ticksPerMs: number;
  /** Ticks counted up to the last resume. */
  private base = 0;
  /** Host time of the last resume. */
  private since: number;
  private stopped = false;

  constructor(frequency: number) {
    this.ticksPerMs = frequency / 1000;
    this.since = performance.now();
  }

  ticks(): number {
    if (this.stopped) return this.base;
    return this.base + Math.floor((performance.now() - this.since) * this.ticksPerMs);
  }

  /** Freezes the count. */
  pause(): void {
    if (this.stopped) return;
    this.base = this.ticks();
    this.stopped = true;
  }

  /** Lets the count run on from where it stood. */
  resume(): void {
    if (!this.stopped) return;
    this.since = performance.now();
    this.stopped = false;
  }
}
