/**
 * Reading the firmware, kernel and initrd a VM boots from. Apart from vm-build.ts, which loads the machine and
 * its CPU, so that the kernel starts inflating on libuv's thread pool while those modules load.
 *
 * A kernel or initrd that is a regular file (and not gzip-compressed, for the kernel) is opened here and its
 * first bytes read, but the rest is read by bootLinux straight into guest RAM where it places it, on the thread
 * pool while the device tree, the console and the hart are made (machine/boot.ts FileImage): no buffer of its
 * own and no copy on the main thread (~4 ms of page faults on fresh RAM for the bundled guest's 6.7 MiB).
 */
import { closeSync, fstatSync, openSync, readFile, readFileSync, readSync } from 'node:fs';
import { readFully } from '../lib/read-fully.js';
import type { BootImage, FileImage } from '../machine/boot.js';
import { inflateKernel, isGzip, KERNEL_HEADER_BYTES } from '../machine/linux-image.js';
import { UsageError } from './usage-error.js';
import type { VmConfig } from './vm-config.js';

/** What a VM boots from, being read: for Linux (firmware set) or bare metal (firmware undefined). */
export type BootFiles = LinuxBootFiles | BareMetalFiles;

export interface LinuxBootFiles {
  /**
   * The kernel Image: a FileImage if it is a regular file not compressed, else its bytes, inflated if
   * gzip-compressed (under way from when the file was read; a corrupt one rejects with a KernelImageError).
   */
  readonly kernel: Promise<BootImage>;
  /** The initrd: a FileImage if it is a regular file, else its bytes, read on libuv's thread pool. */
  readonly initrd: Promise<BootImage> | undefined;
  /** The M-mode firmware; 'builtin' for the machine's own SBI. */
  readonly firmware: Uint8Array | 'builtin';
}

export interface BareMetalFiles {
  /** The ELF file as read. */
  readonly kernel: Promise<Uint8Array>;
  readonly initrd: undefined;
  readonly firmware: undefined;
}

function cannotRead(what: string, path: string, e: unknown): UsageError {
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message;
  return new UsageError(`cannot read ${what} '${path}': ${why}`);
}

function readInput(what: string, path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw cannotRead(what, path, e);
  }
}

/** An open file to read: its descriptor, and its size if it is a regular file (undefined: read to its end). */
interface OpenInput {
  readonly fd: number;
  readonly size: number | undefined;
}

/** Opens a file to read (not a directory), or throws the UsageError that says why not. */
function openInput(what: string, path: string): OpenInput {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw cannotRead(what, path, e);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    return { fd, size: stat.isFile() ? stat.size : undefined };
  } catch (e) {
    closeSync(fd);
    throw cannotRead(what, path, e);
  }
}

/**
 * Opens a file now (so that a missing one is reported before anything else starts): a regular one becomes a
 * FileImage, anything else (a pipe, a device) is read to its end on the thread pool.
 */
function openImage(what: string, path: string): Promise<BootImage> {
  const input = openInput(what, path);
  if (input.size === undefined) return readToEnd(what, path, input.fd);
  return Promise.resolve(fileImage(what, path, input.fd, input.size));
}

/** Why a file could not be read whole: it ended at byte `at`, short of the size it had when opened. */
const shrank = (at: number): Error => new Error(`it shrank to ${at} bytes while being read`);

/**
 * The regular file open on `fd`, of `size` bytes, with its first bytes read now. Its descriptor is closed once
 * it has been read (bootLinux reads it when it places it; a boot that fails before leaves it to the process's
 * exit, as the command line's does at once).
 */
function fileImage(what: string, path: string, fd: number, size: number): FileImage {
  const head = new Uint8Array(Math.min(size, KERNEL_HEADER_BYTES));
  try {
    const n = readSync(fd, head, 0, head.length, 0);
    if (n < head.length) throw shrank(n);
  } catch (e) {
    closeSync(fd);
    throw cannotRead(what, path, e);
  }
  let taken = false;
  return {
    size,
    head,
    readInto(dest: Uint8Array): Promise<void> {
      if (taken) return Promise.reject(new Error(`${what} '${path}' was read already`));
      if (dest.length !== size) return Promise.reject(new RangeError(`${what} '${path}' is ${size} bytes, not ${dest.length}`));
      taken = true;
      // Closed whether the read succeeds or not.
      return readFully(fd, dest, 0, shrank).then(
        () => closeSync(fd),
        (e: unknown) => {
          closeSync(fd);
          throw cannotRead(what, path, e);
        },
      );
    },
  };
}

/** A Linux kernel: a gzip-compressed one is read now and inflated on the thread pool from now on. */
function readKernel(path: string): Promise<BootImage> {
  const input = openInput('kernel', path);
  const fd = input.fd;
  const head = new Uint8Array(2);
  let gzip: boolean;
  try {
    gzip = readSync(fd, head, 0, 2, 0) === 2 && isGzip(head);
  } catch (e) {
    closeSync(fd);
    throw cannotRead('kernel', path, e);
  }
  if (!gzip) return input.size === undefined ? readToEnd('kernel', path, fd) : Promise.resolve(fileImage('kernel', path, fd, input.size));
  let file: Uint8Array;
  try {
    file = readFileSync(fd);
  } catch (e) {
    throw cannotRead('kernel', path, e);
  } finally {
    closeSync(fd);
  }
  return inflateKernel(file);
}

/** Reads the open file `fd` (a pipe, a device) to its end on libuv's thread pool, and closes it. */
function readToEnd(what: string, path: string, fd: number): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    readFile(fd, (e, data) => {
      closeSync(fd);
      if (e !== null) reject(cannotRead(what, path, e));
      else resolve(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    });
  });
}

/**
 * Reads the firmware, and opens the kernel and initrd the configuration names (and starts inflating a compressed
 * kernel); a file that cannot be opened is a UsageError at once.
 */
export function readBootFiles(cfg: VmConfig): BootFiles {
  if (cfg.firmware === 'none') return { kernel: Promise.resolve(readInput('kernel', cfg.kernel)), initrd: undefined, firmware: undefined };
  // The kernel first: a compressed one starts inflating now (readKernel).
  const kernel = readKernel(cfg.kernel);
  const initrd = cfg.initrd === 'none' ? undefined : openImage('initrd', cfg.initrd);
  const firmware = cfg.firmware === 'builtin' ? 'builtin' : readInput('firmware', cfg.firmware);
  // A bad kernel or initrd is reported where it is awaited (bootVm).
  kernel.catch(() => undefined);
  initrd?.catch(() => undefined);
  return { kernel, initrd, firmware };
}
