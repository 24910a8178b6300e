// Correctness: every candidate must end in the same state as (a) on the benchmark programs, on
// random RV64IM instruction mixes (edge-case register values, unaligned loads/stores, skipped
// branches, jal/jalr), and on a self-modifying-code test (for the decode caches).
import { CANDIDATES, load, runToHalt } from './candidates.mjs';
import { Asm, ENC, REG, DATA, RAM_BASE, PROGRAMS, assemble, makeImage, dataHash, splitmix, instructionCount } from './rv.mjs';

function state(m) {
  const regs = [];
  for (let i = 0; i < 32; i++) regs.push(BigInt.asUintN(64, m.reg(i)).toString(16));
  return { halted: m.halted, pc: m.pc.toString(16), regs: regs.join(' '), mem: dataHash(m.ram8) };
}

const SPECIAL = [0n, 1n, -1n, 2n, -2n, 0x7fffffffn, 0x80000000n, 0xffffffffn, -0x80000000n, 0x100000000n,
  (1n << 63n), (1n << 63n) - 1n, 3n, 7n, 0x12345678n, -(1n << 32n)];

function randomProgram(seed) {
  const rnd = splitmix(BigInt(seed) * 7919n + 1n);
  const u = (k) => Number(rnd.next().value % BigInt(k));
  const rdPick = () => { const x = u(32); return x === 1 ? 0 : x; }; // x1 holds the data pointer
  const rs = () => u(32);
  const imm = () => [0, -1, 1, 2047, -2048][u(8)] ?? u(4096) - 2048;
  const R = ['add', 'sub', 'sll', 'slt', 'sltu', 'xor', 'srl', 'sra', 'or', 'and', 'mul', 'mulh', 'mulhsu', 'mulhu',
    'div', 'divu', 'rem', 'remu', 'addw', 'subw', 'sllw', 'srlw', 'sraw', 'mulw', 'divw', 'divuw', 'remw', 'remuw'];
  const IM = ['addi', 'slti', 'sltiu', 'xori', 'ori', 'andi', 'addiw'];
  const SH = ['slli', 'srli', 'srai'], SHW = ['slliw', 'srliw', 'sraiw'];
  const LD = ['lb', 'lh', 'lw', 'ld', 'lbu', 'lhu', 'lwu'], ST = ['sb', 'sh', 'sw', 'sd'];
  const BR = ['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu'];
  const a = new Asm();
  for (let k = 0; k < 300; k++) {
    const kind = u(20);
    if (kind < 8) a.op(R[u(R.length)], rdPick(), rs(), rs());
    else if (kind < 11) a.op(IM[u(IM.length)], rdPick(), rs(), imm());
    else if (kind < 13) a.op(SH[u(3)], rdPick(), rs(), u(64));
    else if (kind < 14) a.op(SHW[u(3)], rdPick(), rs(), u(32));
    else if (kind < 15) a.op(LD[u(7)], rdPick(), 1, u(512));
    else if (kind < 16) a.op(ST[u(4)], rs(), 1, u(512));
    else if (kind < 17) a.op(['lui', 'auipc'][u(2)], rdPick(), u(1 << 20));
    else if (kind < 18) { a.words.push(ENC[BR[u(6)]](rs(), rs(), 8)); a.op('addi', rdPick(), rs(), imm()); }
    else if (kind < 19) { a.words.push(ENC.jal(rdPick(), 8)); a.op('xori', rdPick(), rs(), imm()); }
    else { const t = 2 + u(30); a.op('auipc', t, 0).op('jalr', rdPick(), t, 12).op('ori', rdPick(), rs(), imm()); }
  }
  a.op('ecall');
  const regs = [];
  for (let i = 0; i < 32; i++) regs.push(u(3) ? SPECIAL[u(SPECIAL.length)] : BigInt.asIntN(64, rnd.next().value));
  regs[0] = 0n; regs[1] = BigInt(DATA);
  return { image: makeImage(a.finish()), regs };
}

function selfModifying() {
  const a = new Asm();
  a.op('auipc', 't0', 0);
  a.li(REG.a4, ENC.addi(REG.a5, 0, 42));
  a.op('addi', 't1', 'zero', 2).label('loop')
    .op('addi', 'a5', 'zero', 1) // at t0+16: overwritten with `addi a5, zero, 42` after the first pass
    .op('add', 'a6', 'a6', 'a5').op('sw', 'a4', 't0', 16).op('addi', 't1', 't1', -1).op('bne', 't1', 'zero', 'loop')
    .op('ecall');
  if (a.labels.get('loop') !== 16) throw new Error('selfModifying layout');
  return makeImage(a.finish());
}

export async function checkAll({ fuzzRuns = 300, log = console.log } = {}) {
  const machines = [];
  for (const c of CANDIDATES) machines.push({ c, m: await load(c) });
  let bad = 0;
  const compare = (what, run) => {
    let ref = null;
    for (const { c, m } of machines) {
      const s = run(m, c);
      if (!ref) { ref = s; continue; }
      for (const k of Object.keys(ref)) {
        if (s[k] !== ref[k]) { bad++; log(`MISMATCH ${what} ${c.id} ${k}:\n  ref ${ref[k]}\n  got ${s[k]}`); break; }
      }
    }
    return ref;
  };
  for (const p of Object.keys(PROGRAMS)) {
    const image = makeImage(assemble(p, 3));
    compare(`program ${p}`, (m, c) => {
      m.reset(image);
      const n = runToHalt(m, c.batch);
      if (n !== instructionCount(p, 3)) { bad++; log(`${c.id} ${p}: ${n} instructions, expected ${instructionCount(p, 3)}`); }
      return state(m);
    });
  }
  for (let s = 0; s < fuzzRuns; s++) {
    const { image, regs } = randomProgram(s);
    const ref = compare(`fuzz seed ${s}`, (m, c) => {
      m.reset(image);
      regs.forEach((v, i) => m.setReg(i, v));
      runToHalt(m, c.batch ?? 7); // odd batch size: exercises resuming mid-program
      return state(m);
    });
    if (ref.halted !== 1) { bad++; log(`fuzz seed ${s}: stopped with ${ref.halted}, not at its ecall`); }
  }
  const smc = compare('self-modifying code', (m) => { m.reset(selfModifying()); runToHalt(m); return state(m); });
  if (smc.regs.split(' ')[16] !== '2b') { bad++; log(`self-modifying code: a6 = ${smc.regs.split(' ')[16]}, expected 2b`); }
  log(`check: ${Object.keys(PROGRAMS).length} programs, ${fuzzRuns} random programs, self-modifying code; ` +
    `${machines.length} candidates; ${bad ? `${bad} MISMATCHES` : 'all agree'}`);
  return bad === 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ok = await checkAll({ fuzzRuns: Number(process.argv[2] ?? 300) });
  process.exit(ok ? 0 : 1);
}
