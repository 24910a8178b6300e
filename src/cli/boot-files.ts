/**
 * Reading the firmware, kernel and initrd a VM boots from. Apart from vm-build.ts, which loads the machine and
 * its CPU, so that the kernel starts inflating on libuv's thread pool while those modules load.
 */
import { closeSync, fstatSync, openSync, read, readFile, readFileSync, readSync } from 'node:fs';
import { inflateKernel, isGzip } from '../machine/linux-image.js';
import { UsageError } from './usage-error.js';
import type { VmConfig } from './vm-config.js';

export interface BootFiles {
  /**
   * The kernel ready to load: for a Linux boot the Image, inflated if gzip-compressed (under way from when the
   * file was read; a corrupt one rejects with a KernelImageError); for bare metal the ELF file as read.
   */
  readonly kernel: Promise<Uint8Array>;
  /** The initrd, being read on libuv's thread pool (a read error rejects with a UsageError). */
  readonly initrd: Promise<Uint8Array> | undefined;
  /** The M-mode firmware; 'builtin' for the machine's own SBI; undefined for bare metal. */
  readonly firmware: Uint8Array | 'builtin' | undefined;
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

/**
 * Opens a file now (so that a missing one is reported before anything else starts) and reads it on libuv's
 * thread pool: the first guest instruction does not wait for the copy or the host's page faults on the buffer
 * (~2 ms for the 2.2 MiB initramfs on the main thread before).
 */
function readInputAsync(what: string, path: string): Promise<Uint8Array> {
  return readOpened(what, path, openInput(what, path));
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
 * A Linux kernel: one that is gzip-compressed is read now and inflated on the thread pool from now on (read
 * there too, it was inflated only when the main thread next reached the event loop, which start-up does not do
 * before it waits for the kernel); any other is read on the thread pool.
 */
function readKernel(path: string): Promise<Uint8Array> {
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
  if (!gzip) return readOpened('kernel', path, input);
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

/**
 * Reads the open file on libuv's thread pool, and closes it. A regular file is read into a buffer of its size
 * in one request (fs.readFile reads 512 KiB at a time, each next read started by the main thread, which is busy
 * building the machine: the kernel then arrived ~5-8 ms after the machine was built); anything else (a pipe, a
 * device) with fs.readFile, to its end.
 */
function readOpened(what: string, path: string, input: OpenInput): Promise<Uint8Array> {
  const { fd, size } = input;
  return new Promise<Uint8Array>((resolve, reject) => {
    const done = (e: Error | null, data?: Uint8Array): void => {
      closeSync(fd);
      if (e !== null) reject(cannotRead(what, path, e));
      else resolve(data!);
    };
    if (size === undefined) {
      readFile(fd, (e, data) => done(e, e === null ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : undefined));
      return;
    }
    // No guest RAM is larger (cli/run-command.ts MAX_MEMORY).
    if (size > 2 ** 31) return done(new Error(`it is ${size} bytes, more than the largest guest RAM (2 GiB)`));
    const buf = new Uint8Array(size);
    // Until the size read, or the end of a file that shrank meanwhile.
    const from = (offset: number): void => {
      if (offset === size) return done(null, buf);
      read(fd, buf, offset, size - offset, offset, (e, n) => {
        if (e !== null) done(e);
        else if (n === 0) done(null, buf.subarray(0, offset));
        else from(offset + n);
      });
    };
    from(0);
  });
}

/**
 * Reads the firmware, and starts reading the kernel and initrd the configuration names (and inflating the kernel);
 * a file that cannot be opened is a UsageError at once.
 */
export function readBootFiles(cfg: VmConfig): BootFiles {
  const bare = cfg.firmware === 'none';
  // The kernel first: a compressed one starts inflating now (readKernel).
  const kernel = bare ? Promise.resolve(readInput('kernel', cfg.kernel)) : readKernel(cfg.kernel);
  const initrd = bare || cfg.initrd === 'none' ? undefined : readInputAsync('initrd', cfg.initrd);
  const firmware = bare ? undefined : cfg.firmware === 'builtin' ? 'builtin' : readInput('firmware', cfg.firmware);
  // A bad kernel or initrd is reported where it is awaited (bootVm).
  kernel.catch(() => undefined);
  initrd?.catch(() => undefined);
  return { kernel, initrd, firmware };
}
