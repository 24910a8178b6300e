/**
 * Building a VM from its configuration: the machine with its devices attached (in a fixed order, so that a
 * restore finds every device in the slot it had), then, for a fresh boot, the firmware, kernel and initrd loaded.
 */
import { readFileSync } from 'node:fs';
import { bootBareMetal, bootLinux } from '../machine/boot.js';
import {
  attachDisk,
  attachNet,
  attachRng,
  attachVirtioConsole,
  type Attached,
  type AttachedDisk,
} from '../machine/devices.js';
import { inflateKernel } from '../machine/linux-image.js';
import { Machine, type MachineOptions } from '../machine/machine.js';
import { UsageError } from './usage-error.js';
import type { VmConfig } from './vm-config.js';

/** Options of the Machine itself that do not belong to the VM's configuration (limits, engine). */
export type MachineExtras = Omit<MachineOptions, 'memBytes' | 'onOutput'>;

export interface BuiltVm {
  readonly machine: Machine;
  /** Everything to release when this machine is gone (image files, network backends, a lazy RAM loader). */
  readonly attached: Attached[];
  readonly disks: readonly AttachedDisk[];
}

export interface BootFiles {
  readonly kernel: Uint8Array;
  readonly initrd: Uint8Array | undefined;
  readonly firmware: Uint8Array | undefined;
}

function readInput(what: string, path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message;
    throw new UsageError(`cannot read ${what} '${path}': ${why}`);
  }
}

/** Reads the firmware, kernel and initrd the configuration names. */
export function readBootFiles(cfg: VmConfig): BootFiles {
  const bare = cfg.firmware === 'none';
  return {
    kernel: readInput('kernel', cfg.kernel),
    initrd: bare || cfg.initrd === 'none' ? undefined : readInput('initrd', cfg.initrd),
    firmware: bare ? undefined : readInput('firmware', cfg.firmware),
  };
}

export function releaseAll(attached: Attached[]): void {
  for (const a of attached.splice(0)) a.close();
}

/** Makes the machine and attaches the configured devices (disks, networks, rng, console, in that order). */
export async function buildMachine(cfg: VmConfig, onOutput: (b: Uint8Array) => void, extras: MachineExtras = {}): Promise<BuiltVm> {
  const machine = new Machine({ memBytes: cfg.memBytes, harts: cfg.cpus, onOutput, ...extras });
  const attached: Attached[] = [];
  const disks: AttachedDisk[] = [];
  try {
    for (const spec of cfg.disks) {
      const disk = attachDisk(machine, spec);
      attached.push(disk);
      disks.push(disk);
    }
    for (const spec of cfg.nets) {
      const net = attachNet(machine, spec);
      attached.push(net);
      await net.ready;
    }
    if (cfg.rng) attachRng(machine);
    if (cfg.console === 'virtio') attachVirtioConsole(machine);
  } catch (e) {
    releaseAll(attached);
    throw e;
  }
  return { machine, attached, disks };
}

/** Builds the machine and boots it from `files` (firmware, kernel, initrd). */
export async function bootVm(cfg: VmConfig, files: BootFiles, onOutput: (b: Uint8Array) => void, extras: MachineExtras = {}): Promise<BuiltVm> {
  // Inflate the kernel on the thread pool while the machine (and the interpreter's warm-up) is built.
  const kernel = files.firmware === undefined ? Promise.resolve(files.kernel) : inflateKernel(files.kernel);
  kernel.catch(() => undefined); // a bad kernel is reported where it is awaited, below
  const vm = await buildMachine(cfg, onOutput, extras);
  try {
    if (files.firmware === undefined) bootBareMetal(vm.machine, await kernel);
    else {
      bootLinux(vm.machine, {
        firmware: files.firmware,
        kernel: await kernel,
        cmdline: cfg.append,
        mmu: cfg.mmu,
        ...(files.initrd !== undefined ? { initrd: files.initrd } : {}),
      });
    }
  } catch (e) {
    releaseAll(vm.attached);
    throw e;
  }
  return vm;
}
