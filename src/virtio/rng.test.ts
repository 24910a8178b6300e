import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';
import { TestDriver } from './fake-driver.js';
import { VIRTIO_MMIO_REG as R } from './mmio-transport.js';
import { VirtioRng } from './rng.js';

function counterSource() {
  let n = 0;
  return (buf: Uint8Array) => {
    for (let i = 0; i < buf.length; i++) buf[i] = n++ & 0xff;
  };
}

test('virtio-rng is device 4 with one queue and no config space', () => {
  const d = new TestDriver(new VirtioRng({ random: randomFillSync }));
  assert.equal(d.r(R.deviceId), 4);
  d.w(R.queueSel, 0);
  assert.equal(d.r(R.queueNumMax), 64);
  d.w(R.queueSel, 1);
  assert.equal(d.r(R.queueNumMax), 0);
  assert.equal(d.transport.read(R.config, 4), 0);
});

test('a writable buffer is filled from the random source and returned with its length', () => {
  const d = TestDriver.up(new VirtioRng({ random: counterSource() }));
  const { head, used } = d.request(0, [{ writable: 16 }]);
  assert.deepEqual(used, [{ id: head, len: 16 }]);
  assert.deepEqual([...d.queue(0).written(head)], [...Array(16).keys()]);
  assert.equal(d.irq.level, true);
});

test('several writable buffers in one chain, direct or indirect, are all filled', () => {
  const d = TestDriver.up(new VirtioRng({ random: counterSource() }));
  for (const indirect of [false, true]) {
    const { head, used } = d.request(0, [{ writable: 3 }, { writable: 5 }], { indirect });
    assert.deepEqual(used, [{ id: head, len: 8 }]);
    assert.equal(d.queue(0).written(head).length, 8);
  }
});

test('device-readable buffers are ignored', () => {
  const d = TestDriver.up(new VirtioRng({ random: counterSource() }));
  const { used } = d.request(0, [{ data: new Uint8Array(4) }, { writable: 2 }]);
  assert.equal(used[0]!.len, 2);
});

test('a request is capped at maxBytesPerRequest', () => {
  const d = TestDriver.up(new VirtioRng({ random: (b) => b.fill(0xee), maxBytesPerRequest: 10 }));
  const { head, used } = d.request(0, [{ writable: 32 }]);
  assert.equal(used[0]!.len, 10);
  const w = d.queue(0).written(head);
  assert.equal(w[9], 0xee);
  assert.equal(w[10], 0);
});

test('many requests are answered in order', () => {
  const rng = new VirtioRng({ random: randomFillSync, queueSize: 8 });
  const d = TestDriver.up(rng);
  for (let i = 0; i < 100; i++) {
    const { head, used } = d.request(0, [{ writable: 64 }]);
    assert.deepEqual(used, [{ id: head, len: 64 }]);
  }
  assert.equal(rng.bytesProvided, 6400);
});

test('config is validated', () => {
  assert.throws(() => new VirtioRng({} as never), /random/);
  assert.throws(() => new VirtioRng({ random: randomFillSync, queueSize: 3 }), /queueSize/);
  assert.throws(() => new VirtioRng({ random: randomFillSync, maxBytesPerRequest: 0 }), /maxBytesPerRequest/);
});
