/**
 * The control API's VmController for a VM running in this process: pause, resume, snapshot, shutdown and stop
 * act on the session's current machine.
 */
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { VmRequestError, VmStateError, type SnapshotResult, type VmController, type VmStatus } from '../api/controller.js';
import { captureMachineState } from '../machine/machine-state.js';
import { SnapshotError } from '../snapshot/errors.js';
import { writeSnapshotDirAsync } from '../snapshot/snapshot-dir.js';
import type { BuiltVm } from './vm-build.js';
import { diskIdentity, vmConfigRecord, type VmConfig } from './vm-config.js';

/** What the controller needs of the session running the VM. */
export interface ControlledVm {
  /** The machine now running (a guest reboot replaces it). */
  current(): BuiltVm;
  readonly config: VmConfig;
  readonly restoredFrom?: string;
  /** Loads any RAM still pending from a lazily restored snapshot (before the RAM is saved again). */
  loadAllRam(): void;
}

/** Gaps between the steps of a shutdown request, in milliseconds (each SysRq runs as deferred work). */
const SHUTDOWN_STEP_MS = 500;

export class MachineController implements VmController {
  private readonly vm: ControlledVm;
  private snapshotting = false;

  constructor(vm: ControlledVm) {
    this.vm = vm;
  }

  status(): VmStatus {
    const m = this.vm.current().machine;
    return {
      state: m.runState,
      uptimeMs: Math.round(performance.now() - m.createdAt),
      cpus: m.harts.length,
      memoryBytes: m.ram.size,
      instructions: m.instructions(),
      ...(this.vm.restoredFrom !== undefined ? { restoredFrom: this.vm.restoredFrom } : {}),
    };
  }

  async pause(): Promise<void> {
    const m = this.vm.current().machine;
    if (m.runState !== 'running') throw new VmStateError(`the VM is ${m.runState}, not running`);
    await m.pause();
  }

  async resume(): Promise<void> {
    const m = this.vm.current().machine;
    if (m.runState !== 'paused') throw new VmStateError(`the VM is ${m.runState}, not paused`);
    m.resume();
  }

  async snapshot(target: string): Promise<SnapshotResult> {
    const vm = this.vm.current();
    const m = vm.machine;
    if (m.runState === 'stopped') throw new VmStateError('the VM is stopped: there is nothing to snapshot');
    if (this.snapshotting) throw new VmStateError('a snapshot is already being taken');
    const dir = path.resolve(target);
    const start = performance.now();
    const wasPaused = m.runState === 'paused';
    this.snapshotting = true;
    let pausedMs = 0;
    let resumed = false;
    try {
      await m.pause();
      // Disk data first on stable storage, so the identity recorded is that of the disk the guest state expects.
      for (const d of vm.disks) d.flush();
      const identities = vm.disks.map((d) => diskIdentity(d.spec.path));
      const sections = captureMachineState(m);
      sections.set('vm', vmConfigRecord(this.vm.config, identities));
      this.vm.loadAllRam();
      // The guest waits only while its RAM is copied into the file; it runs again while the file is made durable.
      const written = await writeSnapshotDirAsync(dir, sections, m.ram.u8, () => {
        pausedMs = performance.now() - start;
        resumed = true;
        if (!wasPaused) m.resume();
      });
      const durationMs = performance.now() - start;
      return {
        path: dir,
        memoryBytes: m.ram.size,
        ramFileBytes: written.ramFileBytes,
        durationMs: Math.round(durationMs * 10) / 10,
        pausedMs: Math.round(pausedMs * 10) / 10,
      };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
        throw new VmRequestError(`cannot write a snapshot at '${dir}': ${code} (${(e as Error).message})`);
      }
      if (e instanceof SnapshotError) throw new VmRequestError(`cannot write a snapshot at '${dir}': ${e.message}`);
      throw e;
    } finally {
      this.snapshotting = false;
      // Resumed already once RAM was copied; this covers a failure before that point.
      if (!wasPaused && !resumed) m.resume();
    }
  }

  /**
   * Asks the guest to power off as a Linux kernel understands on its console: a break, then the Magic SysRq
   * keys s (sync), u (remount file systems read-only) and o (power off), half a second apart.
   */
  async shutdown(): Promise<void> {
    const m = this.vm.current().machine;
    if (m.runState !== 'running') throw new VmStateError(`the VM is ${m.runState}: resume it before asking it to shut down`);
    const steps = ['s', 'u', 'o'];
    steps.forEach((key, i) => {
      setTimeout(() => {
        if (m.runState === 'stopped') return;
        m.sendBreak();
        m.sendInput(Uint8Array.of(key.charCodeAt(0)));
      }, i * SHUTDOWN_STEP_MS).unref();
    });
  }

  async stop(): Promise<void> {
    const m = this.vm.current().machine;
    if (m.runState === 'stopped') throw new VmStateError('the VM is already stopped');
    m.stop({ kind: 'stopped' });
  }
}
