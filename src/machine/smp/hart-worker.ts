/**
 * A worker thread that runs one hart of a machine whose harts run in parallel (see hart-pool.ts). It shares
 * guest RAM, the CLINT's registers, the clock and the control block with the machine's thread; the CLINT is
 * served here (timer and software interrupts cost no round trip), every other device window through the
 * mailbox (RemoteDevice).
 *
 * Messages: the pool sends { type: 'run', state? } to (re)start the hart, with the state to load when it
 * changed while the hart was parked (a fresh boot or a restore); the worker answers a PARK command with
 * { type: 'parked', state } once it has stopped at a burst boundary, and ends at EXIT.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { Clint } from '../../devices/clint.js';
import { SIFIVE_TEST } from '../../devices/sifive-test-device.js';
import { UART_LSR, UART_REG } from '../../devices/uart16550.js';
import { SystemBus } from '../../memory/bus.js';
import { GuestRam } from '../../memory/ram.js';
import { MIP_MSIP, MIP_MTIP } from '../../riscv/constants.js';
import { updateSupervisorTimer } from '../../riscv/sstc.js';
import { ticksUntilWake } from '../wake-deadline.js';
import { Hart } from '../../riscv/hart.js';
import { restoreHartState, saveHartState } from '../../riscv/hart-state.js';
import { isIdle, runHart } from '../../riscv/run.js';
import { COMPILING_SLICE_MS } from '../../riscv/jit/jit-hart.js';
import { warmUpInterpreter } from '../../riscv/warmup.js';
import { HostClock } from '../clock.js';
import { CMD_EXIT, CMD_RUN, ControlBlock } from './control-block.js';
import { Sbi } from '../sbi.js';
import { VIRT } from '../virt-layout.js';
import { WorkerSbiHarts } from './sbi-harts.js';
import { RemoteDevice } from './remote-device.js';
import type { HartWorkerData, PoolMessage } from './messages.js';

/** Instructions between looks at the command word, the clock and the interrupt lines. */
const BURST = 16_384;
/** Host milliseconds of running between returns to this thread's event loop (messages, compiled code). */
const SLICE_MS = 15;
/** How long a spinning hart (PAUSE) gives its host CPU away when harts outnumber the host's cores. */
const PAUSE_NAP_MS = 0.02;
/** Longest sleep in WFI before looking at the command word again. */
const MAX_SLEEP_MS = 50;

const data = workerData as HartWorkerData;
const port = parentPort!;
const id = data.hartId;
const control = new ControlBlock(data.harts, data.control);
const ram = GuestRam.over(data.ram);
const bus = new SystemBus(ram);
const clock = new HostClock(data.timebaseFrequency, control.clockState);
let mtip = false;
const clint = new Clint({
  harts: data.harts,
  ticks: clock,
  storage: data.clintStorage,
  // The target hart reads its msip word itself; it only needs waking.
  setMsip: (hart) => control.wake(hart),
  setMtip: (hart, level) => {
    if (hart === id) mtip = level;
  },
});
const hart = new Hart(id, bus, { readTime: () => clint.mtime() }, { f: new Int32Array(64), fflags: 0, frm: 0 });
hart.parallel = true;
hart.engine = data.engine;
if (data.yieldOnPause) {
  const nap = new Int32Array(new SharedArrayBuffer(4));
  hart.onPause = () => {
    Atomics.wait(nap, 0, 0, PAUSE_NAP_MS);
  };
}

/** Recomputes the hart's device-driven mip bits: the PLIC's lines, its msip word and its own timer. */
function refreshMip(): void {
  hart.mipHw = control.extMip(id) | (clint.msipOf(id) ? MIP_MSIP : 0) | (mtip ? MIP_MTIP : 0);
  updateSupervisorTimer(hart);
}

for (const w of data.windows) {
  if (w.base === data.clintBase) bus.map(w.base, w.size, clint);
  else bus.map(w.base, w.size, new RemoteDevice(control, id, w.base, w.name, refreshMip));
}

/** With the built-in SBI: the calls that reach other harts, and what they ask of this one. */
const sbiHarts = data.sbi ? new WorkerSbiHarts(control, hart) : undefined;
if (sbiHarts !== undefined) {
  // The console and the test device as OpenSBI drives them, through this hart's bus.
  hart.sbi = new Sbi(
    {
      putchar: (byte) => void bus.write(VIRT.uartBase + UART_REG.rbrThrDll, 1, byte),
      getchar: () =>
        (bus.read(VIRT.uartBase + UART_REG.lsr, 1) & UART_LSR.dr) !== 0 ? bus.read(VIRT.uartBase + UART_REG.rbrThrDll, 1) : -1,
      reset: (kind) =>
        void bus.write(VIRT.testBase + SIFIVE_TEST.finisher, 4, kind === 'poweroff' ? SIFIVE_TEST.pass : SIFIVE_TEST.reset),
      isRam: (pa) => ram.contains(pa, 4),
    },
    sbiHarts,
  ).call;
}

// The interpreter engine only (machine/warm-up.ts says why).
if (data.engine === 'interp') warmUpInterpreter();

/** Runs for one slice; returns the command that stopped it, or CMD_RUN when the slice is over. */
function runSlice(): number {
  const start = performance.now();
  const end = start + SLICE_MS;
  do {
    const cmd = control.command;
    if (cmd !== CMD_RUN) return cmd;
    sbiHarts?.doRequests();
    clint.update();
    refreshMip();
    if (isIdle(hart)) {
      const seq = control.wakeSeq(id);
      // A request made since the look above (a hart_start of this stopped hart) woke nothing yet: do it now.
      sbiHarts?.doRequests();
      refreshMip();
      if (!isIdle(hart)) continue;
      const ticks = ticksUntilWake(clint, hart);
      const ms = Math.min(MAX_SLEEP_MS, (ticks * 1000) / data.timebaseFrequency);
      if (ms > 0) control.sleep(id, seq, ms);
      continue;
    }
    runHart(hart, BURST);
    control.setInstret(id, hart.instret);
    // Translated code being compiled arrives through this thread's event loop (JitHart.compiling).
    if (hart.jit?.compiling === true && performance.now() >= start + COMPILING_SLICE_MS) break;
  } while (performance.now() < end);
  return CMD_RUN;
}

let running = false;

async function run(): Promise<void> {
  running = true;
  for (;;) {
    const cmd = runSlice();
    if (cmd === CMD_EXIT) return;
    if (cmd !== CMD_RUN) {
      running = false;
      control.setInstret(id, hart.instret);
      const msg: PoolMessage = { type: 'parked', hart: id, state: saveHartState(hart), instret: hart.instret };
      port.postMessage(msg);
      return;
    }
    // Lets compiled blocks (the translator compiles in the background) and messages arrive.
    await yieldToEventLoop();
  }
}

port.on('message', (msg: { type: 'run'; state?: unknown }) => {
  if (msg.type !== 'run' || running) return;
  if (msg.state !== undefined) {
    restoreHartState(hart, msg.state);
    hart.tlb.flushAll();
    hart.decode.clear();
  }
  // A reservation does not survive a stop (the SC fails and the guest retries).
  hart.reservation = -1;
  void run().catch((e: unknown) => {
    throw e;
  });
});
port.postMessage({ type: 'ready', hart: id } satisfies PoolMessage);
