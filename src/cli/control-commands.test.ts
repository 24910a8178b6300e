/**
 * `typevisor status | pause | resume | snapshot | shutdown | stop --api-sock S` end to end: the real command
 * (bin/typevisor.cjs in a child process) against the real control server with a fake VM in this process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FakeVmController } from '../api/fake-controller.js';
import { startControlServer, type ControlServer } from '../api/server.js';
import { makeStaleSocket } from '../api/test-http.js';
import { TYPEVISOR_BIN } from '../testing/guest-console.js';
import { formatBytes, formatDuration } from './control-commands.js';

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'tv-ctl-')));
const sock = join(dir, 'vm.sock');
const fake = new FakeVmController(512 * 1024 * 1024, '/snaps/base');
let server: ControlServer;
before(async () => {
  server = await startControlServer(sock, fake, () => undefined);
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Asynchronous: the server answering the child lives in this process's event loop. */
function typevisor(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TYPEVISOR_BIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function assertOk(r: Run): void {
  assert.equal(r.status, 0, `exit status; stderr: ${r.stderr}`);
  assert.equal(r.stderr, '');
}

function assertOneLineError(r: Run, pattern: RegExp, status = 1): void {
  assert.equal(r.status, status, `exit status; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${r.stderr}`);
  assert.match(lines[0]!, /^typevisor: /);
  assert.match(lines[0]!, pattern);
  assert.equal(r.stdout, '');
}

test('status prints state, uptime, cpus, memory; --json the raw record', async () => {
  let r = await typevisor('status', '--api-sock', sock);
  assertOk(r);
  assert.match(r.stdout, /^state: +running\n/);
  assert.match(r.stdout, /\nuptime: +\d+ ms|\nuptime: +[\d.]+ s/);
  assert.match(r.stdout, /\ncpus: +1\n/);
  assert.match(r.stdout, /\nmemory: +512 MiB\n/);
  assert.match(r.stdout, /\ninstructions: +123456789\n/);
  assert.match(r.stdout, /\nrestored from: +\/snaps\/base\n$/);

  r = await typevisor('status', '--api-sock', sock, '--json');
  assertOk(r);
  const record = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(record['state'], 'Running');
  assert.equal(record['memory_bytes'], 512 * 1024 * 1024);
  assert.equal(record['restored_from'], '/snaps/base');
  assert.equal(r.stdout.trimEnd().split('\n').length, 1);
});

test('pause, resume; the wrong state is a one-line error with status 1', async () => {
  let r = await typevisor('pause', '--api-sock', sock);
  assertOk(r);
  assert.equal(r.stdout, 'paused\n');
  assert.equal(fake.state, 'paused');
  assert.match((await typevisor('status', '--api-sock', sock)).stdout, /^state: +paused/);
  assertOneLineError(await typevisor('pause', '--api-sock', sock), /^typevisor: cannot pause: the VM is paused$/);
  r = await typevisor('resume', '--api-sock', sock);
  assertOk(r);
  assert.equal(r.stdout, 'resumed\n');
  assert.equal(fake.state, 'running');
  assertOneLineError(await typevisor('resume', '--api-sock', sock), /^typevisor: cannot resume: the VM is running$/);
});

test('snapshot --out sends an absolute path (resolved against the client\'s directory) and reports the result', async () => {
  const r = await typevisor('snapshot', '--api-sock', sock, '--out', 'snap1');
  assertOk(r);
  assert.ok(fake.calls.includes(`snapshot ${join(dir, 'snap1')}`), fake.calls.join(', '));
  assert.match(r.stdout, new RegExp(`^snapshot written to ${join(dir, 'snap1')}: 512 MiB of RAM, 12 MiB in non-zero pages; took \\d+ ms, guest paused \\d+ ms\\n$`));
  assertOneLineError(await typevisor('snapshot', '--api-sock', sock, '--out', '/nonexistent/snap'), /^typevisor: cannot write a snapshot in \/nonexistent\/snap: no such directory$/);
  assertOneLineError(await typevisor('snapshot', '--api-sock', sock), /required option '--out <dir>' not specified/, 2);
});

test('a slow VM: --timeout', async () => {
  fake.snapshotDelayMs = 3000;
  try {
    assertOneLineError(
      await typevisor('snapshot', '--api-sock', sock, '--out', 'slow', '--timeout', '0.5'),
      /^typevisor: no answer from the VM at .*vm\.sock within 0\.5 s \(PUT \/snapshot\/create\)$/,
    );
  } finally {
    fake.snapshotDelayMs = 0;
  }
  assertOneLineError(await typevisor('status', '--api-sock', sock, '--timeout', 'soon'), /--timeout.*expected a number of seconds/, 2);
  assertOneLineError(await typevisor('status', '--api-sock', sock, '--timeout', '0'), /expected a number of seconds/, 2);
});

test('shutdown, then stop; stopping a stopped VM fails', async () => {
  // Wait for the abandoned slow snapshot of the previous test to end: changes are carried out one at a time.
  while (fake.state !== 'running') await new Promise((r) => setTimeout(r, 50));
  let r = await typevisor('shutdown', '--api-sock', sock);
  assertOk(r);
  assert.equal(r.stdout, 'shutdown requested\n');
  r = await typevisor('stop', '--api-sock', sock);
  assertOk(r);
  assert.equal(r.stdout, 'stopped\n');
  assert.equal(fake.state, 'stopped');
  assertOneLineError(await typevisor('stop', '--api-sock', sock), /^typevisor: cannot stop: the VM is already stopped$/);
  assertOneLineError(await typevisor('snapshot', '--api-sock', sock, '--out', 'late'), /^typevisor: cannot snapshot: the VM is stopped$/);
  assert.match((await typevisor('status', '--api-sock', sock)).stdout, /^state: +stopped/);
});

test('no VM at the socket, a stale socket, and a missing --api-sock', async () => {
  const absent = join(dir, 'absent.sock');
  for (const cmd of ['status', 'pause', 'resume', 'shutdown', 'stop']) {
    assertOneLineError(await typevisor(cmd, '--api-sock', absent), new RegExp(`^typevisor: no VM control socket at ${absent} \\(is the VM running with --api-sock\\?\\)$`));
  }
  const stale = join(dir, 'stale.sock');
  makeStaleSocket(stale);
  assertOneLineError(await typevisor('status', '--api-sock', stale), /^typevisor: nothing is listening on .*stale\.sock \(a stale socket/);
  assertOneLineError(await typevisor('pause'), /^typevisor: required option '--api-sock <path>' not specified$/, 2);
});

test('--help lists the commands and their options', async () => {
  const top = await typevisor('--help');
  assert.equal(top.status, 0);
  for (const cmd of ['status', 'pause', 'resume', 'snapshot', 'shutdown', 'stop']) assert.match(top.stdout, new RegExp(`\\n  ${cmd} \\[options\\] `));
  const help = await typevisor('snapshot', '--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--api-sock <path>/);
  assert.match(help.stdout, /--out <dir>/);
  assert.match(help.stdout, /--timeout <seconds>.*\(default: 600\)/);
  assert.match((await typevisor('status', '--help')).stdout, /--json/);
});

test('durations and sizes read well', () => {
  assert.equal(formatDuration(12.4), '12 ms');
  assert.equal(formatDuration(1500), '1.5 s');
  assert.equal(formatDuration(3_723_000), '1h 02m 03s');
  assert.equal(formatDuration(125_000), '2m 05s');
  assert.equal(formatDuration(90_061_000), '1d 1h 01m 01s');
  assert.equal(formatBytes(512), '512 bytes');
  assert.equal(formatBytes(256 * 1024 * 1024), '256 MiB');
  assert.equal(formatBytes(1536 * 1024), '1.5 MiB');
  assert.equal(formatBytes(2 * 1024 ** 3), '2 GiB');
});
