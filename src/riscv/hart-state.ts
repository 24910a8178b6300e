/**
 * A hart's architectural state as a plain JSON record, for snapshots: saveHartState captures it, and
 * restoreHartState validates a record completely (it is untrusted input) before changing the hart at all.
 *
 * 64-bit values are 16 lowercase-or-uppercase hex digits (two's complement), so nothing is lost to doubles.
 * Not saved: mipHw (driven by the devices, which restore their own lines), misa (a constant), the pending-trap
 * scratch fields, and derived caches (TLB, decode cache, PMP ranges), which restore rebuilds or flushes.
 */
import {
  CSR,
  MEDELEG_WRITABLE,
  MIDELEG_WRITABLE,
  MIP_ALL,
  MIP_SEIP,
  MIP_SSIP,
  MIP_STIP,
  MSTATUS_MPP,
  MSTATUS_WRITABLE,
  PRIV_M,
  PRIV_S,
  PRIV_U,
  SATP_MODE_BARE,
  SATP_MODE_SV39,
  SATP_MODE_SV48,
} from './constants.js';
import type { Hart } from './hart.js';
import { PMP_ENTRIES } from './pmp.js';
import { MENVCFG_STCE_HI } from './sstc.js';

export const HART_STATE_FORMAT = 'typevisor-hart';
/**
 * 2: stimecmp among the CSRs, and menvcfg.STCE (Sstc). Version 1 records (without them) are still read: their
 * hart had no Sstc, so STCE is clear and stimecmp unused (0).
 */
export const HART_STATE_VERSION = 2;

/** The plain-storage CSRs saved by name. */
export const PLAIN_CSRS = [
  'mscratch', 'mepc', 'mcause', 'mtval', 'mtvec',
  'sscratch', 'sepc', 'scause', 'stval', 'stvec',
  'satp', 'menvcfg', 'senvcfg', 'mcountinhibit', 'stimecmp',
] as const;
export type PlainCsrName = (typeof PLAIN_CSRS)[number];

export interface HartState {
  format: typeof HART_STATE_FORMAT;
  version: 1 | typeof HART_STATE_VERSION;
  hartId: number;
  pc: string;
  priv: number;
  x: string[];
  f: string[];
  fflags: number;
  frm: number;
  mstatus: number;
  mipSw: number;
  mie: number;
  medeleg: number;
  mideleg: number;
  mcounteren: number;
  scounteren: number;
  csr: Record<PlainCsrName, string>;
  pmpCfg: number[];
  pmpAddr: string[];
  instret: number;
  counterOffset: number;
  reservation: number;
  waiting: boolean;
  maxSatpMode: number;
}

/** Thrown when a hart state record is invalid; the message names the field. */
export class HartStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HartStateError';
  }
}

function hex64(lo: number, hi: number): string {
  return (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
}

/** A number holding a sign-extended 64-bit value (such as pc) as 16 hex digits. */
function numberToHex64(v: number): string {
  return BigInt.asUintN(64, BigInt(v)).toString(16).padStart(16, '0');
}

export function saveHartState(h: Hart): HartState {
  const x: string[] = [];
  const f: string[] = [];
  for (let i = 0; i < 32; i++) {
    x.push(hex64(h.x[2 * i]!, h.x[2 * i + 1]!));
    f.push(hex64(h.fp.f[2 * i]!, h.fp.f[2 * i + 1]!));
  }
  const csr = {} as Record<PlainCsrName, string>;
  for (const name of PLAIN_CSRS) csr[name] = hex64(h.csr[CSR[name] * 2]!, h.csr[CSR[name] * 2 + 1]!);
  const pmpAddr: string[] = [];
  for (let i = 0; i < PMP_ENTRIES; i++) pmpAddr.push(hex64(h.pmp.addrLo[i]!, h.pmp.addrHi[i]!));
  return {
    format: HART_STATE_FORMAT,
    version: HART_STATE_VERSION,
    hartId: h.hartId,
    pc: numberToHex64(h.pc),
    priv: h.priv,
    x,
    f,
    fflags: h.fp.fflags,
    frm: h.fp.frm,
    mstatus: h.mstatus,
    mipSw: h.mipSw,
    mie: h.mie,
    medeleg: h.medeleg,
    mideleg: h.mideleg,
    mcounteren: h.mcounteren,
    scounteren: h.scounteren,
    csr,
    pmpCfg: Array.from(h.pmp.cfg),
    pmpAddr,
    instret: h.instret,
    counterOffset: h.counterOffset,
    reservation: h.reservation,
    waiting: h.waiting,
    maxSatpMode: h.maxSatpMode,
  };
}

// ---- validation ----

const HEX64 = /^[0-9a-fA-F]{16}$/;
const KEYS = [
  'format', 'version', 'hartId', 'pc', 'priv', 'x', 'f', 'fflags', 'frm', 'mstatus', 'mipSw', 'mie', 'medeleg',
  'mideleg', 'mcounteren', 'scounteren', 'csr', 'pmpCfg', 'pmpAddr', 'instret', 'counterOffset', 'reservation',
  'waiting', 'maxSatpMode',
];

function fail(field: string, why: string): never {
  throw new HartStateError(`hart state: ${field}: ${why}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(obj: Record<string, unknown>, keys: readonly string[], where: string): void {
  for (const k of keys) if (!Object.hasOwn(obj, k)) fail(where ? `${where}.${k}` : k, 'missing');
  for (const k of Object.keys(obj)) if (!keys.includes(k)) fail(where ? `${where}.${k}` : k, 'unknown field');
}

/** A 64-bit hex string as a (lo, hi) pair. */
function pair(v: unknown, field: string): [number, number] {
  if (typeof v !== 'string' || !HEX64.test(v)) fail(field, `expected exactly 16 hex digits, got ${describe(v)}`);
  return [parseInt(v.slice(8), 16) | 0, parseInt(v.slice(0, 8), 16) | 0];
}

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail(field, `expected an integer in ${min}..${max}, got ${describe(v)}`);
  }
  // JSON can spell -0 ("-0"); it is the integer 0 (and must save back as 0).
  return v === 0 ? 0 : v;
}

/** An integer whose set bits all lie within `mask` (a non-negative 32-bit mask). */
function bits(v: unknown, field: string, mask: number): number {
  const n = int(v, field, 0, 0xffffffff);
  if ((n & ~mask) !== 0) fail(field, `bits 0x${((n & ~mask) >>> 0).toString(16)} are not writable (allowed mask 0x${(mask >>> 0).toString(16)})`);
  return n;
}

function hexArray(v: unknown, field: string, length: number): [number, number][] {
  if (!Array.isArray(v) || v.length !== length) fail(field, `expected an array of ${length} hex strings`);
  return v.map((s, i) => pair(s, `${field}[${i}]`));
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return typeof v;
  return s.length > 40 ? s.slice(0, 40) + '…' : s;
}

/**
 * Validates `state` as a record for hart `h` (same hartId) and, only if every field is valid, makes it the
 * hart's state. Throws HartStateError naming the first bad field; the hart is then unchanged.
 */
export function restoreHartState(h: Hart, state: unknown): void {
  if (!isRecord(state)) fail('(record)', `expected an object, got ${describe(state)}`);
  checkKeys(state, KEYS, '');
  if (state['format'] !== HART_STATE_FORMAT) fail('format', `expected "${HART_STATE_FORMAT}", got ${describe(state['format'])}`);
  const version = state['version'];
  if (version !== HART_STATE_VERSION && version !== 1) {
    fail('version', `unsupported version ${describe(version)} (this Typevisor reads 1 and ${HART_STATE_VERSION})`);
  }
  const hartId = int(state['hartId'], 'hartId', 0, 0xffffffff);
  if (hartId !== h.hartId) fail('hartId', `record is for hart ${hartId}, restoring into hart ${h.hartId}`);

  const [pcLo, pcHi] = pair(state['pc'], 'pc');
  const pcBig = BigInt.asIntN(64, (BigInt(pcHi >>> 0) << 32n) | BigInt(pcLo >>> 0));
  const pc = Number(pcBig);
  if (BigInt(pc) !== pcBig) fail('pc', 'not exactly representable (outside ±2^53)');
  if ((pcLo & 1) !== 0) fail('pc', 'odd address');

  const priv = int(state['priv'], 'priv', 0, 3);
  if (priv !== PRIV_U && priv !== PRIV_S && priv !== PRIV_M) fail('priv', `invalid privilege ${priv} (expected 0, 1 or 3)`);

  const x = hexArray(state['x'], 'x', 32);
  if (x[0]![0] !== 0 || x[0]![1] !== 0) fail('x[0]', 'x0 must be zero');
  const f = hexArray(state['f'], 'f', 32);
  const fflags = int(state['fflags'], 'fflags', 0, 31);
  const frm = int(state['frm'], 'frm', 0, 7);

  const mstatus = bits(state['mstatus'], 'mstatus', MSTATUS_WRITABLE);
  if (((mstatus & MSTATUS_MPP) >>> 11) === 2) fail('mstatus', 'MPP = 2 is reserved');
  const mipSw = bits(state['mipSw'], 'mipSw', MIP_SSIP | MIP_STIP | MIP_SEIP);
  const mie = bits(state['mie'], 'mie', MIP_ALL);
  const medeleg = bits(state['medeleg'], 'medeleg', MEDELEG_WRITABLE);
  const mideleg = bits(state['mideleg'], 'mideleg', MIDELEG_WRITABLE);
  const mcounteren = bits(state['mcounteren'], 'mcounteren', 7);
  const scounteren = bits(state['scounteren'], 'scounteren', 7);

  const maxSatpMode = int(state['maxSatpMode'], 'maxSatpMode', 0, 15);
  if (maxSatpMode !== SATP_MODE_SV39 && maxSatpMode !== SATP_MODE_SV48) {
    fail('maxSatpMode', `expected ${SATP_MODE_SV39} (Sv39) or ${SATP_MODE_SV48} (Sv48), got ${maxSatpMode}`);
  }

  const csrIn = state['csr'];
  if (!isRecord(csrIn)) fail('csr', `expected an object, got ${describe(csrIn)}`);
  const csrNames = version === 1 ? PLAIN_CSRS.filter((n) => n !== 'stimecmp') : PLAIN_CSRS;
  checkKeys(csrIn, csrNames, 'csr');
  const csr = new Map<PlainCsrName, [number, number]>();
  for (const name of PLAIN_CSRS) {
    const field = `csr.${name}`;
    const [lo, hi] = name in csrIn ? pair(csrIn[name], field) : [0, 0];
    if ((name === 'mepc' || name === 'sepc') && (lo & 1) !== 0) fail(field, 'bit 0 must be clear');
    if ((name === 'mtvec' || name === 'stvec') && (lo & 2) !== 0) fail(field, 'bit 1 must be clear (mode 2/3 reserved)');
    if (name === 'menvcfg' && ((lo & ~1) !== 0 || (hi & ~MENVCFG_STCE_HI) !== 0)) {
      fail(field, 'only bits 0 (FIOM) and 63 (STCE) are writable');
    }
    if (name === 'senvcfg' && ((lo & ~1) !== 0 || hi !== 0)) fail(field, 'only bit 0 (FIOM) is writable');
    if (name === 'mcountinhibit' && ((lo & 2) !== 0 || hi !== 0)) fail(field, 'only bits 0 and 2..31 are writable');
    if (name === 'satp') {
      const mode = (hi >>> 28) & 0xf;
      if (mode !== SATP_MODE_BARE && mode !== SATP_MODE_SV39 && mode !== SATP_MODE_SV48) {
        fail(field, `MODE ${mode} is not supported (expected 0, 8 or 9)`);
      }
      if (mode > maxSatpMode) fail(field, `MODE ${mode} exceeds maxSatpMode ${maxSatpMode}`);
    }
    csr.set(name, [lo, hi]);
  }

  const stceOn = (csr.get('menvcfg')![1] & MENVCFG_STCE_HI) !== 0;
  if (stceOn && (mipSw & MIP_STIP) !== 0) fail('mipSw', 'STIP is the timer\'s while menvcfg.STCE is set (Sstc)');

  const cfgIn = state['pmpCfg'];
  if (!Array.isArray(cfgIn) || cfgIn.length !== PMP_ENTRIES) fail('pmpCfg', `expected an array of ${PMP_ENTRIES} bytes`);
  const pmpCfg = cfgIn.map((c, i) => {
    const v = bits(c, `pmpCfg[${i}]`, 0x9f);
    if ((v & 3) === 2) fail(`pmpCfg[${i}]`, 'W without R is reserved');
    return v;
  });
  const pmpAddr = hexArray(state['pmpAddr'], 'pmpAddr', PMP_ENTRIES);
  pmpAddr.forEach(([, hi], i) => {
    if ((hi & ~0x3fffff) !== 0) fail(`pmpAddr[${i}]`, 'only bits 53:0 are writable');
  });

  const instret = int(state['instret'], 'instret', 0, Number.MAX_SAFE_INTEGER);
  const counterOffset = state['counterOffset'];
  if (typeof counterOffset !== 'number' || !Number.isInteger(counterOffset) || Math.abs(counterOffset) >= 2 ** 64) {
    fail('counterOffset', `expected an integer below 2^64 in magnitude, got ${describe(counterOffset)}`);
  }
  const reservation = int(state['reservation'], 'reservation', -1, Number.MAX_SAFE_INTEGER);
  const waiting = state['waiting'];
  if (typeof waiting !== 'boolean') fail('waiting', `expected a boolean, got ${describe(waiting)}`);

  // ---- everything is valid: apply ----
  for (let i = 0; i < 32; i++) {
    h.x[2 * i] = x[i]![0];
    h.x[2 * i + 1] = x[i]![1];
    h.fp.f[2 * i] = f[i]![0];
    h.fp.f[2 * i + 1] = f[i]![1];
  }
  h.fp.fflags = fflags;
  h.fp.frm = frm;
  h.pc = pc;
  h.priv = priv;
  h.mstatus = mstatus;
  h.mipSw = mipSw;
  h.mie = mie;
  h.medeleg = medeleg;
  h.mideleg = mideleg;
  h.mcounteren = mcounteren;
  h.scounteren = scounteren;
  h.maxSatpMode = maxSatpMode;
  for (const [name, [lo, hi]] of csr) {
    h.csr[CSR[name] * 2] = lo;
    h.csr[CSR[name] * 2 + 1] = hi;
  }
  // Through the PMP's own writers so its derived ranges are recomputed: addresses first, while no entry is locked.
  h.pmp.reset();
  for (let i = 0; i < PMP_ENTRIES; i++) h.pmp.writeAddr(i, pmpAddr[i]![0], pmpAddr[i]![1]);
  for (const index of [0, 2]) {
    const b = index * 4;
    const c = pmpCfg;
    const lo = c[b]! | (c[b + 1]! << 8) | (c[b + 2]! << 16) | (c[b + 3]! << 24);
    const hi = c[b + 4]! | (c[b + 5]! << 8) | (c[b + 6]! << 16) | (c[b + 7]! << 24);
    h.pmp.writeCfg(index, lo, hi);
  }
  h.instret = instret;
  h.counterOffset = counterOffset === 0 ? 0 : counterOffset; // -0 (JSON "-0") is 0
  h.reservation = reservation;
  h.waiting = waiting;
  h.updateTlbContext();
  h.tlb.flushAll();
  h.decode.clear();
}
