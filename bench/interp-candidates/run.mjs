// node bench/interp-candidates/run.mjs [--quick] [--only=a,b-limb,...] [--programs=alu,mul,...]
//                                      [--secs=0.3] [--reps=3] [--rounds=3] [--fuzz=200]
// 1. checks that all candidates compute the same final state (check.mjs);
// 2. measures each candidate x program in a fresh node process (worker.mjs), `rounds` times over,
//    interleaved, so that load from other processes on the machine spreads over all candidates;
// 3. prints MIPS by CPU time (worker.mjs): best of all timed runs and the median,
//    and the extra ns of an M op, from mulx16/divx16 and their *_ref twins (M ops replaced by
//    base ops of the same funct3: mul->add, mulhu->sltu, divu->srl, remu->and).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { CANDIDATES } from './candidates.mjs';
import { PROGRAMS, N, Asm } from './rv.mjs';
import { checkAll } from './check.mjs';

const arg = (k, d) => process.argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d;
const quick = process.argv.includes('--quick');
const only = arg('only', CANDIDATES.map((c) => c.id).join(',')).split(',');
const programs = arg('programs', 'alu,mul,div,mulx16,mulx16_ref,divx16,divx16_ref,mul16,mul16_ref,mulhu16,mulhu16_ref').split(',');
const secs = arg('secs', quick ? '0.1' : '0.2'), reps = arg('reps', quick ? '2' : '3');
const rounds = Number(arg('rounds', quick ? '1' : '3'));

console.log(`node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model}), load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
if (!(await checkAll({ fuzzRuns: Number(arg('fuzz', quick ? '50' : '200')) }))) process.exit(1);

const worker = fileURLToPath(new URL('./worker.mjs', import.meta.url));
const all = {}, wall = {};
for (let round = 0; round < rounds; round++) {
  for (const p of programs) {
    for (const c of CANDIDATES.filter((x) => only.includes(x.id))) {
      const out = spawnSync(process.execPath, [worker, c.id, p, secs, reps], { encoding: 'utf8' });
      if (out.status !== 0) { console.error(out.stderr); process.exit(1); }
      const r = JSON.parse(out.stdout.trim().split('\n').pop());
      (all[`${c.id}/${p}`] ??= []).push(...r.cpuMips);
      (wall[`${c.id}/${p}`] ??= []).push(...r.mips);
      process.stderr.write(`  round ${round + 1}: ${c.id.padEnd(10)} ${p.padEnd(10)} ${Math.max(...r.cpuMips).toFixed(1)} MIPS (cpu), ${Math.max(...r.mips).toFixed(1)} (wall)\n`);
    }
  }
}
const res = {};
for (const [k, v] of Object.entries(all)) {
  const s = [...v].sort((x, y) => x - y);
  res[k] = { best: s[s.length - 1], med: s[s.length >> 1] };
}

const bodyLen = (p) => { const a = new Asm(); PROGRAMS[p].body(a); return a.words.length; };
const extra = (id, p) => { // ns per M op
  const m = res[`${id}/${p}`], r = res[`${id}/${p}_ref`];
  if (!m || !r) return '';
  const perPass = 2 + N * (bodyLen(p) + 3) + 3;
  return ((1e3 / m.best - 1e3 / r.best) * perPass / (N * PROGRAMS[p].mops)).toFixed(1);
};
const cols = programs.filter((p) => !p.endsWith('_ref') && !['mul16', 'mulhu16'].includes(p));
console.log(`\n${new Date().toISOString()}; load now ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(`MIPS by CPU time: best (median) of ${rounds} x ${reps} runs of ~${secs} s; "+ns" = extra ns per M op`);
console.log(`(mul16, mulhu16, divx16 against their _ref twins, best figures)\n`);
console.log(`| candidate | ${cols.join(' | ')} | mul +ns | mulhu +ns | divu/remu +ns |`);
console.log(`|---|${cols.map(() => '---:').join('|')}|---:|---:|---:|`);
for (const c of CANDIDATES.filter((x) => only.includes(x.id))) {
  const cells = cols.map((p) => { const r = res[`${c.id}/${p}`]; return r ? `${r.best.toFixed(0)} (${r.med.toFixed(0)})` : ''; });
  console.log(`| ${c.label} | ${cells.join(' | ')} | ${extra(c.id, 'mul16')} | ${extra(c.id, 'mulhu16')} | ${extra(c.id, 'divx16')} |`);
}

const json = arg('json', '');
if (json) (await import('node:fs')).writeFileSync(json, JSON.stringify({ cpu: all, wall }, null, 1));
