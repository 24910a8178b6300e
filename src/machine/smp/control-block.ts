/**
 * The shared memory through which the machine's thread (devices, console, control API) and the hart worker
 * threads talk, laid out as Int32 words:
 *
 *   word 0              doorbell: bumped by a hart that left an MMIO request; the machine waits on it
 *   word 1              command to every hart: RUN, PARK (stop at the next burst and report) or EXIT
 *   per hart h, at HART_BASE + h * HART_WORDS:
 *     +0  mailbox state: IDLE, REQUEST (the hart waits for an answer) or DONE (answered)
 *     +1  access: READ or WRITE
 *     +2  physical address (device windows all lie below 4 GiB)
 *     +3  size in bytes (1, 2 or 4)
 *     +4  value written, or value read
 *     +5  result: 1 when a device answered, 0 on a bus error
 *     +6  external interrupt lines into the hart's mip (MEIP, SEIP), driven by the PLIC
 *     +7  wake sequence: bumped (and notified) when anything the hart may wait for in WFI changes
 *     +8  1 while the hart sleeps in WFI
 *     with the built-in SBI (sbi.ts, sbi-harts.ts), what harts ask of each other:
 *     +9  HSM state: HSM_STARTED, HSM_STOPPED, HSM_CLAIMED (a hart_start writing its arguments), HSM_START_PENDING
 *     +10..+13  hart_start's start address and opaque value (lo, hi each)
 *     +14 requests: REQ_SSIP (an IPI), REQ_FENCE_I, REQ_SFENCE_VMA, or'ed in by other harts
 *     +15 request sequence: bumped by a hart that posted a fence and waits for it
 *     +16 done sequence: the request sequence the hart had seen when it last did its requests
 *   Float64 slots after the words: per hart its retired-instruction count, then the clock's state.
 *
 * Only the mailbox needs a hand-off protocol: the hart writes the request words, then REQUEST with a release
 * store (Atomics), then bumps the doorbell; the machine answers, then stores DONE.
 */
import { CLOCK_STATE_SLOTS } from '../clock.js';
import { HSM_START_PENDING, HSM_STARTED, HSM_STOPPED } from '../sbi.js';

export const CMD_RUN = 0;
export const CMD_PARK = 1;
export const CMD_EXIT = 2;

export const MBOX_IDLE = 0;
export const MBOX_REQUEST = 1;
export const MBOX_DONE = 2;

export const ACCESS_READ = 0;
export const ACCESS_WRITE = 1;

const W_DOORBELL = 0;
const W_COMMAND = 1;
const HART_BASE = 16;
const HART_WORDS = 24;
const H_STATE = 0;
const H_ACCESS = 1;
const H_ADDR = 2;
const H_SIZE = 3;
const H_VALUE = 4;
const H_OK = 5;
const H_EXT_MIP = 6;
const H_WAKE = 7;
const H_SLEEPING = 8;
const H_HSM = 9;
const H_START = 10;
const H_REQ = 14;
const H_REQ_SEQ = 15;
const H_DONE_SEQ = 16;

/** An HSM state of the control block's own: a hart_start writing its arguments (reads as HSM_STOPPED). */
const HSM_CLAIMED = 100;

export const REQ_SSIP = 1;
export const REQ_FENCE_I = 2;
export const REQ_SFENCE_VMA = 4;

function byteLength(harts: number): number {
  const words = HART_BASE + harts * HART_WORDS;
  return words * 4 + (harts + CLOCK_STATE_SLOTS) * 8;
}

export class ControlBlock {
  readonly harts: number;
  readonly buffer: SharedArrayBuffer;
  private readonly w: Int32Array;
  private readonly instret: Float64Array;
  /** The machine clock's state (see HostClock). */
  readonly clockState: Float64Array;

  constructor(harts: number, buffer?: SharedArrayBuffer) {
    if (!Number.isInteger(harts) || harts < 1 || harts > 64) throw new RangeError(`control block: bad hart count ${harts}`);
    this.harts = harts;
    this.buffer = buffer ?? new SharedArrayBuffer(byteLength(harts));
    if (this.buffer.byteLength !== byteLength(harts)) throw new RangeError('control block: buffer size does not match the hart count');
    const words = HART_BASE + harts * HART_WORDS;
    this.w = new Int32Array(this.buffer, 0, words);
    this.instret = new Float64Array(this.buffer, words * 4, harts);
    this.clockState = new Float64Array(this.buffer, words * 4 + harts * 8, CLOCK_STATE_SLOTS);
  }

  private at(hart: number, field: number): number {
    return HART_BASE + hart * HART_WORDS + field;
  }

  // ------------------------------------------------------------------ commands

  get command(): number {
    return Atomics.load(this.w, W_COMMAND);
  }

  /** Sets the command for every hart and wakes the sleeping ones so that they see it. */
  setCommand(cmd: number): void {
    Atomics.store(this.w, W_COMMAND, cmd);
    for (let h = 0; h < this.harts; h++) this.wake(h);
  }

  // ------------------------------------------------------------------ interrupts and sleeping

  /** The PLIC's lines into hart `hart`'s mip (MEIP, SEIP bits). */
  extMip(hart: number): number {
    return Atomics.load(this.w, this.at(hart, H_EXT_MIP));
  }

  /** Raises or lowers mip bit(s) `bits` of hart `hart` and wakes it if it sleeps. */
  setExtMip(hart: number, bits: number, level: boolean): void {
    const i = this.at(hart, H_EXT_MIP);
    if (level) Atomics.or(this.w, i, bits);
    else Atomics.and(this.w, i, ~bits);
    this.wake(hart);
  }

  /** Wakes hart `hart` from WFI (something it waits for changed). */
  wake(hart: number): void {
    const i = this.at(hart, H_WAKE);
    Atomics.add(this.w, i, 1);
    Atomics.notify(this.w, i);
  }

  /** The wake sequence to pass to `sleep` (read it before checking whether to sleep). */
  wakeSeq(hart: number): number {
    return Atomics.load(this.w, this.at(hart, H_WAKE));
  }

  /** Sleeps until `wake(hart)` is called after `seq` was read, or `ms` pass. */
  sleep(hart: number, seq: number, ms: number): void {
    Atomics.store(this.w, this.at(hart, H_SLEEPING), 1);
    Atomics.wait(this.w, this.at(hart, H_WAKE), seq, ms);
    Atomics.store(this.w, this.at(hart, H_SLEEPING), 0);
  }

  /** Whether hart `hart` sleeps in WFI. */
  sleeping(hart: number): boolean {
    return Atomics.load(this.w, this.at(hart, H_SLEEPING)) === 1;
  }

  // ------------------------------------------------------------------ what harts ask of each other (built-in SBI)

  /** Hart `hart`'s HSM state (a start being claimed reads as stopped). */
  hsm(hart: number): number {
    const v = Atomics.load(this.w, this.at(hart, H_HSM));
    return v === HSM_CLAIMED ? HSM_STOPPED : v;
  }

  /** Sets hart `hart`'s own HSM state (STARTED or STOPPED), as it runs or stops. */
  setHsm(hart: number, state: number): void {
    Atomics.store(this.w, this.at(hart, H_HSM), state);
    Atomics.notify(this.w, this.at(hart, H_HSM));
  }

  /**
   * Asks stopped hart `hart` to start at `addr` with `opaque` (each as lo, hi): false when it is not stopped (or
   * another hart's start of it is under way).
   */
  requestStart(hart: number, addrLo: number, addrHi: number, opaqueLo: number, opaqueHi: number): boolean {
    const i = this.at(hart, H_HSM);
    if (Atomics.compareExchange(this.w, i, HSM_STOPPED, HSM_CLAIMED) !== HSM_STOPPED) return false;
    const a = this.at(hart, H_START);
    this.w[a] = addrLo;
    this.w[a + 1] = addrHi;
    this.w[a + 2] = opaqueLo;
    this.w[a + 3] = opaqueHi;
    Atomics.store(this.w, i, HSM_START_PENDING);
    this.wake(hart);
    return true;
  }

  /** Takes back a start request hart `hart` has not taken yet; false when it has (it runs, or is starting). */
  withdrawStart(hart: number): boolean {
    return Atomics.compareExchange(this.w, this.at(hart, H_HSM), HSM_START_PENDING, HSM_STOPPED) === HSM_START_PENDING;
  }

  /**
   * Takes the start request for hart `hart`, which is then started: its start address and opaque value (lo, hi
   * each), or undefined if there is none (or it was withdrawn first).
   */
  takeStart(hart: number): Int32Array | undefined {
    const i = this.at(hart, H_HSM);
    if (Atomics.load(this.w, i) !== HSM_START_PENDING) return undefined;
    const a = this.at(hart, H_START);
    const args = this.w.slice(a, a + 4);
    if (Atomics.compareExchange(this.w, i, HSM_START_PENDING, HSM_STARTED) !== HSM_START_PENDING) return undefined;
    Atomics.notify(this.w, i);
    return args;
  }

  /** Waits up to `ms` for hart `hart`'s HSM state to move from `state`. */
  waitHsm(hart: number, state: number, ms: number): void {
    Atomics.wait(this.w, this.at(hart, H_HSM), state, ms);
  }

  /**
   * Posts requests `bits` to hart `hart` and wakes it. Returns the sequence number to wait for (waitDone) until
   * they are done.
   */
  postRequests(hart: number, bits: number): number {
    Atomics.or(this.w, this.at(hart, H_REQ), bits);
    const seq = Atomics.add(this.w, this.at(hart, H_REQ_SEQ), 1) + 1;
    this.wake(hart);
    return seq;
  }

  /** Hart `hart`'s requests posted so far, left in place (a machine parking reads the IPIs in flight). */
  requests(hart: number): number {
    return Atomics.load(this.w, this.at(hart, H_REQ));
  }

  /**
   * Takes hart `hart`'s requests: calls `doRequests` with them when there are any, then says they are done up to
   * the sequence posted before they were taken.
   */
  takeRequests(hart: number, doRequests: (bits: number) => void): void {
    const seqAt = this.at(hart, H_REQ_SEQ);
    const seq = Atomics.load(this.w, seqAt);
    const doneAt = this.at(hart, H_DONE_SEQ);
    if (seq === Atomics.load(this.w, doneAt) && Atomics.load(this.w, this.at(hart, H_REQ)) === 0) return;
    const bits = Atomics.exchange(this.w, this.at(hart, H_REQ), 0);
    if (bits !== 0) doRequests(bits);
    Atomics.store(this.w, doneAt, seq);
    Atomics.notify(this.w, doneAt);
  }

  /** Whether hart `hart` has done its requests up to sequence `seq`; waits up to `ms` for it first if not. */
  waitDone(hart: number, seq: number, ms: number): boolean {
    const doneAt = this.at(hart, H_DONE_SEQ);
    const done = Atomics.load(this.w, doneAt);
    if (done - seq >= 0) return true;
    Atomics.wait(this.w, doneAt, done, ms);
    return Atomics.load(this.w, doneAt) - seq >= 0;
  }

  // ------------------------------------------------------------------ counters

  setInstret(hart: number, n: number): void {
    this.instret[hart] = n;
  }

  totalInstret(): number {
    let n = 0;
    for (let h = 0; h < this.harts; h++) n += this.instret[h]!;
    return n;
  }

  // ------------------------------------------------------------------ MMIO mailbox: the hart's side

  /**
   * Sends an access to the machine's thread and waits for the answer: spins first (an answer takes about a
   * microsecond when the machine's thread is waiting for requests), then sleeps. Returns the value read (or
   * 0 for a write); `lastOk` says whether a device answered.
   */
  call(hart: number, access: number, addr: number, size: number, value: number): number {
    const w = this.w;
    const base = HART_BASE + hart * HART_WORDS;
    w[base + H_ACCESS] = access;
    w[base + H_ADDR] = addr | 0;
    w[base + H_SIZE] = size;
    w[base + H_VALUE] = value | 0;
    Atomics.store(w, base + H_STATE, MBOX_REQUEST);
    Atomics.add(w, W_DOORBELL, 1);
    Atomics.notify(w, W_DOORBELL);
    let spins = 0;
    while (Atomics.load(w, base + H_STATE) === MBOX_REQUEST) {
      if (++spins > 20_000) Atomics.wait(w, base + H_STATE, MBOX_REQUEST, 10);
      if (Atomics.load(w, W_COMMAND) === CMD_EXIT) return 0;
    }
    this.lastOk = w[base + H_OK] === 1;
    const result = w[base + H_VALUE]!;
    Atomics.store(w, base + H_STATE, MBOX_IDLE);
    return result;
  }

  /** Whether a device answered the last `call`. */
  lastOk = true;

  // ------------------------------------------------------------------ MMIO mailbox: the machine's side

  get doorbell(): number {
    return Atomics.load(this.w, W_DOORBELL);
  }

  /** Moves the doorbell (wakes the machine's thread from waitDoorbell). */
  ring(): void {
    Atomics.add(this.w, W_DOORBELL, 1);
    Atomics.notify(this.w, W_DOORBELL);
  }

  /** Resolves when the doorbell moves from `seen` (or after `ms`). Immediately when it has moved already. */
  async waitDoorbell(seen: number, ms: number): Promise<void> {
    const r = Atomics.waitAsync(this.w, W_DOORBELL, seen, ms);
    if (!r.async) return;
    // A pending waitAsync does not keep Node's event loop alive; this timer does, so the wait always ends.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([r.value, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  /**
   * Answers every pending request through `serve`, which returns the value read (undefined when nothing
   * answers at the address). Returns how many were served.
   */
  serve(serve: (access: number, addr: number, size: number, value: number) => number | undefined): number {
    const w = this.w;
    let n = 0;
    for (let h = 0; h < this.harts; h++) {
      const base = HART_BASE + h * HART_WORDS;
      if (Atomics.load(w, base + H_STATE) !== MBOX_REQUEST) continue;
      const result = serve(w[base + H_ACCESS]!, w[base + H_ADDR]! >>> 0, w[base + H_SIZE]!, w[base + H_VALUE]!);
      w[base + H_OK] = result === undefined ? 0 : 1;
      w[base + H_VALUE] = result ?? 0;
      Atomics.store(w, base + H_STATE, MBOX_DONE);
      Atomics.notify(w, base + H_STATE);
      n++;
    }
    return n;
  }
}
