import { performance } from 'node:perf_hooks';
import type { TickSource } from '../devices/mmio.js';

/**
 * The guest's time base: mtime advances with the host's monotonic clock at the platform timer frequency, so a
 * `sleep 1` in the guest takes one second of real time whatever the emulation speed.
 */
export class HostClock implements TickSource {
  private readonly ticksPerMs: number;
  private readonly start: number;

  constructor(frequency: number) {
    this.ticksPerMs = frequency / 1000;
    this.start = performance.now();
  }

  ticks(): number {
    return Math.floor((performance.now() - this.start) * this.ticksPerMs);
  }
}
