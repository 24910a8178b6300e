/**
 * The WebAssembly interpreter's module as the build writes it next to the bundles (tools/bundle.mjs), which the
 * command line loads instead of generating it: the same bytes, and a file WebAssembly rejects is not used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { interpreterModule, interpreterModuleBytes, interpreterVariant, prebuiltInterpreterName } from './interp-wasm.js';

test('the build wrote each variant of the interpreter as the generator makes it', () => {
  for (const shared of [false, true]) {
    for (const parallel of [false, true]) {
      const variant = interpreterVariant(shared, parallel);
      // dist/riscv/jit/ -> dist/bundle/, where the bundles look for it.
      const file = new URL(`../../bundle/${prebuiltInterpreterName(variant)}`, import.meta.url);
      const built = readFileSync(file);
      assert.ok(Buffer.from(interpreterModuleBytes(variant)).equals(built), `${file.pathname} is stale: npm run build writes it`);
    }
  }
});

test('a prebuilt file WebAssembly rejects (or none) is replaced by the generated module', () => {
  const dir = mkdtempSync(join(tmpdir(), 'typevisor-interp-'));
  const bad = join(dir, prebuiltInterpreterName(0));
  writeFileSync(bad, Buffer.from('\0asm garbage'));
  for (const file of [bad, join(dir, 'missing.bin')]) {
    const module = interpreterModule(0, file);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
    const instance = new WebAssembly.Instance(module, { e: { m: memory, s: () => 0, h: () => 0 } });
    assert.equal(typeof instance.exports['f0'], 'function');
  }
});
