// The kernels under test. `batch` = instructions per call into the kernel (the outer loop of an
// emulator would check interrupts/timers between calls).
export const CANDIDATES = [
  { id: 'a', label: '(a) BigInt64Array regs, BigInt ops', module: './a-bigint.mjs', opts: {} },
  { id: 'a-asIntN', label: '(a) same, + explicit BigInt.asIntN(64)', module: './a-bigint.mjs', opts: { asIntN: true } },
  { id: 'b-limb', label: '(b) int32 pairs, 16-bit-limb mul', module: './b-pairs.mjs', opts: { mul: 'limb' } },
  { id: 'b-bigint', label: '(b) int32 pairs, BigInt mul/div', module: './b-pairs.mjs', opts: { mul: 'bigint' } },
  { id: 'b-conv', label: '(b) int32 pairs, BigInt built from halves', module: './b-pairs.mjs', opts: { mul: 'convert' } },
  { id: 'c', label: '(c) wasm interpreter, i64', module: './c-wasm.mjs', opts: {} },
  { id: 'c-batch64', label: '(c) same, 64 insts per call', module: './c-wasm.mjs', opts: {}, batch: 64 },
  { id: 'd1', label: '(d1) (b) + predecoded cache', module: './d-predecode.mjs', opts: {} },
  { id: 'g', label: '(g) (d1) + BigInt64Array ops on the same regs', module: './g-hybrid.mjs', opts: {} },
  { id: 'd2', label: '(d2) (b) + closure cache', module: './d-closures.mjs', opts: {} },
  { id: 'f', label: '(f) wasm block translator, i64 locals', module: './f-wasmblocks.mjs', opts: {} },
  { id: 'e', label: '(e) JS block translator, (b) in locals', module: './e-jsblocks.mjs', opts: {} },
  { id: 'h', label: '(h) JS block translator, BigInt64Array regs', module: './h-jsbig.mjs', opts: {} },
];
export const DEFAULT_BATCH = 4096;

export async function load(c) {
  const { createMachine } = await import(new URL(c.module, import.meta.url));
  return createMachine(c.opts);
}

/** Run until ecall/fault; returns instructions executed. */
export function runToHalt(m, batch = DEFAULT_BATCH) {
  let n = 0;
  while (m.halted === 0) n += m.run(batch);
  return n;
}
