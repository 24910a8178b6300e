/**
 * The software TLB: a direct-mapped cache from virtual page to the page's offset in guest RAM, one per
 * (translation context, access kind). Only RAM pages whose whole 4 KiB passed translation, permission and PMP
 * checks are cached, so a hit needs no further check. Tags are page base addresses as numbers; NaN marks an
 * empty entry (NaN equals nothing).
 */
export const TLB_BITS = 10;
export const TLB_SIZE = 1 << TLB_BITS;
export const TLB_MASK = TLB_SIZE - 1;

/** Access kinds. */
export const ACCESS_FETCH = 0;
export const ACCESS_LOAD = 1;
export const ACCESS_STORE = 2;

const CONTEXTS = 4;

/**
 * TLB context number: 0 = U, 1 = S, 2 = S with SUM, 3 = M. Bare (untranslated) S and U accesses still use
 * their own context, because PMP grants M-mode what it may deny them.
 */
export function tlbContext(priv: number, sum: boolean, bare: boolean): number {
  if (priv === 3) return 3;
  if (priv === 0) return 0;
  return sum && !bare ? 2 : 1;
}

export class Tlb {
  /** tags[context * 3 + kind] */
  readonly tags: Float64Array[] = [];
  readonly offs: Int32Array[] = [];
  /** The arrays in use now, chosen by `select`. The interpreter reads these into locals. */
  fetchTags!: Float64Array;
  fetchOffs!: Int32Array;
  loadTags!: Float64Array;
  loadOffs!: Int32Array;
  storeTags!: Float64Array;
  storeOffs!: Int32Array;

  /** With a backing: the byte addresses of the load, store and fetch sets in use, for translated code. */
  private readonly selected: Int32Array | undefined;
  private readonly setBytes: number;
  private readonly setsAt: number;

  /**
   * Without `backing` the arrays are the TLB's own. With it they are views of `backing.buffer` (a WebAssembly
   * memory), set k (context * 3 + kind) at byteOffset + k * setBytes: tags (f64) then offsets (i32, at
   * + TLB_SIZE * 8); `select` also writes the byte addresses of the load, store and fetch sets in use at selectedAt.
   */
  constructor(backing?: { buffer: ArrayBuffer; byteOffset: number; selectedAt: number }) {
    this.setBytes = TLB_SIZE * 12;
    this.setsAt = backing?.byteOffset ?? 0;
    for (let i = 0; i < CONTEXTS * 3; i++) {
      if (backing !== undefined) {
        const at = backing.byteOffset + i * this.setBytes;
        this.tags.push(new Float64Array(backing.buffer, at, TLB_SIZE).fill(NaN));
        this.offs.push(new Int32Array(backing.buffer, at + TLB_SIZE * 8, TLB_SIZE));
      } else {
        this.tags.push(new Float64Array(TLB_SIZE).fill(NaN));
        this.offs.push(new Int32Array(TLB_SIZE));
      }
    }
    this.selected = backing !== undefined ? new Int32Array(backing.buffer, backing.selectedAt, 3) : undefined;
    this.select(3, 3);
  }

  select(fetchContext: number, dataContext: number): void {
    if (this.selected !== undefined) {
      this.selected[0] = this.setsAt + (dataContext * 3 + 1) * this.setBytes;
      this.selected[1] = this.setsAt + (dataContext * 3 + 2) * this.setBytes;
      this.selected[2] = this.setsAt + fetchContext * 3 * this.setBytes;
    }
    this.fetchTags = this.tags[fetchContext * 3]!;
    this.fetchOffs = this.offs[fetchContext * 3]!;
    this.loadTags = this.tags[dataContext * 3 + 1]!;
    this.loadOffs = this.offs[dataContext * 3 + 1]!;
    this.storeTags = this.tags[dataContext * 3 + 2]!;
    this.storeOffs = this.offs[dataContext * 3 + 2]!;
  }

  /** Drops the U and S contexts: after satp writes and SFENCE.VMA. */
  flushTranslated(): void {
    for (let i = 0; i < 3 * 3; i++) this.tags[i]!.fill(NaN);
  }

  /** Drops the U and S entries for the page containing virtual address `va` (SFENCE.VMA with an address). */
  flushPage(va: number): void {
    const pageVa = va - ((va | 0) & 0xfff);
    const i = ((va | 0) >>> 12) & TLB_MASK;
    for (let t = 0; t < 3 * 3; t++) {
      const tags = this.tags[t]!;
      if (tags[i] === pageVa) tags[i] = NaN;
    }
  }

  /** Drops everything: after PMP or MXR changes. */
  flushAll(): void {
    for (const t of this.tags) t.fill(NaN);
  }

  /** Drops every store entry (of any context) that points at the RAM page at `ramOffset`. */
  dropStorePage(ramOffset: number): void {
    for (let c = 0; c < CONTEXTS; c++) {
      const tags = this.tags[c * 3 + ACCESS_STORE]!;
      const offs = this.offs[c * 3 + ACCESS_STORE]!;
      for (let i = 0; i < TLB_SIZE; i++) if (offs[i] === ramOffset) tags[i] = NaN;
    }
  }

  /** Caches a translation of the page at `pageVa` (page aligned) to RAM offset `ramOffset` (page aligned). */
  insert(context: number, kind: number, pageVa: number, ramOffset: number): void {
    const i = ((pageVa | 0) >>> 12) & TLB_MASK;
    this.tags[context * 3 + kind]![i] = pageVa;
    this.offs[context * 3 + kind]![i] = ramOffset;
  }
}
