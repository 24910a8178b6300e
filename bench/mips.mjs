// npm run bench:mips — instructions per second of the CPU engines themselves on a bare-metal integer loop (ld,
// add, sltu, a xorshift, srai, sub, sd, loop control: 15 instructions per element of a 1 KiB array), in
// Typevisor's interpreter and translator and in QEMU (TCG, -bios none), timed from the host. The start-up cost
// is taken out by also timing a run of one outer iteration.
//
// The elements are independent of each other (each one's xorshift chain depends on that element alone), so the
// host's out-of-order core can overlap them and the loop measures what an engine adds. Until 2026-11-27 each
// element's result fed the next one's add (`sub a3` instead of `sub t6`): one chain of ~9 dependent operations
// per element, which the same loop compiled natively (gcc -O2) ran at ~3,900 MIPS-equivalent on the benchmark
// host, as fast as both engines' best runs: it measured the host's clock. This loop runs natively at ~13,000.
// `MIPS_LOOP=chained` runs the old one.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { A, iType } from '../dist/riscv/testing.js';
import { typevisorArgv, typevisorEnv } from '../dist/cli/node-flags.js';
import { QEMU, machineLine, median, qemuVersion, report, wanted } from './peer.mjs';

// Five runs: the host's fast and slow stretches (~2x apart for QEMU on this loop) can take a whole run.
const runs = Number(process.env.RUNS ?? 5);
/** Outer iterations for the fast engines (2 G instructions); the interpreter runs a tenth of them. */
const OUTER = Number(process.env.OUTER ?? 1_000_000);
// 15 instructions per element, 4 more per outer iteration. Until 2026-11-27 this said 128 * 16 + 5, which
// overstated every engine's MIPS by 6.7% (the ratios were right); a guest's instruction count confirms 1,924.
const PER_OUTER = 128 * 15 + 4;

/** The loop program as RV64 words. a1 = outer iterations. */
function program(outer) {
  const [a0, a1, a2, a3, t0, t1, t2, t3, t4, t5, t6] = [10, 11, 12, 13, 5, 6, 7, 28, 29, 30, 31];
  const result = process.env.MIPS_LOOP === 'chained' ? a3 : t6;
  const hi = Math.floor(outer / 4096);
  const lo = outer % 4096;
  const w = [
    A.auipc(a0, 0x10000), // the array: 64 KiB past the code
    A.lui(a1, hi << 12),
    iType(0x1b, a1, 0, a1, 0), // addiw a1, a1, 0 (keep it positive)
  ];
  // a1 += lo in two steps (addi takes 12-bit signed immediates)
  w.push(A.addi(a1, a1, lo >> 1), A.addi(a1, a1, lo - (lo >> 1)));
  const outerAt = w.length;
  w.push(A.addi(t0, 0, 128), A.addi(a2, a0, 0));
  const innerAt = w.length;
  w.push(
    A.ld(t1, a2, 0), A.add(t2, t1, a3), A.sltu(t3, t2, t1),
    A.slli(t4, t2, 13), A.xor(t2, t2, t4), A.srli(t4, t2, 7), A.xor(t2, t2, t4), A.slli(t4, t2, 17), A.xor(t2, t2, t4),
    A.srai(t5, t2, 3), A.sub(result, t5, t3), A.sd(t2, a2, 0), A.addi(a2, a2, 8), A.addi(t0, t0, -1),
  );
  w.push(A.bne(t0, 0, (innerAt - w.length) * 4));
  w.push(A.addi(a1, a1, -1));
  w.push(A.bne(a1, 0, (outerAt - w.length) * 4));
  // Power off through the SiFive test device (0x100000 <- 0x5555): both machines end with status 0.
  w.push(A.lui(t0, 0x100000), A.lui(t1, 0x5000), A.addi(t1, t1, 0x555), A.sw(t1, t0, 0), A.jal(0, 0));
  return w;
}

/**
 * A minimal ELF64 image: one loadable segment at 0x8000_0000 (file offset 4 KiB) that is also the entry, which
 * is where QEMU's virt board jumps with -bios none.
 */
function elf(words) {
  const code = Buffer.alloc(words.length * 4);
  words.forEach((x, i) => code.writeUInt32LE(x >>> 0, i * 4));
  const h = Buffer.alloc(4096);
  h.write('\x7fELF', 0, 'latin1');
  h[4] = 2; h[5] = 1; h[6] = 1; // 64-bit, little-endian, version 1
  h.writeUInt16LE(2, 16); // ET_EXEC
  h.writeUInt16LE(243, 18); // EM_RISCV
  h.writeUInt32LE(1, 20);
  h.writeBigUInt64LE(0x8000_0000n, 24); // entry
  h.writeBigUInt64LE(64n, 32); // phoff
  h.writeUInt16LE(64, 52); h.writeUInt16LE(56, 54); h.writeUInt16LE(1, 56); // ehsize, phentsize, phnum
  h.writeUInt16LE(64, 58); // shentsize
  h.writeUInt32LE(1, 64); h.writeUInt32LE(7, 68); // PT_LOAD, RWX
  h.writeBigUInt64LE(4096n, 72); // offset
  h.writeBigUInt64LE(0x8000_0000n, 80); h.writeBigUInt64LE(0x8000_0000n, 88);
  const size = BigInt(code.length);
  h.writeBigUInt64LE(size, 96); h.writeBigUInt64LE(size, 104); h.writeBigUInt64LE(0x1000n, 112);
  return Buffer.concat([h, code]);
}

const dir = mkdtempSync(join(tmpdir(), 'typevisor-bench-mips-'));
const SLOW_OUTER = Math.max(2, Math.round(OUTER / 10));
const files = { big: join(dir, 'loop.elf'), small: join(dir, 'loop-small.elf'), one: join(dir, 'one.elf') };
writeFileSync(files.big, elf(program(OUTER)));
writeFileSync(files.small, elf(program(SLOW_OUTER)));
writeFileSync(files.one, elf(program(1)));

const ALL = [
  { name: 'interp', outer: SLOW_OUTER, file: files.small, run: (f) => [process.execPath, typevisorArgv(['run', '--firmware', 'none', '--engine', 'interp', '--memory', '128M', '--kernel', f])] },
  { name: 'jit', outer: OUTER, file: files.big, run: (f) => [process.execPath, typevisorArgv(['run', '--firmware', 'none', '--engine', 'jit', '--memory', '128M', '--kernel', f])] },
];
const ENGINES = ALL.filter((e) => wanted(e.name));
if (qemuVersion() !== undefined) {
  ENGINES.push({ name: 'qemu-tcg', outer: OUTER, file: files.big, run: (f) => [QEMU, ['-M', 'virt', '-m', '128M', '-bios', 'none', '-nographic', '-kernel', f]] });
}

function time(engine, file) {
  const [cmd, args] = engine.run(file);
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000, env: cmd === process.execPath ? typevisorEnv() : process.env });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${engine.name}: exit ${r.status} ${r.stderr}`);
  return ms;
}

console.log(`bare-metal integer loop, ${(OUTER * PER_OUTER / 1e6).toFixed(0)} M instructions (interpreter: ${(SLOW_OUTER * PER_OUTER / 1e6).toFixed(0)} M), ${runs} runs each — ${machineLine()}`);
const mips = new Map();
for (let run = 0; run < runs; run++) {
  for (const e of ENGINES) {
    const base = time(e, files.one);
    const ms = time(e, e.file);
    const m = ((e.outer - 1) * PER_OUTER) / ((ms - base) * 1000);
    if (!mips.has(e.name)) mips.set(e.name, []);
    mips.get(e.name).push(m);
    console.log(`  ${e.name.padEnd(9)} run ${run + 1}: ${(ms / 1000).toFixed(2)} s (start-up ${(base / 1000).toFixed(2)} s): ${m.toFixed(0)} MIPS`);
  }
}
rmSync(dir, { recursive: true, force: true });
console.log('\nengine      MIPS (median)');
for (const [name, xs] of mips) console.log(`${name.padEnd(12)}${median(xs).toFixed(0)}`);
const jit = mips.get('jit');
const q = mips.get('qemu-tcg');
if (jit && q) {
  // Each run times every engine in turn: the median of the runs' own ratios is steadier on a noisy host. As
  // time ratios, like the other benchmarks' rows: QEMU's MIPS over Typevisor's.
  const paired = median(jit.map((m, i) => q[i] / m));
  console.log(`\ntime ratio jit/qemu: ${(median(q) / median(jit)).toFixed(2)} (medians), ${paired.toFixed(2)} (median of the runs' ratios)`);
  report([{ row: 'bare-metal loop (MIPS)', typevisor: median(jit), qemu: median(q), unit: 'MIPS', ratio: median(q) / median(jit), paired }]);
}
