/**
 * Reading the firmware, kernel and initrd a VM boots from. Apart from vm-build.ts, which loads the machine and
 * its CPU, so that the kernel starts inflating on libuv's thread pool while those modules load.
 */
import { readFileSync } from 'node:fs';
import { inflateKernel } from '../machine/linux-image.js';
import { UsageError } from './usage-error.js';
import type { VmConfig } from './vm-config.js';

export interface BootFiles {
  /**
   * The kernel ready to load: for a Linux boot the Image, inflated if gzip-compressed (under way from when the
   * file was read; a corrupt one rejects with a KernelImageError); for bare metal the ELF file as read.
   */
  readonly kernel: Promise<Uint8Array>;
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

/** Reads the firmware, kernel and initrd the configuration names, and starts inflating the kernel. */
export function readBootFiles(cfg: VmConfig): BootFiles {
  const bare = cfg.firmware === 'none';
  const kernelFile = readInput('kernel', cfg.kernel);
  const initrd = bare || cfg.initrd === 'none' ? undefined : readInput('initrd', cfg.initrd);
  const firmware = bare ? undefined : readInput('firmware', cfg.firmware);
  const kernel = bare ? Promise.resolve(kernelFile) : inflateKernel(kernelFile);
  kernel.catch(() => undefined); // a bad kernel is reported where it is awaited (bootVm)
  return { kernel, initrd, firmware };
}
