// Micro-benchmark of executeFp (build first: npx tsc -p tsconfig.json).
//   node tools/fpu-vectors/bench.mjs
import { executeFp } from '../../dist/riscv/fpu/index.js';

const f = new Int32Array(64);
const x = new Int32Array(64);
const fp = { f, fflags: 0, frm: 0 };
const F64 = new Float64Array(f.buffer);
const F32 = new Float32Array(f.buffer);

const r = (f7, rs2, rs1, rm, rd) => ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | 0x53) >>> 0;
const fused = (op, fmt, rs3, rs2, rs1, rm, rd) => ((rs3 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | op) >>> 0;

const cases = [
  ['fadd.d rne', r(0x01, 2, 1, 0, 1)],
  ['fmul.d rne', r(0x09, 2, 1, 0, 1)],
  ['fdiv.d rne', r(0x0d, 2, 1, 0, 1)],
  ['fsqrt.d rne', r(0x2d, 0, 3, 0, 1)],
  ['fmadd.d rne', fused(0x43, 1, 1, 2, 3, 0, 1)],
  ['fadd.d rtz', r(0x01, 2, 1, 1, 1)],
  ['fmul.d rup', r(0x09, 2, 1, 3, 1)],
  ['fadd.s rne', r(0x00, 2, 1, 0, 1)],
  ['fmul.s rne', r(0x08, 2, 1, 0, 1)],
  ['fmadd.s rne', fused(0x43, 0, 1, 2, 3, 0, 1)],
  ['fcvt.w.d rtz', r(0x61, 0, 1, 1, 5)],
  ['feq.d', r(0x51, 2, 1, 2, 5)],
  ['fcvt.d.w rne', r(0x69, 0, 5, 0, 1)],
  ['fcvt.s.d rne', r(0x20, 1, 1, 0, 4)],
  ['fsgnjn.d', r(0x11, 1, 1, 1, 4)],
];

function setup(single) {
  f.fill(0);
  if (single) {
    for (let i = 1; i < 4; i++) f[2 * i + 1] = -1;
    F32[2] = 1.0001; F32[4] = 0.9999; F32[6] = 0.5;
  } else {
    F64[1] = 1.0001; F64[2] = 0.9999; F64[3] = 0.5;
  }
}

const N = 500_000;
for (const [name, insn] of cases) {
  for (const keepNx of [true, false]) {
    const single = name.includes('.s ');
    let best = Infinity;
    for (let rep = 0; rep < 30; rep++) {
      setup(single);
      fp.fflags = 0;
      const t0 = process.cpuUsage(); // CPU time: robust on a shared machine
      for (let i = 0; i < N; i++) {
        if (!keepNx) fp.fflags = 0;
        executeFp(insn, x, fp);
        if ((i & 1023) === 0) setup(single); // keep values bounded
      }
      const t = process.cpuUsage(t0);
      const ns = ((t.user + t.system) * 1000) / N;
      if (ns < best) best = ns;
    }
    console.log(`${name.padEnd(14)} ${keepNx ? 'NX accrued ' : 'fflags=0   '} ${best.toFixed(1)} ns/insn`);
  }
}
