import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { COMPRESSED_TABLE_FILE, compressedTable, expandCompressed, storedCompressedTable } from './compressed.js';
import { A, iType, sType } from './testing.js';

const hex = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');

function expands(parcel: number, expected: number, what: string): void {
  assert.equal(hex(expandCompressed(parcel)), hex(expected), `${what}: ${parcel.toString(16)}`);
}

// Parcels are assembled by hand from the RVC tables (unprivileged spec, "RVC Instruction Set Listings").
// x8..x15 are the registers reachable through the 3-bit rd'/rs1'/rs2' fields (s0 = x8, s1 = x9, a0 = x10...).

test('c.addi4spn a0, sp, 16 expands to addi a0, sp, 16', () => {
  // nzuimm[5:4|9:6|2|3] in bits 12:5; 16 = bit 4 -> bit 11; rd' = a0 (2)
  expands(0x0808, A.addi(10, 2, 16), 'c.addi4spn');
  // nzuimm = 1020 (all bits): bits 12:5 all ones
  expands(0x1fe0 | (2 << 2), A.addi(10, 2, 1020), 'c.addi4spn max');
});

test('c.lw and c.ld expand to lw/ld with the scaled offsets', () => {
  // c.lw a0, 4(a1): funct3 010, uimm[5:3] bits 12:10 = 0, uimm[2] bit 6, uimm[6] bit 5; rs1' = a1 (3), rd' = a0 (2)
  expands(0x41c8, A.lw(10, 11, 4), 'c.lw');
  // c.lw a0, 124(a1): uimm = 0b1111100: [5:3] = 7, [2] = 1, [6] = 1
  expands(0x4000 | (7 << 10) | (3 << 7) | (1 << 6) | (1 << 5) | (2 << 2), A.lw(10, 11, 124), 'c.lw max');
  // c.ld a0, 8(a1): funct3 011, uimm[5:3] = 1
  expands(0x6588, A.ld(10, 11, 8), 'c.ld');
  // c.ld s0, 248(s1): uimm[7:6] in bits 6:5
  expands(0x6000 | (7 << 10) | (1 << 7) | (3 << 5) | (0 << 2), A.ld(8, 9, 248), 'c.ld max');
});

test('c.sd expands to sd', () => {
  // c.sd a0, 16(a1): funct3 111, uimm[5:3] = 2, rs1' = a1, rs2' = a0
  expands(0xe988, A.sd(10, 11, 16), 'c.sd');
});

test('c.addi16sp expands to addi sp, sp, imm with the scrambled immediate', () => {
  // c.addi16sp -32: nzimm = -32 = ...1111100000: [9]=1 bit 12, [4]=0 bit 6, [6]=1 bit 5, [8:7]=11 bits 4:3, [5]=1 bit 2
  expands(0x713d, A.addi(2, 2, -32), 'c.addi16sp -32');
  // c.addi16sp 16: [4] = 1 in bit 6
  expands(0x6141, A.addi(2, 2, 16), 'c.addi16sp 16');
});

test('c.lui expands to lui with the sign-extended 6-bit immediate', () => {
  // c.lui a0, 1: funct3 011, rd = 10, nzimm[17] = 0, nzimm[16:12] = 1
  expands(0x6505, A.lui(10, 0x1000), 'c.lui 1');
  // c.lui a0, 0xfffff (i.e. -1): bit 12 set and imm[16:12] = 31
  expands(0x757d, A.lui(10, 0xfffff000 | 0), 'c.lui -1');
});

test('c.srli, c.srai and c.andi', () => {
  // c.srai a0, 63 (RV64: shamt[5] in bit 12): funct3 100, bits 11:10 = 01, rd' = a0
  expands(0x957d, A.srai(10, 10, 63), 'c.srai 63');
  // c.srli s0, 1
  expands(0x8005, A.srli(8, 8, 1), 'c.srli 1');
  // c.andi a0, -1: bits 11:10 = 10, imm bit 12 = 1, imm[4:0] = 31
  expands(0x997d, iType(0x13, 10, 7, 10, -1), 'c.andi -1');
});

test('c.sub, c.and and c.addw/c.subw', () => {
  // c.sub a0, a1: 100 0 11 rd' 00 rs2' 01
  expands(0x8d0d, A.sub(10, 10, 11), 'c.sub');
  // c.and a0, a1
  expands(0x8d6d, A.and(10, 10, 11), 'c.and');
  // c.addw a0, a1: 100 1 11 rd' 01 rs2' 01
  expands(0x9d2d, A.addw(10, 10, 11), 'c.addw');
  // c.subw a0, a1
  expands(0x9d0d, A.subw(10, 10, 11), 'c.subw');
});

test('c.j and c.beqz/c.bnez expand to jal x0 and beq/bne with x0', () => {
  // c.j -2: offset = -2: all immediate bits set except... offset[11|4|9:8|10|6|7|3:1|5]
  expands(0xbffd, A.jal(0, -2), 'c.j -2');
  // c.j 2: offset[3:1] = 001 in bits 5:3
  expands(0xa009, A.jal(0, 2), 'c.j 2');
  // c.beqz a0, 8: offset[8|4:3] bits 12:10, offset[7:6|2:1|5] bits 6:2; 8 -> offset[3] -> bit 10
  expands(0xc501, A.beq(10, 0, 8), 'c.beqz 8');
  // c.bnez s0, -2
  expands(0xfc7d, A.bne(8, 0, -2), 'c.bnez -2');
});

test('c.jr, c.jalr, c.mv, c.add and c.ebreak', () => {
  expands(0x8082, A.jalr(0, 1, 0), 'c.jr ra (ret)');
  expands(0x9502, A.jalr(1, 10, 0), 'c.jalr a0');
  expands(0x852e, A.add(10, 0, 11), 'c.mv a0, a1');
  expands(0x952e, A.add(10, 10, 11), 'c.add a0, a1');
  expands(0x9002, 0x00100073, 'c.ebreak');
});

test('c.ldsp, c.sdsp, c.lwsp and c.slli', () => {
  // c.ldsp a0, 8(sp): funct3 011, uimm[5] bit 12, uimm[4:3|8:6] bits 6:2
  expands(0x6522, A.ld(10, 2, 8), 'c.ldsp 8');
  // c.ldsp ra, 504(sp): uimm = 0b111111000
  expands(0x7000 | (1 << 7) | (3 << 5) | (7 << 2) | 2, A.ld(1, 2, 504), 'c.ldsp max');
  // c.sdsp ra, 8(sp): funct3 111, uimm[5:3|8:6] bits 12:7
  expands(0xe406, A.sd(1, 2, 8), 'c.sdsp');
  // c.lwsp a0, 4(sp): uimm[5] bit 12, uimm[4:2|7:6] bits 6:2
  expands(0x4512, A.lw(10, 2, 4), 'c.lwsp');
  // c.slli a0, 32 (RV64 shamt[5])
  expands(0x1502, A.slli(10, 10, 32), 'c.slli 32');
  // c.swsp a0, 4(sp)
  expands(0xc22a, sType(0x23, 2, 2, 10, 4), 'c.swsp');
});

test('c.li, c.addi and c.addiw', () => {
  expands(0x557d, A.addi(10, 0, -1), 'c.li a0, -1');
  expands(0x0505, A.addi(10, 10, 1), 'c.addi a0, 1');
  expands(0x0001, A.addi(0, 0, 0), 'c.nop');
  expands(0x357d, A.addiw(10, 10, -1), 'c.addiw a0, -1');
});

test('reserved encodings expand to 0 (illegal)', () => {
  expands(0x0000, 0, 'all-zero parcel');
  expands(0x0008, 0, 'c.addi4spn with nzuimm 0 (rd\' = s1)');
  expands(0x6501, 0, 'c.lui a0, 0');
  expands(0x6101, 0, 'c.addi16sp 0');
  expands(0x6002, 0, 'c.ldsp x0');
  expands(0x4002, 0, 'c.lwsp x0');
  expands(0x8002, 0, 'c.jr x0');
  expands(0x2001, 0, 'c.addiw x0');
  expands(0x9d4d, 0, 'c.subw/c.addw reserved funct2 10');
  expands(0x9d6d, 0, 'c.subw/c.addw reserved funct2 11');
  expands(0x8000, 0, 'quadrant 0 funct3 100');
});

test('the table holds expandCompressed of every 16-bit parcel (and 0 for 32-bit ones), as stored and as the build wrote it', () => {
  // The build writes the file the table is read from (tools/bundle.mjs); the stored one is the fallback.
  assert.ok(existsSync(new URL(COMPRESSED_TABLE_FILE, import.meta.url)), 'npm run build writes the table next to compressed.js');
  for (const [t, what] of [[compressedTable(), 'table read'], [storedCompressedTable(), 'stored table']] as const) {
    assert.equal(t.length, 65536);
    for (let c = 0; c < 65536; c++) {
      const want = (c & 3) === 3 ? 0 : expandCompressed(c);
      if (t[c] !== want) assert.fail(`parcel ${c.toString(16)}: ${what} is stale, run node dist/riscv/write-compressed-table.js and npm run build`);
    }
  }
});
