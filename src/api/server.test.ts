/**
 * The control API server against a fake VmController, over a real Unix socket in a temporary directory.
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FakeVmController } from './fake-controller.js';
import { BODY_LIMIT } from './schema.js';
import { ControlSocketError, startControlServer, type ControlServer } from './server.js';
import { makeStaleSocket, rawBytes, rawRequest } from './test-http.js';

const root = mkdtempSync(join(tmpdir(), 'tv-api-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const sockPath = (): string => join(root, `vm${n++}.sock`);

async function withServer(
  fn: (ctx: { sock: string; fake: FakeVmController; logs: string[]; server: ControlServer }) => Promise<void>,
  fake = new FakeVmController(),
): Promise<void> {
  const sock = sockPath();
  const logs: string[] = [];
  const server = await startControlServer(sock, fake, (m) => logs.push(m));
  try {
    await fn({ sock, fake, logs, server });
  } finally {
    await server.close();
  }
}

const fault = (a: { json: unknown }): string => (a.json as { fault_message: string }).fault_message;

test('GET /vm answers the status record', async () => {
  await withServer(async ({ sock }) => {
    const a = await rawRequest(sock, 'GET', '/vm');
    assert.equal(a.status, 200);
    assert.match(String(a.headers['content-type']), /^application\/json/);
    const r = a.json as Record<string, unknown>;
    assert.deepEqual(Object.keys(r).sort(), ['cpus', 'instructions', 'memory_bytes', 'state', 'uptime_ms']);
    assert.equal(r['state'], 'Running');
    assert.equal(r['cpus'], 1);
    assert.equal(r['memory_bytes'], 256 * 1024 * 1024);
    assert.equal(r['instructions'], 123_456_789);
    assert.equal(typeof r['uptime_ms'], 'number');
  });
  await withServer(async ({ sock }) => {
    const r = (await rawRequest(sock, 'GET', '/vm')).json as Record<string, unknown>;
    assert.equal(r['restored_from'], '/snaps/one');
  }, new FakeVmController(64 * 1024 * 1024, '/snaps/one'));
});

test('PATCH /vm pauses and resumes; the wrong state is 409', async () => {
  await withServer(async ({ sock, fake }) => {
    const patch = (state: string) => rawRequest(sock, 'PATCH', '/vm', { json: { state } });
    let a = await patch('Paused');
    assert.equal(a.status, 204);
    assert.equal(a.text, '');
    assert.equal(fake.state, 'paused');
    assert.equal(((await rawRequest(sock, 'GET', '/vm')).json as { state: string }).state, 'Paused');
    a = await patch('Paused');
    assert.equal(a.status, 409);
    assert.equal(fault(a), 'cannot pause: the VM is paused');
    assert.equal((await patch('Resumed')).status, 204);
    assert.equal(fake.state, 'running');
    a = await patch('Resumed');
    assert.equal(a.status, 409);
    assert.equal(fault(a), 'cannot resume: the VM is running');
    assert.deepEqual(fake.calls.filter((c) => c !== 'status'), ['pause', 'pause', 'resume', 'resume']);
  });
});

test('PUT /snapshot/create writes a snapshot, running or paused; bad paths are 400, a stopped VM 409', async () => {
  await withServer(async ({ sock, fake }) => {
    const snap = (path: unknown) => rawRequest(sock, 'PUT', '/snapshot/create', { json: { snapshot_path: path } });
    let a = await snap('/tmp/snap1');
    assert.equal(a.status, 200);
    const r = a.json as Record<string, unknown>;
    assert.deepEqual(Object.keys(r).sort(), ['duration_ms', 'memory_bytes', 'paused_ms', 'ram_file_bytes', 'snapshot_path']);
    assert.equal(r['snapshot_path'], '/tmp/snap1');
    assert.equal(r['ram_file_bytes'], 12 * 1024 * 1024);
    assert.equal(fake.state, 'running');
    await fake.pause();
    assert.equal((await snap('/tmp/snap2')).status, 200);
    assert.equal(fake.state, 'paused', 'a paused VM stays paused');

    a = await snap('relative/dir');
    assert.equal(a.status, 400);
    assert.match(fault(a), /^body\.snapshot_path must be an absolute path/);
    a = await snap('/with\u0000nul');
    assert.equal(a.status, 400);
    a = await snap('/nonexistent/x');
    assert.equal(a.status, 400, 'VmRequestError is 400');
    assert.equal(fault(a), 'cannot write a snapshot in /nonexistent/x: no such directory');
    a = await snap(`/${'a'.repeat(5000)}`);
    assert.equal(a.status, 400);
    assert.match(fault(a), /must be at most 4096 characters/);

    await fake.stop();
    a = await snap('/tmp/snap3');
    assert.equal(a.status, 409);
    assert.equal(fault(a), 'cannot snapshot: the VM is stopped');
  });
});

test('PUT /actions: Shutdown, then Stop; stopping twice is 409', async () => {
  await withServer(async ({ sock, fake }) => {
    const act = (action_type: string) => rawRequest(sock, 'PUT', '/actions', { json: { action_type } });
    assert.equal((await act('Shutdown')).status, 204);
    assert.deepEqual(fake.calls, ['shutdown']);
    assert.equal((await act('Stop')).status, 204);
    assert.equal(fake.state, 'stopped');
    const a = await act('Stop');
    assert.equal(a.status, 409);
    assert.equal(fault(a), 'cannot stop: the VM is already stopped');
    assert.equal((await act('Shutdown')).status, 409);
  });
});

test('malformed requests get 4xx with a message saying what was wrong, and never reach the VM', async () => {
  const json = { 'content-type': 'application/json' };
  const cases: { method: string; path: string; body?: string; headers?: Record<string, string>; status: number; message: RegExp }[] = [
    { method: 'PATCH', path: '/vm', body: '{"state":"Paused","force":true}', headers: json, status: 400, message: /^body: unknown field 'force' \(fields: state\)$/ },
    { method: 'PATCH', path: '/vm', body: '{"state":"paused"}', headers: json, status: 400, message: /^body\.state must be one of "Paused", "Resumed" \(got "paused"\)$/ },
    { method: 'PATCH', path: '/vm', body: '{"state":1}', headers: json, status: 400, message: /^body\.state must be a string \(got number 1\)$/ },
    { method: 'PATCH', path: '/vm', body: '{"state":null}', headers: json, status: 400, message: /^body\.state must be a string \(got null\)$/ },
    { method: 'PATCH', path: '/vm', body: '{}', headers: json, status: 400, message: /^body: missing field 'state'$/ },
    { method: 'PATCH', path: '/vm', body: '["Paused"]', headers: json, status: 400, message: /^body must be a JSON object \(got an array\)$/ },
    { method: 'PATCH', path: '/vm', body: '"Paused"', headers: json, status: 400, message: /^body must be a JSON object/ },
    { method: 'PATCH', path: '/vm', body: '{"state":', headers: json, status: 400, message: /^body is not valid JSON: / },
    { method: 'PATCH', path: '/vm', body: '', headers: json, status: 400, message: /^body is empty/ },
    { method: 'PATCH', path: '/vm', status: 400, message: /^body is missing \(expected a JSON object\)$/ },
    { method: 'PATCH', path: '/vm', body: 'state=Paused', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, message: /takes a JSON body: send Content-Type: application\/json/ },
    { method: 'PATCH', path: '/vm', body: '{"state":"Paused"}', headers: { 'content-type': 'text/plain' }, status: 415, message: /application\/json/ },
    { method: 'PUT', path: '/snapshot/create', body: '{"snapshot_path":5}', headers: json, status: 400, message: /^body\.snapshot_path must be a string \(got number 5\)$/ },
    { method: 'PUT', path: '/snapshot/create', body: '{"snapshot_path":"/a","snapshot_path2":"/b"}', headers: json, status: 400, message: /unknown field 'snapshot_path2'/ },
    { method: 'PUT', path: '/actions', body: '{"action_type":"Reboot"}', headers: json, status: 400, message: /^body\.action_type must be one of "Shutdown", "Stop"/ },
    { method: 'PUT', path: '/actions', body: '{"__proto__":{"x":1},"action_type":"Stop"}', headers: json, status: 400, message: /unknown field '__proto__'/ },
    { method: 'PUT', path: '/actions', body: '{"action_type":"Stop","constructor":{"prototype":{}}}', headers: json, status: 400, message: /unknown field 'constructor'/ },
    { method: 'PUT', path: '/actions', body: `{"action_type":"Stop","pad":"${'x'.repeat(BODY_LIMIT)}"}`, headers: json, status: 413, message: /^request body is larger than 16384 bytes$/ },
    { method: 'GET', path: '/vm?verbose=1', status: 400, message: /^GET \/vm takes no query parameters \(got '\?verbose=1'\)$/ },
    { method: 'PATCH', path: '/vm?x', body: '{"state":"Paused"}', headers: json, status: 400, message: /takes no query parameters/ },
    { method: 'GET', path: '/vm', body: '{}', headers: json, status: 400, message: /^GET \/vm takes no request body$/ },
    { method: 'GET', path: '/machine-config', status: 404, message: /^no route GET \/machine-config \(routes: GET \/vm, PATCH \/vm, PUT \/snapshot\/create, PUT \/actions\)$/ },
    { method: 'GET', path: '/vm/', status: 404, message: /^no route GET \/vm\// },
    { method: 'PUT', path: '/snapshot/load', body: '{}', headers: json, status: 404, message: /no route PUT \/snapshot\/load/ },
    { method: 'DELETE', path: '/vm', status: 405, message: /^DELETE is not allowed on \/vm \(allowed: GET, PATCH\)$/ },
    { method: 'POST', path: '/actions', body: '{"action_type":"Stop"}', headers: { 'content-type': 'text/plain' }, status: 405, message: /^POST is not allowed on \/actions \(allowed: PUT\)$/ },
    { method: 'GET', path: '/snapshot/create', status: 405, message: /allowed: PUT/ },
    { method: 'HEAD', path: '/vm', status: 405, message: /./ },
  ];
  await withServer(async ({ sock, fake, logs }) => {
    for (const c of cases) {
      const a = await rawRequest(sock, c.method, c.path, { ...(c.body !== undefined ? { body: c.body } : {}), ...(c.headers ? { headers: c.headers } : {}) });
      const label = `${c.method} ${c.path} ${c.body?.slice(0, 60) ?? ''}`;
      assert.equal(a.status, c.status, `${label}: ${a.text}`);
      if (c.method === 'HEAD') continue; // no body in a HEAD answer
      assert.match(String(a.headers['content-type']), /^application\/json/, label);
      assert.match(fault(a), c.message, label);
      if (c.status === 405) assert.ok(a.headers['allow'], `${label}: Allow header`);
    }
    assert.deepEqual(fake.calls, [], 'no request reached the controller');
    assert.equal(fake.state, 'running');
    assert.deepEqual(logs, [], 'client mistakes are not logged as internal errors');
  });
});

test('malformed HTTP gets a JSON 400 and the server carries on', async () => {
  await withServer(async ({ sock }) => {
    const answer = await rawBytes(sock, 'NOT HTTP AT ALL\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /"fault_message":"malformed HTTP request/);
    assert.equal((await rawRequest(sock, 'GET', '/vm')).status, 200);
  });
});

test('a controller that throws is a 500 with its message, logged; the server keeps serving', async () => {
  await withServer(async ({ sock, fake, logs }) => {
    fake.failNext = new Error('the disk caught fire');
    let a = await rawRequest(sock, 'PATCH', '/vm', { json: { state: 'Paused' } });
    assert.equal(a.status, 500);
    assert.equal(fault(a), 'internal error: the disk caught fire');
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /PATCH \/vm: Error: the disk caught fire\n\s+at /);

    fake.failNext = new Error('status broke');
    a = await rawRequest(sock, 'GET', '/vm');
    assert.equal(a.status, 500);
    assert.equal(fault(a), 'internal error: status broke');

    // A status record the schema does not allow is a 500, not a malformed answer.
    const good = fake.status();
    fake.statusOverride = () => ({ ...good, state: 'exploded' }) as never;
    a = await rawRequest(sock, 'GET', '/vm');
    assert.equal(a.status, 500, a.text);
    fake.statusOverride = undefined;

    // A non-Error thrown value.
    fake.failNext = 'a string' as unknown as Error;
    a = await rawRequest(sock, 'PUT', '/actions', { json: { action_type: 'Shutdown' } });
    assert.equal(a.status, 500);
    assert.equal(fault(a), 'internal error: a string');

    assert.equal((await rawRequest(sock, 'GET', '/vm')).status, 200);
    assert.equal((await rawRequest(sock, 'PATCH', '/vm', { json: { state: 'Paused' } })).status, 204);
  });
});

test('changes are carried out one at a time; GET /vm is answered during a snapshot', async () => {
  const fake = new FakeVmController();
  fake.snapshotDelayMs = 300;
  await withServer(async ({ sock }) => {
    const t0 = Date.now();
    const s1 = rawRequest(sock, 'PUT', '/snapshot/create', { json: { snapshot_path: '/tmp/a' } });
    const s2 = rawRequest(sock, 'PUT', '/snapshot/create', { json: { snapshot_path: '/tmp/b' } });
    await new Promise((r) => setTimeout(r, 100));
    const during = await rawRequest(sock, 'GET', '/vm');
    assert.ok(Date.now() - t0 < 300, 'status did not wait for the snapshot');
    assert.equal((during.json as { state: string }).state, 'Paused', 'paused for the capture');
    const [a1, a2] = await Promise.all([s1, s2]);
    assert.equal(a1.status, 200);
    assert.equal(a2.status, 200);
    assert.ok(Date.now() - t0 >= 600, 'the second snapshot waited for the first');
    assert.equal(fake.maxConcurrent, 1);
    assert.equal(fake.state, 'running');

    // Two pauses at once: exactly one succeeds, the other finds the VM paused.
    const both = await Promise.all([1, 2].map(() => rawRequest(sock, 'PATCH', '/vm', { json: { state: 'Paused' } })));
    assert.deepEqual(both.map((a) => a.status).sort(), [204, 409]);
    assert.equal(fake.maxConcurrent, 1);
  }, fake);
});

test('Stop does not wait behind a change that hangs', async () => {
  const fake = new FakeVmController();
  fake.snapshotDelayMs = 60_000;
  await withServer(async ({ sock }) => {
    const hung = rawRequest(sock, 'PUT', '/snapshot/create', { json: { snapshot_path: '/tmp/hung' } }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 50));
    const queued = rawRequest(sock, 'PATCH', '/vm', { json: { state: 'Resumed' } }).catch((e: Error) => e);
    const t0 = Date.now();
    const a = await rawRequest(sock, 'PUT', '/actions', { json: { action_type: 'Stop' } });
    assert.equal(a.status, 204);
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(fake.state, 'stopped');
    assert.deepEqual(fake.calls, ['snapshot /tmp/hung', 'stop'], 'the queued resume is still waiting');
    void hung;
    void queued;
  }, fake);
});

test('the socket is mode 0600 (whatever the umask), removed on close, and close is idempotent', async () => {
  const sock = sockPath();
  const umask = process.umask(0);
  let server: ControlServer;
  try {
    server = await startControlServer(sock, new FakeVmController(), () => undefined);
  } finally {
    process.umask(umask);
  }
  const st = lstatSync(sock);
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(server.socketPath, sock);
  assert.deepEqual(
    (await import('node:fs')).readdirSync(root).filter((f) => f.startsWith('.tv-')),
    [],
    'no temporary directory left behind',
  );
  await server.close();
  assert.equal(existsSync(sock), false);
  await server.close();
});

test('a relative socket path is resolved', async () => {
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const server = await startControlServer('rel.sock', new FakeVmController(), () => undefined);
    assert.equal(server.socketPath, join(root, 'rel.sock'));
    assert.equal((await rawRequest(join(root, 'rel.sock'), 'GET', '/vm')).status, 200);
    await server.close();
  } finally {
    process.chdir(cwd);
  }
});

test('a live server on the path is refused; a stale socket is replaced', async () => {
  await withServer(async ({ sock }) => {
    await assert.rejects(startControlServer(sock, new FakeVmController(), () => undefined), (e: Error) => {
      assert.ok(e instanceof ControlSocketError);
      assert.match(e.message, /already listening on .*vm\d+\.sock/);
      return true;
    });
    assert.equal((await rawRequest(sock, 'GET', '/vm')).status, 200, 'the first server is untouched');
  });

  const stale = sockPath();
  makeStaleSocket(stale);
  assert.ok(lstatSync(stale).isSocket(), 'the killed process left its socket');
  const server = await startControlServer(stale, new FakeVmController(), () => undefined);
  assert.equal((await rawRequest(stale, 'GET', '/vm')).status, 200);
  await server.close();
});

test('another listener (not ours) on the path is refused too', async () => {
  const sock = sockPath();
  const other = net.createServer((c) => c.destroy());
  await new Promise<void>((r) => other.listen(sock, r));
  try {
    await assert.rejects(startControlServer(sock, new FakeVmController(), () => undefined), /already listening/);
  } finally {
    await new Promise((r) => other.close(r));
  }
});

test('a path that is not a socket, a missing directory and an overlong path are refused', async () => {
  const file = sockPath();
  writeFileSync(file, 'precious');
  await assert.rejects(startControlServer(file, new FakeVmController()), /exists and is not a socket; not replacing it/);
  assert.equal(readFileSync(file, 'utf8'), 'precious');
  await assert.rejects(startControlServer(join(root, 'no-such-dir', 'vm.sock'), new FakeVmController()), (e: Error) => {
    assert.ok(e instanceof ControlSocketError);
    assert.match(e.message, /cannot create control socket .*: directory .*no-such-dir does not exist/);
    return true;
  });
  await assert.rejects(startControlServer(join(root, 'x'.repeat(120)), new FakeVmController()), /too long \(\d+ bytes; Unix sockets allow 107\)/);
});

test('close leaves a socket alone that another server put in its place', async () => {
  const sock = sockPath();
  const a = await startControlServer(sock, new FakeVmController(), () => undefined);
  unlinkSync(sock);
  const b = await startControlServer(sock, new FakeVmController(), () => undefined);
  await a.close();
  assert.ok(existsSync(sock));
  assert.equal((await rawRequest(sock, 'GET', '/vm')).status, 200);
  await b.close();
  assert.equal(existsSync(sock), false);
});

test('close does not hang on a request in flight', async () => {
  const fake = new FakeVmController();
  fake.snapshotDelayMs = 60_000;
  const sock = sockPath();
  const server = await startControlServer(sock, fake, () => undefined);
  const pending = rawRequest(sock, 'PUT', '/snapshot/create', { json: { snapshot_path: '/tmp/slow' } }).catch((e: Error) => e);
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  await server.close();
  assert.ok(Date.now() - t0 < 5000);
  assert.ok((await pending) instanceof Error, 'the connection was cut');
  assert.equal(existsSync(sock), false);
});

test('close waits for a quick request in flight to be answered', async () => {
  const fake = new FakeVmController();
  fake.snapshotDelayMs = 200;
  const sock = sockPath();
  const server = await startControlServer(sock, fake, () => undefined);
  const pending = rawRequest(sock, 'PUT', '/snapshot/create', { json: { snapshot_path: '/tmp/quick' } });
  await new Promise((r) => setTimeout(r, 50));
  await server.close();
  assert.equal((await pending).status, 200);
});
