/**
 * The software TLB: a direct-mapped cache from virtual page to the page's offset in guest RAM, one per
 * (translation context, access kind). Only RAM pages whose whole 4 KiB passed translation, permission and PMP
 * checks are cached, so a hit needs no further check. Tags are page base addresses as numbers; NaN marks an
 * empty entry (NaN equals nothing).
 *
 * With a backing (the translator's WebAssembly memory) every set also keeps its tags as i64 for translated code,
 * which compares them with one integer compare instead of converting each address to a double; EMPTY_TAG64 marks
 * an empty entry there. The two forms are always written together.
 *
 * Each entry has a second way: a fill moves the entry it replaces there, and a miss looks there before walking
 * (lookupWay2). Two pages a loop uses that map to the same entry (the guest places stacks and heaps at random)
 * evict each other on every pass. Translated blocks check only the first way (see translator.md) and leave
 * before such an access; the WebAssembly interpreter, which goes on with it, looks in the second way too and swaps
 * the ways on a hit there (as lookupWay2 does), so the trip stays in WebAssembly. With a backing the second way is
 * there as well, set k's at TLB_WAY2_AT past set k.
 *
 * 4096 entries, not 1024: with 1024, a shell loop of 50k had 0.3-3.4 M such trips in 4 runs of 10 (1.1-1.4x its
 * time) where the others had ~570; with 4096, none in 10 runs, and the same boot time (flushes use the fill log).
 */
export const TLB_BITS = 12;
export const TLB_SIZE = 1 << TLB_BITS;
export const TLB_MASK = TLB_SIZE - 1;

/** Access kinds. */
export const ACCESS_FETCH = 0;
export const ACCESS_LOAD = 1;
export const ACCESS_STORE = 2;

const CONTEXTS = 4;

/** Non-global fills of the U and S contexts remembered for flushNonGlobal (more make it empty the sets whole). */
const FILL_LOG = 256;
/** Fills of any kind remembered for flushAll and flushes of global entries (more make them empty sets whole). */
const ALL_FILL_LOG = 1024;
/**
 * Pages storeEntries lists before it is rebuilt from the sets: twice what they can hold (CONTEXTS * 2 ways *
 * TLB_SIZE entries), so a rebuild leaves room for as many again.
 */
export const MAX_STORE_PAGES = 2 * CONTEXTS * 2 * TLB_SIZE;
/** Superpages of one level the TLB remembers entries of (flushPage) before it empties its U and S sets instead. */
const MAX_SUPERPAGES = 4096;

/**
 * Device pages cached by translate() (IO_SIZE entries, direct-mapped): a 16550 register the kernel maps with
 * ioremap was walked for on every access, ~11.6 k page walks of a boot's ~24 k on that one page.
 */
const IO_SIZE = 64;

/** Bytes of one set with a backing: f64 tags, i32 RAM offsets, i64 tags. */
export const TLB_SET_BYTES = TLB_SIZE * 20;
/**
 * With a backing: from a set's address to its second way's, laid out as the set is (the second ways of all the
 * sets follow the sets). The backing holds 2 * TLB_SETS * TLB_SET_BYTES.
 */
export const TLB_SETS = CONTEXTS * 3;
export const TLB_WAY2_AT = TLB_SETS * TLB_SET_BYTES;
/** Within a set: where the i32 RAM offsets start, and where the i64 tags start. */
export const TLB_OFFS_AT = TLB_SIZE * 8;
export const TLB_TAGS64_AT = TLB_SIZE * 12;
/**
 * The i64 tag of an empty entry: translated code compares a tag with the address masked by
 * `-4096 | (size - 1)`, whose low 12 bits are at most 7, so a tag with all of them set matches nothing.
 */
export const EMPTY_TAG64 = 0xfff;
const EMPTY_TAG64N = BigInt(EMPTY_TAG64);

/**
 * TLB context number: 0 = U, 1 = S, 2 = S with SUM, 3 = M. Bare (untranslated) S and U accesses still use
 * their own context, because PMP grants M-mode what it may deny them.
 */
export function tlbContext(priv: number, sum: boolean, bare: boolean): number {
  if (priv === 3) return 3;
  if (priv === 0) return 0;
  return sum && !bare ? 2 : 1;
}

/**
 * Where set k's entry for `pageVa` goes among the device pages: a register read and written (a load and a store
 * entry of one page) must not evict each other.
 */
function ioIndex(pageVa: number, k: number): number {
  return (((pageVa | 0) >>> 12) * (CONTEXTS * 3) + k) & (IO_SIZE - 1);
}

/**
 * Writes entry i of one way of a set: its f64 tag (NaN: empty), its RAM offset and, with a backing, its i64 tag
 * (`tags64`, as (lo, hi) pairs): the two's complement halves of the integral page address (|x| < 2^53), or
 * EMPTY_TAG64, which no address matches.
 */
function writeEntry(tags: Float64Array, offs: Int32Array, tags64: Int32Array | undefined, i: number, pageVa: number, ramOffset: number): void {
  tags[i] = pageVa;
  offs[i] = ramOffset;
  if (tags64 === undefined) return;
  const empty = Number.isNaN(pageVa);
  tags64[2 * i] = empty ? EMPTY_TAG64 : pageVa | 0;
  tags64[2 * i + 1] = empty ? 0 : Math.floor(pageVa / 4294967296) | 0;
}

export class Tlb {
  /** tags[context * 3 + kind] */
  readonly tags: Float64Array[] = [];
  readonly offs: Int32Array[] = [];
  /** The second way (see the module comment). */
  readonly tags2: Float64Array[] = [];
  readonly offs2: Int32Array[] = [];
  /** The arrays in use now, chosen by `select`. The interpreter reads these into locals. */
  fetchTags!: Float64Array;
  fetchOffs!: Int32Array;
  loadTags!: Float64Array;
  loadOffs!: Int32Array;
  storeTags!: Float64Array;
  storeOffs!: Int32Array;

  /**
   * Non-global U and S entries filled since the sets were last emptied, as k << TLB_BITS | index; past
   * FILL_LOG of them (filledCount keeps counting) the next flush empties the sets whole.
   */
  private readonly filled = new Int32Array(FILL_LOG);
  private filledCount = 0;
  /** Whether global U and S entries were filled since the sets were last emptied whole. */
  private globals = false;
  /**
   * Every entry filled (any context, global or not) since the sets were last emptied whole, in the same form;
   * past ALL_FILL_LOG of them the next flushAll or flush of globals empties the sets whole. Each emptying of a
   * set whole writes 96 KiB: flushAll empties 12, and a boot made ~40 of them (PMP and MXR changes), the
   * interpreter's warm-up 258 (8-9 ms of its ~25).
   */
  private readonly allFilled = new Int32Array(ALL_FILL_LOG);
  private allCount = 0;
  /** The M context's sets may hold entries the log lost (it overflowed before the others were emptied whole). */
  private unloggedM = false;
  /**
   * For each RAM page (offset) a store entry was filled for since dropStorePage last looked (or flushAll), the
   * entries filled for it, as k << TLB_BITS | index (each at most once; an entry may hold another page since,
   * which dropStorePage checks). Sweeping 4 sets of 4096 entries for every page that becomes code was 2.4% of a
   * boot; for only the pages stored to through the TLB, still ~1% (~5 ms: pages of code and data mixed, the
   * page cache's pages a program is loaded into).
   */
  private storeEntries = new Map<number, number[]>();
  /**
   * The superpages (level 1 and up, by level) U and S entries were filled from since the sets were last emptied,
   * by their virtual start: flushPage drops all of a superpage's entries when it hits one. (flushNonGlobal leaves
   * some listed whose entries it emptied: a later sweep of their range finds nothing, which is harmless.)
   */
  private readonly superpages: Set<number>[] = [new Set(), new Set(), new Set(), new Set()];
  /**
   * Translations to device pages (not RAM, so not in the sets, which the fast paths read as RAM offsets): the
   * page's virtual address (NaN: empty), the set it belongs to (context * 3 + kind), its physical address.
   * Emptied whole by every flush.
   */
  private readonly ioTags = new Float64Array(IO_SIZE).fill(NaN);
  private readonly ioSets = new Int32Array(IO_SIZE);
  private readonly ioPages = new Float64Array(IO_SIZE);
  private ioFilled = false;
  /**
   * A device page whose translations insertIo also publishes in the backing for WebAssembly (publishIoPage; -1:
   * none), and where (backing.publishedAt): the load entry (i64 page tag, i32 set address) at word 0, the store
   * entry at word 4; EMPTY_TAG64 when there is none. Emptied with the other device pages.
   */
  private publishedPage = -1;
  private readonly published: Int32Array | undefined;
  /** With a backing: each set's i64 tags, as (lo, hi) pairs to write and as i64s to fill; the second way's too. */
  private readonly tags64: Int32Array[] | undefined;
  private readonly tags64Fill: BigInt64Array[] | undefined;
  private readonly tags64b: Int32Array[] | undefined;
  private readonly tags64bFill: BigInt64Array[] | undefined;
  /** With a backing: the byte addresses of the load, store and fetch sets in use, for translated code. */
  private readonly selected: Int32Array | undefined;
  private readonly setBytes: number;
  private readonly setsAt: number;

  /**
   * Without `backing` the arrays are the TLB's own. With it they are views of `backing.buffer` (a WebAssembly
   * memory), set k (context * 3 + kind) at byteOffset + k * TLB_SET_BYTES: tags (f64), offsets (i32, at
   * TLB_OFFS_AT), tags (i64, at TLB_TAGS64_AT), and its second way alike TLB_WAY2_AT further; `select` also
   * writes the byte addresses of the load, store and fetch sets in use at selectedAt; with `publishedAt`, insertIo
   * publishes a device page's translations there (publishIoPage), which start empty.
   */
  constructor(backing?: { buffer: ArrayBuffer; byteOffset: number; selectedAt: number; publishedAt?: number }) {
    this.setBytes = TLB_SET_BYTES;
    this.setsAt = backing?.byteOffset ?? 0;
    if (backing !== undefined) {
      this.tags64 = [];
      this.tags64Fill = [];
      this.tags64b = [];
      this.tags64bFill = [];
    }
    for (let i = 0; i < TLB_SETS; i++) {
      if (backing !== undefined) {
        for (const way of [0, 1]) {
          const at = backing.byteOffset + i * this.setBytes + way * TLB_WAY2_AT;
          (way === 0 ? this.tags : this.tags2).push(new Float64Array(backing.buffer, at, TLB_SIZE).fill(NaN));
          (way === 0 ? this.offs : this.offs2).push(new Int32Array(backing.buffer, at + TLB_OFFS_AT, TLB_SIZE));
          (way === 0 ? this.tags64 : this.tags64b)!.push(new Int32Array(backing.buffer, at + TLB_TAGS64_AT, TLB_SIZE * 2));
          (way === 0 ? this.tags64Fill : this.tags64bFill)!.push(new BigInt64Array(backing.buffer, at + TLB_TAGS64_AT, TLB_SIZE).fill(EMPTY_TAG64N));
        }
      } else {
        this.tags.push(new Float64Array(TLB_SIZE).fill(NaN));
        this.offs.push(new Int32Array(TLB_SIZE));
        this.tags2.push(new Float64Array(TLB_SIZE).fill(NaN));
        this.offs2.push(new Int32Array(TLB_SIZE));
      }
    }
    this.selected = backing !== undefined ? new Int32Array(backing.buffer, backing.selectedAt, 3) : undefined;
    this.published = backing?.publishedAt !== undefined ? new Int32Array(backing.buffer, backing.publishedAt, 8) : undefined;
    this.unpublish();
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

  /**
   * Drops the U and S contexts' translations that are not global: after a satp write that keeps the mode, and
   * SFENCE.VMA of one address space. Global ones (the kernel's, which Linux maps with G) stay, so the kernel
   * does not walk its page tables again after every process switch. Only the entries filled since they were
   * last emptied, while there are few (a process switch refills a few dozen pages before the next one: emptying
   * 9 sets whole cost 2% of a piped sha256sum).
   */
  flushNonGlobal(): void {
    this.emptyIo();
    if (this.filledCount > FILL_LOG) this.emptyTranslated();
    else {
      const filled = this.filled;
      for (let j = 0; j < this.filledCount; j++) {
        const e = filled[j]!;
        this.emptyEntry(e >>> TLB_BITS, e & TLB_MASK);
      }
      this.filledCount = 0;
    }
  }

  /** Drops all the U and S contexts' translations, global ones too: SFENCE.VMA of everything, satp mode changes. */
  flushTranslated(): void {
    if (this.globals) this.emptyTranslated();
    else this.flushNonGlobal();
  }

  /** Empties the U and S contexts' sets (the first 9), the entries the fill log has or else whole. */
  private emptyTranslated(): void {
    this.emptyIo();
    const all = this.allFilled;
    if (this.allCount > ALL_FILL_LOG) {
      for (let k = 0; k < 3 * 3; k++) this.emptySet(k);
      this.allCount = 0;
      this.unloggedM = true;
    } else {
      // The M context's fills stay in the log.
      let kept = 0;
      for (let j = 0; j < this.allCount; j++) {
        const e = all[j]!;
        if (e >>> TLB_BITS < 3 * 3) this.emptyEntry(e >>> TLB_BITS, e & TLB_MASK);
        else all[kept++] = e;
      }
      this.allCount = kept;
    }
    this.filledCount = 0;
    this.globals = false;
    for (const regions of this.superpages) regions.clear();
  }

  private emptySet(k: number): void {
    this.tags[k]!.fill(NaN);
    this.tags64Fill?.[k]!.fill(EMPTY_TAG64N);
    this.tags2[k]!.fill(NaN);
    this.tags64bFill?.[k]!.fill(EMPTY_TAG64N);
  }

  /** Empties entry i of set k, both ways. */
  private emptyEntry(k: number, i: number): void {
    this.tags[k]![i] = NaN;
    this.tags2[k]![i] = NaN;
    const t64 = this.tags64?.[k];
    if (t64 !== undefined) {
      t64[2 * i] = EMPTY_TAG64;
      t64[2 * i + 1] = 0;
      const b64 = this.tags64b![k]!;
      b64[2 * i] = EMPTY_TAG64;
      b64[2 * i + 1] = 0;
    }
  }

  /**
   * Drops the U and S entries for the page containing virtual address `va` (SFENCE.VMA with an address): for a
   * superpage, every entry of its leaf PTE, as the privileged spec has it (its 4 KiB pieces are entries of their
   * own, each filled by its own walk).
   */
  flushPage(va: number): void {
    this.emptyIo();
    const pageVa = va - ((va | 0) & 0xfff);
    const i = ((va | 0) >>> 12) & TLB_MASK;
    for (let t = 0; t < 3 * 3; t++) {
      if (this.tags[t]![i] === pageVa || this.tags2[t]![i] === pageVa) this.emptyEntry(t, i);
    }
    for (let level = 1; level < this.superpages.length; level++) {
      const regions = this.superpages[level]!;
      if (regions.size === 0) continue;
      const bytes = 4096 * 2 ** (9 * level);
      const region = Math.floor(va / bytes) * bytes;
      if (regions.delete(region)) this.emptyRange(region, bytes);
    }
  }

  /** Empties every U and S entry (either way) whose page lies in [start, start + bytes). */
  private emptyRange(start: number, bytes: number): void {
    const count = Math.min(bytes / 4096, TLB_SIZE);
    const first = ((start | 0) >>> 12) & TLB_MASK;
    const end = start + bytes;
    for (let n = 0; n < count; n++) {
      const i = (first + n) & TLB_MASK;
      for (let t = 0; t < 3 * 3; t++) {
        const a = this.tags[t]![i]!;
        const b = this.tags2[t]![i]!;
        if ((a >= start && a < end) || (b >= start && b < end)) this.emptyEntry(t, i);
      }
    }
  }

  /** Drops everything: after PMP or MXR changes. */
  flushAll(): void {
    this.emptyIo();
    if (this.allCount > ALL_FILL_LOG) for (let k = 0; k < this.tags.length; k++) this.emptySet(k);
    else {
      const all = this.allFilled;
      for (let j = 0; j < this.allCount; j++) this.emptyEntry(all[j]! >>> TLB_BITS, all[j]! & TLB_MASK);
      if (this.unloggedM) for (let k = 3 * 3; k < this.tags.length; k++) this.emptySet(k);
    }
    this.allCount = 0;
    this.unloggedM = false;
    this.filledCount = 0;
    this.globals = false;
    this.storeEntries.clear();
    for (const regions of this.superpages) regions.clear();
  }

  /** Caches the translation of the page at `pageVa` to the device page at physical `page`. */
  insertIo(context: number, kind: number, pageVa: number, page: number): void {
    const k = context * 3 + kind;
    const i = ioIndex(pageVa, k);
    this.ioTags[i] = pageVa;
    this.ioSets[i] = k;
    this.ioPages[i] = page;
    this.ioFilled = true;
    const pub = this.published;
    if (pub !== undefined && page === this.publishedPage && kind !== ACCESS_FETCH) {
      // The set's address is what `select` writes for the context while it is in use: WebAssembly compares the
      // set it is using with it, so the entry serves only the context (privilege, SUM) it was filled for.
      const w = kind === ACCESS_LOAD ? 0 : 4;
      pub[w] = pageVa | 0;
      pub[w + 1] = Math.floor(pageVa / 4294967296) | 0;
      pub[w + 2] = this.setsAt + k * this.setBytes;
    }
  }

  /**
   * Publishes the translations of the device page at physical `page` for WebAssembly, at backing.publishedAt
   * (8 words, see `published`): the last load and store translation insertIo caches for it, until the device
   * pages are emptied. -1 publishes nothing.
   */
  publishIoPage(page: number): void {
    if (this.published === undefined) throw new Error('publishIoPage: the TLB has no backing with publishedAt');
    this.publishedPage = page;
    this.unpublish();
  }

  private unpublish(): void {
    const pub = this.published;
    if (pub === undefined) return;
    pub[0] = pub[4] = EMPTY_TAG64;
    pub[1] = pub[5] = 0;
    pub[2] = pub[6] = -1;
  }

  /** The physical page insertIo cached for `pageVa` in context `context`, kind `kind`, or -1. */
  lookupIo(context: number, kind: number, pageVa: number): number {
    const k = context * 3 + kind;
    const i = ioIndex(pageVa, k);
    return this.ioTags[i] === pageVa && this.ioSets[i] === k ? this.ioPages[i]! : -1;
  }

  private emptyIo(): void {
    if (!this.ioFilled) return;
    this.ioTags.fill(NaN);
    this.ioFilled = false;
    this.unpublish();
  }

  /** Drops every store entry (of any context) that points at the RAM page at `ramOffset`. */
  dropStorePage(ramOffset: number): void {
    const entries = this.storeEntries.get(ramOffset);
    if (entries === undefined) return;
    this.storeEntries.delete(ramOffset);
    for (const e of entries) {
      const k = e >>> TLB_BITS;
      const i = e & TLB_MASK;
      if (this.offs[k]![i] === ramOffset || this.offs2[k]![i] === ramOffset) this.emptyEntry(k, i);
    }
  }

  /** Notes store entry i of set k as filled for the RAM page at `ramOffset` (see storeEntries). */
  private noteStoreEntry(k: number, i: number, ramOffset: number): void {
    // Pages stored to long ago and never made code stay listed: past a bound, keep only what the sets hold.
    if (this.storeEntries.size >= MAX_STORE_PAGES && !this.storeEntries.has(ramOffset)) this.relistStoreEntries();
    this.listStoreEntry(k, i, ramOffset);
  }

  private listStoreEntry(k: number, i: number, ramOffset: number): void {
    const e = (k << TLB_BITS) | i;
    const entries = this.storeEntries.get(ramOffset);
    if (entries === undefined) this.storeEntries.set(ramOffset, [e]);
    else if (!entries.includes(e)) entries.push(e);
  }

  /** Rebuilds storeEntries from the store entries the sets hold now (both ways). */
  private relistStoreEntries(): void {
    this.storeEntries = new Map();
    for (let c = 0; c < CONTEXTS; c++) {
      const k = c * 3 + ACCESS_STORE;
      for (let i = 0; i < TLB_SIZE; i++) {
        if (!Number.isNaN(this.tags[k]![i])) this.listStoreEntry(k, i, this.offs[k]![i]!);
        if (!Number.isNaN(this.tags2[k]![i])) this.listStoreEntry(k, i, this.offs2[k]![i]!);
      }
    }
  }

  /**
   * Caches a translation of the page at `pageVa` (page aligned) to RAM offset `ramOffset` (page aligned);
   * `global` when the page table marked it global (G), which flushNonGlobal keeps; `level` that of the leaf PTE
   * (0 for a 4 KiB page, 1 and up for superpages).
   */
  insert(context: number, kind: number, pageVa: number, ramOffset: number, global = false, level = 0): void {
    const i = ((pageVa | 0) >>> 12) & TLB_MASK;
    const k = context * 3 + kind;
    if (context < 3) {
      if (level > 0) {
        // Past a bound (a guest mapping superpages all over), the sets are emptied rather than the list grown.
        if (this.superpages[level]!.size >= MAX_SUPERPAGES) this.emptyTranslated();
        const bytes = 4096 * 2 ** (9 * level);
        this.superpages[level]!.add(Math.floor(pageVa / bytes) * bytes);
      }
      if (global) this.globals = true;
      else {
        if (this.filledCount < FILL_LOG) this.filled[this.filledCount] = (k << TLB_BITS) | i;
        this.filledCount++;
      }
    }
    if (kind === ACCESS_STORE) this.noteStoreEntry(k, i, ramOffset);
    if (this.allCount < ALL_FILL_LOG) this.allFilled[this.allCount] = (k << TLB_BITS) | i;
    this.allCount++;
    const old = this.tags[k]![i]!;
    // The entry replaced goes to the second way (what was there goes).
    if (!Number.isNaN(old) && old !== pageVa) this.setSecond(k, i, old, this.offs[k]![i]!);
    this.setFirst(k, i, pageVa, ramOffset);
  }

  /** Writes entry i of set k's first way, both tag forms. */
  private setFirst(k: number, i: number, pageVa: number, ramOffset: number): void {
    writeEntry(this.tags[k]!, this.offs[k]!, this.tags64?.[k], i, pageVa, ramOffset);
  }

  /** Writes entry i of set k's second way, both tag forms (NaN: empty). */
  private setSecond(k: number, i: number, pageVa: number, ramOffset: number): void {
    writeEntry(this.tags2[k]!, this.offs2[k]!, this.tags64b?.[k], i, pageVa, ramOffset);
  }

  /**
   * The RAM offset the second way holds for page `pageVa` in context `context`, kind `kind`, or -1; a hit moves
   * the entry to the first way (and the first way's to the second), where the interpreter's fast path looks.
   */
  lookupWay2(context: number, kind: number, pageVa: number): number {
    const i = ((pageVa | 0) >>> 12) & TLB_MASK;
    const k = context * 3 + kind;
    if (this.tags2[k]![i] !== pageVa) return -1;
    const ramOffset = this.offs2[k]![i]!;
    // Not logged again: the fill that first cached it was (and a flush since would have emptied it). An empty
    // first way leaves an empty second way (NaN), which is what it is.
    this.setSecond(k, i, this.tags[k]![i]!, this.offs[k]![i]!);
    this.setFirst(k, i, pageVa, ramOffset);
    return ramOffset;
  }
}
