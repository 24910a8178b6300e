/**
 * The bare-metal ISA programs (test-programs/bin) on both CPU engines: each must pass on the translator as on
 * the interpreter, and end with the same registers and the same RAM (except the programs that read the host
 * clock, whose values depend on how fast they ran).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { bootBareMetal } from './boot.js';
import { Machine } from './machine.js';
import type { Engine } from '../riscv/engine.js';
import { JitHart } from '../riscv/jit/jit-hart.js';

const BIN_DIR = new URL('../../test-programs/bin/', import.meta.url);
/** These read time or count cycles against a timer: their registers and memory legitimately differ. */
const TIMED = new Set(['counters.elf', 'interrupts.elf']);

async function runOn(engine: Engine, elf: Uint8Array): Promise<{ machine: Machine; output: string; code: string }> {
  let output = '';
  const machine = new Machine({
    memBytes: 128 * 1048576,
    engine,
    maxInstructions: 50_000_000,
    onOutput: (b) => (output += Buffer.from(b).toString('latin1')),
  });
  if (engine === 'jit') {
    // Compile at once and synchronously: these programs are short, and the point is to run translated code.
    machine.hart.jit = new JitHart(machine.hart);
    Object.assign(machine.hart.jit.tuning, { hot: 2, hotPrivileged: undefined, batch: 1, batchWait: 1, decayMs: Infinity, async: false });
  }
  bootBareMetal(machine, elf);
  const exit = await machine.run();
  return { machine, output, code: JSON.stringify(exit) };
}

for (const file of readdirSync(BIN_DIR).filter((f) => f.endsWith('.elf')).sort()) {
  test(`${file}: the translator gives the interpreter's result`, async () => {
    const elf = readFileSync(new URL(file, BIN_DIR));
    const a = await runOn('interp', elf);
    const b = await runOn('jit', elf);
    assert.equal(b.code, a.code);
    assert.equal(b.output, a.output);
    const stats = b.machine.hart.jit?.stats;
    assert.ok(stats !== undefined && stats.compiled > 0, `the translator compiled blocks: ${JSON.stringify(stats)}`);
    if (TIMED.has(file)) return;
    const xa = Array.from(a.machine.hart.x);
    const xb = Array.from(b.machine.hart.x);
    assert.deepEqual(xb, xa, 'registers');
    assert.ok(Buffer.compare(a.machine.ram.u8, b.machine.ram.u8) === 0, 'RAM');
  });
}

test("the translator's RAM is a shared WebAssembly memory with one hart too, the interpreter's a plain buffer", () => {
  // Shared, V8 does not count it as its heap's external memory and collects no garbage for it (machine.ts).
  const jit = new Machine({ memBytes: 16 * 1048576, engine: 'jit', onOutput: () => undefined });
  assert.equal(jit.ram.shared, true);
  assert.ok(jit.ram.memory instanceof WebAssembly.Memory);
  const interp = new Machine({ memBytes: 16 * 1048576, engine: 'interp', onOutput: () => undefined });
  assert.equal(interp.ram.shared, false);
});
