// Candidate (c): the whole interpreter loop (fetch, decode, execute, memory) in WebAssembly with
// native i64, emitted by hand as bytes from this script (no toolchain). JS calls `run(n)` once per batch.
//
// Linear memory: x0..x31 as i64 at 0, pc (i64) at 256, halted (i32) at 264, guest RAM at RAM_OFF.
// mulhu has no single wasm instruction (i64.mul_wide is only a proposal), so it is four i64.mul of
// 32-bit halves; div/rem guard the cases where wasm traps but RISC-V defines a result.
import { RAM_BASE, RAM_SIZE } from './rv.mjs';

const RAM_OFF = 4096, PC_AT = 256, HALT_AT = 264;

// ---------------------------------------------------------------- a tiny wasm emitter
export const uleb = (n) => { const o = []; do { let b = n & 0x7f; n = Math.floor(n / 128); if (n) b |= 0x80; o.push(b); } while (n); return o; };
export const sleb = (v) => {
  v = BigInt(v);
  const o = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && !(b & 0x40)) || (v === -1n && b & 0x40)) { o.push(b); return o; }
    o.push(b | 0x80);
  }
};
const OP = {
  unreachable: 0x00, return: 0x0f, drop: 0x1a, select: 0x1b,
  'i32.load': 0x28, 'i64.load': 0x29, 'i32.load8_u': 0x2d, 'i64.load8_s': 0x30, 'i64.load8_u': 0x31, 'i64.load16_s': 0x32,
  'i64.load16_u': 0x33, 'i64.load32_s': 0x34, 'i64.load32_u': 0x35, 'i32.store': 0x36, 'i64.store': 0x37,
  'i64.store8': 0x3c, 'i64.store16': 0x3d, 'i64.store32': 0x3e,
  'i32.eqz': 0x45, 'i32.eq': 0x46, 'i32.ne': 0x47, 'i32.lt_s': 0x48, 'i32.lt_u': 0x49, 'i32.ge_u': 0x4f,
  'i64.eqz': 0x50, 'i64.eq': 0x51, 'i64.ne': 0x52, 'i64.lt_s': 0x53, 'i64.lt_u': 0x54, 'i64.gt_u': 0x56,
  'i64.ge_s': 0x59, 'i64.ge_u': 0x5a,
  'i32.add': 0x6a, 'i32.sub': 0x6b, 'i32.mul': 0x6c, 'i32.div_s': 0x6d, 'i32.div_u': 0x6e, 'i32.rem_s': 0x6f,
  'i32.rem_u': 0x70, 'i32.and': 0x71, 'i32.or': 0x72, 'i32.xor': 0x73, 'i32.shl': 0x74, 'i32.shr_s': 0x75,
  'i32.shr_u': 0x76,
  'i64.add': 0x7c, 'i64.sub': 0x7d, 'i64.mul': 0x7e, 'i64.div_s': 0x7f, 'i64.div_u': 0x80, 'i64.rem_s': 0x81,
  'i64.rem_u': 0x82, 'i64.and': 0x83, 'i64.or': 0x84, 'i64.xor': 0x85, 'i64.shl': 0x86, 'i64.shr_s': 0x87,
  'i64.shr_u': 0x88, 'i32.wrap_i64': 0xa7, 'i64.extend_i32_s': 0xac, 'i64.extend_i32_u': 0xad,
};
const ALIGN = { 'i32.load': 2, 'i64.load': 3, 'i32.store': 2, 'i64.store': 3, 'i64.load32_s': 2, 'i64.load32_u': 2,
  'i64.store32': 2, 'i64.load16_s': 1, 'i64.load16_u': 1, 'i64.store16': 1 };

export class Code {
  constructor(locals) { this.b = []; this.labels = []; this.loc = locals; this.sw = 0; }
  o(...names) { for (const n of names) { if (!(n in OP)) throw new Error(n); this.b.push(OP[n]); } return this; }
  mem(name, offset = 0) { this.b.push(OP[name], ALIGN[name] ?? 0, ...uleb(offset)); return this; }
  get(n) { this.b.push(0x20, ...uleb(this.loc[n])); return this; }
  set(n) { this.b.push(0x21, ...uleb(this.loc[n])); return this; }
  i32(v) { this.b.push(0x41, ...sleb(v)); return this; }
  i64(v) { this.b.push(0x42, ...sleb(v)); return this; }
  scope(op, name, body, els) {
    this.b.push(op, 0x40); this.labels.push(name); body();
    if (els) { this.b.push(0x05); els(); }
    this.labels.pop(); this.b.push(0x0b); return this;
  }
  block(name, body) { return this.scope(0x02, name, body); }
  loop(name, body) { return this.scope(0x03, name, body); }
  if(body, els) { return this.scope(0x04, null, body, els); }
  depth(name) { const i = this.labels.lastIndexOf(name); if (i < 0) throw new Error(`label ${name}`); return this.labels.length - 1 - i; }
  br(name) { this.b.push(0x0c, ...uleb(this.depth(name))); return this; }
  brIf(name) { this.b.push(0x0d, ...uleb(this.depth(name))); return this; }
  /** switch: `index()` pushes an i32; cases[k] emits code that must branch away; others go to `dflt`. */
  switch(index, cases, dflt) {
    const id = this.sw++, lab = (k) => `sw${id}.${k}`;
    const present = cases.map((c, k) => (c ? k : -1)).filter((k) => k >= 0);
    const open = (j) => {
      if (j < 0) {
        index();
        const targets = cases.map((c, k) => this.depth(c ? lab(k) : lab('d')));
        this.b.push(0x0e, ...uleb(targets.length), ...targets.flatMap(uleb), ...uleb(this.depth(lab('d'))));
        return;
      }
      this.block(lab(present[j]), () => open(j - 1));
      cases[present[j]]();
      this.o('unreachable');
    };
    this.block(lab('d'), () => open(present.length - 1));
    dflt();
    return this;
  }
}

export function section(id, bytes) { return [id, ...uleb(bytes.length), ...bytes]; }
export function str(s) { return [...uleb(s.length), ...Buffer.from(s)]; }

function buildModule() {
  const names = ['n', 'i', 'inst', 'rd', 'f3', 'x', 'y', 'pc', 'a', 'b', 'off', 't', 'u', 'v', 'w'];
  const loc = Object.fromEntries(names.map((n, k) => [n, k]));
  const c = new Code(loc);
  const I32 = 0x7f, I64 = 0x7e;
  const sext = () => c.o('i64.extend_i32_s');
  // Each case stores its result itself and re-zeroes x0 (one shared store after a merge of all cases
  // was slower under TurboFan in a quick test).
  const res = (emit) => { c.get('rd'); emit(); c.mem('i64.store'); c.i32(0).i64(0).mem('i64.store'); c.br('next'); };
  const halt = (code) => { c.i32(HALT_AT).i32(code).mem('i32.store'); c.get('i').i32(1).o('i32.add').set('i').br('out'); };
  const immI = () => c.get('inst').i32(20).o('i32.shr_s');
  const bit30 = () => c.get('inst').i32(0x40000000).o('i32.and');
  const addr = (imm) => { // off = a + imm - RAM_BASE; fault unless it lies in RAM
    c.get('a'); imm(); sext(); c.o('i64.add').i64(RAM_BASE).o('i64.sub').set('off');
    c.get('off').i64(RAM_SIZE - 8).o('i64.gt_u').if(() => halt(2));
  };
  const M32 = 0xffffffffn;
  const mulhu = () => { // leaves high 64 bits of unsigned a*b on the stack
    c.get('a').i64(M32).o('i64.and').get('b').i64(M32).o('i64.and').o('i64.mul').set('t');
    c.get('a').i64(M32).o('i64.and').get('b').i64(32).o('i64.shr_u', 'i64.mul').set('u');
    c.get('a').i64(32).o('i64.shr_u').get('b').i64(M32).o('i64.and', 'i64.mul').set('v');
    c.get('a').i64(32).o('i64.shr_u').get('b').i64(32).o('i64.shr_u', 'i64.mul').set('w');
    c.get('t').i64(32).o('i64.shr_u').get('u').i64(M32).o('i64.and', 'i64.add').get('v').i64(M32).o('i64.and', 'i64.add').set('t');
    c.get('w').get('u').i64(32).o('i64.shr_u', 'i64.add').get('v').i64(32).o('i64.shr_u', 'i64.add')
      .get('t').i64(32).o('i64.shr_u', 'i64.add');
  };
  const MIN = -(1n << 63n);
  const mf3 = () => c.get('f3').get('inst').i32(25).o('i32.shr_u').i32(1).o('i32.eq').i32(3).o('i32.shl', 'i32.or');
  const f3switch = (cases) => c.switch(() => c.get('f3'), cases, () => halt(2));

  const ops = new Array(32).fill(null);
  ops[0x03 >> 2] = () => { // LOAD
    addr(immI);
    const ld = (name) => () => res(() => c.get('off').o('i32.wrap_i64').mem(name, RAM_OFF));
    f3switch([ld('i64.load8_s'), ld('i64.load16_s'), ld('i64.load32_s'), ld('i64.load'),
      ld('i64.load8_u'), ld('i64.load16_u'), ld('i64.load32_u'), null]);
  };
  ops[0x13 >> 2] = () => { // OP-IMM
    immI(); sext(); c.set('t');
    const bin = (op) => () => res(() => c.get('a').get('t').o(op));
    const cmp = (op) => () => res(() => c.get('a').get('t').o(op, 'i64.extend_i32_u'));
    f3switch([bin('i64.add'), bin('i64.shl'), cmp('i64.lt_s'), cmp('i64.lt_u'), bin('i64.xor'),
      () => res(() => { c.get('a').get('t').o('i64.shr_s').get('a').get('t').o('i64.shr_u'); bit30(); c.o('select'); }),
      bin('i64.or'), bin('i64.and')]);
  };
  ops[0x17 >> 2] = () => res(() => { c.get('pc').get('inst').i32(-4096).o('i32.and'); sext(); c.o('i64.add'); }); // AUIPC
  ops[0x37 >> 2] = () => res(() => { c.get('inst').i32(-4096).o('i32.and'); sext(); }); // LUI
  ops[0x1b >> 2] = () => { // OP-IMM-32
    c.get('a').o('i32.wrap_i64').set('x'); immI(); c.set('y');
    const w = (emit) => () => res(() => { emit(); sext(); });
    f3switch([w(() => c.get('x').get('y').o('i32.add')), w(() => c.get('x').get('y').o('i32.shl')), null, null, null,
      w(() => { c.get('x').get('y').o('i32.shr_s').get('x').get('y').o('i32.shr_u'); bit30(); c.o('select'); }), null, null]);
  };
  ops[0x23 >> 2] = () => { // STORE
    addr(() => c.get('inst').i32(25).o('i32.shr_s').i32(5).o('i32.shl').get('inst').i32(7).o('i32.shr_u').i32(31).o('i32.and', 'i32.or'));
    const st = (name) => () => { c.get('off').o('i32.wrap_i64').get('b').mem(name, RAM_OFF); c.br('next'); };
    f3switch([st('i64.store8'), st('i64.store16'), st('i64.store32'), st('i64.store'), null, null, null, null]);
  };
  ops[0x33 >> 2] = () => { // OP
    const bin = (op) => () => res(() => c.get('a').get('b').o(op));
    const cmp = (op) => () => res(() => c.get('a').get('b').o(op, 'i64.extend_i32_u'));
    // one 16-way br_table on funct3 | (funct7 == 1) << 3: base ops 0-7, M ops 8-15
    c.switch(mf3, [
      () => res(() => { c.get('a').get('b').o('i64.sub').get('a').get('b').o('i64.add'); bit30(); c.o('select'); }),
      bin('i64.shl'), cmp('i64.lt_s'), cmp('i64.lt_u'), bin('i64.xor'),
      () => res(() => { c.get('a').get('b').o('i64.shr_s').get('a').get('b').o('i64.shr_u'); bit30(); c.o('select'); }),
      bin('i64.or'), bin('i64.and'),

      bin('i64.mul'),
      () => res(() => { mulhu(); c.get('a').i64(63).o('i64.shr_s').get('b').o('i64.and', 'i64.sub')
        .get('b').i64(63).o('i64.shr_s').get('a').o('i64.and', 'i64.sub'); }),
      () => res(() => { mulhu(); c.get('a').i64(63).o('i64.shr_s').get('b').o('i64.and', 'i64.sub'); }),
      () => res(mulhu),
      () => { // div
        c.get('b').o('i64.eqz').if(() => res(() => c.i64(-1)));
        c.get('a').i64(MIN).o('i64.eq').get('b').i64(-1).o('i64.eq', 'i32.and').if(() => res(() => c.i64(MIN)));
        res(() => c.get('a').get('b').o('i64.div_s'));
      },
      () => { c.get('b').o('i64.eqz').if(() => res(() => c.i64(-1))); res(() => c.get('a').get('b').o('i64.div_u')); },
      () => { c.get('b').o('i64.eqz').if(() => res(() => c.get('a'))); res(() => c.get('a').get('b').o('i64.rem_s')); },
      () => { c.get('b').o('i64.eqz').if(() => res(() => c.get('a'))); res(() => c.get('a').get('b').o('i64.rem_u')); },
    ], () => halt(2));
  };
  ops[0x3b >> 2] = () => { // OP-32
    c.get('a').o('i32.wrap_i64').set('x').get('b').o('i32.wrap_i64').set('y');
    const w = (emit) => () => res(() => { emit(); sext(); });
    const bin = (op) => w(() => c.get('x').get('y').o(op));
    const yz = (emitVal) => c.get('y').o('i32.eqz').if(() => res(() => { emitVal(); sext(); }));
    c.switch(mf3, [
      w(() => { c.get('x').get('y').o('i32.sub').get('x').get('y').o('i32.add'); bit30(); c.o('select'); }),
      bin('i32.shl'), null, null, null,
      w(() => { c.get('x').get('y').o('i32.shr_s').get('x').get('y').o('i32.shr_u'); bit30(); c.o('select'); }),
      null, null,

      bin('i32.mul'), null, null, null,
      () => {
        yz(() => c.i32(-1));
        c.get('x').i32(-0x80000000).o('i32.eq').get('y').i32(-1).o('i32.eq', 'i32.and').if(() => res(() => c.i64(-0x80000000)));
        bin('i32.div_s')();
      },
      () => { yz(() => c.i32(-1)); bin('i32.div_u')(); },
      () => { yz(() => c.get('x')); bin('i32.rem_s')(); },
      () => { yz(() => c.get('x')); bin('i32.rem_u')(); },
    ], () => halt(2));
  };
  ops[0x63 >> 2] = () => { // BRANCH
    c.block('taken', () => {
      const br = (op) => () => { c.get('a').get('b').o(op).brIf('taken').br('next'); };
      f3switch([br('i64.eq'), br('i64.ne'), null, null, br('i64.lt_s'), br('i64.ge_s'), br('i64.lt_u'), br('i64.ge_u')]);
    });
    c.get('pc')
      .get('inst').i32(31).o('i32.shr_s').i32(12).o('i32.shl')
      .get('inst').i32(7).o('i32.shr_u').i32(1).o('i32.and').i32(11).o('i32.shl', 'i32.or')
      .get('inst').i32(25).o('i32.shr_u').i32(63).o('i32.and').i32(5).o('i32.shl', 'i32.or')
      .get('inst').i32(8).o('i32.shr_u').i32(15).o('i32.and').i32(1).o('i32.shl', 'i32.or');
    sext(); c.o('i64.add').set('pc').br('cont');
  };
  const link = () => { c.get('rd').get('pc').i64(4).o('i64.add').mem('i64.store'); c.i32(0).i64(0).mem('i64.store'); };
  ops[0x67 >> 2] = () => { // JALR
    c.get('a'); immI(); sext(); c.o('i64.add').i64(-2).o('i64.and').set('t');
    link(); c.get('t').set('pc').br('cont');
  };
  ops[0x6f >> 2] = () => { // JAL
    link();
    c.get('pc')
      .get('inst').i32(31).o('i32.shr_s').i32(20).o('i32.shl')
      .get('inst').i32(-4096).o('i32.and').i32(0xff000).o('i32.and', 'i32.or')
      .get('inst').i32(20).o('i32.shr_u').i32(1).o('i32.and').i32(11).o('i32.shl', 'i32.or')
      .get('inst').i32(21).o('i32.shr_u').i32(1023).o('i32.and').i32(1).o('i32.shl', 'i32.or');
    sext(); c.o('i64.add').set('pc').br('cont');
  };
  ops[0x73 >> 2] = () => halt(1); // ecall

  // ---- the function body
  c.i32(PC_AT).mem('i64.load').set('pc');
  c.block('out', () => c.loop('L', () => {
    c.get('i').get('n').o('i32.ge_u').brIf('out');
    c.get('pc').i64(RAM_BASE).o('i64.sub').set('off');
    c.get('off').i64(RAM_SIZE).o('i64.ge_u').if(() => halt(2));
    c.get('off').o('i32.wrap_i64').mem('i32.load', RAM_OFF).set('inst');
    c.get('inst').i32(4).o('i32.shr_u').i32(0xf8).o('i32.and').set('rd');
    c.get('inst').i32(12).o('i32.shr_u').i32(7).o('i32.and').set('f3');
    c.get('inst').i32(12).o('i32.shr_u').i32(0xf8).o('i32.and').mem('i64.load').set('a');
    c.get('inst').i32(17).o('i32.shr_u').i32(0xf8).o('i32.and').mem('i64.load').set('b');
    c.block('cont', () => {
      c.block('next', () => {
        c.switch(() => c.get('inst').i32(2).o('i32.shr_u').i32(31).o('i32.and'), ops, () => halt(2));
      });
      c.get('pc').i64(4).o('i64.add').set('pc');
    });
    c.get('i').i32(1).o('i32.add').set('i');
    c.br('L');
  }));
  c.i32(PC_AT).get('pc').mem('i64.store');
  c.get('i');

  const counts = names.slice(1).map((n) => (['pc', 'a', 'b', 'off', 't', 'u', 'v', 'w'].includes(n) ? I64 : I32));
  const groups = [];
  for (const t of counts) { if (groups.length && groups[groups.length - 1][1] === t) groups[groups.length - 1][0]++; else groups.push([1, t]); }
  const body = [...uleb(groups.length), ...groups.flatMap(([k, t]) => [...uleb(k), t]), ...c.b, 0x0b];
  const pages = Math.ceil((RAM_OFF + RAM_SIZE) / 65536);
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 1, I32, 1, I32]),
    ...section(3, [1, 0]),
    ...section(5, [1, 0x00, ...uleb(pages)]),
    ...section(7, [2, ...str('run'), 0x00, 0, ...str('mem'), 0x02, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

export const wasmBytes = buildModule();
const wasmModule = new WebAssembly.Module(wasmBytes);

export function createMachine() {
  const { run, mem } = new WebAssembly.Instance(wasmModule, {}).exports;
  const buf = mem.buffer; // never grown
  const ram8 = new Uint8Array(buf, RAM_OFF, RAM_SIZE);
  const regs = new BigInt64Array(buf, 0, 32), pcv = new BigInt64Array(buf, PC_AT, 1), halt = new Int32Array(buf, HALT_AT, 1);
  return {
    name: 'c-wasm',
    reset(image) { ram8.set(image); regs.fill(0n); pcv[0] = BigInt(RAM_BASE); halt[0] = 0; },
    run,
    get halted() { return halt[0]; },
    get pc() { return Number(pcv[0]); },
    reg: (i) => regs[i],
    setReg: (i, v) => { regs[i] = BigInt.asIntN(64, v); },
    ram8,
  };
}
