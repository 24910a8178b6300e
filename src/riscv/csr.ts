/**
 * The control and status registers: reads and writes with the side effects and WARL rules of the privileged
 * spec. Access checks by privilege and read-only-ness are done here too, so the interpreter only asks "may I"
 * and "do it".
 */
import {
  CSR,
  MEDELEG_WRITABLE,
  MIDELEG_WRITABLE,
  MIP_ALL,
  MIP_SEIP,
  MIP_SSIP,
  MIP_STIP,
  MISA_HI,
  MSTATUS_FS,
  MSTATUS_HI_XL,
  MSTATUS_MPP,
  MSTATUS_MXR,
  MSTATUS_TVM,
  MSTATUS_WRITABLE,
  PRIV_M,
  PRIV_S,
  PRIV_U,
  SATP_MODE_BARE,
  SATP_MODE_SV39,
  SATP_MODE_SV48,
  SSTATUS_HI_XL,
  SSTATUS_MASK,
} from './constants.js';
import type { Hart } from './hart.js';
import { numberHi } from './pairs.js';
import { MENVCFG_STCE_HI, stce, updateSupervisorTimer } from './sstc.js';

/** Plain CSRs: storage only, any value (mask applied by `plainMask`). */
const PLAIN = new Set<number>([
  CSR.sscratch, CSR.sepc, CSR.scause, CSR.stval, CSR.stvec,
  CSR.mscratch, CSR.mepc, CSR.mcause, CSR.mtval, CSR.mtvec,
  CSR.menvcfg, CSR.senvcfg, CSR.mcountinhibit,
]);

function fsOff(h: Hart): boolean {
  return (h.mstatus & MSTATUS_FS) === 0;
}

/** The SD bit (63): set when FS is dirty. */
function sdBit(h: Hart): number {
  return (h.mstatus & MSTATUS_FS) === MSTATUS_FS ? 0x8000_0000 | 0 : 0;
}

/** Whether counter `index` (0 = cycle, 1 = time, 2 = instret, 3.. = hpm) is readable at the current privilege. */
function counterAllowed(h: Hart, index: number): boolean {
  if (h.priv === PRIV_M) return true;
  if (((h.mcounteren >>> index) & 1) === 0) return false;
  if (h.priv === PRIV_U && ((h.scounteren >>> index) & 1) === 0) return false;
  return true;
}

function setNumber(out: Int32Array, v: number): void {
  out[0] = v | 0;
  out[1] = numberHi(v);
}

/**
 * Reads CSR `num` into out[0..1]. Returns false when the CSR does not exist or is not accessible at the current
 * privilege (the instruction is then illegal).
 */
export function csrRead(h: Hart, num: number, out: Int32Array): boolean {
  if (((num >>> 8) & 3) > h.priv) return false;
  if (PLAIN.has(num)) {
    out[0] = h.csr[num * 2]!;
    out[1] = h.csr[num * 2 + 1]!;
    return true;
  }
  switch (num) {
    case CSR.fflags:
      if (fsOff(h)) return false;
      out[0] = h.fp.fflags & 0x1f;
      out[1] = 0;
      return true;
    case CSR.frm:
      if (fsOff(h)) return false;
      out[0] = h.fp.frm & 7;
      out[1] = 0;
      return true;
    case CSR.fcsr:
      if (fsOff(h)) return false;
      out[0] = ((h.fp.frm & 7) << 5) | (h.fp.fflags & 0x1f);
      out[1] = 0;
      return true;
    case CSR.cycle:
    case CSR.instret:
      if (!counterAllowed(h, num - CSR.cycle)) return false;
      setNumber(out, h.instret + h.counterOffset);
      return true;
    case CSR.time:
      if (!counterAllowed(h, 1)) return false;
      setNumber(out, h.platform.readTime());
      return true;
    case CSR.mcycle:
    case CSR.minstret:
      setNumber(out, h.instret + h.counterOffset);
      return true;
    case CSR.sstatus:
      out[0] = h.mstatus & SSTATUS_MASK;
      out[1] = SSTATUS_HI_XL | sdBit(h);
      return true;
    case CSR.sie:
      out[0] = h.mie & h.mideleg;
      out[1] = 0;
      return true;
    case CSR.sip:
      out[0] = (h.mipHw | h.mipSw) & h.mideleg;
      out[1] = 0;
      return true;
    case CSR.scounteren:
      out[0] = h.scounteren;
      out[1] = 0;
      return true;
    case CSR.satp:
      if (h.priv === PRIV_S && (h.mstatus & MSTATUS_TVM) !== 0) return false;
      out[0] = h.csr[num * 2]!;
      out[1] = h.csr[num * 2 + 1]!;
      return true;
    case CSR.stimecmp:
      if (!stimecmpAllowed(h)) return false;
      out[0] = h.csr[num * 2]!;
      out[1] = h.csr[num * 2 + 1]!;
      return true;
    case CSR.mvendorid:
    case CSR.marchid:
    case CSR.mimpid:
    case CSR.mconfigptr:
      out[0] = 0;
      out[1] = 0;
      return true;
    case CSR.mhartid:
      out[0] = h.hartId;
      out[1] = 0;
      return true;
    case CSR.mstatus:
      out[0] = h.mstatus;
      out[1] = MSTATUS_HI_XL | sdBit(h);
      return true;
    case CSR.misa:
      out[0] = h.misa;
      out[1] = MISA_HI;
      return true;
    case CSR.medeleg:
      out[0] = h.medeleg;
      out[1] = 0;
      return true;
    case CSR.mideleg:
      out[0] = h.mideleg;
      out[1] = 0;
      return true;
    case CSR.mie:
      out[0] = h.mie;
      out[1] = 0;
      return true;
    case CSR.mip:
      out[0] = h.mipHw | h.mipSw;
      out[1] = 0;
      return true;
    case CSR.mcounteren:
      out[0] = h.mcounteren;
      out[1] = 0;
      return true;
    case CSR.pmpcfg0:
    case CSR.pmpcfg0 + 2:
      h.pmp.readCfg(num - CSR.pmpcfg0, out);
      return true;
  }
  if (num >= CSR.pmpaddr0 && num < CSR.pmpaddr0 + 16) {
    out[0] = h.pmp.addrLo[num - CSR.pmpaddr0]!;
    out[1] = h.pmp.addrHi[num - CSR.pmpaddr0]!;
    return true;
  }
  // Unimplemented PMP entries 16..63, hardware performance counters and their events read as zero.
  if ((num >= CSR.pmpaddr0 + 16 && num < CSR.pmpaddr0 + 64) || isHpm(num)) {
    if (num >= 0xc03 && num <= 0xc1f && !counterAllowed(h, num - 0xc00)) return false;
    out[0] = 0;
    out[1] = 0;
    return true;
  }
  return false;
}

/** Sstc: below M-mode, stimecmp needs menvcfg.STCE and mcounteren.TM. */
function stimecmpAllowed(h: Hart): boolean {
  return h.priv === PRIV_M || (stce(h) && (h.mcounteren & 2) !== 0);
}

/** mhpmcounter3..31, hpmcounter3..31, mhpmevent3..31. */
function isHpm(num: number): boolean {
  return (num >= 0xb03 && num <= 0xb1f) || (num >= 0xc03 && num <= 0xc1f) || (num >= 0x323 && num <= 0x33f);
}

/** True when CSR `num` is read-only by its number (bits 11:10 = 3). */
export function csrReadOnly(num: number): boolean {
  return (num >>> 10) === 3;
}

/**
 * Writes (lo, hi) to CSR `num`, applying WARL rules and side effects. Returns false when the write is illegal.
 * The caller has already read the CSR (so existence and privilege were checked) unless it is CSRRW with rd=x0.
 */
export function csrWrite(h: Hart, num: number, lo: number, hi: number): boolean {
  if (((num >>> 8) & 3) > h.priv || csrReadOnly(num)) return false;
  if (PLAIN.has(num)) {
    let l = lo;
    let u = hi;
    if (num === CSR.mepc || num === CSR.sepc) l &= ~1;
    else if (num === CSR.mtvec || num === CSR.stvec) l &= ~2;
    else if (num === CSR.menvcfg || num === CSR.senvcfg) {
      // FIOM; and menvcfg.STCE (Sstc).
      l &= 1;
      u = num === CSR.menvcfg ? u & MENVCFG_STCE_HI : 0;
    } else if (num === CSR.mcountinhibit) {
      l &= ~2;
      u = 0;
    }
    const stceBefore = num === CSR.menvcfg && stce(h);
    h.csr[num * 2] = l;
    h.csr[num * 2 + 1] = u;
    if (num === CSR.menvcfg && stce(h) !== stceBefore) {
      // STIP changes hands: the timer drives it while STCE is set, M-mode software while it is clear.
      h.mipSw &= ~MIP_STIP;
      h.mipHw &= ~MIP_STIP;
      updateSupervisorTimer(h);
    }
    return true;
  }
  switch (num) {
    case CSR.fflags:
      if (fsOff(h)) return false;
      h.fp.fflags = lo & 0x1f;
      h.mstatus |= MSTATUS_FS;
      return true;
    case CSR.frm:
      if (fsOff(h)) return false;
      h.fp.frm = lo & 7;
      h.mstatus |= MSTATUS_FS;
      return true;
    case CSR.fcsr:
      if (fsOff(h)) return false;
      h.fp.fflags = lo & 0x1f;
      h.fp.frm = (lo >>> 5) & 7;
      h.mstatus |= MSTATUS_FS;
      return true;
    case CSR.sstatus:
      writeMstatus(h, (h.mstatus & ~SSTATUS_MASK) | (lo & SSTATUS_MASK));
      return true;
    case CSR.sie:
      h.mie = (h.mie & ~h.mideleg) | (lo & h.mideleg);
      return true;
    case CSR.sip: {
      const mask = MIP_SSIP & h.mideleg;
      h.mipSw = (h.mipSw & ~mask) | (lo & mask);
      return true;
    }
    case CSR.scounteren:
      h.scounteren = lo & 0x7;
      return true;
    case CSR.stimecmp:
      if (!stimecmpAllowed(h)) return false;
      h.csr[num * 2] = lo;
      h.csr[num * 2 + 1] = hi;
      updateSupervisorTimer(h);
      return true;
    case CSR.satp: {
      if (h.priv === PRIV_S && (h.mstatus & MSTATUS_TVM) !== 0) return false;
      const mode = (hi >>> 28) & 0xf;
      // Unsupported modes leave satp unchanged (WARL): Linux probes Sv57 and Sv48 this way.
      if (mode !== SATP_MODE_BARE && mode !== SATP_MODE_SV39 && mode !== SATP_MODE_SV48) return true;
      if (mode > h.maxSatpMode) return true;
      // 16 ASID bits (bits 59:44), as QEMU has, so Linux switches address spaces without SFENCE.VMA. The TLB
      // does not tag entries with ASIDs: a write drops every translation that is not global (all of them when
      // the mode changes), which the spec allows (a TLB may forget entries at any time).
      const oldMode = (h.csr[num * 2 + 1]! >>> 28) & 0xf;
      h.csr[num * 2] = lo;
      h.csr[num * 2 + 1] = hi;
      if (mode !== oldMode) h.tlb.flushTranslated();
      else h.tlb.flushNonGlobal();
      h.updateTlbContext();
      return true;
    }
    case CSR.mstatus:
      writeMstatus(h, lo);
      return true;
    case CSR.misa:
      return true;
    case CSR.medeleg:
      h.medeleg = lo & MEDELEG_WRITABLE;
      return true;
    case CSR.mideleg:
      h.mideleg = lo & MIDELEG_WRITABLE;
      return true;
    case CSR.mie:
      h.mie = lo & MIP_ALL;
      return true;
    case CSR.mip: {
      // With Sstc on, STIP is the timer's (read-only here).
      const mask = MIP_SSIP | (stce(h) ? 0 : MIP_STIP) | MIP_SEIP;
      h.mipSw = (h.mipSw & ~mask) | (lo & mask);
      return true;
    }
    case CSR.mcounteren:
      h.mcounteren = lo & 0x7;
      return true;
    case CSR.mcycle:
    case CSR.minstret:
      h.counterOffset = (hi >>> 0) * 4294967296 + (lo >>> 0) - h.instret;
      return true;
    case CSR.pmpcfg0:
    case CSR.pmpcfg0 + 2:
      h.pmp.writeCfg(num - CSR.pmpcfg0, lo, hi);
      h.tlb.flushAll();
      return true;
  }
  if (num >= CSR.pmpaddr0 && num < CSR.pmpaddr0 + 16) {
    h.pmp.writeAddr(num - CSR.pmpaddr0, lo, hi);
    h.tlb.flushAll();
    return true;
  }
  if ((num >= CSR.pmpaddr0 + 16 && num < CSR.pmpaddr0 + 64) || isHpm(num)) return true;
  return false;
}

function writeMstatus(h: Hart, value: number): void {
  const old = h.mstatus;
  let v = (old & ~MSTATUS_WRITABLE) | (value & MSTATUS_WRITABLE);
  // MPP is WARL: 2 (reserved) keeps the old value.
  if (((v & MSTATUS_MPP) >>> 11) === 2) v = (v & ~MSTATUS_MPP) | (old & MSTATUS_MPP);
  h.mstatus = v;
  if (((old ^ v) & MSTATUS_MXR) !== 0) h.tlb.flushAll();
  h.updateTlbContext();
}

