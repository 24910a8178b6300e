/**
 * Reader for the reference vector files written by tools/fpu-vectors
 * (instructions run on a real RISC-V implementation), and an encoder that
 * builds instruction words from the mnemonics they name. Used by tests.
 *
 * Format (little endian): "FPV1", u16 op count, per op u8 kind, u8 name
 * length, name; then records: u8 op, u8 (rm | frm << 4), u8 fflags,
 * inputs as u64 (count by kind), result u64.
 */
import { gunzipSync } from 'node:zlib';

/** Operand kinds, as in fpugen.c. */
export const KIND_FFF = 0;
export const KIND_FF = 1;
export const KIND_FFFF = 2;
export const KIND_FFF_N = 3;
export const KIND_XFF = 4;
export const KIND_XF = 5;
export const KIND_XF_N = 6;
export const KIND_FX = 7;
export const KIND_FX_N = 8;

const KIND_INPUTS = [2, 1, 3, 2, 2, 1, 1, 1, 1];

export interface VectorOp {
  readonly name: string;
  readonly kind: number;
}

export interface Vector {
  readonly op: number;
  readonly rm: number;
  readonly frm: number;
  readonly flags: number;
  /** Operands as [lo, hi] word pairs. */
  readonly inputs: readonly (readonly [number, number])[];
  readonly result: readonly [number, number];
}

export interface VectorFile {
  readonly ops: readonly VectorOp[];
  readonly vectors: readonly Vector[];
}

/** Parses a vector file (gzip'd or plain). */
export function parseVectors(data: Uint8Array): VectorFile {
  const bytes = data[0] === 0x1f && data[1] === 0x8b ? new Uint8Array(gunzipSync(data)) : data;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
  if (magic !== 'FPV1') throw new Error(`not an FPV1 vector file (${magic})`);
  let pos = 4;
  const nops = dv.getUint16(pos, true);
  pos += 2;
  const ops: VectorOp[] = [];
  for (let i = 0; i < nops; i++) {
    const kind = bytes[pos]!;
    const len = bytes[pos + 1]!;
    const name = String.fromCharCode(...bytes.subarray(pos + 2, pos + 2 + len));
    ops.push({ name, kind });
    pos += 2 + len;
  }
  const vectors: Vector[] = [];
  const word = (at: number): [number, number] => [dv.getInt32(at, true), dv.getInt32(at + 4, true)];
  while (pos < bytes.length) {
    const op = bytes[pos]!;
    const rmb = bytes[pos + 1]!;
    const flags = bytes[pos + 2]!;
    pos += 3;
    const def = ops[op];
    if (def === undefined) throw new Error(`bad op ${op} at ${pos - 3}`);
    const n = KIND_INPUTS[def.kind]!;
    const inputs: [number, number][] = [];
    for (let i = 0; i < n; i++) inputs.push(word(pos + 8 * i));
    pos += 8 * n;
    const result = word(pos);
    pos += 8;
    vectors.push({ op, rm: rmb & 15, frm: rmb >> 4, flags, inputs, result });
  }
  return { ops, vectors };
}

/** OP-FP funct7 (format bit 0 clear) and fixed rs2/funct3 per mnemonic stem. */
const OPFP: Record<string, { f7: number; rs2?: number; f3?: number }> = {
  fadd: { f7: 0x00 }, fsub: { f7: 0x04 }, fmul: { f7: 0x08 }, fdiv: { f7: 0x0c },
  fsqrt: { f7: 0x2c, rs2: 0 },
  fsgnj: { f7: 0x10, f3: 0 }, fsgnjn: { f7: 0x10, f3: 1 }, fsgnjx: { f7: 0x10, f3: 2 },
  fmin: { f7: 0x14, f3: 0 }, fmax: { f7: 0x14, f3: 1 },
  feq: { f7: 0x50, f3: 2 }, flt: { f7: 0x50, f3: 1 }, fle: { f7: 0x50, f3: 0 },
  fclass: { f7: 0x70, rs2: 0, f3: 1 },
};
const FUSED: Record<string, number> = { fmadd: 0x43, fmsub: 0x47, fnmsub: 0x4b, fnmadd: 0x4f };
const INT: Record<string, number> = { w: 0, wu: 1, l: 2, lu: 3 };

export interface Regs {
  rd: number;
  rs1: number;
  rs2: number;
  rs3: number;
}

/** Encodes a mnemonic (as named in vector files) with registers and rm field. */
export function encode(name: string, r: Regs, rm: number): number {
  const parts = name.split('.');
  const stem = parts[0]!;
  const rtype = (f7: number, rs2: number, f3: number): number =>
    ((f7 << 25) | (rs2 << 20) | (r.rs1 << 15) | (f3 << 12) | (r.rd << 7) | 0x53) >>> 0;
  const fused = FUSED[stem];
  if (fused !== undefined) {
    const fmt = parts[1] === 'd' ? 1 : 0;
    return ((r.rs3 << 27) | (fmt << 25) | (r.rs2 << 20) | (r.rs1 << 15) | (rm << 12) | (r.rd << 7) | fused) >>> 0;
  }
  if (stem === 'fmv') {
    // fmv.x.w fmv.x.d fmv.w.x fmv.d.x
    const toX = parts[1] === 'x';
    const fmt = (toX ? parts[2] : parts[1]) === 'd' ? 1 : 0;
    return rtype((toX ? 0x70 : 0x78) | fmt, 0, 0);
  }
  if (stem === 'fcvt') {
    const dst = parts[1]!;
    const src = parts[2]!;
    if (dst === 's' && src === 'd') return rtype(0x20, 1, rm);
    if (dst === 'd' && src === 's') return rtype(0x21, 0, rm);
    if (dst === 's' || dst === 'd') return rtype(0x68 | (dst === 'd' ? 1 : 0), INT[src]!, rm);
    return rtype(0x60 | (src === 'd' ? 1 : 0), INT[dst]!, rm);
  }
  const d = OPFP[stem];
  if (d === undefined) throw new Error(`unknown mnemonic ${name}`);
  const fmt = parts[1] === 'd' ? 1 : 0;
  return rtype(d.f7 | fmt, d.rs2 ?? r.rs2, d.f3 ?? rm);
}

/** Where each kind reads its operands and writes its result. */
export function kindShape(kind: number): { fIn: number; xIn: number; xOut: boolean } {
  switch (kind) {
    case KIND_FFF: case KIND_FFF_N: return { fIn: 2, xIn: 0, xOut: false };
    case KIND_FF: return { fIn: 1, xIn: 0, xOut: false };
    case KIND_FFFF: return { fIn: 3, xIn: 0, xOut: false };
    case KIND_XFF: return { fIn: 2, xIn: 0, xOut: true };
    case KIND_XF: case KIND_XF_N: return { fIn: 1, xIn: 0, xOut: true };
    default: return { fIn: 0, xIn: 1, xOut: false };
  }
}
