/**
 * Bare-metal mode as a library call: run an ELF in M-mode with no firmware until it exits through HTIF (or the
 * test device), and collect its console output. The ISA test programs and the CLI's `--firmware none` use it.
 */
import { bootBareMetal } from './boot.js';
import { Machine, type MachineExit } from './machine.js';
import type { Engine } from '../riscv/engine.js';

export interface BareMetalOptions {
  /** Guest RAM (default 128 MiB). */
  readonly memBytes?: number;
  /** Give up after about this many instructions (default: no limit). */
  readonly maxInstructions?: number;
  /** The CPU engine (default: the machine's default). */
  readonly engine?: Engine;
}

export interface BareMetalResult {
  /** The program's exit code; -1 when it hit the instruction limit or was stopped. */
  readonly exitCode: number;
  readonly output: string;
  readonly instructions: number;
  readonly exit: MachineExit;
}

/** The process exit status a machine exit stands for. */
export function exitCodeOf(exit: MachineExit): number {
  switch (exit.kind) {
    case 'poweroff':
    case 'stopped':
      return 0;
    case 'fail':
    case 'htif':
      return exit.code;
    default:
      return -1;
  }
}

export async function runBareMetal(elf: Uint8Array, options: BareMetalOptions = {}): Promise<BareMetalResult> {
  const chunks: Buffer[] = [];
  const machine = new Machine({
    memBytes: options.memBytes ?? 128 * 1048576,
    onOutput: (bytes) => chunks.push(Buffer.from(bytes)),
    ...(options.maxInstructions !== undefined ? { maxInstructions: options.maxInstructions } : {}),
    ...(options.engine !== undefined ? { engine: options.engine } : {}),
  });
  bootBareMetal(machine, elf);
  const exit = await machine.run();
  return {
    exitCode: exitCodeOf(exit),
    output: Buffer.concat(chunks).toString('utf8'),
    instructions: machine.hart.instret,
    exit,
  };
}
