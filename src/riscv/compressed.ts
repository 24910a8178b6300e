/**
 * The C extension (RV64C): every 16-bit instruction expands to one 32-bit instruction with the same effect
 * (unprivileged spec, chapter 16). The expansion of all 65,536 parcels is kept in a table (stored precomputed,
 * see compressedTable), so the interpreter decodes a compressed instruction with a single lookup. Reserved and illegal encodings expand to 0,
 * which is itself an illegal instruction.
 */
import { readFileSync } from 'node:fs';
import { COMPRESSED_TABLE } from './compressed-table.js';
import { lazyZlib } from '../lib/lazy-zlib.js';

const OP_LOAD = 0x03;
const OP_LOAD_FP = 0x07;
const OP_IMM = 0x13;
const OP_IMM_32 = 0x1b;
const OP_STORE = 0x23;
const OP_STORE_FP = 0x27;
const OP = 0x33;
const OP_LUI = 0x37;
const OP_32 = 0x3b;
const OP_BRANCH = 0x63;
const OP_JALR = 0x67;
const OP_JAL = 0x6f;

function iType(op: number, rd: number, f3: number, rs1: number, imm: number): number {
  return ((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}
function sType(op: number, f3: number, rs1: number, rs2: number, imm: number): number {
  return (((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | op;
}
function rType(op: number, rd: number, f3: number, rs1: number, rs2: number, f7: number): number {
  return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}
function bType(f3: number, rs1: number, rs2: number, imm: number): number {
  return (
    (((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | OP_BRANCH
  );
}
function jType(rd: number, imm: number): number {
  return (
    (((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) |
    (((imm >> 12) & 0xff) << 12) | (rd << 7) | OP_JAL
  );
}

function bit(v: number, i: number): number {
  return (v >>> i) & 1;
}
function bits(v: number, hi: number, lo: number): number {
  return (v >>> lo) & ((1 << (hi - lo + 1)) - 1);
}
/** Sign-extends the low `n` bits. */
function sext(v: number, n: number): number {
  return (v << (32 - n)) >> (32 - n);
}

/** Expands one 16-bit parcel (its low two bits are not 11) into the equivalent 32-bit instruction, or 0. */
export function expandCompressed(c: number): number {
  const op = c & 3;
  const f3 = c >>> 13;
  const rdp = bits(c, 4, 2) + 8;
  const rs1p = bits(c, 9, 7) + 8;
  const rd = bits(c, 11, 7);
  const rs2 = bits(c, 6, 2);
  if (op === 0) {
    // Offsets of the register-based loads and stores.
    const ldOff = (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6);
    const lwOff = (bits(c, 12, 10) << 3) | (bit(c, 6) << 2) | (bit(c, 5) << 6);
    switch (f3) {
      case 0: {
        const imm = (bits(c, 12, 11) << 4) | (bits(c, 10, 7) << 6) | (bit(c, 6) << 2) | (bit(c, 5) << 3);
        return imm === 0 ? 0 : iType(OP_IMM, rdp, 0, 2, imm); // c.addi4spn
      }
      case 1:
        return iType(OP_LOAD_FP, rdp, 3, rs1p, ldOff); // c.fld
      case 2:
        return iType(OP_LOAD, rdp, 2, rs1p, lwOff); // c.lw
      case 3:
        return iType(OP_LOAD, rdp, 3, rs1p, ldOff); // c.ld
      case 5:
        return sType(OP_STORE_FP, 3, rs1p, rdp, ldOff); // c.fsd
      case 6:
        return sType(OP_STORE, 2, rs1p, rdp, lwOff); // c.sw
      case 7:
        return sType(OP_STORE, 3, rs1p, rdp, ldOff); // c.sd
      default:
        return 0;
    }
  }
  if (op === 1) {
    const imm6 = sext((bit(c, 12) << 5) | rs2, 6);
    switch (f3) {
      case 0:
        return iType(OP_IMM, rd, 0, rd, imm6); // c.addi, c.nop
      case 1:
        return rd === 0 ? 0 : iType(OP_IMM_32, rd, 0, rd, imm6); // c.addiw
      case 2:
        return iType(OP_IMM, rd, 0, 0, imm6); // c.li
      case 3: {
        if (rd === 2) {
          const imm = sext(
            (bit(c, 12) << 9) | (bit(c, 6) << 4) | (bit(c, 5) << 6) | (bits(c, 4, 3) << 7) | (bit(c, 2) << 5),
            10,
          );
          return imm === 0 ? 0 : iType(OP_IMM, 2, 0, 2, imm); // c.addi16sp
        }
        if (imm6 === 0) return 0;
        return ((imm6 << 12) & 0xfffff000) | (rd << 7) | OP_LUI; // c.lui
      }
      case 4: {
        const sel = bits(c, 11, 10);
        const shamt = (bit(c, 12) << 5) | rs2;
        if (sel === 0) return iType(OP_IMM, rs1p, 5, rs1p, shamt); // c.srli
        if (sel === 1) return iType(OP_IMM, rs1p, 5, rs1p, shamt | 0x400); // c.srai
        if (sel === 2) return iType(OP_IMM, rs1p, 7, rs1p, imm6); // c.andi
        const rs2p = bits(c, 4, 2) + 8;
        const fn = bits(c, 6, 5);
        if (bit(c, 12) === 0) {
          if (fn === 0) return rType(OP, rs1p, 0, rs1p, rs2p, 0x20); // c.sub
          if (fn === 1) return rType(OP, rs1p, 4, rs1p, rs2p, 0); // c.xor
          if (fn === 2) return rType(OP, rs1p, 6, rs1p, rs2p, 0); // c.or
          return rType(OP, rs1p, 7, rs1p, rs2p, 0); // c.and
        }
        if (fn === 0) return rType(OP_32, rs1p, 0, rs1p, rs2p, 0x20); // c.subw
        if (fn === 1) return rType(OP_32, rs1p, 0, rs1p, rs2p, 0); // c.addw
        return 0;
      }
      case 5: {
        const imm = sext(
          (bit(c, 12) << 11) | (bit(c, 11) << 4) | (bits(c, 10, 9) << 8) | (bit(c, 8) << 10) | (bit(c, 7) << 6) |
            (bit(c, 6) << 7) | (bits(c, 5, 3) << 1) | (bit(c, 2) << 5),
          12,
        );
        return jType(0, imm); // c.j
      }
      default: {
        const imm = sext(
          (bit(c, 12) << 8) | (bits(c, 11, 10) << 3) | (bits(c, 6, 5) << 6) | (bits(c, 4, 3) << 1) | (bit(c, 2) << 5),
          9,
        );
        return bType(f3 === 6 ? 0 : 1, rs1p, 0, imm); // c.beqz, c.bnez
      }
    }
  }
  if (op === 2) {
    switch (f3) {
      case 0:
        return iType(OP_IMM, rd, 1, rd, (bit(c, 12) << 5) | rs2); // c.slli
      case 1:
        return iType(OP_LOAD_FP, rd, 3, 2, (bit(c, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6)); // c.fldsp
      case 2:
        if (rd === 0) return 0;
        return iType(OP_LOAD, rd, 2, 2, (bit(c, 12) << 5) | (bits(c, 6, 4) << 2) | (bits(c, 3, 2) << 6)); // c.lwsp
      case 3:
        if (rd === 0) return 0;
        return iType(OP_LOAD, rd, 3, 2, (bit(c, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6)); // c.ldsp
      case 4:
        if (bit(c, 12) === 0) {
          if (rs2 === 0) return rd === 0 ? 0 : iType(OP_JALR, 0, 0, rd, 0); // c.jr
          return rType(OP, rd, 0, 0, rs2, 0); // c.mv
        }
        if (rs2 === 0) {
          if (rd === 0) return 0x00100073; // c.ebreak
          return iType(OP_JALR, 1, 0, rd, 0); // c.jalr
        }
        return rType(OP, rd, 0, rd, rs2, 0); // c.add
      case 5:
        return sType(OP_STORE_FP, 3, 2, rs2, (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6)); // c.fsdsp
      case 6:
        return sType(OP_STORE, 2, 2, rs2, (bits(c, 12, 9) << 2) | (bits(c, 8, 7) << 6)); // c.swsp
      default:
        return sType(OP_STORE, 3, 2, rs2, (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6)); // c.sdsp
    }
  }
  return 0;
}

let table: Int32Array | undefined;

/** The expansion of every 16-bit parcel, computed (what write-compressed-table.ts stores). */
export function computeCompressedTable(): Int32Array {
  const t = new Int32Array(65536);
  for (let c = 0; c < 65536; c++) if ((c & 3) !== 3) t[c] = expandCompressed(c);
  return t;
}

/** The file `npm run build` writes next to this module (and the bundle): the table unpacked, 256 KiB. */
export const COMPRESSED_TABLE_FILE = 'compressed-table.bin';

/**
 * The table stored in compressed-table.ts, unpacked (brotli, through zlib): what the build writes to
 * COMPRESSED_TABLE_FILE.
 */
export function storedCompressedTable(): Int32Array {
  const t = tableOf(lazyZlib().brotliDecompressSync(Buffer.from(COMPRESSED_TABLE, 'base64')));
  if (t === undefined) throw new Error('compressed-table.ts is damaged: run node dist/riscv/write-compressed-table.js');
  return t;
}

/** The table in `bytes` (65,536 little-endian int32, as the host), or undefined when they are not that many. */
function tableOf(bytes: Uint8Array | undefined): Int32Array | undefined {
  if (bytes?.length !== 65536 * 4) return undefined;
  const t = new Int32Array(65536);
  new Uint8Array(t.buffer).set(bytes); // little-endian, as the host (see memory/ram.ts)
  return t;
}

/**
 * The expansion of every 16-bit parcel, indexed by the parcel. Read from COMPRESSED_TABLE_FILE, which the build
 * writes next to this module, else unpacked from the table stored in compressed-table.ts; not computed:
 * computing it ran expandCompressed 49,152 times as cold code before the guest's first instruction, 10-20 ms of
 * every start, where unpacking took ~2 ms and loading zlib for it 7-10 ms more. Tests check both against
 * expandCompressed.
 */
export function compressedTable(): Int32Array {
  if (table === undefined) {
    let bytes: Buffer | undefined;
    try {
      bytes = readFileSync(new URL(COMPRESSED_TABLE_FILE, import.meta.url));
    } catch {
      bytes = undefined;
    }
    table = tableOf(bytes) ?? storedCompressedTable();
  }
  return table;
}
