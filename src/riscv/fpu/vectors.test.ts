/**
 * Runs every reference vector (produced on a real RISC-V implementation by
 * tools/fpu-vectors) through executeFp and compares result bits and fflags.
 * Set FPU_VECTORS=/path/to/file(.gz) to run another (e.g. larger) file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { executeFp, FLAG_NX, FP_OK, type FpState } from './index.js';
import { encode, kindShape, parseVectors, type Vector, type VectorFile } from './vector-file.js';

const REL = 'src/riscv/fpu/vectors/fpu-vectors.bin.gz';

function locate(): string {
  const env = process.env['FPU_VECTORS'];
  if (env !== undefined && env !== '') return env;
  const candidates = [fileURLToPath(new URL(`../../../${REL}`, import.meta.url)), `${process.cwd()}/${REL}`];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(`vector file not found (looked at ${candidates.join(', ')})`);
}

const hex = (w: readonly [number, number]): string =>
  (w[1] >>> 0).toString(16).padStart(8, '0') + (w[0] >>> 0).toString(16).padStart(8, '0');

/** Deterministic register choice so decoding of every field is exercised. */
let seed = 12345;
function rand(n: number): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 16) % n;
}

/** Runs one vector; returns a description of the mismatch or null. */
function runVector(file: VectorFile, v: Vector, initialFlags: number): string | null {
  const op = file.ops[v.op]!;
  const shape = kindShape(op.kind);
  const f = new Int32Array(64);
  const x = new Int32Array(64);
  // Fill with junk so reads of the wrong register show up.
  for (let i = 0; i < 64; i++) {
    f[i] = (i * 0x9e3779b1) | 0;
    x[i] = (i * 0x85ebca6b) | 0;
  }
  x[0] = 0;
  x[1] = 0;
  // Distinct source registers; the destination may alias a source.
  const pool = Array.from({ length: 31 }, (_, i) => i + 1);
  const pick = (): number => pool.splice(rand(pool.length), 1)[0]!;
  const src = [pick(), pick(), pick()];
  const fIn = shape.fIn;
  if (fIn > 0) {
    for (let i = 0; i < fIn; i++) {
      const w = v.inputs[i]!;
      f[2 * src[i]!] = w[0];
      f[2 * src[i]! + 1] = w[1];
    }
  } else {
    const w = v.inputs[0]!;
    x[2 * src[0]!] = w[0];
    x[2 * src[0]! + 1] = w[1];
  }
  const rd = shape.xOut ? 1 + rand(31) : rand(3) === 0 ? src[rand(Math.max(fIn, 1))]! : rand(32);
  const insn = encode(op.name, { rd, rs1: src[0]!, rs2: src[1]!, rs3: src[2]! }, v.rm);
  const fp: FpState = { f, fflags: initialFlags, frm: v.rm === 7 ? v.frm : rand(5) };
  const rc = executeFp(insn, x, fp);
  const out: [number, number] = shape.xOut ? [x[2 * rd]!, x[2 * rd + 1]!] : [f[2 * rd]!, f[2 * rd + 1]!];
  const want = v.flags | initialFlags;
  if (rc !== FP_OK || out[0] !== v.result[0] || out[1] !== v.result[1] || fp.fflags !== want) {
    const ins = v.inputs.map(hex).join(' ');
    return `${op.name} rm=${v.rm} frm=${v.frm} in=[${ins}] want ${hex(v.result)} fl=${want.toString(16)} ` +
      `got rc=${rc} ${hex(out)} fl=${fp.fflags.toString(16)}`;
  }
  return null;
}

const file = parseVectors(readFileSync(locate()));

test(`reference vectors: ${file.vectors.length} vectors, result bits and fflags match`, () => {
  const bad: string[] = [];
  let failures = 0;
  for (const v of file.vectors) {
    const m = runVector(file, v, 0);
    if (m !== null && ++failures <= 30) bad.push(m);
  }
  assert.equal(failures, 0, `${failures} mismatches:\n${bad.join('\n')}`);
});

test('reference vectors with NX already accrued (round-to-nearest shortcuts) still match', () => {
  const bad: string[] = [];
  let failures = 0;
  for (const v of file.vectors) {
    const m = runVector(file, v, FLAG_NX);
    if (m !== null && ++failures <= 30) bad.push(m);
  }
  assert.equal(failures, 0, `${failures} mismatches:\n${bad.join('\n')}`);
});

test('reference vectors cover every instruction and rounding mode', () => {
  const seen = new Set<string>();
  for (const v of file.vectors) seen.add(`${file.ops[v.op]!.name}/${v.rm}`);
  for (const op of file.ops) assert.ok(seen.has(`${op.name}/0`), `${op.name} has vectors`);
  assert.ok(file.ops.length >= 58);
  for (const rm of [0, 1, 2, 3, 4, 7]) assert.ok(seen.has(`fmadd.d/${rm}`) && seen.has(`fcvt.w.s/${rm}`));
});
