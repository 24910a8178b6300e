/**
 * `typevisor restore DIR`: a new VM process continues exactly where the snapshot in DIR was taken.
 *
 * The snapshot's "vm" section says how to rebuild the machine (memory, devices, boot files for a later reboot);
 * its disks must be unchanged since the snapshot unless --force. RAM is restored lazily by default (the guest
 * runs as soon as the state is in; pages arrive on first touch and in the background) or eagerly (--eager).
 */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { restoreMachineState, type RestoreClock } from '../machine/machine-state.js';
import { LazyRamLoader } from '../snapshot/lazy-ram.js';
import { loadRamEager } from '../snapshot/ram-file.js';
import { openSnapshotDir, readSnapshotState } from '../snapshot/snapshot-dir.js';
import { machineExtras } from './run-command.js';
import { asUsageError, UsageError } from './usage-error.js';
import { buildMachine, releaseAll, type BuiltVm } from './vm-build.js';
import { diskChanges, parseVmConfigRecord } from './vm-config.js';
import { VmSession } from './vm-session.js';

export interface RestoreOptions {
  readonly apiSock?: string;
  /** Read all of RAM before the guest runs (default: lazily). */
  readonly eager?: boolean;
  readonly clock: string;
  /** Restore even though a disk changed since the snapshot. */
  readonly force?: boolean;
  /** Print how long the restore took (to stderr). */
  readonly timing?: boolean;
  readonly engine?: string;
  readonly maxInstructions?: string;
}

export async function restoreCommand(dir: string, o: RestoreOptions): Promise<number> {
  const start = performance.now();
  if (o.clock !== 'continue' && o.clock !== 'catch-up') throw new UsageError(`--clock: expected continue or catch-up, got '${o.clock}'`);
  const clock: RestoreClock = o.clock;
  const extras = machineExtras(o);
  const write = (b: Uint8Array): void => {
    process.stdout.write(b);
  };
  let vm: BuiltVm | undefined;
  let ramFd = -1;
  let lazy: LazyRamLoader | undefined;
  let session: VmSession;
  try {
    const sections = readSnapshotState(dir);
    const { config, disks } = parseVmConfigRecord(sections.get('vm'));
    const changed = diskChanges(disks);
    if (changed.length > 0 && o.force !== true) {
      throw new UsageError(`cannot restore ${dir}: ${changed.join('; ')} (restore with --force to use the disks as they are now)`);
    }
    const tap = config.nets.find((n) => /^(tap|macvtap)(,|$)/.test(n));
    if (tap !== undefined) throw new UsageError(`cannot restore ${dir}: it has a TAP network (${tap}); restoring TAP networks is not supported yet`);
    const opened = openSnapshotDir(dir, sections, config.memBytes);
    ramFd = opened.ramFd;
    vm = await buildMachine(config, write, { ...extras, deferWarmUp: true });
    const ram = vm.machine.ram;
    // Harts in worker threads touch RAM directly, where a lazy loader on this thread cannot step in.
    if (o.eager === true || config.cpus > 1) {
      loadRamEager(opened.ramSource, opened.ramIndex, ram.u8);
      fs.closeSync(ramFd);
    } else {
      lazy = new LazyRamLoader(ramFd, opened.ramFileBytes, opened.ramIndex, ram);
    }
    ramFd = -1;
    restoreMachineState(vm.machine, sections, clock);
    session = new VmSession({
      config,
      vm,
      extras,
      write,
      restoredFrom: dir,
      ...(lazy !== undefined ? { lazyRam: lazy } : {}),
      ...(o.apiSock !== undefined ? { apiSock: o.apiSock } : {}),
    });
  } catch (e) {
    if (ramFd >= 0) fs.closeSync(ramFd);
    lazy?.close();
    if (vm !== undefined) releaseAll(vm.attached);
    throw asUsageError(e);
  }
  if (o.timing === true) {
    const ms = performance.now() - start;
    process.stderr.write(`typevisor: restored ${dir} in ${ms.toFixed(1)} ms (${lazy !== undefined ? 'lazy' : 'eager'} RAM)\n`);
  }
  lazy?.fillInBackground().catch((e: unknown) => session.fail(e));
  return session.run();
}
