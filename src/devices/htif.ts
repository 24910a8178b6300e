/**
 * The Berkeley HTIF tohost/fromhost convention used by riscv-tests, the proxy kernel and bare-metal programs built
 * for Spike (fesvr) and QEMU (hw/char/riscv_htif.c). The device covers the two 64-bit words, each as two 32-bit
 * halves: tohost at offset 0 and fromhost at `fromhostOffset` (8 by default; riscv-tests' .tohost section puts
 * fromhost 64 bytes after tohost, so map it with fromhostOffset 64 there).
 *
 * tohost = device << 56 | command << 48 | payload (48 bits). The command runs when the write that completes the
 * tohost word's top byte lands (the high-half write of a split 8-byte store, or the second `sw` of a 32-bit
 * program), and tohost then reads 0 again. Supported:
 *
 *   device 0 (syscall), command 0: payload bit 0 set -> exit with code payload >> 1 (0 = pass);
 *     otherwise the payload is the guest-physical address of a "magic mem" block of 8 little-endian uint64
 *     (syscall number, args...): SYS_write (64) to fd 1 or 2 and SYS_exit (93). The return value is written
 *     back into the block's first word and fromhost becomes 1.
 *   device 1 (console), command 1: putchar (payload low byte); fromhost acknowledges with
 *     1 << 56 | 1 << 48 | 0x100 | char, as QEMU does.
 *   device 1 (console), command 0: getchar. Without input the request stays pending (as in Spike and QEMU) and
 *     is answered by a later `receive(byte)` with fromhost = 1 << 56 | 0x100 | byte.
 *
 * Anything else is ignored (no response) and counted in `unknownCommands`.
 */
import type { AccessSize, MmioDevice } from './mmio.js';

export const HTIF = {
  tohost: 0,
  defaultFromhostOffset: 8,
  devSyscall: 0,
  devConsole: 1,
  cmdSyscall: 0,
  cmdGetchar: 0,
  cmdPutchar: 1,
  sysWrite: 64,
  sysExit: 93,
  /** The most bytes one SYS_write copies (the guest chooses the length). */
  maxWrite: 1 << 20,
} as const;

const ENOSYS = 38;
const EBADF = 9;
const EFAULT = 14;
const TWO32 = 0x1_0000_0000;

export interface HtifConfig {
  /** Console output (putchar, and SYS_write to fd 1 and 2). */
  readonly output: (byte: number) => void;
  /** Called with the exit code (0 = pass; riscv-tests report the failing test number). */
  readonly onExit: (code: number) => void;
  /** Reads guest-physical memory for syscalls; undefined when the range is not RAM. */
  readonly readGuest?: (addr: number, length: number) => Uint8Array | undefined;
  /** Writes guest-physical memory (syscall return values); returns false when the range is not RAM. */
  readonly writeGuest?: (addr: number, bytes: Uint8Array) => boolean | void;
  /** Offset of fromhost from tohost (a multiple of 8, 8..4088; default 8). */
  readonly fromhostOffset?: number;
}

/** A plain, JSON-friendly snapshot of the HTIF. */
export interface HtifState {
  /** tohost halves as written so far (a command not yet completed by its high half). */
  readonly tohostLo: number;
  readonly tohostHi: number;
  readonly fromhostLo: number;
  readonly fromhostHi: number;
  /** Whether a getchar request waits for input. */
  readonly pendingRead: boolean;
}

function isUint32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
}

function u32le(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

export class Htif implements MmioDevice {
  /** The bus lets a device of this name sit on top of RAM. */
  readonly name = 'htif';
  /** Bytes covered by the device: tohost through the end of fromhost. */
  readonly size: number;
  readonly fromhostOffset: number;
  /** Commands ignored because they are unknown or unsupported. */
  unknownCommands = 0;
  /** Syscalls whose magic-mem block or buffer was not readable guest memory. */
  badAddresses = 0;

  private readonly output: (byte: number) => void;
  private readonly onExit: (code: number) => void;
  private readonly readGuest: ((addr: number, length: number) => Uint8Array | undefined) | undefined;
  private readonly writeGuest: ((addr: number, bytes: Uint8Array) => boolean | void) | undefined;
  /** tohost (bytes 0..7) and fromhost (bytes 8..15), little-endian. */
  private readonly regs = new Uint8Array(16);
  private pendingRead = false;

  constructor(config: HtifConfig) {
    if (typeof config !== 'object' || config === null) throw new TypeError('HTIF config must be an object');
    const { output, onExit, readGuest, writeGuest } = config;
    const fromhostOffset = config.fromhostOffset ?? HTIF.defaultFromhostOffset;
    if (typeof output !== 'function') throw new TypeError('HTIF config: output must be a function');
    if (typeof onExit !== 'function') throw new TypeError('HTIF config: onExit must be a function');
    if (readGuest !== undefined && typeof readGuest !== 'function') {
      throw new TypeError('HTIF config: readGuest must be a function');
    }
    if (writeGuest !== undefined && typeof writeGuest !== 'function') {
      throw new TypeError('HTIF config: writeGuest must be a function');
    }
    if (!Number.isInteger(fromhostOffset) || fromhostOffset < 8 || fromhostOffset > 4088 || fromhostOffset % 8 !== 0) {
      throw new RangeError(`HTIF config: fromhostOffset must be a multiple of 8 in 8..4088, got ${String(fromhostOffset)}`);
    }
    this.output = output;
    this.onExit = onExit;
    this.readGuest = readGuest;
    this.writeGuest = writeGuest;
    this.fromhostOffset = fromhostOffset;
    this.size = fromhostOffset + 8;
  }

  /** Index into `regs` of the byte at device offset `offset`, or -1. */
  private byteIndex(offset: number): number {
    if (offset >= 0 && offset < 8) return offset;
    const f = offset - this.fromhostOffset;
    if (f >= 0 && f < 8) return 8 + f;
    return -1;
  }

  read(offset: number, size: AccessSize): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) {
      const idx = this.byteIndex(offset + i);
      v = v * 256 + (idx < 0 ? 0 : this.regs[idx]!);
    }
    return v;
  }

  write(offset: number, size: AccessSize, value: number): void {
    let touchedTop = false;
    for (let i = 0; i < size; i++) {
      const idx = this.byteIndex(offset + i);
      if (idx >= 0) {
        this.regs[idx] = (value >>> (8 * i)) & 0xff;
        if (idx === 7) touchedTop = true;
      }
    }
    if (touchedTop) this.command();
  }

  /** Whether a getchar request waits for input and fromhost is free to carry it. */
  canReceive(): boolean {
    return this.pendingRead && u32le(this.regs, 8) === 0 && u32le(this.regs, 12) === 0;
  }

  /** Answers a pending getchar with `byte`. Returns false (consuming nothing) when no request waits. */
  receive(byte: number): boolean {
    if (!this.canReceive()) return false;
    this.pendingRead = false;
    this.setFromhost(0x100 | (byte & 0xff), HTIF.devConsole << 24);
    return true;
  }

  /** tohost as (lo, hi); fromhost likewise. For tests and debugging. */
  tohost(): [number, number] {
    return [u32le(this.regs, 0), u32le(this.regs, 4)];
  }

  fromhost(): [number, number] {
    return [u32le(this.regs, 8), u32le(this.regs, 12)];
  }

  private setFromhost(lo: number, hi: number): void {
    const r = this.regs;
    for (let i = 0; i < 4; i++) {
      r[8 + i] = (lo >>> (8 * i)) & 0xff;
      r[12 + i] = (hi >>> (8 * i)) & 0xff;
    }
  }

  private command(): void {
    const lo = u32le(this.regs, 0);
    const hi = u32le(this.regs, 4);
    if (lo === 0 && hi === 0) return;
    this.regs.fill(0, 0, 8); // tohost reads 0 again: the host has taken the command
    const device = hi >>> 24;
    const cmd = (hi >>> 16) & 0xff;
    const payloadHi = hi & 0xffff;
    if (device === HTIF.devSyscall && cmd === HTIF.cmdSyscall) {
      if ((lo & 1) !== 0) {
        this.onExit(payloadHi * 0x8000_0000 + (lo >>> 1));
        return;
      }
      this.syscall(payloadHi * TWO32 + lo);
      this.setFromhost(1, 0);
      return;
    }
    if (device === HTIF.devConsole && cmd === HTIF.cmdPutchar) {
      const ch = lo & 0xff;
      this.output(ch);
      this.setFromhost(0x100 | ch, (HTIF.devConsole << 24) | (HTIF.cmdPutchar << 16));
      return;
    }
    if (device === HTIF.devConsole && cmd === HTIF.cmdGetchar) {
      this.pendingRead = true;
      return;
    }
    this.unknownCommands++;
  }

  /** Runs the syscall described by the magic-mem block at `addr`. */
  private syscall(addr: number): void {
    const mm = this.readGuest?.(addr, 64);
    if (mm === undefined || mm.length < 64) {
      if (this.readGuest === undefined) this.unknownCommands++;
      else this.badAddresses++;
      return;
    }
    const num = u32le(mm, 0);
    const numHi = u32le(mm, 4);
    const a0 = u32le(mm, 8) + u32le(mm, 12) * TWO32;
    let ret: number;
    if (numHi === 0 && num === HTIF.sysWrite) {
      const buf = u32le(mm, 16) + u32le(mm, 20) * TWO32;
      const len = u32le(mm, 24) + u32le(mm, 28) * TWO32;
      if (a0 !== 1 && a0 !== 2) {
        ret = -EBADF;
      } else {
        const n = Math.min(len, HTIF.maxWrite);
        const data = n === 0 ? new Uint8Array(0) : this.readGuest!(buf, n);
        if (data === undefined || data.length < n) {
          this.badAddresses++;
          ret = -EFAULT;
        } else {
          for (let i = 0; i < n; i++) this.output(data[i]!);
          ret = n;
        }
      }
    } else if (numHi === 0 && num === HTIF.sysExit) {
      this.onExit(a0);
      return;
    } else {
      this.unknownCommands++;
      ret = -ENOSYS;
    }
    if (this.writeGuest !== undefined) {
      const out = new Uint8Array(8);
      // Two's complement, as the guest reads a uint64 (negative values are small errno codes).
      const retHi = ret < 0 ? 0xffff_ffff : Math.floor(ret / TWO32);
      const retLo = ret < 0 ? ret >>> 0 : ret - retHi * TWO32;
      for (let i = 0; i < 4; i++) {
        out[i] = (retLo >>> (8 * i)) & 0xff;
        out[4 + i] = (retHi >>> (8 * i)) & 0xff;
      }
      if (this.writeGuest(addr, out) === false) this.badAddresses++;
    }
  }

  // ---------------------------------------------------------------- snapshots

  saveState(): HtifState {
    return {
      tohostLo: u32le(this.regs, 0),
      tohostHi: u32le(this.regs, 4),
      fromhostLo: u32le(this.regs, 8),
      fromhostHi: u32le(this.regs, 12),
      pendingRead: this.pendingRead,
    };
  }

  /** Restores a snapshot (untrusted input: validated first; nothing changes unless all fields are valid). */
  restoreState(state: unknown): void {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) {
      throw new Error('HTIF state: must be an object');
    }
    const rec = state as Record<string, unknown>;
    const fields = ['tohostLo', 'tohostHi', 'fromhostLo', 'fromhostHi'] as const;
    const vals: number[] = [];
    for (const f of fields) {
      const v = rec[f];
      if (!isUint32(v)) throw new Error(`HTIF state: ${f} must be an integer in 0..4294967295`);
      vals.push(v);
    }
    const pendingRead = rec['pendingRead'];
    if (typeof pendingRead !== 'boolean') throw new Error('HTIF state: pendingRead must be a boolean');
    for (let w = 0; w < 4; w++) {
      for (let i = 0; i < 4; i++) this.regs[w * 4 + i] = (vals[w]! >>> (8 * i)) & 0xff;
    }
    this.pendingRead = pendingRead;
  }
}
