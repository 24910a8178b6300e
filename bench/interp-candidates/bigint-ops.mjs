// node bench/interp-candidates/bigint-ops.mjs
// Which BigInt operations Node's optimizing compiler turns into plain 64-bit machine code when the
// operands come from and the result goes to a BigInt64Array (see docs/design/integers.md). Each loop
// does the operation plus one `^` to feed the result back; ns per iteration by CPU time, after warm-up.
const R = new BigInt64Array(8), U = new BigUint64Array(R.buffer);
R[1] = 0x123456789abcdefn; R[2] = -0x7777777777777n;
let imm = 13;
const T = {
  'R[0] = R[1] ^ R[2]': (n) => { for (let i = 0; i < n; i++) { R[0] = R[1] ^ R[2]; R[1] = R[0] ^ R[2]; } },
  'R[0] = R[1] + R[2]': (n) => { for (let i = 0; i < n; i++) { R[0] = R[1] + R[2]; R[1] = R[0] ^ R[2]; } },
  'R[0] = R[1] * R[2]': (n) => { for (let i = 0; i < n; i++) { R[0] = R[1] * R[2]; R[1] = R[0] ^ R[2]; } },
  'R[0] = R[1] << 13n': (n) => { for (let i = 0; i < n; i++) { R[0] = R[1] << 13n; R[1] = R[0] ^ R[2]; } },
  'R[0] = U[1] >> 7n': (n) => { for (let i = 0; i < n; i++) { R[0] = U[1] >> 7n; R[1] = R[0] ^ R[2]; } },
  'R[1] !== R[2]': (n) => { let s = 0; for (let i = 0; i < n; i++) { if (R[1] !== R[2]) s++; R[1] = R[0] ^ R[2]; } return s; },
  'R[0] = asIntN(64, R[1] + R[2])': (n) => { for (let i = 0; i < n; i++) { R[0] = BigInt.asIntN(64, R[1] + R[2]); R[1] = R[0] ^ R[2]; } },
  'R[0] = R[1] + BigInt(imm)': (n) => { for (let i = 0; i < n; i++) { R[0] = R[1] + BigInt(imm); R[1] = R[0] ^ R[2]; } },
  'R[0] = R[1] << BigInt(imm)': (n) => { for (let i = 0; i < n; i++) { R[0] = R[1] << BigInt(imm & 63); R[1] = R[0] ^ R[2]; } },
  'R[0] = U[1] < U[2] ? 1n : 0n': (n) => { for (let i = 0; i < n; i++) { R[0] = U[1] < U[2] ? 1n : 0n; R[1] = R[0] ^ R[2]; } },
  'Number(R[1] & 0xffffn)': (n) => { let s = 0; for (let i = 0; i < n; i++) { s += Number(R[1] & 0xffffn); R[1] = R[0] ^ R[2]; } return s; },
  'U[0] = (U[1] * U[2]) >> 64n': (n) => { for (let i = 0; i < n; i++) { U[0] = (U[1] * U[2]) >> 64n; R[1] = R[0] ^ R[2] ^ R[1]; } },
};
console.log(`node ${process.version}`);
for (let k = 0; k < 3; k++) for (const [name, f] of Object.entries(T)) {
  const N = 1e6, c0 = process.cpuUsage(); f(N); const c = process.cpuUsage(c0);
  if (k === 2) console.log(`${name.padEnd(32)} ${((c.user + c.system) * 1e3 / N).toFixed(1)} ns`);
}
