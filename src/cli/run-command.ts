/**
 * `typevisor run`: boot a VM whose serial console is this terminal.
 */
import { parseDiskSpec, type DiskSpec } from '../machine/device-specs.js';
import { VIRT } from '../machine/virt-layout.js';
import { ENGINES, type Engine } from '../riscv/engine.js';
import { readBootFiles } from './boot-files.js';
import { parseSize } from './size.js';
import { asUsageError, UsageError } from './usage-error.js';
import type { MachineExtras } from './vm-build.js';
import { absolute, type VmConfig } from './vm-config.js';
import type { VmSession } from './vm-session.js';

export { UsageError } from './usage-error.js';

export interface RunOptions {
  readonly kernel: string;
  readonly initrd: string;
  /** A firmware file, 'builtin' (the default) or 'none'. */
  readonly firmware?: string;
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
  /** --engine: interp or jit (default: defaultEngine()). */
  readonly engine?: string;
  /** --cpus: harts, 1..8. */
  readonly cpus: string;
  /** --api-sock: serve the control API on this Unix socket. */
  readonly apiSock?: string;
}

export const MIN_MEMORY = 16 * 1048576;
/** The TLB keeps RAM offsets in 32-bit signed integers. */
export const MAX_MEMORY = 2048 * 1048576;

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

/** Checks the options and resolves them into a VM configuration (absolute paths). */
export function configFromOptions(o: RunOptions): VmConfig {
  if (o.mmu !== 'sv39' && o.mmu !== 'sv48') throw new UsageError(`--mmu: expected sv39 or sv48, got '${o.mmu}'`);
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
    disks = (o.disk ?? []).map(parseDiskSpec).map((d) => ({ ...d, path: absolute(d.path) }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!/^[1-8]$/.test(o.cpus)) throw new UsageError(`--cpus: expected a number of harts from 1 to 8, got '${o.cpus}'`);
  const cpus = Number(o.cpus);
  const nets = o.net ?? [];
  const devices = disks.length + nets.length + (o.rng ? 1 : 0) + (o.console === 'virtio' ? 1 : 0);
  if (devices > VIRT.virtioSlots) throw new UsageError(`too many virtio devices: ${devices} (at most ${VIRT.virtioSlots})`);
  const firmware = o.firmware ?? 'builtin';
  const bare = firmware === 'none';
  return {
    kernel: absolute(o.kernel),
    initrd: bare ? 'none' : absolute(o.initrd),
    firmware: absolute(firmware),
    append: o.append,
    mmu: o.mmu,
    memBytes,
    cpus,
    console: o.console,
    rng: o.rng,
    disks,
    nets: [...nets],
  };
}

/** The machine options that are not part of the VM's configuration. */
export function machineExtras(o: { readonly maxInstructions?: string; readonly engine?: string }): MachineExtras {
  if (o.maxInstructions !== undefined && !/^\d+$/.test(o.maxInstructions)) {
    throw new UsageError(`--max-instructions: expected a whole number, got '${o.maxInstructions}'`);
  }
  if (o.engine !== undefined && !(ENGINES as readonly string[]).includes(o.engine)) {
    throw new UsageError(`--engine: expected ${ENGINES.join(' or ')}, got '${o.engine}'`);
  }
  return {
    ...(o.maxInstructions !== undefined ? { maxInstructions: Number(o.maxInstructions) } : {}),
    ...(o.engine !== undefined ? { engine: o.engine as Engine } : {}),
  };
}

/** Runs the VM until it powers off or the user quits. Returns the process exit status. */
export async function runCommand(o: RunOptions): Promise<number> {
  const config = configFromOptions(o);
  const extras = machineExtras(o);
  const files = readBootFiles(config);
  // The machine, its CPU and devices are most of the code there is to load: import them only now, while the
  // kernel inflates on the thread pool, so that the two overlap (and commands that boot nothing skip them).
  // The CPU engines first, the interpreter warmed up at once if it is the engine: V8 then optimizes it on another
  // thread while the rest loads and the machine is built (warm-up.ts).
  const { warmUpEngines } = await import('../machine/warm-up.js');
  warmUpEngines(extras.engine);
  const [{ bootVm }, { VmSession }] = await Promise.all([import('./vm-build.js'), import('./vm-session.js')]);
  const write = (b: Uint8Array): void => {
    process.stdout.write(b);
  };
  let session: VmSession;
  try {
    const vm = await bootVm(config, files, write, extras);
    session = new VmSession({ config, vm, extras, write, ...(o.apiSock !== undefined ? { apiSock: o.apiSock } : {}) });
  } catch (e) {
    throw asUsageError(e);
  }
  return session.run();
}
