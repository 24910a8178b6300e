/**
 * The control block between the machine's thread and hart workers, on real threads: device accesses through a
 * hart's mailbox arrive in order with their values and get their answers; interrupt lines and commands wake a
 * hart sleeping in WFI at once; the built-in SBI's requests between harts (starts, fences) are done once each.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import {
  ACCESS_READ,
  ACCESS_WRITE,
  CMD_EXIT,
  CMD_RUN,
  ControlBlock,
  REQ_FENCE_I,
  REQ_SFENCE_VMA,
  REQ_SSIP,
} from './control-block.js';
import { HSM_START_PENDING, HSM_STARTED, HSM_STOPPED } from '../sbi.js';

const URL_OF_BLOCK = new URL('./control-block.js', import.meta.url).href;

/** Runs `body` in a worker that has `control` (a ControlBlock over `buffer`) and posts what it returns. */
function inWorker(buffer: SharedArrayBuffer, harts: number, body: string): Promise<unknown> {
  const code = `
    import { workerData, parentPort } from 'node:worker_threads';
    const { ControlBlock } = await import(${JSON.stringify(URL_OF_BLOCK)});
    const control = new ControlBlock(${harts}, workerData);
    parentPort.postMessage(await (async () => { ${body} })());
  `;
  const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), { workerData: buffer });
  return new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
}

test('mailbox: requests from two harts are served in order with their values, and answered', async () => {
  const control = new ControlBlock(2);
  const seen: string[] = [];
  const body = (hart: number): string => `
    const got = [];
    for (let i = 0; i < 200; i++) {
      control.call(${hart}, ${ACCESS_WRITE}, 0x10000000 + i, 4, i * 3);
      got.push(control.call(${hart}, ${ACCESS_READ}, 0x10000000 + i, 4, 0));
      if (!control.lastOk) return 'not ok at ' + i;
    }
    return got;`;
  const results = Promise.all([inWorker(control.buffer, 2, body(0)), inWorker(control.buffer, 2, body(1))]);
  const store = new Map<string, number>();
  let done = false;
  void results.finally(() => (done = true));
  while (!done) {
    const bell = control.doorbell;
    control.serve((access, addr, size, value) => {
      assert.equal(size, 4);
      const key = addr.toString(16);
      if (access === ACCESS_WRITE) {
        store.set(key, value);
        seen.push(key);
        return 0;
      }
      return store.get(key);
    });
    await control.waitDoorbell(bell, 20);
  }
  const [a, b] = (await results) as number[][];
  const want = Array.from({ length: 200 }, (_, i) => i * 3);
  assert.deepEqual(a, want);
  assert.deepEqual(b, want);
  assert.equal(seen.length, 400);
});

test('a bus error reaches the hart as lastOk = false', async () => {
  const control = new ControlBlock(1);
  const result = inWorker(control.buffer, 1, `const v = control.call(0, ${ACCESS_READ}, 0x1234, 4, 0); return [v, control.lastOk];`);
  let done = false;
  void result.finally(() => (done = true));
  while (!done) {
    const bell = control.doorbell;
    control.serve(() => undefined);
    await control.waitDoorbell(bell, 20);
  }
  assert.deepEqual(await result, [0, false]);
});

test('a hart sleeping in WFI wakes when its interrupt line rises or a command comes, not at its timeout', async () => {
  const control = new ControlBlock(2);
  const sleeper = inWorker(control.buffer, 2, `
    const t0 = performance.now();
    const seq = control.wakeSeq(1);
    control.sleep(1, seq, 20000);
    const mip = control.extMip(1);
    const seq2 = control.wakeSeq(1);
    control.sleep(1, seq2, 20000);
    return [mip, control.command, performance.now() - t0 < 15000];`);
  while (!control.sleeping(1)) await new Promise((r) => setTimeout(r, 5));
  control.setExtMip(1, 1 << 9, true);
  await new Promise((r) => setTimeout(r, 50));
  control.setCommand(CMD_EXIT);
  assert.deepEqual(await sleeper, [1 << 9, CMD_EXIT, true]);
  assert.equal(control.extMip(0), 0, 'hart 0 untouched');
  control.setCommand(CMD_RUN);
  control.setExtMip(1, 1 << 9, false);
  assert.equal(control.extMip(1), 0);
});

test('a control block is checked against its hart count', () => {
  assert.throws(() => new ControlBlock(0), /bad hart count/);
  assert.throws(() => new ControlBlock(2, new ControlBlock(3).buffer), /does not match/);
});

test('HSM: a start request is claimed once, and either taken by the target or withdrawn, never both', () => {
  const control = new ControlBlock(2);
  control.setHsm(1, HSM_STOPPED);
  assert.equal(control.requestStart(1, 0x1000, 0, 7, 0), true);
  assert.equal(control.requestStart(1, 0x2000, 0, 8, 0), false, 'a second start while one is pending');
  assert.equal(control.hsm(1), HSM_START_PENDING);
  assert.deepEqual([...control.takeStart(1)!], [0x1000, 0, 7, 0]);
  assert.equal(control.hsm(1), HSM_STARTED);
  assert.equal(control.withdrawStart(1), false, 'taken: too late to withdraw');
  assert.equal(control.takeStart(1), undefined);
  control.setHsm(1, HSM_STOPPED);
  assert.equal(control.requestStart(1, 0x3000, -1, 9, 0), true);
  assert.equal(control.withdrawStart(1), true);
  assert.equal(control.takeStart(1), undefined, 'withdrawn: nothing to take');
  assert.equal(control.hsm(1), HSM_STOPPED);
  assert.equal(control.requestStart(0, 0x1000, 0, 0, 0), false, 'hart 0 is running');
});

test('requests: each fence posted to a hart on another thread is done before waitDone says so', async () => {
  const control = new ControlBlock(2);
  const target = inWorker(
    control.buffer,
    2,
    // Until told to stop: a take may find the bits of a post whose sequence number is not out yet, and the next
    // take says that one is done.
    `const seen = []; const end = Date.now() + 20000;
    while (control.command !== ${CMD_EXIT} && Date.now() < end) control.takeRequests(1, (bits) => seen.push(bits));
    return seen;`,
  );
  for (let i = 0; i < 40; i++) {
    const bits = i % 2 === 0 ? REQ_SFENCE_VMA : REQ_FENCE_I | REQ_SSIP;
    const seq = control.postRequests(1, bits);
    let waits = 0;
    while (!control.waitDone(1, seq, 10)) assert.ok(++waits < 1000, `fence ${i} never done`);
  }
  control.setCommand(CMD_EXIT);
  const seen = (await target) as number[];
  assert.equal(seen.length, 40, 'one take per request: each was done before the next was posted');
  seen.forEach((bits, i) => assert.equal(bits, i % 2 === 0 ? REQ_SFENCE_VMA : REQ_FENCE_I | REQ_SSIP));
  assert.equal(control.requests(1), 0);
});
