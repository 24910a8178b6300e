/**
 * A small WebAssembly bytecode writer: function bodies as bytes (with structured control and named labels) and
 * the module around them. Only what the translator emits is here.
 */

export const I32 = 0x7f;
export const I64 = 0x7e;
export const F64 = 0x7c;

/** Opcodes by their text-format names. */
export const OP = {
  unreachable: 0x00,
  return: 0x0f,
  drop: 0x1a,
  select: 0x1b,
  'i32.eqz': 0x45,
  'i32.eq': 0x46,
  'i32.ne': 0x47,
  'i32.lt_s': 0x48,
  'i32.lt_u': 0x49,
  'i32.ge_s': 0x4e,
  'i32.gt_s': 0x4a,
  'i32.le_s': 0x4c,
  'i32.ge_u': 0x4f,
  'i32.gt_u': 0x4b,
  'i64.eqz': 0x50,
  'i64.eq': 0x51,
  'i64.ne': 0x52,
  'i64.lt_s': 0x53,
  'i64.lt_u': 0x54,
  'i64.gt_s': 0x55,
  'i64.gt_u': 0x56,
  'i64.ge_s': 0x59,
  'i64.ge_u': 0x5a,
  'f64.eq': 0x61,
  'f64.ne': 0x62,
  'i32.add': 0x6a,
  'i32.sub': 0x6b,
  'i32.mul': 0x6c,
  'i32.div_s': 0x6d,
  'i32.div_u': 0x6e,
  'i32.rem_s': 0x6f,
  'i32.rem_u': 0x70,
  'i32.and': 0x71,
  'i32.or': 0x72,
  'i32.xor': 0x73,
  'i32.shl': 0x74,
  'i32.shr_s': 0x75,
  'i32.shr_u': 0x76,
  'i64.add': 0x7c,
  'i64.sub': 0x7d,
  'i64.mul': 0x7e,
  'i64.div_s': 0x7f,
  'i64.div_u': 0x80,
  'i64.rem_s': 0x81,
  'i64.rem_u': 0x82,
  'i64.and': 0x83,
  'i64.or': 0x84,
  'i64.xor': 0x85,
  'i64.shl': 0x86,
  'i64.shr_s': 0x87,
  'i64.shr_u': 0x88,
  'f64.floor': 0x9c,
  'f64.add': 0xa0,
  'f64.sub': 0xa1,
  'f64.mul': 0xa2,
  'i32.wrap_i64': 0xa7,
  'i64.extend_i32_s': 0xac,
  'i64.extend_i32_u': 0xad,
  'f64.convert_i32_s': 0xb7,
  'f64.convert_i32_u': 0xb8,
  'f64.convert_i64_s': 0xb9,
} as const;
export type OpName = keyof typeof OP;

/** Memory access opcodes and their natural alignment (log2). */
export const MEM = {
  'i32.load': [0x28, 2],
  'i64.load': [0x29, 3],
  'f64.load': [0x2b, 3],
  'i32.load8_u': [0x2d, 0],
  'i32.load16_u': [0x2f, 1],
  'i64.load8_s': [0x30, 0],
  'i64.load8_u': [0x31, 0],
  'i64.load16_s': [0x32, 1],
  'i64.load16_u': [0x33, 1],
  'i64.load32_s': [0x34, 2],
  'i64.load32_u': [0x35, 2],
  'i32.store': [0x36, 2],
  'i64.store': [0x37, 3],
  'f64.store': [0x39, 3],
  'i64.store8': [0x3c, 0],
  'i64.store16': [0x3d, 1],
  'i64.store32': [0x3e, 2],
} as const;
export type MemName = keyof typeof MEM;

/**
 * Atomic memory instructions (threads proposal, prefix 0xFE) and their natural alignment (log2), which atomics
 * require exactly. `rmw.<op>` for i32 is the opcode, for i64 the opcode + 1.
 */
export const ATOMIC = {
  'i32.atomic.load': [0x10, 2],
  'i64.atomic.load': [0x11, 3],
  'i32.atomic.rmw.add': [0x1e, 2],
  'i64.atomic.rmw.add': [0x1f, 3],
  'i32.atomic.rmw.and': [0x2c, 2],
  'i64.atomic.rmw.and': [0x2d, 3],
  'i32.atomic.rmw.or': [0x33, 2],
  'i64.atomic.rmw.or': [0x34, 3],
  'i32.atomic.rmw.xor': [0x3a, 2],
  'i64.atomic.rmw.xor': [0x3b, 3],
  'i32.atomic.rmw.xchg': [0x41, 2],
  'i64.atomic.rmw.xchg': [0x42, 3],
  'i32.atomic.rmw.cmpxchg': [0x48, 2],
  'i64.atomic.rmw.cmpxchg': [0x49, 3],
} as const;
export type AtomicName = keyof typeof ATOMIC;

/**
 * The tables as Maps for the writer: looking the names up in the objects (one keyed load site for every name)
 * was ~14% of generating a block's code; Maps made that ~20% faster (code generation is most of the cost of
 * compiling a block during boot).
 */
const OP_CODES = new Map<string, number>(Object.entries(OP));
const MEM_CODES = new Map<string, readonly [number, number]>(Object.entries(MEM));

/** A growable byte buffer. */
export class Bytes {
  buf: Uint8Array;
  len = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  push(b: number): void {
    if (this.len === this.buf.length) this.grow(1);
    this.buf[this.len++] = b;
  }
  /**
   * Room for `n` more bytes, and the buffer to write them to at `len`. The writers of the hot instructions
   * (Code's get, set, op, mem, constants) write their bytes at once after one check instead of a push (a call
   * and a check) per byte: the code generator runs unoptimized for much of a boot, where calls cost most.
   */
  protected room(n: number): Uint8Array {
    if (this.len + n > this.buf.length) this.grow(n);
    return this.buf;
  }
  append(other: Bytes): void {
    if (this.len + other.len > this.buf.length) this.grow(other.len);
    this.buf.set(other.buf.subarray(0, other.len), this.len);
    this.len += other.len;
  }
  private grow(extra: number): void {
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + extra));
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

export function uleb(out: Bytes, n: number): void {
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

/** Signed LEB128 of a 64-bit value given as a number (exact integer, wrapped to 64 bits) or a bigint. */
export function sleb(out: Bytes, value: bigint): void {
  let v = value;
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** Signed LEB128 of a safe integer (|v| < 2^53, so within 64 bits), without BigInt. */
function slebSafe(out: Bytes, value: number): void {
  let v = value;
  for (;;) {
    const q = Math.floor(v / 128);
    const b = v - q * 128;
    v = q;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

const f64Bytes = new Float64Array(1);
const f64U8 = new Uint8Array(f64Bytes.buffer);

/** One function body under construction. */
export class Code extends Bytes {
  private readonly labels: (string | null)[] = [];

  op(a: OpName, b?: OpName, c?: OpName): this {
    const buf = this.room(3);
    buf[this.len++] = OP_CODES.get(a)!;
    if (b !== undefined) buf[this.len++] = OP_CODES.get(b)!;
    if (c !== undefined) buf[this.len++] = OP_CODES.get(c)!;
    return this;
  }
  mem(name: MemName, offset = 0): this {
    const codes = MEM_CODES.get(name)!;
    const buf = this.room(7);
    buf[this.len++] = codes[0];
    buf[this.len++] = codes[1];
    this.uleb32(buf, offset);
    return this;
  }
  /** An opcode and its unsigned LEB128 index (< 2^32), after one capacity check. */
  private indexed(op: number, index: number): this {
    const buf = this.room(6);
    buf[this.len++] = op;
    if (index < 0x80) buf[this.len++] = index;
    else this.uleb32(buf, index);
    return this;
  }
  /** Unsigned LEB128 of `n` (0 <= n < 2^32) into `buf`, which has room for 5 bytes at `len`. */
  private uleb32(buf: Uint8Array, n: number): void {
    let v = n >>> 0;
    while (v >= 0x80) {
      buf[this.len++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.len++] = v;
  }
  /** An atomic access (naturally aligned, else it traps: callers check alignment first). */
  atomic(name: AtomicName, offset = 0): this {
    const [code, align] = ATOMIC[name];
    this.push(0xfe);
    this.push(code);
    this.push(align);
    uleb(this, offset);
    return this;
  }
  /** atomic.fence: orders every memory access before it against every one after it (x86: mfence). */
  atomicFence(): this {
    this.push(0xfe);
    this.push(0x03);
    this.push(0x00);
    return this;
  }
  get(local: number): this {
    return this.indexed(0x20, local);
  }
  set(local: number): this {
    return this.indexed(0x21, local);
  }
  tee(local: number): this {
    return this.indexed(0x22, local);
  }
  i32(v: number): this {
    const buf = this.room(6);
    buf[this.len++] = 0x41;
    this.sleb32(buf, v);
    return this;
  }
  /** Signed LEB128 of the int32 `value` into `buf`, which has room for 5 bytes at `len`. */
  private sleb32(buf: Uint8Array, value: number): void {
    let v = value | 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        buf[this.len++] = b;
        return;
      }
      buf[this.len++] = b | 0x80;
    }
  }
  i64(v: bigint | number): this {
    if (typeof v === 'number' && v >= -0x8000_0000 && v <= 0x7fff_ffff) {
      const buf = this.room(6);
      buf[this.len++] = 0x42;
      this.sleb32(buf, v);
      return this;
    }
    this.push(0x42);
    if (typeof v === 'number' && Number.isSafeInteger(v)) slebSafe(this, v);
    else sleb(this, BigInt.asIntN(64, typeof v === 'bigint' ? v : BigInt(v)));
    return this;
  }
  f64(v: number): this {
    const buf = this.room(9);
    buf[this.len++] = 0x44;
    f64Bytes[0] = v;
    buf.set(f64U8, this.len);
    this.len += 8;
    return this;
  }
  private scope(op: number, name: string | null, body: () => void, els?: () => void, type = 0x40): this {
    const buf = this.room(2);
    buf[this.len++] = op;
    buf[this.len++] = type;
    this.labels.push(name);
    body();
    if (els !== undefined) {
      this.push(0x05);
      els();
    }
    this.labels.pop();
    this.push(0x0b);
    return this;
  }
  block(name: string, body: () => void): this {
    return this.scope(0x02, name, body);
  }
  loop(name: string, body: () => void): this {
    return this.scope(0x03, name, body);
  }
  if(body: () => void, els?: () => void): this {
    return this.scope(0x04, null, body, els);
  }
  /** An if whose arms each leave one value of `type` (I32, I64...) on the stack, or branch away. */
  ifValue(type: number, body: () => void, els: () => void): this {
    return this.scope(0x04, null, body, els, type);
  }
  /** How many blocks out the label `name` is from here (br_table's targets are depths). */
  depth(name: string): number {
    const i = this.labels.lastIndexOf(name);
    if (i < 0) throw new Error(`no label ${name}`);
    return this.labels.length - 1 - i;
  }
  br(name: string): this {
    return this.indexed(0x0c, this.depth(name));
  }
  brIf(name: string): this {
    return this.indexed(0x0d, this.depth(name));
  }
  /** An unnamed block (for br_table ladders: targets are given as depths). */
  rawBlock(body: () => void): this {
    return this.scope(0x02, null, body);
  }
  /** br_table: branch to the depth at index (top of stack), or to `otherwise` when out of range. */
  brTable(depths: readonly number[], otherwise: number): this {
    this.push(0x0e);
    uleb(this, depths.length);
    for (const d of depths) uleb(this, d);
    uleb(this, otherwise);
    return this;
  }
  /** i64.trunc_sat_f64_s: f64 to i64, saturating instead of trapping. */
  truncSatF64S(): this {
    this.push(0xfc);
    this.push(0x06);
    return this;
  }
  /** return_call_indirect (tail call) through table 0 to a function of type `type`. */
  returnCallIndirect(type: number): this {
    this.push(0x13);
    uleb(this, type);
    this.push(0x00);
    return this;
  }
  callIndirect(type: number): this {
    this.push(0x11);
    uleb(this, type);
    this.push(0x00);
    return this;
  }
  /** A direct call of function `index` (imported functions come first). */
  call(index: number): this {
    return this.indexed(0x10, index);
  }
}

function section(out: Bytes, id: number, content: Bytes): void {
  out.push(id);
  uleb(out, content.len);
  out.append(content);
}

function name(out: Bytes, s: string): void {
  uleb(out, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}

export interface FunctionDef {
  /** Index into the module's types. */
  readonly type: number;
  /** Local declarations beyond the parameters: [count, valtype] runs. */
  readonly locals: readonly (readonly [number, number])[];
  readonly code: Code;
}

export interface ModuleDef {
  /** Function types: [params, results]. */
  readonly types: readonly (readonly [readonly number[], readonly number[]])[];
  /**
   * Import memory "e"."m" with this many pages (min = max), or any memory when undefined (min 0, and for a
   * shared one max 65536): then one compiled module serves memories of every size.
   */
  readonly memoryPages: number | undefined;
  /** The memory is shared (worker threads): the import must say so, or instantiation fails. */
  readonly sharedMemory?: boolean;
  /** Import table "e"."t" (funcref) with at least this many entries, or undefined for none. */
  readonly tableMin?: number;
  /** Functions imported from "e" under these names, with these type indices: function indices 0, 1, ... */
  readonly importFunctions?: readonly { readonly name: string; readonly type: number }[];
  /** Exported as "f0", "f1", ... (their function indices follow the imported ones). */
  readonly functions: readonly FunctionDef[];
}

/** Whether `memory` is shared between threads (a module importing it must declare it shared). */
export function isShared(memory: WebAssembly.Memory): boolean {
  return (memory.buffer as unknown) instanceof SharedArrayBuffer;
}

/** The bytes of a module importing memory (and maybe a table) and exporting its functions as f0, f1, ... */
export function moduleBytes(def: ModuleDef): Uint8Array {
  const out = new Bytes(1024);
  for (const b of [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]) out.push(b);
  const types = new Bytes();
  uleb(types, def.types.length);
  for (const [params, results] of def.types) {
    types.push(0x60);
    uleb(types, params.length);
    for (const p of params) types.push(p);
    uleb(types, results.length);
    for (const r of results) types.push(r);
  }
  section(out, 1, types);
  const imports = new Bytes();
  const importFunctions = def.importFunctions ?? [];
  uleb(imports, (def.tableMin !== undefined ? 2 : 1) + importFunctions.length);
  name(imports, 'e');
  name(imports, 'm');
  imports.push(0x02);
  if (def.memoryPages === undefined) {
    imports.push(def.sharedMemory === true ? 0x03 : 0x00);
    uleb(imports, 0);
    if (def.sharedMemory === true) uleb(imports, 65536);
  } else {
    imports.push(def.sharedMemory === true ? 0x03 : 0x01);
    uleb(imports, def.memoryPages);
    uleb(imports, def.memoryPages);
  }
  if (def.tableMin !== undefined) {
    name(imports, 'e');
    name(imports, 't');
    imports.push(0x01);
    imports.push(0x70);
    imports.push(0x00);
    uleb(imports, def.tableMin);
  }
  for (const f of importFunctions) {
    name(imports, 'e');
    name(imports, f.name);
    imports.push(0x00);
    uleb(imports, f.type);
  }
  section(out, 2, imports);
  const funcs = new Bytes();
  uleb(funcs, def.functions.length);
  for (const f of def.functions) uleb(funcs, f.type);
  section(out, 3, funcs);
  const exports = new Bytes();
  uleb(exports, def.functions.length);
  def.functions.forEach((_, i) => {
    name(exports, `f${i}`);
    exports.push(0x00);
    uleb(exports, importFunctions.length + i);
  });
  section(out, 7, exports);
  // Sized for the functions' code up front (each doubling of a buffer copies it).
  let size = 16;
  let largest = 0;
  for (const f of def.functions) {
    const bytes = f.code.len + 16 + 6 * f.locals.length;
    size += bytes;
    largest = Math.max(largest, bytes);
  }
  const code = new Bytes(size);
  uleb(code, def.functions.length);
  const body = new Bytes(largest);
  for (const f of def.functions) {
    body.len = 0;
    uleb(body, f.locals.length);
    for (const [count, type] of f.locals) {
      uleb(body, count);
      body.push(type);
    }
    body.append(f.code);
    body.push(0x0b);
    uleb(code, body.len);
    code.append(body);
  }
  section(out, 10, code);
  return out.bytes();
}
