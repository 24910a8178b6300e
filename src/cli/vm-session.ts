/**
 * A VM running in this process with this terminal as its console: host input goes to the guest (Ctrl-A X quits),
 * SIGTERM stops it, a guest reboot builds and boots a fresh machine, and with --api-sock the control API serves
 * on a Unix socket for as long as the VM runs.
 */
import type { ControlServer } from '../api/server.js';
import { exitCodeOf } from '../machine/baremetal.js';
import type { MachineExit } from '../machine/machine.js';
import type { LazyRamLoader } from '../snapshot/lazy-ram.js';
import { ConsoleInput, ESCAPE_HELP } from './console-input.js';
import { applyV8Flags } from './node-flags.js';
import { asUsageError, UsageError } from './usage-error.js';
import { bootVm, readBootFiles, releaseAll, type BuiltVm, type MachineExtras } from './vm-build.js';
import type { VmConfig } from './vm-config.js';
import type { ControlledVm } from './vm-controller.js';

/** Queued console input (bytes) above which the terminal is no longer read, and below which it is again. */
const INPUT_HIGH_WATER = 1 << 20;
const INPUT_LOW_WATER = 64 << 10;

export interface SessionOptions {
  readonly config: VmConfig;
  readonly vm: BuiltVm;
  readonly extras: MachineExtras;
  readonly apiSock?: string;
  readonly restoredFrom?: string;
  /** RAM still arriving from a snapshot (lazy restore). */
  readonly lazyRam?: LazyRamLoader;
  readonly write: (b: Uint8Array) => void;
}

export class VmSession implements ControlledVm {
  readonly config: VmConfig;
  readonly restoredFrom?: string;
  private vm: BuiltVm;
  private readonly o: SessionOptions;
  private lazyRam: LazyRamLoader | undefined;
  private failure: unknown;

  constructor(o: SessionOptions) {
    this.o = o;
    this.config = o.config;
    this.vm = o.vm;
    this.lazyRam = o.lazyRam;
    if (o.restoredFrom !== undefined) this.restoredFrom = o.restoredFrom;
  }

  current(): BuiltVm {
    return this.vm;
  }

  loadAllRam(): void {
    this.lazyRam?.ensureAll();
  }

  /** Stops the VM because something it depends on failed (a snapshot's RAM file went bad, say). */
  fail(e: unknown): void {
    this.failure ??= e;
    this.vm.machine.stop({ kind: 'stopped' });
  }

  /** Runs the VM until it powers off or the user quits. Returns the process exit status. */
  async run(): Promise<number> {
    const stdin = process.stdin;
    const stdout = process.stdout;
    // The kernel and initramfs may still be arriving in RAM (BuiltVm.loaded), read on the thread pool while this
    // session and the console's streams were made: nothing may run or see the machine before they are there.
    try {
      await this.vm.loaded;
    } catch (e) {
      this.release();
      throw asUsageError(e);
    }
    let server: ControlServer | undefined;
    if (this.o.apiSock !== undefined) {
      try {
        // Loaded only when asked for: the HTTP stack and the snapshot code cost start-up time every other run
        // would pay.
        const [{ startControlServer }, { MachineController }] = await Promise.all([import('../api/server.js'), import('./vm-controller.js')]);
        server = await startControlServer(this.o.apiSock, new MachineController(this));
      } catch (e) {
        this.release();
        throw new UsageError(`--api-sock ${this.o.apiSock}: ${(e as Error).message}`);
      }
    }
    // Node's built-in modules this run needs are loaded now (the streams last): V8's options for running the VM
    // can be set without making V8 refuse Node's code cache of those modules (node-flags.ts).
    applyV8Flags();
    const input = new ConsoleInput({
      toGuest: (bytes) => this.vm.machine.sendInput(bytes),
      quit: () => this.vm.machine.stop({ kind: 'stopped' }),
      help: () => stdout.write(ESCAPE_HELP),
    });
    // Backpressure: a guest reads its console slowly; stop reading the terminal (or a pipe flooding it) while
    // much of what was read is still queued, and go on once the guest has taken most of it.
    let drainTimer: NodeJS.Timeout | undefined;
    const onData = (chunk: Buffer): void => {
      input.feed(chunk);
      if (drainTimer === undefined && this.vm.machine.inputBacklog() > INPUT_HIGH_WATER) {
        stdin.pause();
        drainTimer = setInterval(() => {
          if (this.vm.machine.inputBacklog() > INPUT_LOW_WATER && this.vm.machine.runState !== 'stopped') return;
          clearInterval(drainTimer);
          drainTimer = undefined;
          stdin.resume();
        }, 20);
      }
    };
    const raw = stdin.isTTY === true;
    if (raw) stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.resume();
    const onSignal = (): void => this.vm.machine.stop({ kind: 'stopped' });
    process.on('SIGTERM', onSignal);
    if (!raw) process.on('SIGINT', onSignal);
    let exit: MachineExit;
    try {
      for (;;) {
        try {
          exit = await this.vm.machine.run();
        } catch (e) {
          throw asUsageError(e);
        }
        if (this.failure !== undefined) throw asUsageError(this.failure);
        if (exit.kind !== 'reset') break;
        this.release();
        try {
          this.vm = await bootVm(this.config, readBootFiles(this.config), this.o.write, this.o.extras);
          await this.vm.loaded;
        } catch (e) {
          throw asUsageError(e);
        }
      }
    } finally {
      if (drainTimer !== undefined) clearInterval(drainTimer);
      this.release();
      await server?.close();
      stdin.off('data', onData);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
    if (exit.kind === 'limit') {
      process.stderr.write(`typevisor: stopped after ${this.vm.machine.instructions()} instructions (--max-instructions)\n`);
      return 3;
    }
    return exitCodeOf(exit);
  }

  private release(): void {
    this.lazyRam?.close();
    this.lazyRam = undefined;
    releaseAll(this.vm.attached);
  }
}
