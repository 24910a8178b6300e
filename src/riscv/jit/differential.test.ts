/**
 * Differential test of the translator against the interpreter: random programs (mostly integer, load/store,
 * AMO, LR/SC, FP load/store and branch instructions the translator compiles, some it leaves to the interpreter,
 * some raw random words, compressed instructions, runs of loads or stores through one register) run hot in a
 * loop on both engines, or cold (the translator's WebAssembly interpreter, interp-wasm.ts, runs them), with
 * mstatus.FS off, initial, clean or dirty; registers (integer and FP), CSRs, pc, instret and all of RAM must end
 * identical.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { A, MTVEC, RAM_BASE, iType, rType, sType, setX, type Rig } from '../testing.js';
import { diffState, makeEngineHart, runUntilIdle } from './test-rig.js';

const CODE = RAM_BASE + 0x1000;
const DATA = RAM_BASE + 0x8000;
const WFI = 0x10500073;

/** A 16-bit parcel of a compressed instruction (low bits not 0b11). */
const parcel = fc.integer({ min: 0, max: 0xffff }).filter((p) => (p & 3) !== 3);
/** One instruction from a menu, with registers x1..x29 (x30 is the data pointer, x31 the loop counter). */
const reg = fc.integer({ min: 0, max: 29 });
const imm12 = fc.oneof(fc.integer({ min: -2048, max: 2047 }), fc.constantFrom(0, 1, -1, 31, 32, 63, 2047, -2048));
/** OP-IMM (addi, slli, ..., andi). */
const opImm = fc.tuple(fc.integer({ min: 0, max: 7 }), reg, reg, imm12).map(([f3, rd, a, imm]) => {
  if (f3 === 1) return iType(0x13, rd, 1, a, imm & 63);
  if (f3 === 5) return iType(0x13, rd, 5, a, (imm & 63) | (imm & 0x400));
  return iType(0x13, rd, f3, a, imm);
});
const insn: fc.Arbitrary<number> = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(fc.integer({ min: 0, max: 7 }), reg, reg, reg, fc.constantFrom(0, 0, 0x20, 1)).map(
    ([f3, rd, a, b, f7]) => rType(0x33, rd, f3, a, b, f7)) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(0, 1, 5), reg, reg, reg, fc.constantFrom(0, 0x20, 1)).map(
    ([f3, rd, a, b, f7]) => rType(0x3b, rd, f7 === 1 ? [0, 4, 5, 6, 7][(a + b) % 5]! : f3, a, b, f7)) },
  { weight: 8, arbitrary: opImm },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(0, 1, 5), reg, reg, imm12).map(([f3, rd, a, imm]) =>
    iType(0x1b, rd, f3, a, f3 === 0 ? imm : (imm & 31) | (f3 === 5 ? imm & 0x400 : 0))) },
  { weight: 2, arbitrary: fc.tuple(reg, fc.integer({ min: -0x80000, max: 0x7ffff })).map(([rd, v]) => A.lui(rd, v << 12)) },
  { weight: 1, arbitrary: fc.tuple(reg, fc.integer({ min: -0x80000, max: 0x7ffff })).map(([rd, v]) => A.auipc(rd, v << 12)) },
  // Loads and stores through the data pointer (any alignment), or through any register (mostly faults).
  { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 0, max: 6 }), reg, fc.integer({ min: -256, max: 255 })).map(
    ([f3, rd, off]) => iType(0x03, rd, f3, 30, off)) },
  { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 0, max: 3 }), reg, fc.integer({ min: -256, max: 255 })).map(
    ([f3, b, off]) => sType(0x23, f3, 30, b, off)) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 6 }), reg, reg, imm12).map(([f3, rd, a, off]) => iType(0x03, rd, f3, a, off)) },
  // Forward branches and jumps inside the body (skipping 1..3 instructions).
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(0, 1, 4, 5, 6, 7), reg, reg, fc.integer({ min: 2, max: 4 })).map(
    ([f3, a, b, skip]) => rType(0x63, 0, f3, a, b, 0) | (((skip * 4) & 0x1e) << 7) | 0) },
  { weight: 1, arbitrary: fc.tuple(reg, fc.integer({ min: 2, max: 4 })).map(([rd, skip]) => A.jal(rd, skip * 4)) },
  // CSR reads (instret among them), fences, an AMO on the data, ebreak-free SYSTEM.
  { weight: 1, arbitrary: fc.tuple(reg, fc.constantFrom(0xb02, 0x340, 0xf14)).map(([rd, csr]) => A.csrrs(rd, csr, 0)) },
  // CSR accesses that translated code makes through the interpreter's helper and goes on after (scan.ts
  // INLINE_CSRS): any value written to mstatus (FS, MPRV, MIE... some make the block leave), mscratch, mepc and
  // mcause, reads of cycle and instret, csrrw of those (illegal: read-only), and the immediate forms; sstatus,
  // whose accesses that change only SIE the WebAssembly interpreter does itself; sscratch, sepc, stval and mtval,
  // which it and blocks do themselves as they do mscratch, mepc and mcause (plain-csrs.ts).
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 1, max: 3 }), reg, fc.constantFrom(0x340, 0x300, 0x341, 0x342, 0xc00, 0xc02, 0x100, 0x140, 0x141, 0x143, 0x343), reg).map(
    ([f3, rd, csr, b]) => iType(0x73, rd, f3, csr >= 0xc00 && f3 !== 1 ? 0 : b, csr)) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 5, max: 7 }), reg, fc.constantFrom(0x340, 0x300, 0x100, 0x100, 0x141, 0x142), fc.constantFrom(0, 2, 2, 3, 31)).map(
    ([f3, rd, csr, uimm]) => iType(0x73, rd, f3, uimm, csr)) },
  { weight: 1, arbitrary: fc.constantFrom(0x0ff0000f, 0x0000100f) },
  // Reserved SYSTEM encodings with sstatus's number in the CSR field (funct3 0 and 4): illegal.
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(0, 4), reg, reg).map(([f3, rd, a]) => iType(0x73, rd, f3, a, 0x100)) },
  // SFENCE.VMA, of everything, one address or one address space (the WebAssembly interpreter's helper runs it).
  { weight: 1, arbitrary: fc.tuple(reg, reg).map(([a, b]) => rType(0x73, 0, 0, a, b, 0x09)) },
  { weight: 1, arbitrary: reg.map((rd) => rType(0x2f, rd, 3, 30, rd, 0)) },
  // LR/SC on the data pointer (pairs and strays), FP loads and stores through it.
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(2, 3), reg, reg, fc.constantFrom(0x08, 0x0c)).map(
    ([f3, rd, b, f7]) => rType(0x2f, rd, f3, 30, f7 === 0x08 ? 0 : b, f7)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(2, 3), fc.integer({ min: 0, max: 31 }), fc.integer({ min: -256, max: 255 })).map(
    ([f3, fd, off]) => iType(0x07, fd, f3, 30, off)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(2, 3), fc.integer({ min: 0, max: 31 }), fc.integer({ min: -256, max: 255 })).map(
    ([f3, fs, off]) => sType(0x27, f3, 30, fs, off)) },
  // Raw random words (mostly illegal: a trap ends the run).
  { weight: 1, arbitrary: fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }) },
  // Two compressed instructions, any parcels (the wasm interpreter expands them through compressed.ts's table).
  { weight: 3, arbitrary: fc.tuple(parcel, parcel).map(([a, b]) => a | (b << 16)) },
);

/**
 * A run of 3..6 loads (or stores) through the data pointer at offsets of any alignment on either side of its
 * page's start, with arithmetic or an access of the other kind between some of them: what compile.ts checks
 * once (accessRun), or access by access when its bytes are on two pages.
 */
const access = (store: boolean, f3: number, r: number, off: number): number =>
  store ? sType(0x23, f3 & 3, 30, r, off) : iType(0x03, r, f3, 30, off);
const offset = fc.integer({ min: -256, max: 255 });
/** What may follow one of a run's accesses (given whether the run stores): nothing, arithmetic, the other kind. */
const between = fc.option(
  fc.oneof(
    opImm.map((w) => (_: boolean) => w),
    fc.tuple(reg, offset).map(([r, off]) => (stores: boolean) => access(!stores, 3, r, off)),
  ),
);
const accessRun: fc.Arbitrary<number[]> = fc
  .tuple(
    fc.boolean(),
    fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), reg, offset, between), { minLength: 3, maxLength: 6 }),
  )
  .map(([stores, items]) =>
    items.flatMap(([f3, r, off, other]) => [access(stores, f3, r, off), ...(other === null ? [] : [other(stores)])]),
  );

/** Every AMO (funct5 add, swap, xor, or, and, min, max, minu, maxu; word and doubleword) on the data pointer. */
const amo: fc.Arbitrary<number> = fc.tuple(fc.constantFrom(0x00, 0x01, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c), fc.constantFrom(2, 3), reg, reg)
  .map(([fn5, f3, rd, b]) => rType(0x2f, rd, f3, 30, b, fn5 << 2));

function setup(rig: Rig, body: readonly number[], regs: readonly bigint[], iterations: number, fs: number): void {
  const { h, ram } = rig;
  // x31 counts down; the body; then addi x31, x31, -1; bne x31, x0, start; ecall. Traps go to a WFI.
  const words = [...body, A.addi(31, 31, -1), 0, A.ecall()];
  words[body.length + 1] = A.bne(31, 0, -4 * (body.length + 1));
  const o = (CODE - RAM_BASE) / 4;
  words.forEach((w, i) => (ram.i32[o + i] = w));
  ram.i32[(MTVEC - RAM_BASE) / 4] = WFI;
  for (let i = 0; i < 512; i++) ram.i32[(DATA - RAM_BASE) / 4 - 128 + i] = Math.imul(i + 1, 0x9e3779b1);
  regs.forEach((v, i) => setX(h, i + 1, v));
  setX(h, 30, BigInt(DATA));
  setX(h, 31, BigInt(iterations));
  h.mstatus = fs << 13;
  for (let i = 0; i < 64; i++) h.fp.f[i] = Math.imul(i + 7, 0x2545f491);
  h.pc = CODE;
}

/** `cold`: nothing is compiled, so the jit hart runs the programs in its WebAssembly interpreter (interp-wasm.ts). */
function differential(menu: fc.Arbitrary<number>, parallel: boolean, numRuns: number, cold = false): void {
  let finished = 0;
  let translated = 0;
  let runs = 0;
  fc.assert(
    fc.property(
      fc
        .array(fc.oneof({ weight: 10, arbitrary: menu.map((w) => [w]) }, { weight: 1, arbitrary: accessRun }), {
          minLength: 1,
          maxLength: 40,
        })
        .map((b) => b.flat()),
      fc.array(fc.oneof(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), fc.constantFrom(0n, 1n, -1n, 1n << 63n, (1n << 31n) - 1n)), { minLength: 29, maxLength: 29 }),
      fc.integer({ min: 3, max: 60 }),
      fc.integer({ min: 0, max: 3 }),
      (body, regs, iterations, fs) => {
        const a = makeEngineHart('interp', parallel);
        const b = makeEngineHart('jit', parallel);
        if (cold) b.h.jit!.tuning.hot = Infinity;
        setup(a, body, regs, iterations, fs);
        setup(b, body, regs, iterations, fs);
        const idleA = runUntilIdle(a.h, 20_000);
        const idleB = runUntilIdle(b.h, 20_000);
        runs++;
        assert.equal(idleA, idleB, 'both stop, or neither');
        if (!idleA) return; // a program that loops forever: its state depends on where the budget ends
        finished++;
        if (cold ? b.h.jit!.stats.interpretedWasm > 0 : b.h.jit!.stats.compiled > 0) translated++;
        assert.deepEqual(diffState(a, b), []);
      },
    ),
    { numRuns },
  );
  assert.ok(finished > runs / 2, `only ${finished} of ${runs} programs finished`);
  // Many programs trap early (FP with FS off, illegal words, wild loads): a third running translated code (or the
  // WebAssembly interpreter) is plenty.
  assert.ok(translated > finished / 3, `only ${translated} of ${finished} programs ran translated code`);
}

test('random programs end in the same state on the translator as on the interpreter', () => {
  differential(insn, false, 300);
});

test('the same with harts marked parallel (shared memory): atomic AMOs, LR/SC compared by value, fences', () => {
  differential(fc.oneof({ weight: 6, arbitrary: insn }, { weight: 1, arbitrary: amo }), true, 150);
});

test('random programs end in the same state on the WebAssembly interpreter (nothing compiled) as on the interpreter', () => {
  differential(fc.oneof({ weight: 6, arbitrary: insn }, { weight: 1, arbitrary: amo }), false, 300, true);
});

test('the same with harts marked parallel', () => {
  differential(fc.oneof({ weight: 6, arbitrary: insn }, { weight: 1, arbitrary: amo }), true, 150, true);
});
