/**
 * Typevisor's `virt` machine: RAM, the system bus, CLINT, PLIC, a 16550 UART, the SiFive test device and one
 * RV64GC hart, wired as on QEMU's riscv virt board, and the loop that runs it against the host's clock.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Clint } from '../devices/clint.js';
import { Plic } from '../devices/plic.js';
import { SifiveTest, type SifiveTestEvent } from '../devices/sifive-test-device.js';
import { Uart16550 } from '../devices/uart16550.js';
import { SystemBus } from '../memory/bus.js';
import { GuestRam } from '../memory/ram.js';
import { MIP_MEIP, MIP_MSIP, MIP_MTIP, MIP_SEIP } from '../riscv/constants.js';
import { Hart } from '../riscv/hart.js';
import { DecodeCache } from '../riscv/decode-cache.js';
import { runHart, isIdle } from '../riscv/run.js';
import { COMPILING_SLICE_MS } from '../riscv/jit/jit-hart.js';
import { updateSupervisorTimer } from '../riscv/sstc.js';
import { defaultEngine, type Engine } from '../riscv/engine.js';
import { warmUpEngines } from './warm-up.js';
import { MIN_BURST, nextBurst } from './burst.js';
import { ArrayGuestMemory, type GuestMemory } from '../virtio/guest-memory.js';
import type { VirtioDevice } from '../virtio/device.js';
import { VirtioMmioTransport, VIRTIO_MMIO_WINDOW } from '../virtio/mmio-transport.js';
import { HostClock } from './clock.js';
import { attachConsoleFastPath } from './console-fast-path.js';
import { Sbi } from './sbi.js';
import { ticksUntilWake } from './wake-deadline.js';
import { ParallelHarts, type ParallelHost } from './smp/parallel-harts.js';
import { VIRT } from './virt-layout.js';
import { VIRT_MAX_HARTS } from './virt-dt.js';

export type MachineExit =
  | { readonly kind: 'poweroff' }
  | { readonly kind: 'fail'; readonly code: number }
  | { readonly kind: 'reset' }
  | { readonly kind: 'htif'; readonly code: number }
  | { readonly kind: 'stopped' }
  | { readonly kind: 'limit' };

export interface MachineOptions {
  /** Guest RAM in bytes. */
  readonly memBytes: number;
  /** Receives guest console output (UART and HTIF), in chunks. */
  readonly onOutput: (bytes: Uint8Array) => void;
  /** Warm the interpreter up after the constructor returns rather than in it (saves ~30 ms before running). */
  readonly deferWarmUp?: boolean;
  /** Number of harts, 1..VIRT_MAX_HARTS (default 1). */
  readonly harts?: number;
  /**
   * Run each hart in its own worker thread, in parallel (the default with several harts), rather than taking
   * turns on this thread, a burst each.
   */
  readonly parallel?: boolean;
  /** Stop with `{ kind: 'limit' }` after about this many instructions. */
  readonly maxInstructions?: number;
  /** The CPU engine (default: defaultEngine(), the translator unless TYPEVISOR_ENGINE says otherwise). */
  readonly engine?: Engine;
  /**
   * The VMM implements the SBI (sbi.ts) for a kernel entered in S-mode, with no M-mode firmware. With several
   * harts, only when they run in parallel (worker threads).
   */
  readonly sbi?: boolean;
}

/** Instructions run between checks of the clock and devices, with harts in turns (burst.ts adapts one hart's). */
const BURST = MIN_BURST;
/** Host milliseconds of guest execution between returns to the event loop (input, output, signals). */
const SLICE_MS = 15;
/** Longest sleep while the guest waits for an interrupt: bounds the latency of anything not announced. */
const MAX_IDLE_MS = 50;

/** A console device that takes host input one byte at a time, with backpressure. */
export interface ConsoleInput {
  canReceive(): boolean;
  receive(byte: number): boolean;
  /** Delivers a serial break (the Magic SysRq prefix); false to retry later. Absent: breaks are dropped. */
  receiveBreak?(): boolean;
}

/** In the console input queue, a break rather than a byte. */
export const CONSOLE_BREAK = 0x100;

export class Machine {
  readonly ram: GuestRam;
  readonly bus: SystemBus;
  readonly clock: HostClock;
  readonly clint: Clint;
  readonly plic: Plic;
  readonly uart: Uart16550;
  /** The boot hart (hart 0). */
  readonly hart: Hart;
  /** Every hart, by hart id. */
  readonly harts: readonly Hart[];
  /** Guest RAM as devices see it (DMA): writes there also drop decoded instructions. */
  readonly guestMemory: GuestMemory;
  /** virtio-mmio transports, by slot. */
  readonly virtio: VirtioMmioTransport[] = [];
  /** Where host console input goes; the UART unless a virtio console takes over. */
  private consoleIn: ConsoleInput;
  private exit: MachineExit | undefined;
  /** Instructions the hart runs before the next check of the clock (one hart; burst.ts). */
  private burst = MIN_BURST;
  private readonly onOutput: (bytes: Uint8Array) => void;
  private readonly maxInstructions: number;
  private out = new Uint8Array(4096);
  private outLength = 0;
  private readonly input: number[] = [];
  /** Index of the next queued input item to deliver. */
  private inputHead = 0;
  private wakeIdle: (() => void) | undefined;
  private paused = false;
  private wakePaused: (() => void) | undefined;
  /** Host time when the machine was made (uptime is measured from here; time spent paused included). */
  readonly createdAt = performance.now();
  /** With several harts: them running in worker threads (src/machine/smp). */
  private readonly parallel: ParallelHarts | undefined;
  /** Why the run ended, if a worker thread failed. */
  private failure: Error | undefined;
  private readonly engine: Engine;
  /** The harts answer SBI calls themselves (MachineOptions.sbi): there is no M-mode firmware. */
  readonly sbi: boolean;

  constructor(options: MachineOptions) {
    const engine = options.engine ?? defaultEngine();
    this.onOutput = options.onOutput;
    this.maxInstructions = options.maxInstructions ?? Infinity;
    this.engine = engine;
    const count = options.harts ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > VIRT_MAX_HARTS) {
      throw new RangeError(`harts must be an integer in 1..${VIRT_MAX_HARTS}, got ${String(count)}`);
    }
    // Harts run in worker threads as asked, else when there are several (MachineOptions.parallel).
    const parallel = options.parallel ?? count > 1;
    if (count > 1 && engine === 'jit' && !parallel) throw new RangeError('harts taking turns on one thread run on the interpreter only');
    // A restore wants the guest running within milliseconds: warm up between the first slices instead.
    if (options.deferWarmUp === true) setImmediate(() => warmUpEngines(engine));
    else warmUpEngines(engine);
    // The translator keeps registers and TLB next to RAM in one WebAssembly memory; harts in worker threads
    // share it (or a SharedArrayBuffer). The translator's is shared with one hart too: V8 counts a WebAssembly
    // memory that is not as its heap's external memory, and one of a guest's size made it collect garbage at
    // once (two collections, ~3.5 ms of every start; the machine built in ~3 ms instead of ~7). Guest code runs
    // as fast in either (tools/duo.mjs, both orders: sha256sum 1.012 and 0.996, gzip 1.004 and 0.997, shell
    // loop 0.974 and 0.980).
    this.ram = new GuestRam(VIRT.ramBase, options.memBytes, { wasm: engine === 'jit', shared: parallel || engine === 'jit' });
    this.bus = new SystemBus(this.ram);
    this.parallel = parallel ? new ParallelHarts(count) : undefined;
    this.clock = new HostClock(VIRT.timebaseFrequency, this.parallel?.control.clockState);
    this.clock.start();
    // One decoded-instruction cache for all harts: a write by any of them (or by a device) drops the page for all.
    const decode = new DecodeCache(this.ram.size);
    const platform = { readTime: () => this.clint.mtime() };
    const harts: Hart[] = [];
    for (let id = 0; id < count; id++) {
      // With harts in workers, these only hold the harts' states between runs: the workers' harts use the areas.
      const h = new Hart(id, this.bus, platform, { f: new Int32Array(64), fflags: 0, frm: 0 }, decode, { ownStorage: parallel });
      h.engine = engine;
      harts.push(h);
    }
    this.harts = harts;
    this.hart = harts[0]!;
    this.sbi = options.sbi === true;
    if (this.sbi && count > 1 && !parallel) throw new RangeError('the built-in SBI serves several harts only in worker threads (MachineOptions.parallel)');
    // With harts in worker threads each worker's hart has its SBI (hart-worker.ts).
    if (this.sbi && !parallel) {
      this.hart.sbi = new Sbi({
        putchar: (byte) => this.emit(byte),
        getchar: () => this.takeInputByte(),
        reset: (kind) => this.stop({ kind }),
        isRam: (pa) => this.ram.contains(pa, 4),
      }).call;
    }
    const setBit = (id: number, bit: number, level: boolean): void => {
      const h = harts[id];
      if (h !== undefined) h.mipHw = level ? h.mipHw | bit : h.mipHw & ~bit;
    };
    const control = this.parallel?.control;
    // With harts in workers, each worker's own CLINT (over the same registers) drives its hart's MSIP and MTIP;
    // this one is for snapshots and only wakes a hart whose msip a restore changes.
    this.clint = new Clint({
      harts: count,
      ticks: this.clock,
      setMsip: (id, level) => (control !== undefined ? control.wake(id) : setBit(id, MIP_MSIP, level)),
      setMtip: (id, level) => setBit(id, MIP_MTIP, level),
      ...(this.parallel !== undefined ? { storage: this.parallel.clintStorage } : {}),
    });
    // PLIC contexts as on QEMU virt: 2i is hart i's M-mode external interrupt, 2i + 1 its S-mode one.
    this.plic = new Plic({
      sources: VIRT.plicSources,
      contexts: 2 * count,
      setContextIrq: (context, level) => {
        const bit = (context & 1) === 0 ? MIP_MEIP : MIP_SEIP;
        if (control !== undefined) control.setExtMip(context >> 1, bit, level);
        else setBit(context >> 1, bit, level);
      },
    });
    this.uart = new Uart16550({
      irq: this.plic.irqLine(VIRT.uartIrq),
      output: (byte) => this.emit(byte),
      onRxSpace: () => this.feedInput(),
    });
    this.guestMemory = ArrayGuestMemory.fromRam(this.ram, (offset, length) => decode.written(offset, length));
    const uart = this.uart;
    this.consoleIn = { canReceive: () => uart.canReceive(), receive: (b) => uart.receive(b), receiveBreak: () => uart.receiveBreak() };
    const test = new SifiveTest({ onExit: (event) => this.onTestDevice(event) });
    this.bus.map(VIRT.testBase, VIRT.testSize, test);
    this.bus.map(VIRT.clintBase, VIRT.clintSize, this.clint);
    this.bus.map(VIRT.plicBase, VIRT.plicSize, this.plic);
    this.bus.map(VIRT.uartBase, VIRT.uartSize, this.uart);
    if (engine === 'jit' && this.parallel === undefined && this.hart.area >= 0) {
      attachConsoleFastPath(this.hart, this.uart, VIRT.uartBase);
    }
  }

  /**
   * Puts `device` in the next free virtio-mmio slot (window virtioBase + slot * stride, PLIC source
   * virtioIrqBase + slot). Returns the slot; the device tree lists every attached slot.
   */
  attachVirtio(device: VirtioDevice, log?: (line: string) => void): number {
    const slot = this.virtio.length;
    if (slot >= VIRT.virtioSlots) throw new RangeError(`at most ${VIRT.virtioSlots} virtio devices fit in the machine`);
    const transport = new VirtioMmioTransport({
      device,
      memory: this.guestMemory,
      irq: this.plic.irqLine(VIRT.virtioIrqBase + slot),
      ...(log !== undefined ? { log } : {}),
    });
    this.bus.map(VIRT.virtioBase + slot * VIRT.virtioStride, VIRTIO_MMIO_WINDOW, transport);
    this.virtio.push(transport);
    return slot;
  }

  /** Sends host console input to `sink` (a virtio console) instead of the UART. */
  routeConsoleInput(sink: ConsoleInput): void {
    this.consoleIn = sink;
  }

  /** Wakes the run loop (a device got host input while the guest sleeps). */
  wake(): void {
    this.wakeUp();
  }

  /** Console input items queued and not yet taken by the guest (the host should stop reading when it grows). */
  inputBacklog(): number {
    return this.input.length - this.inputHead;
  }

  /** Queues console input for the guest's console (the UART unless routed elsewhere). */
  sendInput(bytes: Uint8Array): void {
    for (const b of bytes) this.input.push(b);
    this.feedInput();
    this.wakeUp();
  }

  /** Asks the run loop to stop at its next check. */
  stop(exit: MachineExit = { kind: 'stopped' }): void {
    this.exit ??= exit;
    this.wakeUp();
    this.wakePaused?.();
    this.parallel?.ring();
  }

  /** Whether the guest is running, paused, or gone (its run loop has an exit to return). */
  get runState(): 'running' | 'paused' | 'stopped' {
    return this.exit !== undefined ? 'stopped' : this.paused ? 'paused' : 'running';
  }

  /**
   * Stops executing guest code at once: this is called between the run loop's slices (JavaScript runs one thing
   * at a time), so no instruction is half done. The guest's clock stands still until resume().
   */
  pause(): Promise<void> {
    if (this.paused) return this.parallel?.parked() ?? Promise.resolve();
    this.paused = true;
    this.clock.pause();
    this.flushOutput();
    // Harts in workers stop at their next burst boundary; their states then come here, for snapshots.
    return this.parallel?.park(this.harts).then(() => this.flushOutput()) ?? Promise.resolve();
  }

  /** Lets a paused guest run on, its clock continuing from where it stopped. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.clock.resume();
    this.parallel?.unpark(this.parallelHost());
    this.wakePaused?.();
  }

  /** Instructions retired by every hart (for status; approximate while harts run in workers). */
  instructions(): number {
    const inWorkers = this.parallel?.instructions();
    if (inWorkers !== undefined) return inWorkers;
    let n = 0;
    for (const h of this.harts) n += h.instret;
    return n;
  }

  /** Queues a serial break for the guest's console (see ConsoleInput.receiveBreak). */
  sendBreak(): void {
    this.input.push(CONSOLE_BREAK);
    this.feedInput();
    this.wakeUp();
  }

  /** Console input queued for the guest but not yet taken: bytes, and CONSOLE_BREAK for a break. */
  pendingInput(): number[] {
    return this.input.slice(this.inputHead);
  }

  /** Replaces the queued console input (snapshot restore). */
  setPendingInput(items: readonly number[]): void {
    this.input.length = 0;
    this.inputHead = 0;
    for (const b of items) this.input.push(b);
    this.feedInput();
  }

  /** Appends a console byte (UART or HTIF) to the output buffer. */
  emit(byte: number): void {
    if (this.outLength === this.out.length) {
      const bigger = new Uint8Array(this.out.length * 2);
      bigger.set(this.out);
      this.out = bigger;
    }
    this.out[this.outLength++] = byte;
  }

  /** Runs the machine until the guest powers off, fails, resets, or `stop` is called. */
  async run(): Promise<MachineExit> {
    if (this.parallel !== undefined) return this.runParallel(this.parallel);
    const hart = this.hart;
    const clint = this.clint;
    for (;;) {
      if (this.exit !== undefined) return this.exit;
      if (this.paused) {
        await new Promise<void>((resolve) => (this.wakePaused = resolve));
        this.wakePaused = undefined;
        continue;
      }
      const sliceStart = performance.now();
      const sliceEnd = sliceStart + SLICE_MS;
      if (this.harts.length === 1) {
        let t = sliceStart;
        for (;;) {
          clint.update();
          updateSupervisorTimer(hart);
          const before = hart.instret;
          runHart(hart, Math.min(this.burst, Math.max(1, this.maxInstructions - before)));
          if (hart.instret >= this.maxInstructions) this.exit ??= { kind: 'limit' };
          if (this.exit !== undefined || isIdle(hart)) {
            // What runs after a wake-up (an interrupt handler) is mostly cold code: a short first burst.
            this.burst = MIN_BURST;
            break;
          }
          const now = performance.now();
          this.burst = nextBurst(hart.instret - before, now - t);
          t = now;
          // Translated code being compiled arrives through the event loop (JitHart.compiling).
          if (hart.jit?.compiling === true && now >= sliceStart + COMPILING_SLICE_MS) break;
          if (now >= sliceEnd) break;
        }
      } else {
        do {
          clint.update();
          this.runHartsOnce();
          if (this.exit !== undefined || this.allIdle()) break;
        } while (performance.now() < sliceEnd);
      }
      this.flushOutput();
      if (this.exit !== undefined) return this.exit;
      if (this.allIdle()) await this.idle();
      else await yieldToEventLoop();
    }
  }

  /**
   * The run loop with harts in worker threads: this thread serves their device accesses (waiting on the
   * doorbell between them, which lets the event loop run), while the harts run on their own.
   */
  private async runParallel(parallel: ParallelHarts): Promise<MachineExit> {
    await parallel.run(this.parallelHost());
    if (this.failure !== undefined) throw this.failure;
    return this.exit ?? { kind: 'stopped' };
  }

  /** What the harts' worker threads need of this machine. */
  private parallelHost(): ParallelHost {
    return {
      harts: this.harts,
      bus: this.bus,
      ram: this.ram,
      engine: this.engine,
      timebaseFrequency: VIRT.timebaseFrequency,
      clintBase: VIRT.clintBase,
      maxInstructions: this.maxInstructions,
      ended: () => this.exit !== undefined,
      fail: (e) => {
        this.failure ??= e;
        this.stop({ kind: 'stopped' });
      },
      limitReached: () => {
        this.exit ??= { kind: 'limit' };
      },
      outputPending: () => this.outLength,
      flushOutput: () => this.flushOutput(),
      paused: () => this.paused,
      sbi: this.sbi,
    };
  }

  /**
   * Gives every hart that is not waiting for an interrupt one burst, in hart order. The harts share this
   * thread, so a burst boundary is where one hart's stores become visible to the next; an LR reservation does
   * not survive other harts running (the SC then fails and the guest retries, as RVWMO allows).
   */
  private runHartsOnce(): void {
    let total = 0;
    for (const h of this.harts) {
      updateSupervisorTimer(h);
      if (!isIdle(h)) {
        h.reservation = -1;
        runHart(h, BURST);
      }
      total += h.instret;
      if (this.exit !== undefined) return;
    }
    if (total >= this.maxInstructions) this.exit ??= { kind: 'limit' };
  }

  /** Whether every hart waits for an interrupt with nothing pending. */
  private allIdle(): boolean {
    for (const h of this.harts) if (!isIdle(h)) return false;
    return true;
  }

  /** Sleeps until the guest's next timer deadline, new input, or MAX_IDLE_MS. */
  private async idle(): Promise<void> {
    let ticks = Infinity;
    for (const h of this.harts) {
      ticks = Math.min(ticks, ticksUntilWake(this.clint, h));
    }
    const ms = Math.min(MAX_IDLE_MS, (ticks * 1000) / VIRT.timebaseFrequency);
    if (ms <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeIdle = done;
    });
    this.wakeIdle = undefined;
  }

  private wakeUp(): void {
    this.wakeIdle?.();
  }

  /** The next queued console input byte no console device has taken, or -1 (the SBI's console_getchar). */
  private takeInputByte(): number {
    const item = this.input[this.inputHead];
    if (item === undefined || item === CONSOLE_BREAK) return -1;
    this.inputHead++;
    return item;
  }

  /** Moves queued host input into the console device while it has room. */
  feedInput(): void {
    const sink = this.consoleIn;
    while (this.inputHead < this.input.length) {
      const item = this.input[this.inputHead]!;
      if (item === CONSOLE_BREAK) {
        if (sink.receiveBreak !== undefined && !sink.receiveBreak()) break;
      } else if (!sink.canReceive() || !sink.receive(item)) break;
      this.inputHead++;
    }
    // Consumed input is dropped in bulk (shift() per byte would make a large paste quadratic).
    if (this.inputHead === this.input.length) {
      this.input.length = 0;
      this.inputHead = 0;
    } else if (this.inputHead > 4096) {
      this.input.splice(0, this.inputHead);
      this.inputHead = 0;
    }
  }

  /** Hands buffered console output to onOutput now. */
  flushOutput(): void {
    if (this.outLength === 0) return;
    this.onOutput(this.out.slice(0, this.outLength));
    this.outLength = 0;
  }

  private onTestDevice(event: SifiveTestEvent): void {
    this.stop(event);
  }
}
