/**
 * SiFive CLINT (core-local interruptor), i.e. the RISC-V ACLINT MSWI + MTIMER pair at one base address, as on
 * QEMU's `virt` board (hw/intc/riscv_aclint.c) and as OpenSBI's aclint_mswi / aclint_mtimer drivers use it:
 *
 *   0x0000 + 4*hart   msip      (bit 0 drives the hart's MSIP; other bits read 0)
 *   0x4000 + 8*hart   mtimecmp  (64-bit, as two 32-bit halves: low half first)
 *   0xbff8            mtime     (64-bit, as two 32-bit halves)
 *
 * mtime comes from the machine's TickSource; a guest write to mtime sets an offset (exact 64-bit modular
 * arithmetic on two 32-bit halves, no allocation). MTIP is level-triggered: high while mtime >= mtimecmp
 * (unsigned 64-bit). The machine calls `update()` periodically (and whenever it wants fresh levels), and uses
 * `mtime()` for the `time` CSR and `nextDeadline()` / `ticksUntilDeadline()` to sleep in WFI.
 *
 * Like the hardware (and QEMU, whose ACLINT accepts only 4- and 8-byte accesses), only naturally aligned 32-bit
 * accesses reach the registers; any other width or offset reads 0 and ignores writes.
 */
import type { AccessSize, MmioDevice, TickSource } from './mmio.js';

/** Register offsets of the SiFive CLINT (ACLINT MSWI at 0, MTIMER at 0x4000). */
export const CLINT_REG = {
  msip: 0x0000,
  mtimecmp: 0x4000,
  mtime: 0xbff8,
  /** Size of the register window on QEMU virt. */
  size: 0x1_0000,
} as const;

/** The CLINT's msip block holds at most 4095 harts (0x0000..0x3ffb). */
export const CLINT_MAX_HARTS = 4095;

const TWO32 = 0x1_0000_0000;

export interface ClintConfig {
  /** Number of harts served (hart ids 0 .. harts-1). */
  readonly harts: number;
  /** The platform time base. */
  readonly ticks: TickSource;
  /** Drives hart `hart`'s machine software interrupt (mip.MSIP). */
  readonly setMsip: (hart: number, level: boolean) => void;
  /** Drives hart `hart`'s machine timer interrupt (mip.MTIP). */
  readonly setMtip: (hart: number, level: boolean) => void;
  /**
   * Keep the registers (msip, mtimecmp, the mtime offset) in this shared buffer of `clintStorageBytes(harts)`
   * bytes, so that a CLINT in each worker thread (one per hart) serves them locally: every thread then sees
   * the same registers, and each computes its own hart's MTIP.
   */
  readonly storage?: SharedArrayBuffer;
}

/** Bytes of shared storage a CLINT for `harts` harts keeps its registers in (see ClintConfig.storage). */
export function clintStorageBytes(harts: number): number {
  return (2 + 3 * harts) * 4;
}

/** A plain, JSON-friendly snapshot of the CLINT. */
export interface ClintState {
  readonly harts: number;
  /** msip bit per hart (0 or 1). */
  readonly msip: number[];
  /** Low and high 32-bit halves of each hart's mtimecmp. */
  readonly mtimecmpLo: number[];
  readonly mtimecmpHi: number[];
  /** The value of mtime when the snapshot was taken (restoring re-bases the offset on the current tick count). */
  readonly mtimeLo: number;
  readonly mtimeHi: number;
}

function isUint32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;
}

function checkUint32Array(rec: Record<string, unknown>, field: string, length: number, max = 0xffff_ffff): number[] {
  const v = rec[field];
  if (!Array.isArray(v)) throw new Error(`CLINT state: ${field} must be an array`);
  if (v.length !== length) throw new Error(`CLINT state: ${field} must have ${length} entries, got ${v.length}`);
  for (let i = 0; i < v.length; i++) {
    const x: unknown = v[i];
    if (!isUint32(x) || x > max) throw new Error(`CLINT state: ${field}[${i}] must be an integer in 0..${max}`);
  }
  return v as number[];
}

export class Clint implements MmioDevice {
  readonly name = 'clint';
  readonly harts: number;
  private readonly ticks: TickSource;
  private readonly setMsipCb: (hart: number, level: boolean) => void;
  private readonly setMtipCb: (hart: number, level: boolean) => void;

  /** [offset lo, offset hi]: mtime = ticks + offset (mod 2^64), kept as two 32-bit halves. */
  private readonly off: Uint32Array;
  private readonly msip: Uint32Array;
  /** mtimecmp halves, kept exactly as written. */
  private readonly cmpLo: Uint32Array;
  private readonly cmpHi: Uint32Array;
  /** Last MTIP level reported per hart (so callbacks fire on changes only). */
  private readonly mtipLevel: Uint8Array;
  /** Scratch results of `sample()`: the current mtime halves. */
  private nowLo = 0;
  private nowHi = 0;

  constructor(config: ClintConfig) {
    if (typeof config !== 'object' || config === null) throw new TypeError('CLINT config must be an object');
    const { harts, ticks, setMsip, setMtip } = config;
    if (!Number.isInteger(harts) || harts < 1 || harts > CLINT_MAX_HARTS) {
      throw new RangeError(`CLINT config: harts must be an integer in 1..${CLINT_MAX_HARTS}, got ${String(harts)}`);
    }
    if (typeof ticks !== 'object' || ticks === null || typeof ticks.ticks !== 'function') {
      throw new TypeError('CLINT config: ticks must be a TickSource');
    }
    if (typeof setMsip !== 'function') throw new TypeError('CLINT config: setMsip must be a function');
    if (typeof setMtip !== 'function') throw new TypeError('CLINT config: setMtip must be a function');
    this.harts = harts;
    this.ticks = ticks;
    this.setMsipCb = setMsip;
    this.setMtipCb = setMtip;
    const bytes = clintStorageBytes(harts);
    const storage = config.storage ?? new ArrayBuffer(bytes);
    if (storage.byteLength !== bytes) throw new RangeError(`CLINT config: storage must be ${bytes} bytes`);
    this.off = new Uint32Array(storage, 0, 2);
    this.msip = new Uint32Array(storage, 8, harts);
    // mtimecmp is 0 at reset, as QEMU's: MTIP is high until firmware programs it.
    this.cmpLo = new Uint32Array(storage, 8 + 4 * harts, harts);
    this.cmpHi = new Uint32Array(storage, 8 + 8 * harts, harts);
    this.mtipLevel = new Uint8Array(harts);
  }

  // ---------------------------------------------------------------- time

  /** The TickSource's count, forced to a non-negative integer. */
  private now(): number {
    const t = this.ticks.ticks();
    return t > 0 ? Math.floor(t) : 0;
  }

  /** Computes the current mtime into nowLo/nowHi (exact 64-bit, wrapping). */
  private sample(): void {
    const t = this.now();
    const tHi = Math.floor(t / TWO32);
    const tLo = t - tHi * TWO32;
    let lo = tLo + this.off[0]!;
    let carry = 0;
    if (lo >= TWO32) {
      lo -= TWO32;
      carry = 1;
    }
    this.nowLo = lo;
    this.nowHi = (tHi + this.off[1]! + carry) % TWO32;
  }

  /** Sets the offset so that mtime currently reads (hi, lo). */
  private setMtime(lo: number, hi: number): void {
    const t = this.now();
    const tHi = Math.floor(t / TWO32);
    const tLo = t - tHi * TWO32;
    // offset = value - ticks (mod 2^64)
    let oLo = lo - tLo;
    let borrow = 0;
    if (oLo < 0) {
      oLo += TWO32;
      borrow = 1;
    }
    let oHi = (hi - tHi - borrow) % TWO32;
    if (oHi < 0) oHi += TWO32;
    this.off[0] = oLo;
    this.off[1] = oHi;
  }

  /** The current mtime as a JS number (exact below 2^53; used by the `time` CSR). */
  mtime(): number {
    this.sample();
    return this.nowHi * TWO32 + this.nowLo;
  }

  /** The low 32 bits of the current mtime (exact). */
  mtimeLo(): number {
    this.sample();
    return this.nowLo;
  }

  /** The high 32 bits of the current mtime (exact). */
  mtimeHi(): number {
    this.sample();
    return this.nowHi;
  }

  /** Hart `hart`'s mtimecmp as a JS number (exact below 2^53; 2^64-1 reads as 2^64). */
  nextDeadline(hart: number): number {
    if (!(hart >= 0 && hart < this.harts)) return Infinity;
    return this.cmpHi[hart]! * TWO32 + this.cmpLo[hart]!;
  }

  /**
   * Ticks of the TickSource until hart `hart`'s MTIP rises: 0 when mtime >= mtimecmp already, otherwise
   * mtimecmp - mtime (which can be ~2^64 when the timer is parked at all ones). For sleeping in WFI.
   */
  ticksUntilDeadline(hart: number): number {
    if (!(hart >= 0 && hart < this.harts)) return Infinity;
    this.sample();
    const cHi = this.cmpHi[hart]!;
    const cLo = this.cmpLo[hart]!;
    if (this.nowHi > cHi || (this.nowHi === cHi && this.nowLo >= cLo)) return 0;
    return (cHi - this.nowHi) * TWO32 + (cLo - this.nowLo);
  }

  /** Whether hart `hart`'s MTIP is currently reported high. */
  mtip(hart: number): boolean {
    return this.mtipLevel[hart] === 1;
  }

  /** Whether hart `hart`'s msip bit is set. */
  msipOf(hart: number): boolean {
    return Atomics.load(this.msip, hart) === 1;
  }

  /** Recomputes every hart's MTIP from the current time, calling setMtip for the harts whose level changed. */
  update(): void {
    this.sample();
    const nowHi = this.nowHi;
    const nowLo = this.nowLo;
    for (let h = 0; h < this.harts; h++) {
      const cHi = this.cmpHi[h]!;
      const level = nowHi > cHi || (nowHi === cHi && nowLo >= this.cmpLo[h]!) ? 1 : 0;
      if (level !== this.mtipLevel[h]) {
        this.mtipLevel[h] = level;
        this.setMtipCb(h, level === 1);
      }
    }
  }

  /** Re-sends every hart's MSIP and MTIP level (after a restore, or when wiring a fresh CPU). */
  resync(): void {
    this.sample();
    for (let h = 0; h < this.harts; h++) {
      const cHi = this.cmpHi[h]!;
      const level = this.nowHi > cHi || (this.nowHi === cHi && this.nowLo >= this.cmpLo[h]!) ? 1 : 0;
      this.mtipLevel[h] = level;
      this.setMsipCb(h, this.msip[h] === 1);
      this.setMtipCb(h, level === 1);
    }
  }

  private updateHart(h: number): void {
    this.sample();
    const cHi = this.cmpHi[h]!;
    const level = this.nowHi > cHi || (this.nowHi === cHi && this.nowLo >= this.cmpLo[h]!) ? 1 : 0;
    if (level !== this.mtipLevel[h]) {
      this.mtipLevel[h] = level;
      this.setMtipCb(h, level === 1);
    }
  }

  // ---------------------------------------------------------------- MMIO

  read(offset: number, size: AccessSize): number {
    if (size !== 4 || (offset & 3) !== 0 || !(offset >= 0)) return 0;
    if (offset < CLINT_REG.mtimecmp) {
      const h = offset >>> 2;
      return h < this.harts ? this.msip[h]! : 0;
    }
    if (offset < CLINT_REG.mtime) {
      const rel = offset - CLINT_REG.mtimecmp;
      const h = rel >>> 3;
      if (h >= this.harts) return 0;
      return (rel & 4) === 0 ? this.cmpLo[h]! : this.cmpHi[h]!;
    }
    if (offset === CLINT_REG.mtime) {
      this.sample();
      return this.nowLo;
    }
    if (offset === CLINT_REG.mtime + 4) {
      this.sample();
      return this.nowHi;
    }
    return 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (size !== 4 || (offset & 3) !== 0 || !(offset >= 0)) return;
    value >>>= 0;
    if (offset < CLINT_REG.mtimecmp) {
      const h = offset >>> 2;
      if (h >= this.harts) return;
      const level = value & 1;
      if (Atomics.exchange(this.msip, h, level) !== level) this.setMsipCb(h, level === 1);
      return;
    }
    if (offset < CLINT_REG.mtime) {
      const rel = offset - CLINT_REG.mtimecmp;
      const h = rel >>> 3;
      if (h >= this.harts) return;
      if ((rel & 4) === 0) this.cmpLo[h] = value;
      else this.cmpHi[h] = value;
      this.updateHart(h);
      return;
    }
    if (offset === CLINT_REG.mtime || offset === CLINT_REG.mtime + 4) {
      this.sample();
      if (offset === CLINT_REG.mtime) this.setMtime(value, this.nowHi);
      else this.setMtime(this.nowLo, value);
      this.update();
    }
  }

  // ---------------------------------------------------------------- snapshots

  saveState(): ClintState {
    this.sample();
    return {
      harts: this.harts,
      msip: Array.from(this.msip),
      mtimecmpLo: Array.from(this.cmpLo),
      mtimecmpHi: Array.from(this.cmpHi),
      mtimeLo: this.nowLo,
      mtimeHi: this.nowHi,
    };
  }

  /**
   * Restores a snapshot (untrusted input: every field is validated, and nothing changes unless all are valid).
   * mtime is re-based on the TickSource's current count, so restore the TickSource first if the machine
   * restores it at all. Re-sends every hart's MSIP and MTIP level afterwards.
   */
  restoreState(state: unknown): void {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) {
      throw new Error('CLINT state: must be an object');
    }
    const rec = state as Record<string, unknown>;
    if (rec['harts'] !== this.harts) {
      throw new Error(`CLINT state: harts must be ${this.harts}, got ${String(rec['harts'])}`);
    }
    const msip = checkUint32Array(rec, 'msip', this.harts, 1);
    const lo = checkUint32Array(rec, 'mtimecmpLo', this.harts);
    const hi = checkUint32Array(rec, 'mtimecmpHi', this.harts);
    const mtimeLo = rec['mtimeLo'];
    const mtimeHi = rec['mtimeHi'];
    if (!isUint32(mtimeLo)) throw new Error('CLINT state: mtimeLo must be an integer in 0..4294967295');
    if (!isUint32(mtimeHi)) throw new Error('CLINT state: mtimeHi must be an integer in 0..4294967295');
    this.msip.set(msip);
    this.cmpLo.set(lo);
    this.cmpHi.set(hi);
    this.setMtime(mtimeLo, mtimeHi);
    this.resync();
  }
}
