/**
 * A flattened-device-tree (DTB) writer: version 17, last compatible version 16, as described by the Devicetree
 * Specification v0.4 chapter 5 and produced by dtc / libfdt.
 *
 * The input is a plain tree of nodes and properties. Property values are built with the helpers below:
 * `empty()`, `u32(...)` (32-bit cells, which may include phandle references `ref(label)`), `u64(...)` (each value
 * as two cells, high first), `str()`, `strs(...)`, `bytes()`. A node referenced through `ref(label)` gets a
 * `phandle` property: its explicit `phandle` if it has one, otherwise the lowest unused number.
 *
 * Layout of the blob: header (40 bytes), memory reservation block (8-aligned), structure block, strings block
 * (property names, deduplicated), then `extraSpace` zero bytes counted in totalsize so that firmware can edit the
 * tree in place (OpenSBI grows the DTB it passes on by adding nodes, as `dtc -p` allows).
 */

export const FDT_MAGIC = 0xd00dfeed;
export const FDT_VERSION = 17;
export const FDT_LAST_COMP_VERSION = 16;
export const FDT_HEADER_SIZE = 40;
export const FDT_TOKEN = {
  beginNode: 0x1,
  endNode: 0x2,
  prop: 0x3,
  nop: 0x4,
  end: 0x9,
} as const;

/** A reference to the phandle of the node carrying `label`. */
export interface FdtRef {
  readonly ref: string;
}

export type FdtCell = number | FdtRef;

export type FdtValue =
  | { readonly kind: 'empty' }
  | { readonly kind: 'cells'; readonly cells: readonly FdtCell[] }
  | { readonly kind: 'u64'; readonly values: readonly (number | bigint)[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'strings'; readonly values: readonly string[] }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array };

export interface FdtProp {
  readonly name: string;
  readonly value: FdtValue;
}

export interface FdtNode {
  /** Node name with optional unit address ("cpu@0"); "" for the root. */
  readonly name: string;
  readonly props?: readonly FdtProp[];
  readonly children?: readonly FdtNode[];
  /** A name other properties can reference with `ref(label)` (not written to the blob). */
  readonly label?: string;
  /** An explicit phandle number (written as the node's `phandle` property). */
  readonly phandle?: number;
}

export interface FdtReservation {
  readonly address: number | bigint;
  readonly size: number | bigint;
}

export interface FdtWriteOptions {
  /** Entries of the memory reservation block. */
  readonly memReserve?: readonly FdtReservation[];
  /** boot_cpuid_phys in the header (default 0). */
  readonly bootCpuid?: number;
  /** Free bytes appended after the strings block and included in totalsize (default 0). */
  readonly extraSpace?: number;
}

// ---------------------------------------------------------------- value helpers

export const empty = (): FdtValue => ({ kind: 'empty' });
export const u32 = (...cells: FdtCell[]): FdtValue => ({ kind: 'cells', cells });
export const u64 = (...values: (number | bigint)[]): FdtValue => ({ kind: 'u64', values });
export const str = (value: string): FdtValue => ({ kind: 'string', value });
export const strs = (...values: string[]): FdtValue => ({ kind: 'strings', values });
export const bytes = (data: Uint8Array): FdtValue => ({ kind: 'bytes', bytes: data });
export const ref = (label: string): FdtRef => ({ ref: label });
export const prop = (name: string, value: FdtValue): FdtProp => ({ name, value });

/** Builds a node; `extra` may carry a label and/or an explicit phandle. */
export function node(
  name: string,
  props: readonly FdtProp[] = [],
  children: readonly FdtNode[] = [],
  extra: { label?: string; phandle?: number } = {},
): FdtNode {
  const n: { -readonly [K in keyof FdtNode]: FdtNode[K] } = { name, props, children };
  if (extra.label !== undefined) n.label = extra.label;
  if (extra.phandle !== undefined) n.phandle = extra.phandle;
  return n;
}

// ---------------------------------------------------------------- validation

const NODE_NAME = /^[0-9A-Za-z,._+-]{1,31}(@[0-9A-Za-z,._+-]+)?$/;
const PROP_NAME = /^[0-9A-Za-z,._+?#-]{1,31}$/;
const TWO32 = 0x1_0000_0000;
const U64_MAX = (1n << 64n) - 1n;

function fail(path: string, msg: string): never {
  throw new Error(`FDT ${path}: ${msg}`);
}

function checkCell(path: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff_ffff) fail(path, `cell ${String(v)} is not a u32`);
}

function splitU64(path: string, v: number | bigint): [number, number] {
  if (typeof v === 'bigint') {
    if (v < 0n || v > U64_MAX) fail(path, `value ${v} is not a u64`);
    return [Number(v >> 32n), Number(v & 0xffff_ffffn)];
  }
  if (!Number.isSafeInteger(v) || v < 0) fail(path, `value ${String(v)} is not a u64 (use a bigint above 2^53)`);
  const hi = Math.floor(v / TWO32);
  return [hi, v - hi * TWO32];
}

function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

// ---------------------------------------------------------------- writer

class ByteSink {
  buf = new Uint8Array(4096);
  len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const o = this.len;
    b[o] = v >>> 24;
    b[o + 1] = (v >>> 16) & 0xff;
    b[o + 2] = (v >>> 8) & 0xff;
    b[o + 3] = v & 0xff;
    this.len += 4;
  }

  raw(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  align(n: number): void {
    const pad = (n - (this.len % n)) % n;
    this.ensure(pad);
    this.buf.fill(0, this.len, this.len + pad);
    this.len += pad;
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

const utf8 = new TextEncoder();

function encodeString(path: string, s: string): Uint8Array {
  if (typeof s !== 'string') fail(path, 'string value expected');
  if (s.includes('\0')) fail(path, 'strings cannot contain NUL');
  const e = utf8.encode(s);
  const out = new Uint8Array(e.length + 1);
  out.set(e);
  return out;
}

/** Encodes a property value (with phandle references resolved). */
function encodeValue(path: string, value: FdtValue, phandles: ReadonlyMap<string, number>): Uint8Array {
  switch (value.kind) {
    case 'empty':
      return new Uint8Array(0);
    case 'cells': {
      const out = new Uint8Array(value.cells.length * 4);
      const dv = new DataView(out.buffer);
      value.cells.forEach((c, i) => {
        let v: number;
        if (typeof c === 'number') {
          checkCell(path, c);
          v = c;
        } else {
          const p = phandles.get(c.ref);
          if (p === undefined) fail(path, `reference to unknown label "${c.ref}"`);
          v = p;
        }
        dv.setUint32(i * 4, v);
      });
      return out;
    }
    case 'u64': {
      const out = new Uint8Array(value.values.length * 8);
      const dv = new DataView(out.buffer);
      value.values.forEach((v, i) => {
        const [hi, lo] = splitU64(path, v);
        dv.setUint32(i * 8, hi);
        dv.setUint32(i * 8 + 4, lo);
      });
      return out;
    }
    case 'string':
      return encodeString(path, value.value);
    case 'strings': {
      const parts = value.values.map((s) => encodeString(path, s));
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    }
    case 'bytes':
      if (!(value.bytes instanceof Uint8Array)) fail(path, 'bytes value must be a Uint8Array');
      return value.bytes.slice();
    default:
      return fail(path, `unknown value kind ${String((value as { kind: unknown }).kind)}`);
  }
}

/** Collects labels and explicit phandles; returns the label -> phandle map (references resolved later). */
function assignPhandles(root: FdtNode): { byLabel: Map<string, number>; byNode: Map<FdtNode, number> } {
  const labelled = new Map<string, FdtNode>();
  const explicit = new Map<number, string>();
  const referenced = new Set<string>();
  const order: FdtNode[] = [];

  const walk = (n: FdtNode, path: string): void => {
    order.push(n);
    if (n.label !== undefined) {
      if (typeof n.label !== 'string' || n.label === '') fail(path, 'label must be a non-empty string');
      if (labelled.has(n.label)) fail(path, `label "${n.label}" is used twice`);
      labelled.set(n.label, n);
    }
    if (n.phandle !== undefined) {
      if (!Number.isInteger(n.phandle) || n.phandle < 1 || n.phandle > 0xffff_fffe) {
        fail(path, `phandle ${String(n.phandle)} must be an integer in 1..0xfffffffe`);
      }
      const other = explicit.get(n.phandle);
      if (other !== undefined) fail(path, `phandle ${n.phandle} is also used by ${other}`);
      explicit.set(n.phandle, path);
    }
    for (const p of n.props ?? []) {
      if (p.value.kind === 'cells') {
        for (const c of p.value.cells) if (typeof c !== 'number') referenced.add(c.ref);
      }
    }
    for (const c of n.children ?? []) walk(c, childPath(path, c.name));
  };
  walk(root, '/');

  const byNode = new Map<FdtNode, number>();
  for (const n of order) if (n.phandle !== undefined) byNode.set(n, n.phandle);
  let next = 1;
  for (const n of order) {
    if (n.label === undefined || !referenced.has(n.label) || byNode.has(n)) continue;
    while (explicit.has(next)) next++;
    byNode.set(n, next);
    explicit.set(next, n.label);
    next++;
  }
  const byLabel = new Map<string, number>();
  for (const [label, n] of labelled) {
    const p = byNode.get(n);
    if (p !== undefined) byLabel.set(label, p);
  }
  return { byLabel, byNode };
}

/** Serializes `root` as a DTB. Throws an Error naming the offending node or property on invalid input. */
export function writeFdt(root: FdtNode, options: FdtWriteOptions = {}): Uint8Array {
  if (root.name !== '') fail('/', 'the root node must have an empty name');
  const bootCpuid = options.bootCpuid ?? 0;
  checkCell('header', bootCpuid);
  const extraSpace = options.extraSpace ?? 0;
  if (!Number.isInteger(extraSpace) || extraSpace < 0 || extraSpace > 0x1000_0000) {
    fail('header', `extraSpace ${String(extraSpace)} must be an integer in 0..0x10000000`);
  }
  const { byLabel, byNode } = assignPhandles(root);

  const strings = new ByteSink();
  const stringOffsets = new Map<string, number>();
  const nameOffset = (name: string): number => {
    let off = stringOffsets.get(name);
    if (off === undefined) {
      off = strings.len;
      strings.raw(encodeString('strings', name));
      stringOffsets.set(name, off);
    }
    return off;
  };

  const struct = new ByteSink();
  const emitProp = (path: string, name: string, data: Uint8Array): void => {
    struct.u32(FDT_TOKEN.prop);
    struct.u32(data.length);
    struct.u32(nameOffset(name));
    struct.raw(data);
    struct.align(4);
  };
  const emitNode = (n: FdtNode, path: string): void => {
    if (n !== root && (typeof n.name !== 'string' || !NODE_NAME.test(n.name))) {
      fail(path, `invalid node name "${String(n.name)}"`);
    }
    struct.u32(FDT_TOKEN.beginNode);
    struct.raw(encodeString(path, n.name));
    struct.align(4);
    const seen = new Set<string>();
    for (const p of n.props ?? []) {
      const ppath = `${path}:${String(p.name)}`;
      if (typeof p.name !== 'string' || !PROP_NAME.test(p.name)) fail(ppath, 'invalid property name');
      if (seen.has(p.name)) fail(ppath, 'duplicate property');
      if (p.name === 'phandle' || p.name === 'linux,phandle') fail(ppath, 'set phandles with the node\'s phandle field');
      seen.add(p.name);
      emitProp(ppath, p.name, encodeValue(ppath, p.value, byLabel));
    }
    const ph = byNode.get(n);
    if (ph !== undefined) emitProp(`${path}:phandle`, 'phandle', encodeValue(path, u32(ph), byLabel));
    const names = new Set<string>();
    for (const c of n.children ?? []) {
      const cpath = childPath(path, String(c.name));
      if (names.has(c.name)) fail(cpath, 'duplicate node name');
      names.add(c.name);
      emitNode(c, cpath);
    }
    struct.u32(FDT_TOKEN.endNode);
  };
  emitNode(root, '/');
  struct.u32(FDT_TOKEN.end);

  const rsv = new ByteSink();
  for (const [i, r] of (options.memReserve ?? []).entries()) {
    const [ah, al] = splitU64(`memReserve[${i}].address`, r.address);
    const [sh, sl] = splitU64(`memReserve[${i}].size`, r.size);
    rsv.u32(ah);
    rsv.u32(al);
    rsv.u32(sh);
    rsv.u32(sl);
  }
  for (let i = 0; i < 4; i++) rsv.u32(0);

  const offRsv = FDT_HEADER_SIZE; // already 8-aligned
  const offStruct = offRsv + rsv.len;
  const offStrings = offStruct + struct.len;
  const totalSize = offStrings + strings.len + extraSpace;

  const out = new Uint8Array(totalSize);
  const dv = new DataView(out.buffer);
  const header = [
    FDT_MAGIC,
    totalSize,
    offStruct,
    offStrings,
    offRsv,
    FDT_VERSION,
    FDT_LAST_COMP_VERSION,
    bootCpuid,
    strings.len,
    struct.len,
  ];
  header.forEach((v, i) => dv.setUint32(i * 4, v));
  out.set(rsv.bytes(), offRsv);
  out.set(struct.bytes(), offStruct);
  out.set(strings.bytes(), offStrings);
  return out;
}
