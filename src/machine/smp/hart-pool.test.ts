/**
 * The hart pool on real worker threads: a worker that cannot build its hart makes start() fail with the
 * worker's own error (nothing left running), and a pool parks and ends cleanly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clintStorageBytes } from '../../devices/clint.js';
import { GuestRam } from '../../memory/ram.js';
import { Hart } from '../../riscv/hart.js';
import { SystemBus } from '../../memory/bus.js';
import { saveHartState } from '../../riscv/hart-state.js';
import { ControlBlock } from './control-block.js';
import { HartPool, type PoolConfig } from './hart-pool.js';

function config(harts: number, windows: PoolConfig['windows']): { control: ControlBlock; cfg: PoolConfig; ram: GuestRam } {
  const control = new ControlBlock(harts);
  const ram = new GuestRam(0x8000_0000, 1 << 20, { shared: true });
  return {
    control,
    ram,
    cfg: {
      harts,
      engine: 'interp',
      ram: ram.shareHandle(),
      control: control.buffer,
      clintStorage: new SharedArrayBuffer(clintStorageBytes(harts)),
      clintBase: 0x200_0000,
      timebaseFrequency: 10_000_000,
      yieldOnPause: false,
    sbi: false,
      windows,
    },
  };
}

test('a worker that cannot build its hart fails start() with its error', async () => {
  // Two device windows on top of each other: the worker's bus refuses the second.
  const { control, cfg } = config(1, [
    { base: 0x1000_0000, size: 0x100, name: 'uart' },
    { base: 0x1000_0000, size: 0x100, name: 'other' },
  ]);
  await assert.rejects(HartPool.start(control, cfg), /overlaps uart/);
});

test('harts run, park with their states, and end', async () => {
  const { control, cfg, ram } = config(2, [{ base: 0x200_0000, size: 0x1_0000, name: 'clint' }]);
  // Each hart spins on `j .` at the start of RAM.
  ram.u8.set([0x6f, 0x00, 0x00, 0x00], 0);
  const bus = new SystemBus(ram);
  const states = [0, 1].map((id) => {
    const h = new Hart(id, bus, { readTime: () => 0 }, { f: new Int32Array(64), fflags: 0, frm: 0 });
    h.reset(0x8000_0000);
    return saveHartState(h);
  });
  const pool = await HartPool.start(control, cfg);
  try {
    pool.run(states);
    await new Promise((r) => setTimeout(r, 100));
    const parked = await pool.park();
    assert.equal(parked.length, 2);
    for (const s of parked) {
      assert.equal(s.pc, '0000000080000000');
      assert.ok(s.instret > 0, 'the hart ran');
    }
    assert.ok(control.totalInstret() > 0);
  } finally {
    await pool.terminate();
  }
});
