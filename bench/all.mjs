// npm run bench — the translator (Typevisor's default engine) against QEMU (TCG) in one run: boot to the shell
// prompt (bench/boot.mjs), the CPU-bound guest workloads (bench/cpu.mjs) and the bare-metal loop's instructions
// per second (bench/mips.mjs), each printing its own figures, then one table of every row's ratio. The
// interpreter engine is left out here (ENGINES=jit; each script alone runs it too). RUNS sets the runs per row
// (default: each script's own).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineLine, qemuVersion } from './peer.mjs';

const SCRIPTS = ['boot.mjs', 'cpu.mjs', 'mips.mjs'];
const dir = mkdtempSync(join(tmpdir(), 'typevisor-bench-all-'));
const rows = [];
try {
  for (const script of SCRIPTS) {
    const json = join(dir, `${script}.json`);
    const r = spawnSync(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], {
      stdio: 'inherit',
      env: { ...process.env, ENGINES: 'jit', BENCH_JSON: json },
    });
    if (r.status !== 0) throw new Error(`bench/${script} failed (exit ${r.status ?? r.signal})`);
    try {
      rows.push(...JSON.parse(readFileSync(json, 'utf8')));
    } catch {
      // No QEMU: the script printed Typevisor's figures alone and reported no ratio.
    }
    console.log('');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`Typevisor (translator) against QEMU TCG, one run — ${machineLine()}${qemuVersion() ? `, ${qemuVersion()}` : ''}`);
if (rows.length === 0) {
  console.log('(qemu-system-riscv64 not found: apt-get install qemu-system-misc to compare)');
} else {
  console.log('row                          typevisor       qemu            typevisor/qemu (time)');
  const fmt = (v, unit) => `${unit === 's' ? v.toFixed(2) : v.toFixed(0)} ${unit}`.padEnd(16);
  for (const r of rows) {
    const paired = r.paired !== undefined ? ` (runs' own ratios: ${r.paired.toFixed(2)})` : '';
    console.log(`${r.row.padEnd(29)}${fmt(r.typevisor, r.unit)}${fmt(r.qemu, r.unit)}${r.ratio.toFixed(2)}${paired}`);
  }
  const worst = Math.max(...rows.map((r) => r.ratio));
  console.log(`\n${worst < 1 ? 'faster than QEMU on every row' : 'not faster than QEMU on every row'} (largest ratio of medians ${worst.toFixed(2)})`);
  const paired = rows.filter((r) => r.paired !== undefined);
  if (paired.length > 0) {
    const worstPaired = Math.max(...rows.map((r) => r.paired ?? r.ratio));
    console.log(`with the runs' own ratios where runs were made in turns: largest ${worstPaired.toFixed(2)}`);
  }
}
