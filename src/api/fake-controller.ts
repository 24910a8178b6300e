/**
 * A VmController without a VM, for tests of the control API server, client and CLI: a state machine with the
 * transitions controller.ts documents, a log of the calls it received, and knobs to delay or fail them.
 */
import { VmRequestError, VmStateError, type SnapshotResult, type VmController, type VmRunState, type VmStatus } from './controller.js';

export class FakeVmController implements VmController {
  state: VmRunState = 'running';
  readonly calls: string[] = [];
  /** Milliseconds each snapshot takes (the VM is paused meanwhile if it was running). */
  snapshotDelayMs = 0;
  /** Thrown by the next call, whatever it is (then cleared). */
  failNext: Error | undefined;
  /** Replaces status() when set. */
  statusOverride: (() => VmStatus) | undefined;
  /** How many mutating calls are in progress at once, at most, over the fake's life. */
  maxConcurrent = 0;
  private active = 0;
  private readonly started = Date.now();

  readonly memoryBytes: number;
  readonly restoredFrom: string | undefined;

  constructor(memoryBytes = 256 * 1024 * 1024, restoredFrom?: string) {
    this.memoryBytes = memoryBytes;
    this.restoredFrom = restoredFrom;
  }

  status(): VmStatus {
    this.calls.push('status');
    this.maybeFail();
    if (this.statusOverride) return this.statusOverride();
    const s: VmStatus = {
      state: this.state,
      uptimeMs: Date.now() - this.started,
      cpus: 1,
      memoryBytes: this.memoryBytes,
      instructions: 123_456_789,
      ...(this.restoredFrom !== undefined ? { restoredFrom: this.restoredFrom } : {}),
    };
    return s;
  }

  pause(): Promise<void> {
    return this.change('pause', async () => {
      if (this.state !== 'running') throw new VmStateError(`cannot pause: the VM is ${this.state}`);
      this.state = 'paused';
    });
  }

  resume(): Promise<void> {
    return this.change('resume', async () => {
      if (this.state !== 'paused') throw new VmStateError(`cannot resume: the VM is ${this.state}`);
      this.state = 'running';
    });
  }

  snapshot(path: string): Promise<SnapshotResult> {
    return this.change(`snapshot ${path}`, async () => {
      if (this.state === 'stopped') throw new VmStateError('cannot snapshot: the VM is stopped');
      if (path.startsWith('/nonexistent/')) throw new VmRequestError(`cannot write a snapshot in ${path}: no such directory`);
      const was = this.state;
      const t0 = Date.now();
      this.state = 'paused';
      await new Promise((r) => {
        const timer = setTimeout(r, this.snapshotDelayMs);
        if (this.snapshotDelayMs >= 10_000) timer.unref(); // a test's abandoned slow snapshot must not keep it alive
      });
      this.state = was;
      const ms = Date.now() - t0;
      return { path, memoryBytes: this.memoryBytes, ramFileBytes: 12 * 1024 * 1024, durationMs: ms + 1.5, pausedMs: ms };
    });
  }

  shutdown(): Promise<void> {
    return this.change('shutdown', async () => {
      if (this.state === 'stopped') throw new VmStateError('cannot shut down: the VM is stopped');
    });
  }

  stop(): Promise<void> {
    return this.change('stop', async () => {
      if (this.state === 'stopped') throw new VmStateError('cannot stop: the VM is already stopped');
      this.state = 'stopped';
    });
  }

  private maybeFail(): void {
    const e = this.failNext;
    if (e) {
      this.failNext = undefined;
      throw e;
    }
  }

  private async change<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.calls.push(name);
    this.active++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.active);
    try {
      await Promise.resolve();
      this.maybeFail();
      return await fn();
    } finally {
      this.active--;
    }
  }
}
