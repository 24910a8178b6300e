// npm run bench:cpu — CPU-bound work inside the guest, timed from the host (command sent to prompt back), in
// Typevisor and in QEMU (TCG) booted on the same guest; prints medians and ratios. Every engine's guest is booted
// first and waits at its prompt; then each run of a workload runs on each engine in turn, so that a fast or slow
// stretch of the shared host falls on both (it took all of one engine's runs when each engine ran them all in a
// row), and the median of the runs' own ratios is printed with the ratio of medians.
import { performance } from 'node:perf_hooks';
import { GuestConsole } from '../dist/testing/guest-console.js';
import { engines, machineLine, median, qemuVersion, report } from './peer.mjs';

const runs = Number(process.env.RUNS ?? 3);
const WORKLOADS = [
  { name: 'sha256sum 32 MiB', cmd: 'dd if=/dev/zero bs=1048576 count=32 2>/dev/null | sha256sum' },
  { name: 'shell loop 100k', cmd: 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; echo $i' },
  { name: 'gzip -9 16 MiB', cmd: 'dd if=/dev/zero bs=1048576 count=16 2>/dev/null | gzip -9 | wc -c' },
];
console.log(`CPU-bound guest workloads, ${runs} runs each, engines in turns — ${machineLine()}`);
if (qemuVersion() === undefined) console.log('(qemu-system-riscv64 not found: apt-get install qemu-system-misc to compare)');
const results = new Map();
const vms = [];
try {
  for (const e of engines()) {
    const vm = new GuestConsole(e.args, e.command);
    vms.push({ e, vm });
    await vm.waitForShell('~ # ', 300_000);
  }
  for (const w of WORKLOADS) {
    for (let run = 0; run < runs; run++) {
      // The order turns too, so that neither engine always runs right after the other's run.
      for (const { e, vm } of run % 2 === 0 ? vms : [...vms].reverse()) {
        const t0 = performance.now();
        await vm.run(w.cmd, '~ # ', 600_000);
        const ms = performance.now() - t0;
        const key = `${w.name}|${e.name}`;
        if (!results.has(key)) results.set(key, []);
        results.get(key).push(ms);
        process.stdout.write(`  ${e.name.padEnd(10)} ${w.name} run ${run + 1}: ${(ms / 1000).toFixed(2)} s\n`);
      }
    }
  }
} finally {
  for (const { vm } of vms) vm.kill();
  await Promise.all(vms.map(({ vm }) => vm.exited));
}
console.log('\nworkload            typevisor   tv-jit      qemu-tcg   interp/qemu  jit/qemu');
for (const w of WORKLOADS) {
  const tv = results.get(`${w.name}|typevisor`);
  const jit = results.get(`${w.name}|typevisor-jit`);
  const q = results.get(`${w.name}|qemu-tcg`);
  const fmt = (xs) => (xs ? `${(median(xs) / 1000).toFixed(2)} s` : '-').padEnd(10);
  const ratio = (xs) => (xs && q ? (median(xs) / median(q)).toFixed(2) : '-').padEnd(12);
  console.log(`${w.name.padEnd(20)}${fmt(tv)}  ${fmt(jit)}  ${fmt(q)} ${ratio(tv)} ${ratio(jit)}`);
}
const rows = WORKLOADS.flatMap((w) => {
  const jit = results.get(`${w.name}|typevisor-jit`);
  const q = results.get(`${w.name}|qemu-tcg`);
  if (!jit || !q) return [];
  const paired = median(jit.map((t, i) => t / q[i]));
  return [{ row: w.name, typevisor: median(jit) / 1000, qemu: median(q) / 1000, unit: 's', ratio: median(jit) / median(q), paired }];
});
if (rows.length > 0) {
  console.log('');
  for (const r of rows) console.log(`ratio jit/qemu, ${r.row}: ${r.ratio.toFixed(2)} (medians), ${r.paired.toFixed(2)} (median of the runs' ratios)`);
}
report(rows);
