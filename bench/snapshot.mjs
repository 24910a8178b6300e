// npm run bench:snapshot — snapshot and restore of the bundled guest with 256 MiB and 1 GiB of RAM, a quarter of
// it filled with data (a file in tmpfs), Typevisor vs QEMU (TCG, migration to a file and -incoming from it),
// in the same run.
//
// Typevisor: snapshot time and how long the guest was paused for it (the control API's figures; the guest runs
// again once its RAM is copied into the file, while the file is made durable), restore-to-running (from
// the start of `typevisor restore` to the guest executing again, as --timing prints it) for lazy and eager RAM,
// and the time from starting the restore process until the restored guest answers on its console.
// QEMU: `migrate "exec:cat > FILE"` of the running guest over the monitor (its own "total time"), and the time from starting
// `qemu-system-riscv64 -incoming "exec:cat FILE"` until the guest answers.
import { performance } from 'node:perf_hooks';
import { createConnection } from 'node:net';
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GuestConsole } from '../dist/testing/guest-console.js';
import { ControlClient } from '../dist/api/client.js';
import { engines, machineLine, median, qemuVersion } from './peer.mjs';

const runs = Number(process.env.RUNS ?? 3);
const sizes = (process.env.SIZES ?? '256M,1G').split(',');
const work = mkdtempSync(join(tmpdir(), 'typevisor-bench-snap-'));

function bytesOf(size) {
  const n = Number(size.slice(0, -1));
  return size.endsWith('G') ? n * 1024 ** 3 : n * 1024 ** 2;
}

/**
 * Types a command until the guest answers: input that arrives while a VM is still being restored can be lost
 * (QEMU drops serial input until the incoming migration is done), so it is repeated every 100 ms.
 */
async function answer(vm, tag) {
  const deadline = performance.now() + 300_000;
  for (;;) {
    vm.send(`echo ${tag}-$((40+2))`);
    try {
      await vm.waitFor(`${tag}-42`, 100);
      return;
    } catch (e) {
      if (performance.now() > deadline || vm.child.exitCode !== null) throw e;
    }
  }
}

async function fill(vm, size) {
  const bytes = bytesOf(size) / 4;
  await vm.waitForShell();
  await vm.run(`yes typevisor-snapshot-benchmark | head -c ${bytes} > /tmp/fill; echo filled`, '~ # ', 600_000);
}

function dirBytes(dir) {
  return readdirSync(dir).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
}

async function typevisorRound(size, round) {
  const sock = join(work, `tv-${size}-${round}.sock`);
  const snap = join(work, `tv-${size}-${round}`);
  const vm = new GuestConsole(['run', '--memory', size, '--api-sock', sock]);
  let snapshotMs;
  let pausedMs;
  try {
    await fill(vm, size);
    const client = new ControlClient(sock);
    const r = await client.snapshot(snap);
    snapshotMs = r.durationMs;
    pausedMs = r.pausedMs;
    await client.stop();
    await vm.exited;
  } finally {
    vm.kill();
  }
  const out = { snapshotMs, pausedMs, fileBytes: dirBytes(snap) };
  for (const mode of ['lazy', 'eager']) {
    const t0 = performance.now();
    const r = new GuestConsole(['restore', snap, '--timing', ...(mode === 'eager' ? ['--eager'] : [])]);
    try {
      const line = await r.waitFor(/restored .* in ([\d.]+) ms/, 120_000);
      out[`${mode}RunningMs`] = Number(/in ([\d.]+) ms/.exec(line)[1]);
      await answer(r, 'restored');
      out[`${mode}AnswerMs`] = performance.now() - t0;
    } finally {
      r.kill();
      await r.closed;
    }
  }
  rmSync(snap, { recursive: true, force: true });
  return out;
}

/** Sends one HMP command over the monitor socket and waits for the next prompt. */
function hmp(sockPath, command) {
  return new Promise((resolve, reject) => {
    const s = createConnection(sockPath);
    let buf = '';
    let sent = false;
    s.on('data', (d) => {
      buf += d.toString();
      if (!sent && buf.includes('(qemu) ')) {
        sent = true;
        buf = '';
        s.write(command + '\n');
      } else if (sent && buf.includes('(qemu) ')) {
        s.end();
        resolve(buf);
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(buf));
  });
}

async function qemuRound(size, round) {
  const qemu = engines(size).find((e) => e.name === 'qemu-tcg');
  const mon = join(work, `q-${size}-${round}.mon`);
  const file = join(work, `q-${size}-${round}.state`);
  const vm = new GuestConsole([...qemu.args, '-monitor', `unix:${mon},server,nowait`], qemu.command);
  let snapshotMs;
  try {
    await fill(vm, size);
    // QEMU caps migration bandwidth at 128 MiB/s by default; lift the cap so it writes as fast as it can.
    await hmp(mon, 'migrate_set_parameter max-bandwidth 100G');
    // Detached, then polled: a blocking HMP migrate only notices completion on a 1 s timer. QEMU's own
    // "total time" is the figure (setup to completion, the guest paused only at the end).
    await hmp(mon, `migrate -d "exec:cat > ${file}"`);
    for (;;) {
      const info = await hmp(mon, 'info migrate');
      if (/Migration status: failed/.test(info)) throw new Error(`QEMU migration failed:\n${info}`);
      const done = /Migration status: completed[\s\S]*?total time: (\d+) ms/.exec(info);
      if (done) {
        snapshotMs = Number(done[1]);
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await hmp(mon, 'quit').catch(() => {});
  } finally {
    vm.kill();
    await vm.closed;
  }
  const fileBytes = statSync(file).size;
  const t0 = performance.now();
  const r = new GuestConsole([...qemu.args, '-incoming', `exec:cat ${file}`], qemu.command);
  let answerMs;
  try {
    await answer(r, 'restored');
    answerMs = performance.now() - t0;
  } finally {
    r.kill();
    await r.closed;
  }
  rmSync(file, { force: true });
  return { snapshotMs, fileBytes, answerMs };
}

console.log(`snapshot and restore, ${runs} runs per size — ${machineLine()}`);
const haveQemu = qemuVersion() !== undefined;
if (!haveQemu) console.log('(qemu-system-riscv64 not found: apt-get install qemu-system-misc to compare)');
const table = [];
for (const size of sizes) {
  const tv = [];
  const q = [];
  for (let round = 0; round < runs; round++) {
    const t = await typevisorRound(size, round);
    tv.push(t);
    console.log(`  ${size} typevisor run ${round + 1}: snapshot ${t.snapshotMs.toFixed(0)} ms, guest paused ${t.pausedMs.toFixed(0)} ms (${(t.fileBytes / 1048576).toFixed(0)} MiB), ` +
      `restore-to-running lazy ${t.lazyRunningMs.toFixed(1)} ms / eager ${t.eagerRunningMs.toFixed(1)} ms, ` +
      `console answers after ${t.lazyAnswerMs.toFixed(0)} / ${t.eagerAnswerMs.toFixed(0)} ms`);
    if (haveQemu) {
      const p = await qemuRound(size, round);
      q.push(p);
      console.log(`  ${size} qemu-tcg  run ${round + 1}: migrate to file ${p.snapshotMs.toFixed(0)} ms (${(p.fileBytes / 1048576).toFixed(0)} MiB), ` +
        `console answers after ${p.answerMs.toFixed(0)} ms`);
    }
  }
  const m = (xs, k) => median(xs.map((x) => x[k]));
  table.push({ size, tv: Object.fromEntries(Object.keys(tv[0]).map((k) => [k, m(tv, k)])), q: q.length ? Object.fromEntries(Object.keys(q[0]).map((k) => [k, m(q, k)])) : undefined });
}
console.log('\nmedians                         ' + sizes.map((s) => s.padStart(10)).join(''));
const row = (label, f) => console.log(label.padEnd(32) + table.map((t) => f(t).padStart(10)).join(''));
row('typevisor snapshot (ms)', (t) => t.tv.snapshotMs.toFixed(0));
row('  of which guest paused (ms)', (t) => t.tv.pausedMs.toFixed(0));
row('qemu migrate to file (ms)', (t) => (t.q ? t.q.snapshotMs.toFixed(0) : '-'));
row('typevisor snapshot size (MiB)', (t) => (t.tv.fileBytes / 1048576).toFixed(0));
row('qemu state file size (MiB)', (t) => (t.q ? (t.q.fileBytes / 1048576).toFixed(0) : '-'));
row('restore-to-running lazy (ms)', (t) => t.tv.lazyRunningMs.toFixed(1));
row('restore-to-running eager (ms)', (t) => t.tv.eagerRunningMs.toFixed(1));
row('console answers, lazy (ms)', (t) => t.tv.lazyAnswerMs.toFixed(0));
row('console answers, eager (ms)', (t) => t.tv.eagerAnswerMs.toFixed(0));
row('qemu -incoming, answers (ms)', (t) => (t.q ? t.q.answerMs.toFixed(0) : '-'));
rmSync(work, { recursive: true, force: true });
