/**
 * Building a VM from its configuration: the machine with its devices attached (in a fixed order, so that a
 * restore finds every device in the slot it had), then, for a fresh boot, the firmware, kernel and initrd loaded.
 */
import { bootBareMetal, bootLinux } from '../machine/boot.js';
import { attachDisk, attachRng, attachVirtioConsole, type Attached, type AttachedDisk } from '../machine/devices.js';
import { Machine, type MachineOptions } from '../machine/machine.js';
import type { BootFiles } from './boot-files.js';
import type { VmConfig } from './vm-config.js';

export { readBootFiles, type BootFiles } from './boot-files.js';

/** Options of the Machine itself that do not belong to the VM's configuration (limits, engine). */
export type MachineExtras = Omit<MachineOptions, 'memBytes' | 'onOutput'>;

export interface BuiltVm {
  readonly machine: Machine;
  /** Everything to release when this machine is gone (image files, network backends, a lazy RAM loader). */
  readonly attached: Attached[];
  readonly disks: readonly AttachedDisk[];
  /**
   * Settles when the boot files bootLinux reads into RAM are there (machine/boot.ts FileImage), rejecting with a
   * read error: the machine runs only after. Undefined when nothing is being read.
   */
  readonly loaded?: Promise<void>;
}

export function releaseAll(attached: Attached[]): void {
  for (const a of attached.splice(0)) a.close();
}

/** Makes the machine and attaches the configured devices (disks, networks, rng, console, in that order). */
export async function buildMachine(cfg: VmConfig, onOutput: (b: Uint8Array) => void, extras: MachineExtras = {}): Promise<BuiltVm> {
  const machine = new Machine({ memBytes: cfg.memBytes, harts: cfg.cpus, onOutput, sbi: cfg.firmware === 'builtin', ...extras });
  const attached: Attached[] = [];
  const disks: AttachedDisk[] = [];
  try {
    for (const spec of cfg.disks) {
      const disk = attachDisk(machine, spec);
      attached.push(disk);
      disks.push(disk);
    }
    if (cfg.nets.length > 0) {
      // The network stack is large: loaded only for a VM that has an interface.
      const { attachNet } = await import('../machine/net-device.js');
      for (const spec of cfg.nets) {
        const net = attachNet(machine, spec);
        attached.push(net);
        await net.ready;
      }
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
  // The kernel inflates on the thread pool (since readBootFiles) while the machine is built.
  const vm = await buildMachine(cfg, onOutput, extras);
  try {
    if (files.firmware === undefined) {
      bootBareMetal(vm.machine, await files.kernel);
      return vm;
    }
    const { loaded } = bootLinux(vm.machine, {
      firmware: files.firmware,
      kernel: await files.kernel,
      cmdline: cfg.append,
      mmu: cfg.mmu,
      ...(files.initrd !== undefined ? { initrd: await files.initrd } : {}),
    });
    return { ...vm, loaded };
  } catch (e) {
    releaseAll(vm.attached);
    throw e;
  }
}
