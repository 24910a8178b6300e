/**
 * The control API client: its answers against the real server (with a fake VM), and its error messages when there
 * is no socket, a stale one, a file that is no socket, a server that never answers or answers nonsense.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ControlClient, ControlClientError } from './client.js';
import { FakeVmController } from './fake-controller.js';
import { startControlServer } from './server.js';
import { makeStaleSocket } from './test-http.js';

const root = mkdtempSync(join(tmpdir(), 'tv-client-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const sockPath = (): string => join(root, `c${n++}.sock`);

async function rejectsWith(p: Promise<unknown>, message: string | RegExp, status?: number): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.ok(e instanceof ControlClientError, `a ControlClientError, got ${e.stack}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    assert.equal(e.status, status);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
}

/** An HTTP server on a Unix socket that answers every request with `handler`. */
async function oddServer(handler: Parameters<typeof createServer>[1]): Promise<{ sock: string; server: Server }> {
  const sock = sockPath();
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(sock, r));
  return { sock, server };
}
const closeServer = (s: Server): Promise<void> =>
  new Promise((r) => {
    s.closeAllConnections();
    s.close(() => r());
  });

test('every call against the real server, records turned into controller types', async () => {
  const sock = sockPath();
  const fake = new FakeVmController(128 * 1024 * 1024, '/snaps/a');
  const server = await startControlServer(sock, fake, () => undefined);
  try {
    const c = new ControlClient(sock);
    const s = await c.status();
    assert.equal(s.state, 'running');
    assert.equal(s.memoryBytes, 128 * 1024 * 1024);
    assert.equal(s.cpus, 1);
    assert.equal(s.instructions, 123_456_789);
    assert.equal(s.restoredFrom, '/snaps/a');
    assert.equal(typeof s.uptimeMs, 'number');
    assert.equal((await c.statusRecord()).state, 'Running');

    await c.pause();
    assert.equal((await c.status()).state, 'paused');
    await rejectsWith(c.pause(), 'cannot pause: the VM is paused', 409);
    await c.resume();
    await rejectsWith(c.resume(), 'cannot resume: the VM is running', 409);

    const r = await c.snapshot('/tmp/client-snap');
    assert.equal(r.path, '/tmp/client-snap');
    assert.equal(r.memoryBytes, 128 * 1024 * 1024);
    assert.equal(r.ramFileBytes, 12 * 1024 * 1024);
    assert.equal(typeof r.durationMs, 'number');
    assert.equal(typeof r.pausedMs, 'number');
    await rejectsWith(c.snapshot('relative'), /^body\.snapshot_path must be an absolute path/, 400);
    await rejectsWith(c.snapshot('/nonexistent/x'), 'cannot write a snapshot in /nonexistent/x: no such directory', 400);

    await c.shutdown();
    await c.stop();
    assert.equal(fake.state, 'stopped');
    await rejectsWith(c.stop(), 'cannot stop: the VM is already stopped', 409);
    await rejectsWith(c.call('GET', '/nowhere'), /^no route GET \/nowhere/, 404);
    assert.deepEqual(fake.calls.filter((x) => x !== 'status'), [
      'pause', 'pause', 'resume', 'resume', 'snapshot /tmp/client-snap', 'snapshot /nonexistent/x', 'shutdown', 'stop', 'stop',
    ]);
  } finally {
    await server.close();
  }
});

test('no socket at the path', async () => {
  const sock = join(root, 'absent.sock');
  await rejectsWith(new ControlClient(sock).status(), `no VM control socket at ${sock} (is the VM running with --api-sock?)`);
  await rejectsWith(new ControlClient(join(root, 'absent-dir', 'x.sock')).pause(), /^no VM control socket at .*absent-dir\/x\.sock \(is the VM running/);
});

test('a stale socket (its VM is gone): connection refused', async () => {
  const sock = sockPath();
  makeStaleSocket(sock);
  await rejectsWith(new ControlClient(sock).status(), `nothing is listening on ${sock} (a stale socket left by a VM that is no longer running?)`);
});

test('a path that is not a socket', async () => {
  const file = join(root, 'plain-file');
  writeFileSync(file, 'x');
  await rejectsWith(new ControlClient(file).status(), `${file} is not a socket (give the path passed to --api-sock)`);
});

test('a server that never answers: a timeout naming the socket and the wait', async () => {
  const { sock, server } = await oddServer(() => undefined);
  try {
    const t0 = Date.now();
    await rejectsWith(new ControlClient(sock, { timeoutMs: 200 }).status(), `no answer from the VM at ${sock} within 0.2 s (GET /vm)`);
    assert.ok(Date.now() - t0 < 2000);
    await rejectsWith(new ControlClient(sock, { timeoutMs: 10_000 }).snapshot('/x', 300), /within 0\.3 s \(PUT \/snapshot\/create\)$/);
  } finally {
    await closeServer(server);
  }
});

test('a server that hangs up, or answers nonsense', async () => {
  const hangUp = await oddServer((req) => req.socket.destroy());
  try {
    await rejectsWith(new ControlClient(hangUp.sock).pause(), `the VM at ${hangUp.sock} closed the connection before answering (did it exit?)`);
  } finally {
    await closeServer(hangUp.server);
  }
  const answers: [number, string][] = [
    [502, '<html>Bad Gateway</html>'],
    [500, '{"error":"no fault_message here"}'],
    [200, '{"state":"Sleeping"}'],
    [200, 'not json'],
    [418, ''],
  ];
  let i = 0;
  const odd = await oddServer((_req, res) => {
    const [status, body] = answers[i++]!;
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  try {
    const c = new ControlClient(odd.sock);
    await rejectsWith(c.status(), /^unexpected answer from .* to GET \/vm: HTTP 502 with a body that is not JSON: <html>Bad Gateway<\/html>$/);
    await rejectsWith(c.status(), /^unexpected answer from .* to GET \/vm: HTTP 500: \{"error":"no fault_message here"\}$/);
    await rejectsWith(c.status(), /^unexpected answer from .* to GET \/vm: \{"state":"Sleeping"\}$/);
    await rejectsWith(c.status(), /HTTP 200 with a body that is not JSON: not json$/);
    await rejectsWith(c.pause(), /^unexpected answer from .* to PATCH \/vm: HTTP 418$/);
  } finally {
    await closeServer(odd.server);
  }
});

test('a multi-line fault message arrives as one line', async () => {
  const odd = await oddServer((_req, res) => {
    res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ fault_message: 'first\nsecond' }));
  });
  try {
    await rejectsWith(new ControlClient(odd.sock).resume(), 'first second', 409);
  } finally {
    await closeServer(odd.server);
  }
});
