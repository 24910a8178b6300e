import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SifiveTest, type SifiveTestEvent } from './sifive-test-device.js';

function rig() {
  const events: SifiveTestEvent[] = [];
  const dev = new SifiveTest({ onExit: (e) => events.push(e) });
  return { dev, events };
}

test('0x5555 powers off, 0x7777 resets, 0x3333 | code << 16 fails with the code', () => {
  const { dev, events } = rig();
  dev.write(0, 4, 0x5555);
  dev.write(0, 4, 0x7777);
  dev.write(0, 4, 0x3333 | (42 << 16));
  dev.write(0, 4, (0xffff << 16) | 0x3333);
  assert.deepEqual(events, [
    { kind: 'poweroff' },
    { kind: 'reset' },
    { kind: 'fail', code: 42 },
    { kind: 'fail', code: 0xffff },
  ]);
});

test('the status is the low 16 bits: a code with a pass status still powers off', () => {
  const { dev, events } = rig();
  dev.write(0, 4, 0x5555 | (3 << 16));
  assert.deepEqual(events, [{ kind: 'poweroff' }]);
});

test('16-bit writes act as QEMU allows; byte writes, other offsets and other values are ignored', () => {
  const { dev, events } = rig();
  dev.write(0, 2, 0x3333);
  dev.write(0, 1, 0x55);
  dev.write(4, 4, 0x5555);
  dev.write(0, 4, 0x1234);
  dev.write(0, 4, 0);
  assert.deepEqual(events, [{ kind: 'fail', code: 0 }]);
});

test('reads return 0', () => {
  const { dev } = rig();
  dev.write(0, 4, 0x1234);
  assert.equal(dev.read(0, 4), 0);
  assert.equal(dev.read(0xffc, 4), 0);
});

test('state is empty and validated', () => {
  const { dev } = rig();
  assert.deepEqual(dev.saveState(), {});
  dev.restoreState({});
  assert.throws(() => dev.restoreState(null), /must be an object/);
  assert.throws(() => dev.restoreState({ x: 1 }), /unexpected field x/);
});

test('config is validated', () => {
  assert.throws(() => new SifiveTest({ onExit: 3 as never }), /onExit/);
});
