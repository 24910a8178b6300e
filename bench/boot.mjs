// npm run bench:boot — time from process start to the guest's shell prompt, Typevisor vs QEMU (TCG), same
// kernel, initramfs and command line, several runs each; prints medians and the ratios. Typevisor boots by default
// with its own SBI and no firmware; 'jit-opensbi' boots the translator through OpenSBI, as QEMU does.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { GuestConsole } from '../dist/testing/guest-console.js';
import { engines, IMAGES, machineLine, median, qemuVersion, report } from './peer.mjs';

const runs = Number(process.env.RUNS ?? 5);
const results = new Map();
console.log(`boot to shell prompt, ${runs} runs each — ${machineLine()}`);
if (qemuVersion() === undefined) console.log('(qemu-system-riscv64 not found: apt-get install qemu-system-misc to compare)');
const list = engines();
const jit = list.find((e) => e.name === 'typevisor-jit');
if (jit) list.splice(list.indexOf(jit) + 1, 0, { ...jit, name: 'jit-opensbi', args: [...jit.args, '--firmware', join(IMAGES, 'fw_dynamic.bin')] });
for (let run = 0; run < runs; run++) {
  for (const e of list) {
    const t0 = performance.now();
    const vm = new GuestConsole(e.args, e.command);
    try {
      await vm.waitFor('~ # ', 300_000);
      const ms = performance.now() - t0;
      if (!results.has(e.name)) results.set(e.name, []);
      results.get(e.name).push(ms);
      process.stdout.write(`  ${e.name.padEnd(10)} run ${run + 1}: ${(ms / 1000).toFixed(2)} s\n`);
    } finally {
      vm.kill();
      await vm.exited;
    }
  }
}
console.log('\nengine       median    min      max');
for (const [name, xs] of results) {
  console.log(`${name.padEnd(12)} ${(median(xs) / 1000).toFixed(2)} s   ${(Math.min(...xs) / 1000).toFixed(2)} s   ${(Math.max(...xs) / 1000).toFixed(2)} s`);
}
const q = results.get('qemu-tcg');
for (const name of ['typevisor', 'typevisor-jit', 'jit-opensbi']) {
  const tv = results.get(name);
  if (!tv || !q) continue;
  // Each run boots every engine in turn: the median of the runs' own ratios is steadier on a noisy host.
  const paired = median(tv.map((t, i) => t / q[i]));
  console.log(`${name === 'typevisor' ? '\n' : ''}ratio ${name}/qemu: ${(median(tv) / median(q)).toFixed(2)} (medians), ${paired.toFixed(2)} (median of the runs' ratios)`);
}
const jitRuns = results.get('typevisor-jit');
if (jitRuns && q) {
  report([{ row: 'boot to the shell prompt', typevisor: median(jitRuns) / 1000, qemu: median(q) / 1000, unit: 's', ratio: median(jitRuns) / median(q), paired: median(jitRuns.map((t, i) => t / q[i])) }]);
}
