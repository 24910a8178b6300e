// One measurement in a fresh process (so no candidate's JIT feedback leaks into another's):
//   node worker.mjs <candidate id> <program> [seconds per run] [timed runs]
// Warms up for 0.3 s, calibrates the loop count so one run takes about `seconds`, does one full run, then the
// timed runs; prints one JSON line with MIPS per run.
import { CANDIDATES, DEFAULT_BATCH, load } from './candidates.mjs';
import { assemble, makeImage, instructionCount } from './rv.mjs';

const [id, program, secs = '0.4', reps = '5'] = process.argv.slice(2);
const c = CANDIDATES.find((x) => x.id === id);
if (!c) throw new Error(`unknown candidate ${id}`);
const batch = c.batch ?? DEFAULT_BATCH;
const m = await load(c);

let cpuNs = 0;
function once(outer) {
  const image = makeImage(assemble(program, outer));
  m.reset(image);
  const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
  let n = 0;
  while (m.halted === 0) n += m.run(batch);
  const ns = Number(process.hrtime.bigint() - t0), c1 = process.cpuUsage(c0);
  cpuNs = (c1.user + c1.system) * 1e3;
  if (m.halted !== 1 || n !== instructionCount(program, outer)) throw new Error(`${id} ${program}: bad run (${m.halted}, ${n})`);
  return { n, ns };
}

let outer = 4;
for (const t0 = Date.now(); Date.now() - t0 < 300;) once(outer); // warm-up: let the JIT tiers settle
let r = once(outer);
while (r.ns < 30e6) { outer *= 2; r = once(outer); } // calibration
outer = Math.max(1, Math.round((outer * Number(secs) * 1e9) / r.ns));
once(outer); // full-size warm-up
// MIPS by wall time, and by this process's CPU time (user+sys, all threads): on a machine shared with
// other work the CPU-time figure leaves out the time the process waited for a core.
const mips = [], cpuMips = [];
for (let k = 0; k < Number(reps); k++) { const { n, ns } = once(outer); mips.push((n / ns) * 1e3); cpuMips.push((n / cpuNs) * 1e3); }
console.log(JSON.stringify({ id, program, outer, insts: instructionCount(program, outer), mips, cpuMips }));
