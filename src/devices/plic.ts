/**
 * SiFive PLIC (platform-level interrupt controller) as on QEMU's `virt` board (hw/intc/sifive_plic.c) and as
 * described by the RISC-V PLIC specification 1.0.0; used by OpenSBI's irqchip/plic.c and Linux's
 * drivers/irqchip/irq-sifive-plic.c.
 *
 *   0x000000 + 4*source                   priority (WARL, `priorityBits` bits; 3 on QEMU virt: 0..7)
 *   0x001000 + 4*word                     pending bits (read-only)
 *   0x002000 + 0x80*context + 4*word      enable bits
 *   0x200000 + 0x1000*context             priority threshold
 *   0x200004 + 0x1000*context             claim (read) / complete (write)
 *
 * Sources are numbered 1..sources (source 0 does not exist: its priority, pending and enable bits read 0).
 * Contexts follow QEMU virt's "MS" hart config: hart h has context 2h (M-mode) and 2h+1 (S-mode); the PLIC itself
 * only knows context numbers, and the machine maps them to harts.
 *
 * Gateways are level-triggered: a source is pending while its line is high and it is not claimed (in service);
 * a claim clears its pending bit; a completion by the context that claimed it ends the service, and the source is
 * pending again at once if its line is still high. A context's interrupt output is high while some pending,
 * enabled source has priority > the context's threshold. As the specification says (and unlike QEMU), a claim is
 * not affected by the threshold: it returns the highest-priority pending enabled source with priority > 0 (ties go
 * to the lowest id), or 0. A completion for a source not claimed by that context is ignored.
 *
 * Only naturally aligned 32-bit accesses reach registers (as on the hardware and in QEMU); other widths read 0
 * and ignore writes.
 */
import type { AccessSize, IrqLine, MmioDevice } from './mmio.js';

/** Register layout of the SiFive PLIC. */
export const PLIC_REG = {
  priorityBase: 0x0000,
  pendingBase: 0x1000,
  enableBase: 0x2000,
  enableStride: 0x80,
  contextBase: 0x20_0000,
  contextStride: 0x1000,
  threshold: 0x0,
  claimComplete: 0x4,
} as const;

/** Limits of the PLIC register map. */
export const PLIC_MAX_SOURCES = 1023;
export const PLIC_MAX_CONTEXTS = 15872;

export interface PlicConfig {
  /** Number of interrupt sources (ids 1..sources; "riscv,ndev" in the device tree). 95 on Typevisor's virt. */
  readonly sources: number;
  /** Number of contexts (2 per hart on virt: M-mode, S-mode). */
  readonly contexts: number;
  /** Implemented priority bits (default 3, priorities 0..7, as QEMU virt). */
  readonly priorityBits?: number;
  /** Called when context `context`'s external-interrupt output changes. */
  readonly setContextIrq: (context: number, level: boolean) => void;
}

/** A plain, JSON-friendly snapshot of the PLIC. */
export interface PlicState {
  readonly sources: number;
  readonly contexts: number;
  /** priority[id] for ids 0..sources (entry 0 must be 0). */
  readonly priority: number[];
  /** Pending bits, 32 sources per word (bit 0 of word 0 is source 0 and must be 0). */
  readonly pending: number[];
  /** Line levels of the gateways, same layout as `pending`. */
  readonly lines: number[];
  /** For each id 0..sources: the context that claimed it and has not completed it, or -1. */
  readonly claimedBy: number[];
  /** Enable words: words * contexts entries, context-major. */
  readonly enable: number[];
  /** Threshold per context. */
  readonly threshold: number[];
}

function stateError(msg: string): Error {
  return new Error(`PLIC state: ${msg}`);
}

function checkIntArray(rec: Record<string, unknown>, field: string, length: number, min: number, max: number): number[] {
  const v = rec[field];
  if (!Array.isArray(v)) throw stateError(`${field} must be an array`);
  if (v.length !== length) throw stateError(`${field} must have ${length} entries, got ${v.length}`);
  for (let i = 0; i < v.length; i++) {
    const x: unknown = v[i];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
      throw stateError(`${field}[${i}] must be an integer in ${min}..${max}`);
    }
  }
  return v as number[];
}

class PlicLine implements IrqLine {
  private readonly plic: Plic;
  private readonly source: number;
  constructor(plic: Plic, source: number) {
    this.plic = plic;
    this.source = source;
  }
  set(level: boolean): void {
    this.plic.setLine(this.source, level);
  }
}

export class Plic implements MmioDevice {
  readonly name = 'plic';
  readonly sources: number;
  readonly contexts: number;
  /** Number of 32-bit words in a bit array covering ids 0..sources. */
  readonly words: number;
  private readonly priorityMask: number;
  private readonly setContextIrqCb: (context: number, level: boolean) => void;

  private readonly priority: Uint32Array;
  private readonly pending: Uint32Array;
  private readonly lines: Uint32Array;
  /** Mask of the ids that exist (bit 0 of word 0 and bits past `sources` clear). */
  private readonly validMask: Uint32Array;
  private readonly claimedBy: Int32Array;
  private readonly enable: Uint32Array;
  private readonly threshold: Uint32Array;
  private readonly outLevel: Uint8Array;
  private readonly irqLines: PlicLine[];

  constructor(config: PlicConfig) {
    if (typeof config !== 'object' || config === null) throw new TypeError('PLIC config must be an object');
    const { sources, contexts, setContextIrq } = config;
    const priorityBits = config.priorityBits ?? 3;
    if (!Number.isInteger(sources) || sources < 1 || sources > PLIC_MAX_SOURCES) {
      throw new RangeError(`PLIC config: sources must be an integer in 1..${PLIC_MAX_SOURCES}, got ${String(sources)}`);
    }
    if (!Number.isInteger(contexts) || contexts < 1 || contexts > PLIC_MAX_CONTEXTS) {
      throw new RangeError(`PLIC config: contexts must be an integer in 1..${PLIC_MAX_CONTEXTS}, got ${String(contexts)}`);
    }
    if (!Number.isInteger(priorityBits) || priorityBits < 1 || priorityBits > 31) {
      throw new RangeError(`PLIC config: priorityBits must be an integer in 1..31, got ${String(priorityBits)}`);
    }
    if (typeof setContextIrq !== 'function') throw new TypeError('PLIC config: setContextIrq must be a function');
    this.sources = sources;
    this.contexts = contexts;
    this.priorityMask = 2 ** priorityBits - 1;
    this.setContextIrqCb = setContextIrq;
    const words = (sources + 1 + 31) >>> 5;
    this.words = words;
    this.priority = new Uint32Array(sources + 1);
    this.pending = new Uint32Array(words);
    this.lines = new Uint32Array(words);
    this.validMask = new Uint32Array(words);
    for (let id = 1; id <= sources; id++) this.validMask[id >>> 5]! |= 1 << (id & 31);
    this.claimedBy = new Int32Array(sources + 1).fill(-1);
    this.enable = new Uint32Array(words * contexts);
    this.threshold = new Uint32Array(contexts);
    this.outLevel = new Uint8Array(contexts);
    this.irqLines = [];
    for (let id = 0; id <= sources; id++) this.irqLines.push(new PlicLine(this, id));
  }

  /** The level-triggered interrupt line of source `source` (1..sources). */
  irqLine(source: number): IrqLine {
    if (!Number.isInteger(source) || source < 1 || source > this.sources) {
      throw new RangeError(`PLIC: no interrupt source ${String(source)} (sources are 1..${this.sources})`);
    }
    return this.irqLines[source]!;
  }

  /** Drives source `source`'s gateway input. Out-of-range sources are ignored. */
  setLine(source: number, level: boolean): void {
    if (!(source >= 1 && source <= this.sources)) return;
    const w = source >>> 5;
    const bit = 1 << (source & 31);
    if (level) {
      this.lines[w]! |= bit;
      if (this.claimedBy[source] === -1) this.pending[w]! |= bit;
    } else {
      this.lines[w]! &= ~bit;
      this.pending[w]! &= ~bit;
    }
    this.update();
  }

  /** Whether context `context`'s output is high. */
  contextIrq(context: number): boolean {
    return this.outLevel[context] === 1;
  }

  /**
   * The best pending, enabled source for `context` whose priority exceeds `floor` (highest priority, then lowest
   * id), or 0.
   */
  private best(context: number, floor: number): number {
    const words = this.words;
    const ebase = context * words;
    let bestId = 0;
    let bestPrio = floor;
    for (let w = 0; w < words; w++) {
      let bits = this.pending[w]! & this.enable[ebase + w]!;
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits & -bits); // lowest set bit first: ties keep the lowest id
        bits &= bits - 1;
        const id = (w << 5) | b;
        const p = this.priority[id]!;
        if (p > bestPrio) {
          bestPrio = p;
          bestId = id;
        }
      }
    }
    return bestId;
  }

  /** Recomputes every context's output, calling setContextIrq for those that changed. */
  update(): void {
    for (let c = 0; c < this.contexts; c++) {
      const level = this.best(c, this.threshold[c]!) !== 0 ? 1 : 0;
      if (level !== this.outLevel[c]) {
        this.outLevel[c] = level;
        this.setContextIrqCb(c, level === 1);
      }
    }
  }

  /** Re-sends every context's output level (after a restore, or when wiring fresh CPUs). */
  resync(): void {
    for (let c = 0; c < this.contexts; c++) {
      const level = this.best(c, this.threshold[c]!) !== 0 ? 1 : 0;
      this.outLevel[c] = level;
      this.setContextIrqCb(c, level === 1);
    }
  }

  /** Performs a claim for `context` (as a read of its claim register does). */
  claim(context: number): number {
    if (!(context >= 0 && context < this.contexts)) return 0;
    const id = this.best(context, 0);
    if (id !== 0) {
      this.pending[id >>> 5]! &= ~(1 << (id & 31));
      this.claimedBy[id] = context;
      this.update();
    }
    return id;
  }

  /** Signals completion of `id` by `context` (as a write of its claim/complete register does). */
  complete(context: number, id: number): void {
    if (!(id >= 1 && id <= this.sources) || this.claimedBy[id] !== context) return;
    this.claimedBy[id] = -1;
    const w = id >>> 5;
    const bit = 1 << (id & 31);
    if ((this.lines[w]! & bit) !== 0) this.pending[w]! |= bit;
    this.update();
  }

  // ---------------------------------------------------------------- MMIO

  read(offset: number, size: AccessSize): number {
    if (size !== 4 || (offset & 3) !== 0 || !(offset >= 0)) return 0;
    if (offset < PLIC_REG.pendingBase) {
      const id = offset >>> 2;
      return id <= this.sources ? this.priority[id]! : 0;
    }
    if (offset < PLIC_REG.enableBase) {
      const w = (offset - PLIC_REG.pendingBase) >>> 2;
      return w < this.words ? this.pending[w]! >>> 0 : 0;
    }
    if (offset < PLIC_REG.contextBase) {
      const rel = offset - PLIC_REG.enableBase;
      const ctx = Math.floor(rel / PLIC_REG.enableStride);
      const w = (rel % PLIC_REG.enableStride) >>> 2;
      if (ctx >= this.contexts || w >= this.words) return 0;
      return this.enable[ctx * this.words + w]! >>> 0;
    }
    const rel = offset - PLIC_REG.contextBase;
    const ctx = Math.floor(rel / PLIC_REG.contextStride);
    if (ctx >= this.contexts) return 0;
    const reg = rel % PLIC_REG.contextStride;
    if (reg === PLIC_REG.threshold) return this.threshold[ctx]!;
    if (reg === PLIC_REG.claimComplete) return this.claim(ctx);
    return 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (size !== 4 || (offset & 3) !== 0 || !(offset >= 0)) return;
    value >>>= 0;
    if (offset < PLIC_REG.pendingBase) {
      const id = offset >>> 2;
      if (id < 1 || id > this.sources) return;
      this.priority[id] = value & this.priorityMask;
      this.update();
      return;
    }
    if (offset < PLIC_REG.enableBase) return; // pending bits are read-only
    if (offset < PLIC_REG.contextBase) {
      const rel = offset - PLIC_REG.enableBase;
      const ctx = Math.floor(rel / PLIC_REG.enableStride);
      const w = (rel % PLIC_REG.enableStride) >>> 2;
      if (ctx >= this.contexts || w >= this.words) return;
      this.enable[ctx * this.words + w] = value & this.validMask[w]!;
      this.update();
      return;
    }
    const rel = offset - PLIC_REG.contextBase;
    const ctx = Math.floor(rel / PLIC_REG.contextStride);
    if (ctx >= this.contexts) return;
    const reg = rel % PLIC_REG.contextStride;
    if (reg === PLIC_REG.threshold) {
      this.threshold[ctx] = value & this.priorityMask;
      this.update();
    } else if (reg === PLIC_REG.claimComplete) {
      this.complete(ctx, value);
    }
  }

  // ---------------------------------------------------------------- snapshots

  saveState(): PlicState {
    return {
      sources: this.sources,
      contexts: this.contexts,
      priority: Array.from(this.priority),
      pending: Array.from(this.pending),
      lines: Array.from(this.lines),
      claimedBy: Array.from(this.claimedBy),
      enable: Array.from(this.enable),
      threshold: Array.from(this.threshold),
    };
  }

  /**
   * Restores a snapshot (untrusted input: every field is validated, and nothing changes unless all are valid),
   * then re-sends every context's output level.
   */
  restoreState(state: unknown): void {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) throw stateError('must be an object');
    const rec = state as Record<string, unknown>;
    if (rec['sources'] !== this.sources) {
      throw stateError(`sources must be ${this.sources}, got ${String(rec['sources'])}`);
    }
    if (rec['contexts'] !== this.contexts) {
      throw stateError(`contexts must be ${this.contexts}, got ${String(rec['contexts'])}`);
    }
    const n = this.sources + 1;
    const words = this.words;
    const priority = checkIntArray(rec, 'priority', n, 0, this.priorityMask);
    if (priority[0] !== 0) throw stateError('priority[0] must be 0 (source 0 does not exist)');
    const pending = checkIntArray(rec, 'pending', words, 0, 0xffff_ffff);
    const lines = checkIntArray(rec, 'lines', words, 0, 0xffff_ffff);
    const enable = checkIntArray(rec, 'enable', words * this.contexts, 0, 0xffff_ffff);
    const claimedBy = checkIntArray(rec, 'claimedBy', n, -1, this.contexts - 1);
    const threshold = checkIntArray(rec, 'threshold', this.contexts, 0, this.priorityMask);
    for (let w = 0; w < words; w++) {
      const invalid = ~this.validMask[w]! >>> 0;
      if ((pending[w]! & invalid) !== 0) throw stateError(`pending[${w}] has bits of nonexistent sources`);
      if ((lines[w]! & invalid) !== 0) throw stateError(`lines[${w}] has bits of nonexistent sources`);
      for (let c = 0; c < this.contexts; c++) {
        if ((enable[c * words + w]! & invalid) !== 0) {
          throw stateError(`enable[${c * words + w}] has bits of nonexistent sources`);
        }
      }
    }
    if (claimedBy[0] !== -1) throw stateError('claimedBy[0] must be -1 (source 0 does not exist)');
    for (let id = 1; id < n; id++) {
      if (claimedBy[id] !== -1 && (pending[id >>> 5]! & (1 << (id & 31))) !== 0) {
        throw stateError(`source ${id} cannot be both pending and claimed`);
      }
    }
    this.priority.set(priority);
    this.pending.set(pending);
    this.lines.set(lines);
    this.enable.set(enable);
    this.claimedBy.set(claimedBy);
    this.threshold.set(threshold);
    this.resync();
  }
}
