// A/B of two builds on guest workloads, with both guests in one process: node tools/duo.mjs dirA dirB
//
// Each directory is a copy of a built checkout (its dist/ and guest/; node_modules may be a link). Both guests
// boot (in-process, the translator, 256 MiB, console=ttyS0), then each workload runs on A and on B in turn,
// the order alternating, ROUNDS times (the first round is a warm-up and not counted). Prints, per workload, the
// mean times and the median of the rounds' B/A ratios. Runs in separate processes moved with the host by ±15%;
// in one process, in turns, the same build against itself gives ~1.00. Environment: WORK (loop, sha, gzip;
// comma-separated; default loop), ROUNDS (default 13), N (shell loop iterations, default 20000), MB (sha256sum
// 8, gzip 4). Run it with the executable's Node options and the V8 options a VM's session sets
// (cli/node-flags.ts NODE_FLAGS, V8_FLAGS).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from '../bench/peer.mjs';

const [dirA, dirB] = process.argv.slice(2).map((d) => resolve(d));
if (dirA === undefined || dirB === undefined) {
  console.error('usage: node tools/duo.mjs dirA dirB');
  process.exit(2);
}
const N = Number(process.env.N ?? 20000);
const WORKLOADS = {
  loop: `i=0; while [ $i -lt ${N} ]; do i=$((i+1)); done; echo $i`,
  sha: `dd if=/dev/zero bs=1048576 count=${process.env.MB ?? 8} 2>/dev/null | sha256sum`,
  gzip: `dd if=/dev/zero bs=1048576 count=${process.env.MB ?? 4} 2>/dev/null | gzip -9 | wc -c`,
};
const works = (process.env.WORK ?? 'loop').split(',');
for (const w of works) if (!(w in WORKLOADS)) throw new Error(`unknown workload ${w}: one of ${Object.keys(WORKLOADS).join(', ')}`);
const rounds = Number(process.env.ROUNDS ?? 13);
const PROMPT = '~ # ';

/** Boots the bundled guest with the build in `dir`; returns a function that runs a command and times it. */
async function boot(dir) {
  const load = (path) => import(pathToFileURL(`${dir}/dist/${path}`).href);
  const { configFromOptions, machineExtras } = await load('cli/run-command.js');
  const { readBootFiles } = await load('cli/boot-files.js');
  const { bootVm } = await load('cli/vm-build.js');
  // The build's own bundled kernel (inflated by it) and initramfs, as its command line boots them.
  const { BUNDLED } = await load('cli/bundled.js');
  const options = {
    kernel: BUNDLED.kernel, initrd: BUNDLED.initrd, firmware: 'builtin', append: 'console=ttyS0',
    memory: '256M', mmu: 'sv39', rng: true, console: 'uart', cpus: '1', engine: 'jit',
  };
  const config = configFromOptions(options);
  const state = { text: '', waiter: null };
  const vm = await bootVm(config, readBootFiles(config), (bytes) => {
    state.text += Buffer.from(bytes).toString('latin1');
    if (state.waiter !== null && state.text.endsWith(PROMPT)) {
      const w = state.waiter;
      state.waiter = null;
      w();
    }
  }, machineExtras(options));
  const prompt = new Promise((r) => (state.waiter = r));
  // The kernel and initramfs may still be arriving in RAM (cli/vm-build.ts BuiltVm.loaded).
  await vm.loaded;
  void vm.machine.run();
  await prompt;
  const run = async (command) => {
    state.text = '';
    const done = new Promise((r) => (state.waiter = r));
    const t = performance.now();
    vm.machine.sendInput(Buffer.from(command + '\n'));
    await done;
    return performance.now() - t;
  };
  return { run, stop: () => vm.machine.stop() };
}

const a = await boot(dirA);
const b = await boot(dirB);
const ratios = Object.fromEntries(works.map((w) => [w, []]));
const sums = Object.fromEntries(works.map((w) => [w, [0, 0]]));
for (let i = 0; i < rounds; i++) {
  for (const w of works) {
    let ta;
    let tb;
    if (i % 2 === 0) {
      ta = await a.run(WORKLOADS[w]);
      tb = await b.run(WORKLOADS[w]);
    } else {
      tb = await b.run(WORKLOADS[w]);
      ta = await a.run(WORKLOADS[w]);
    }
    if (i === 0) continue;
    ratios[w].push(tb / ta);
    sums[w][0] += ta;
    sums[w][1] += tb;
  }
}
for (const w of works) {
  const n = ratios[w].length;
  console.log(
    `${w}: A ${(sums[w][0] / n).toFixed(0)} ms, B ${(sums[w][1] / n).toFixed(0)} ms; B/A median ${median(ratios[w]).toFixed(3)},` +
      ` of sums ${(sums[w][1] / sums[w][0]).toFixed(3)}; B faster in ${ratios[w].filter((r) => r < 1).length} of ${n}`,
  );
}
a.stop();
b.stop();
process.exit(0);
