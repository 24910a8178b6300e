/**
 * The guest is hostile: random instruction streams, in every privilege mode and with paging on or off, must only
 * ever end in architectural traps, never in a JavaScript exception out of the interpreter.
 */
import { test } from 'node:test';
import fc from 'fast-check';
import { runBlock } from './execute.js';
import { CSR, PRIV_M, PRIV_S, PRIV_U } from './constants.js';
import { checkInterrupts } from './trap.js';
import { RAM_BASE, RAM_SIZE, makeHart, setCsrRaw, setX } from './testing.js';

const OPCODES = [0x03, 0x07, 0x0f, 0x13, 0x17, 0x1b, 0x23, 0x27, 0x2f, 0x33, 0x37, 0x3b, 0x43, 0x47, 0x4b, 0x4f, 0x53, 0x63, 0x67, 0x6f, 0x73];

test('random instruction streams never throw out of the interpreter', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
          // Mostly valid major opcodes with random fields: reaches deep into loads, AMOs, CSRs, FP, SYSTEM.
          fc.tuple(fc.integer({ min: 0, max: 0x1ff_ffff }), fc.constantFrom(...OPCODES)).map(([f, op]) => (f << 7) | op),
          fc.integer({ min: 0, max: 0xffff }).map((c) => (c & 3) === 3 ? c ^ 1 : c), // compressed
        ),
        { minLength: 1, maxLength: 64 },
      ),
      fc.array(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), { minLength: 31, maxLength: 31 }),
      fc.constantFrom(PRIV_M, PRIV_S, PRIV_U),
      fc.constantFrom(0n, 8n << 60n, 9n << 60n),
      fc.integer({ min: 0, max: 0xffff }),
      (words, regs, priv, satpMode, csrBits) => {
        const rig = makeHart();
        const { h, ram } = rig;
        const code = RAM_BASE + 0x2000;
        for (let i = 0; i < words.length; i++) ram.i32[(code - RAM_BASE) / 4 + i] = words[i]!;
        // Some registers point into RAM so loads and stores reach it; the rest are anything.
        regs.forEach((v, i) => setX(h, i + 1, i % 3 === 0 ? BigInt(RAM_BASE) + (v & BigInt(RAM_SIZE - 1)) : v));
        // Page tables at a random place in RAM (whatever the bytes are), traps back into the code.
        setCsrRaw(h, CSR.satp, satpMode | BigInt((RAM_BASE >>> 12) + (csrBits & 0xff)));
        setCsrRaw(h, CSR.mtvec, BigInt(code));
        setCsrRaw(h, CSR.stvec, BigInt(code + 16));
        h.medeleg = csrBits & 0xb3ff;
        h.mstatus = (csrBits << 3) & 0x7e7aa;
        h.priv = priv;
        h.updateTlbContext();
        h.pc = code;
        for (let round = 0; round < 8; round++) {
          h.waiting = false;
          checkInterrupts(h);
          runBlock(h, 64);
        }
      },
    ),
    { numRuns: 3000 },
  );
});
