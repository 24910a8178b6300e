/**
 * Decoder and executor for OP-FP (0x53) and the fused multiply-add major
 * opcodes (0x43 FMADD, 0x47 FMSUB, 0x4b FNMSUB, 0x4f FNMADD), formats S
 * and D. Loads and stores stay in the CPU core.
 *
 * The FP register file is accessed through Float64Array / Float32Array
 * views aliasing the hart's Int32Array (register i is double [i], its low
 * word is float [2*i]); singles are NaN-boxed on write and an input whose
 * high word is not all ones reads as the canonical NaN.
 */
import {
  acc,
  FLAG_NV,
  FP_ILLEGAL,
  FP_OK,
  type FpState,
} from './state.js';
import { CANON_NAN_D_HI, CANON_NAN_S, isSNaND, isSNaNS } from './scratch.js';
import { addD, addS, divD, divS, mulD, mulS, sqrtD, sqrtS } from './arith.js';
import { fmaD, fmaS, isInfTimesZero } from './fma.js';
import { doubleToSingle, fromInt, toInt } from './convert.js';
import { classifyD, classifyS, pickFirst } from './classify.js';
import { fastFused, fastOpFp } from './fast.js';

/* ---- register file binding ---- */

let boundF: Int32Array | null = null;
let RI: Int32Array = new Int32Array(64);
let R64: Float64Array = new Float64Array(RI.buffer, 0, 32);
let R32: Float32Array = new Float32Array(RI.buffer, 0, 64);
const viewCache = new WeakMap<Int32Array, { d: Float64Array; s: Float32Array }>();
const alignedCopy = new Int32Array(64);

/** Points the views at f; false when f cannot be aliased (misaligned). */
function bind(f: Int32Array): boolean {
  let v = viewCache.get(f);
  if (v === undefined) {
    if ((f.byteOffset & 7) !== 0 || f.length < 64) return false;
    v = { d: new Float64Array(f.buffer, f.byteOffset, 32), s: new Float32Array(f.buffer, f.byteOffset, 64) };
    viewCache.set(f, v);
  }
  RI = f;
  R64 = v.d;
  R32 = v.s;
  boundF = f;
  return true;
}

/** Effective rounding mode, or -1 when reserved (5, 6, or dynamic with frm > 4). */
function rmOf(insn: number, frm: number): number {
  const rm = (insn >>> 12) & 7;
  if (rm === 7) return frm >= 0 && frm <= 4 ? frm : -1;
  return rm <= 4 ? rm : -1;
}

/* ---- register access ---- */

/** Single value of register i; an improperly NaN-boxed register reads as NaN. */
function getS(i: number): number {
  return RI[2 * i + 1] === -1 ? R32[2 * i]! : NaN;
}

/** Float bits of register i, canonical NaN when not NaN-boxed. */
function bitsS(i: number): number {
  return RI[2 * i + 1] === -1 ? RI[2 * i]! : CANON_NAN_S;
}

function isSNaNRegS(i: number): boolean {
  return RI[2 * i + 1] === -1 && isSNaNS(RI[2 * i]!);
}

function isSNaNRegD(i: number): boolean {
  return isSNaND(RI[2 * i]!, RI[2 * i + 1]!);
}

function putS(rd: number, v: number): void {
  if (v === v) {
    R32[2 * rd] = v;
  } else {
    RI[2 * rd] = CANON_NAN_S;
  }
  RI[2 * rd + 1] = -1;
}

function putD(rd: number, v: number): void {
  if (v === v) {
    R64[rd] = v;
  } else {
    RI[2 * rd] = 0;
    RI[2 * rd + 1] = CANON_NAN_D_HI;
  }
}

function putX(x: Int32Array, rd: number, lo: number, hi: number): void {
  if (rd !== 0) {
    x[2 * rd] = lo;
    x[2 * rd + 1] = hi;
  }
}

/**
 * NV for an operation whose result is NaN: set when an operand is a
 * signaling NaN, or when no operand is a NaN (the operation was invalid).
 */
function nanFlagD(a: number, b: number, rs1: number, rs2: number): void {
  if ((a === a && b === b) || isSNaNRegD(rs1) || isSNaNRegD(rs2)) acc.flags |= FLAG_NV;
}
function nanFlagS(a: number, b: number, rs1: number, rs2: number): void {
  if ((a === a && b === b) || isSNaNRegS(rs1) || isSNaNRegS(rs2)) acc.flags |= FLAG_NV;
}

/* ---- entry point ---- */

/**
 * Executes one OP-FP / FMADD / FMSUB / FNMSUB / FNMADD instruction.
 * Returns FP_OK, or FP_ILLEGAL for an illegal encoding (unsupported format
 * or function, reserved rounding mode) without changing any state.
 */
export function executeFp(insn: number, x: Int32Array, fp: FpState): number {
  insn |= 0; // int32 from here on: keeps V8 on integer operations and jump tables
  const f = fp.f;
  if (f !== boundF && !bind(f)) return executeCopied(insn, x, fp);
  // Hottest path, inline: FADD/FSUB/FMUL/FDIV.D in RNE with NX accrued. A
  // normal finite native result is then the answer and raises nothing new.
  if ((insn & 0xe600007f) === 0x02000053 && (fp.fflags & 1) !== 0) {
    const rm = (insn >>> 12) & 7;
    if (rm === 0 || (rm === 7 && fp.frm === 0)) {
      const a = R64[(insn >>> 15) & 31]!;
      const b = R64[(insn >>> 20) & 31]!;
      let r: number;
      switch ((insn >>> 27) & 3) {
        case 0: r = a + b; break;
        case 1: r = a - b; break;
        case 2: r = a * b; break;
        default: r = a / b;
      }
      const ar = Math.abs(r);
      // Strictly above the smallest normal: tiny results need the exact path.
      if (ar > 2.2250738585072014e-308 && ar <= 1.7976931348623157e308) {
        R64[(insn >>> 7) & 31] = r;
        return FP_OK;
      }
    }
  }
  const op = insn & 0x7f;
  if (op === 0x53) {
    // funct7 bit 4 clear: arithmetic and conversions (not sign injection,
    // min/max, comparisons, moves) have a fast path.
    if ((insn & 0x20000000) === 0 && fastOpFp(insn, fp, R64, R32, RI, x)) return FP_OK;
  } else if (op === 0x43 || op === 0x47 || op === 0x4b || op === 0x4f) {
    if (fastFused(insn, fp, R64, R32, RI)) return FP_OK;
  }
  acc.flags = fp.fflags;
  const r = op === 0x53 ? opFp(insn, x, fp.frm) : fused(insn, fp.frm);
  fp.fflags = acc.flags;
  return r;
}

/** Slow route for a register file that cannot be aliased by a Float64Array. */
function executeCopied(insn: number, x: Int32Array, fp: FpState): number {
  alignedCopy.set(fp.f.subarray(0, 64));
  bind(alignedCopy);
  const r = executeFp(insn, x, { f: alignedCopy, fflags: fp.fflags, frm: fp.frm });
  if (r === FP_OK) {
    fp.f.set(alignedCopy);
    fp.fflags = acc.flags;
  }
  return r;
}

function fused(insn: number, frm: number): number {
  const op = insn & 0x7f;
  if (op !== 0x43 && op !== 0x47 && op !== 0x4b && op !== 0x4f) return FP_ILLEGAL;
  const fmt = (insn >>> 25) & 3;
  if (fmt > 1) return FP_ILLEGAL;
  const rm = rmOf(insn, frm);
  if (rm < 0) return FP_ILLEGAL;
  const rd = (insn >>> 7) & 31;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  const rs3 = (insn >>> 27) & 31;
  const negProd = op === 0x4b || op === 0x4f;
  const negAdd = op === 0x47 || op === 0x4f;
  if (fmt === 1) {
    const a = R64[rs1]!;
    const b = R64[rs2]!;
    const c = R64[rs3]!;
    const r = fmaD(negProd ? -a : a, b, negAdd ? -c : c, rm);
    if (r !== r && ((a === a && b === b && c === c) || isInfTimesZero(a, b) || isSNaNRegD(rs1) || isSNaNRegD(rs2) || isSNaNRegD(rs3))) {
      acc.flags |= FLAG_NV;
    }
    putD(rd, r);
  } else {
    const a = getS(rs1);
    const b = getS(rs2);
    const c = getS(rs3);
    const r = fmaS(negProd ? -a : a, b, negAdd ? -c : c, rm);
    if (r !== r && ((a === a && b === b && c === c) || isInfTimesZero(a, b) || isSNaNRegS(rs1) || isSNaNRegS(rs2) || isSNaNRegS(rs3))) {
      acc.flags |= FLAG_NV;
    }
    putS(rd, r);
  }
  return FP_OK;
}

function opFp(insn: number, x: Int32Array, frm: number): number {
  const rd = (insn >>> 7) & 31;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  const f3 = (insn >>> 12) & 7;
  switch ((insn >>> 25) & 0x7f) {
    /* ---- double arithmetic ---- */
    case 0x01: case 0x05: case 0x09: case 0x0d: {
      const rm = rmOf(insn, frm);
      if (rm < 0) return FP_ILLEGAL;
      const a = R64[rs1]!;
      const b = R64[rs2]!;
      let r: number;
      switch ((insn >>> 27) & 31) {
        case 0: r = addD(a, b, rm); break;
        case 1: r = addD(a, -b, rm); break;
        case 2: r = mulD(a, b, rm); break;
        default: r = divD(a, b, rm);
      }
      if (r === r) R64[rd] = r;
      else {
        nanFlagD(a, b, rs1, rs2);
        putD(rd, r);
      }
      return FP_OK;
    }
    case 0x2d: { // FSQRT.D
      const rm = rmOf(insn, frm);
      if (rm < 0 || rs2 !== 0) return FP_ILLEGAL;
      const a = R64[rs1]!;
      const r = sqrtD(a, rm);
      if (r !== r) nanFlagD(a, 0, rs1, rs1);
      putD(rd, r);
      return FP_OK;
    }
    /* ---- single arithmetic ---- */
    case 0x00: case 0x04: case 0x08: case 0x0c: {
      const rm = rmOf(insn, frm);
      if (rm < 0) return FP_ILLEGAL;
      const a = getS(rs1);
      const b = getS(rs2);
      let r: number;
      switch ((insn >>> 27) & 31) {
        case 0: r = addS(a, b, rm); break;
        case 1: r = addS(a, -b, rm); break;
        case 2: r = mulS(a, b, rm); break;
        default: r = divS(a, b, rm);
      }
      if (r !== r) nanFlagS(a, b, rs1, rs2);
      putS(rd, r);
      return FP_OK;
    }
    case 0x2c: { // FSQRT.S
      const rm = rmOf(insn, frm);
      if (rm < 0 || rs2 !== 0) return FP_ILLEGAL;
      const a = getS(rs1);
      const r = sqrtS(a, rm);
      if (r !== r) nanFlagS(a, 0, rs1, rs1);
      putS(rd, r);
      return FP_OK;
    }
    /* ---- sign injection ---- */
    case 0x11: { // FSGNJ[N,X].D
      if (f3 > 2) return FP_ILLEGAL;
      const lo = RI[2 * rs1]!;
      const hiA = RI[2 * rs1 + 1]!;
      const hiB = RI[2 * rs2 + 1]!;
      const sign = f3 === 0 ? hiB : f3 === 1 ? ~hiB : hiA ^ hiB;
      RI[2 * rd] = lo;
      RI[2 * rd + 1] = (hiA & 0x7fffffff) | (sign & 0x80000000);
      return FP_OK;
    }
    case 0x10: { // FSGNJ[N,X].S
      if (f3 > 2) return FP_ILLEGAL;
      const a = bitsS(rs1);
      const b = bitsS(rs2);
      const sign = f3 === 0 ? b : f3 === 1 ? ~b : a ^ b;
      RI[2 * rd] = (a & 0x7fffffff) | (sign & 0x80000000);
      RI[2 * rd + 1] = -1;
      return FP_OK;
    }
    /* ---- min / max ---- */
    case 0x15: { // FMIN.D / FMAX.D
      if (f3 > 1) return FP_ILLEGAL;
      const a = R64[rs1]!;
      const b = R64[rs2]!;
      let src: number;
      if (a !== a || b !== b) {
        if (isSNaNRegD(rs1) || isSNaNRegD(rs2)) acc.flags |= FLAG_NV;
        if (a !== a && b !== b) {
          putD(rd, NaN);
          return FP_OK;
        }
        src = a !== a ? rs2 : rs1;
      } else {
        src = pickFirst(a, b, RI[2 * rs1 + 1]! < 0, RI[2 * rs2 + 1]! < 0, f3 === 1) ? rs1 : rs2;
      }
      RI[2 * rd] = RI[2 * src]!;
      RI[2 * rd + 1] = RI[2 * src + 1]!;
      return FP_OK;
    }
    case 0x14: { // FMIN.S / FMAX.S
      if (f3 > 1) return FP_ILLEGAL;
      const a = getS(rs1);
      const b = getS(rs2);
      let bits: number;
      if (a !== a || b !== b) {
        if (isSNaNRegS(rs1) || isSNaNRegS(rs2)) acc.flags |= FLAG_NV;
        bits = a !== a ? (b !== b ? CANON_NAN_S : RI[2 * rs2]!) : RI[2 * rs1]!;
      } else {
        const ba = RI[2 * rs1]!;
        const bb = RI[2 * rs2]!;
        bits = pickFirst(a, b, ba < 0, bb < 0, f3 === 1) ? ba : bb;
      }
      RI[2 * rd] = bits;
      RI[2 * rd + 1] = -1;
      return FP_OK;
    }
    /* ---- comparisons ---- */
    case 0x51: case 0x50: { // FEQ/FLT/FLE .D / .S
      if (f3 > 2) return FP_ILLEGAL;
      const isD = (insn & 0x02000000) !== 0;
      const a = isD ? R64[rs1]! : getS(rs1);
      const b = isD ? R64[rs2]! : getS(rs2);
      let r: boolean;
      if (a !== a || b !== b) {
        // FLT/FLE are signaling; FEQ is quiet (NV only for a signaling NaN).
        if (f3 !== 2 || (isD ? isSNaNRegD(rs1) || isSNaNRegD(rs2) : isSNaNRegS(rs1) || isSNaNRegS(rs2))) {
          acc.flags |= FLAG_NV;
        }
        r = false;
      } else {
        r = f3 === 2 ? a === b : f3 === 1 ? a < b : a <= b;
      }
      putX(x, rd, r ? 1 : 0, 0);
      return FP_OK;
    }
    /* ---- conversions between formats ---- */
    case 0x20: { // FCVT.S.D
      const rm = rmOf(insn, frm);
      if (rm < 0 || rs2 !== 1) return FP_ILLEGAL;
      const a = R64[rs1]!;
      if (a !== a) {
        if (isSNaNRegD(rs1)) acc.flags |= FLAG_NV;
        putS(rd, NaN);
      } else {
        putS(rd, doubleToSingle(a, rm));
      }
      return FP_OK;
    }
    case 0x21: { // FCVT.D.S
      const rm = rmOf(insn, frm);
      if (rm < 0 || rs2 !== 0) return FP_ILLEGAL;
      const a = getS(rs1);
      if (a !== a && isSNaNRegS(rs1)) acc.flags |= FLAG_NV;
      putD(rd, a);
      return FP_OK;
    }
    /* ---- float to integer ---- */
    case 0x60: case 0x61: {
      const rm = rmOf(insn, frm);
      if (rm < 0 || rs2 > 3) return FP_ILLEGAL;
      toInt((insn & 0x02000000) !== 0 ? R64[rs1]! : getS(rs1), rm, rs2, x, rd);
      return FP_OK;
    }
    /* ---- integer to float ---- */
    case 0x68: case 0x69: {
      const rm = rmOf(insn, frm);
      if (rm < 0 || rs2 > 3) return FP_ILLEGAL;
      const isD = (insn & 0x02000000) !== 0;
      const r = fromInt(x[2 * rs1]!, x[2 * rs1 + 1]!, rs2, isD, rm);
      if (isD) R64[rd] = r;
      else putS(rd, r);
      return FP_OK;
    }
    /* ---- moves and classification ---- */
    case 0x70: { // FMV.X.W / FCLASS.S
      if (rs2 !== 0 || f3 > 1) return FP_ILLEGAL;
      if (f3 === 0) {
        const lo = RI[2 * rs1]!;
        putX(x, rd, lo, lo >> 31);
      } else {
        putX(x, rd, classifyS(bitsS(rs1)), 0);
      }
      return FP_OK;
    }
    case 0x71: { // FMV.X.D / FCLASS.D
      if (rs2 !== 0 || f3 > 1) return FP_ILLEGAL;
      if (f3 === 0) putX(x, rd, RI[2 * rs1]!, RI[2 * rs1 + 1]!);
      else putX(x, rd, classifyD(RI[2 * rs1]!, RI[2 * rs1 + 1]!), 0);
      return FP_OK;
    }
    case 0x78: { // FMV.W.X
      if (rs2 !== 0 || f3 !== 0) return FP_ILLEGAL;
      RI[2 * rd] = x[2 * rs1]!;
      RI[2 * rd + 1] = -1;
      return FP_OK;
    }
    case 0x79: { // FMV.D.X
      if (rs2 !== 0 || f3 !== 0) return FP_ILLEGAL;
      RI[2 * rd] = x[2 * rs1]!;
      RI[2 * rd + 1] = x[2 * rs1 + 1]!;
      return FP_OK;
    }
    default:
      return FP_ILLEGAL;
  }
}
