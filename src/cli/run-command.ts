/**
 * `typevisor run`: boot a VM whose serial console is this terminal.
 */
import { readFileSync } from 'node:fs';
import { BootError, bootBareMetal, bootLinux } from '../machine/boot.js';
import { ElfError } from '../machine/elf.js';
import { exitCodeOf } from '../machine/baremetal.js';
import { inflateKernel, KernelImageError } from '../machine/linux-image.js';
import {
  attachDisk,
  attachNet,
  attachRng,
  attachVirtioConsole,
  DeviceSpecError,
  parseDiskSpec,
  type Attached,
  type DiskSpec,
} from '../machine/devices.js';
import { VIRT } from '../machine/virt-layout.js';
import { Machine, type MachineExit } from '../machine/machine.js';
import { ConsoleInput, ESCAPE_HELP } from './console-input.js';
import { parseSize } from './size.js';

export interface RunOptions {
  readonly kernel: string;
  readonly initrd: string;
  readonly firmware: string;
  readonly append: string;
  readonly memory: string;
  readonly mmu: string;
  readonly maxInstructions?: string;
  /** --disk, repeatable: `path[,readonly][,serial=ID]`. */
  readonly disk?: readonly string[];
  /** --net, repeatable: `user[,hostfwd=...]`, `tap,fd=N`, ... */
  readonly net?: readonly string[];
  /** virtio-rng (on unless --no-rng). */
  readonly rng: boolean;
  /** Where the console is: the 16550 UART (ttyS0) or a virtio console (hvc0). */
  readonly console: string;
}

/** A problem with what the user asked for: reported as one line, exit status 1. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const MIN_MEMORY = 16 * 1048576;
/** The TLB keeps RAM offsets in 32-bit signed integers. */
export const MAX_MEMORY = 2048 * 1048576;

function readInput(what: string, path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message;
    throw new UsageError(`cannot read ${what} '${path}': ${why}`);
  }
}

function parseMemory(text: string): number {
  let bytes: number;
  try {
    bytes = parseSize(text);
  } catch (e) {
    throw new UsageError(`--memory: ${(e as Error).message}`);
  }
  if (bytes % 4096 !== 0) throw new UsageError(`--memory: ${text} is not a multiple of 4 KiB`);
  if (bytes < MIN_MEMORY || bytes > MAX_MEMORY) {
    throw new UsageError(`--memory: ${text} is outside the supported range 16M..2G`);
  }
  return bytes;
}

/** Builds and boots a machine from the options (again after each guest reset). */
async function createMachine(
  o: RunOptions, files: BootFiles, onOutput: (b: Uint8Array) => void, attached: Attached[],
): Promise<Machine> {
  // Inflate the kernel on the thread pool while the machine (and the interpreter's warm-up) is built.
  const kernel = files.firmware === undefined ? Promise.resolve(files.kernel) : inflateKernel(files.kernel);
  kernel.catch(() => undefined); // a bad kernel is reported where it is awaited, below
  const max = o.maxInstructions !== undefined ? Number(o.maxInstructions) : undefined;
  const machine = new Machine({ memBytes: files.memBytes, onOutput, ...(max !== undefined ? { maxInstructions: max } : {}) });
  for (const disk of files.disks) attached.push(attachDisk(machine, disk));
  for (const spec of o.net ?? []) {
    const net = attachNet(machine, spec);
    attached.push(net);
    await net.ready;
  }
  if (o.rng) attachRng(machine);
  if (o.console === 'virtio') attachVirtioConsole(machine);
  if (files.firmware === undefined) bootBareMetal(machine, await kernel);
  else {
    bootLinux(machine, {
      firmware: files.firmware,
      kernel: await kernel,
      cmdline: o.append,
      mmu: o.mmu === 'sv48' ? 'sv48' : 'sv39',
      ...(files.initrd !== undefined ? { initrd: files.initrd } : {}),
    });
  }
  return machine;
}

interface BootFiles {
  readonly memBytes: number;
  readonly disks: readonly DiskSpec[];
  readonly kernel: Uint8Array;
  readonly initrd: Uint8Array | undefined;
  readonly firmware: Uint8Array | undefined;
}

function loadFiles(o: RunOptions): BootFiles {
  if (o.mmu !== 'sv39' && o.mmu !== 'sv48') throw new UsageError(`--mmu: expected sv39 or sv48, got '${o.mmu}'`);
  if (o.maxInstructions !== undefined && !/^\d+$/.test(o.maxInstructions)) {
    throw new UsageError(`--max-instructions: expected a whole number, got '${o.maxInstructions}'`);
  }
  const memBytes = parseMemory(o.memory);
  // Linux/riscv keeps COMMAND_LINE_SIZE (1024) bytes, terminator included, and silently drops the rest.
  if (Buffer.byteLength(o.append) > 1023) {
    throw new UsageError(`--append: the kernel command line is ${Buffer.byteLength(o.append)} bytes; Linux takes at most 1023`);
  }
  if (o.console !== 'uart' && o.console !== 'virtio') {
    throw new UsageError(`--console: expected uart or virtio, got '${o.console}'`);
  }
  let disks: DiskSpec[];
  try {
    disks = (o.disk ?? []).map(parseDiskSpec);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const devices = disks.length + (o.net?.length ?? 0) + (o.rng ? 1 : 0) + (o.console === 'virtio' ? 1 : 0);
  if (devices > VIRT.virtioSlots) throw new UsageError(`too many virtio devices: ${devices} (at most ${VIRT.virtioSlots})`);
  const bare = o.firmware === 'none';
  return {
    memBytes,
    disks,
    kernel: readInput('kernel', o.kernel),
    initrd: bare || o.initrd === 'none' ? undefined : readInput('initrd', o.initrd),
    firmware: bare ? undefined : readInput('firmware', o.firmware),
  };
}

/** Errors about what the user gave us become one-line usage errors; anything else is a bug and keeps its stack. */
function asUsageError(e: unknown): unknown {
  const known = [BootError, KernelImageError, ElfError, DeviceSpecError, UsageError];
  return known.some((k) => e instanceof k) ? new UsageError((e as Error).message) : e;
}

/** Runs the VM until it powers off or the user quits. Returns the process exit status. */
export async function runCommand(o: RunOptions): Promise<number> {
  const files = loadFiles(o);
  const stdin = process.stdin;
  const stdout = process.stdout;
  const write = (b: Uint8Array): void => {
    stdout.write(b);
  };
  let machine: Machine;
  const attached: Attached[] = [];
  const release = (): void => {
    for (const a of attached.splice(0)) a.close();
  };
  try {
    machine = await createMachine(o, files, write, attached);
  } catch (e) {
    release();
    throw asUsageError(e);
  }
  const input = new ConsoleInput({
    toGuest: (bytes) => machine.sendInput(bytes),
    quit: () => machine.stop({ kind: 'stopped' }),
    help: () => stdout.write(ESCAPE_HELP),
  });
  const onData = (chunk: Buffer): void => input.feed(chunk);
  const raw = stdin.isTTY === true;
  if (raw) stdin.setRawMode(true);
  stdin.on('data', onData);
  stdin.resume();
  const onSignal = (): void => machine.stop({ kind: 'stopped' });
  process.on('SIGTERM', onSignal);
  if (!raw) process.on('SIGINT', onSignal);
  let exit: MachineExit;
  try {
    for (;;) {
      exit = await machine.run();
      if (exit.kind !== 'reset') break;
      release();
      try {
        machine = await createMachine(o, files, write, attached);
      } catch (e) {
        throw asUsageError(e);
      }
    }
  } finally {
    release();
    stdin.off('data', onData);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  if (exit.kind === 'limit') {
    process.stderr.write(`typevisor: stopped after ${machine.hart.instret} instructions (--max-instructions)\n`);
    return 3;
  }
  return exitCodeOf(exit);
}
