/**
 * Guest RAM, saved sparsely: only the 4 KiB pages that are not all zero.
 *
 * Layout (little-endian):
 *   magic "TVRAM\0\0\1" (8 bytes)
 *   RAM size u64 (bytes; a multiple of 4096)
 *   page count u32
 *   per page, in strictly ascending page order: page index u32, then 4096 bytes
 *   CRC-32 (IEEE) of everything before it, u32
 *
 * parseRamFile validates a file completely (without copying pages) and gives each page's offset, which is what
 * a lazy restore needs; loadRam validates and then fills guest RAM eagerly.
 */
import { crc32 } from './crc32.js';
import { SnapshotError } from './errors.js';

export const RAM_MAGIC = new Uint8Array([0x54, 0x56, 0x52, 0x41, 0x4d, 0x00, 0x00, 0x01]); // "TVRAM\0\0\1"
export const PAGE_SIZE = 4096;
const HEADER = 20;
const RECORD = 4 + PAGE_SIZE;

function pageIsZero(u8: Uint8Array, off: number): boolean {
  if (((u8.byteOffset + off) & 3) === 0) {
    const w = new Int32Array(u8.buffer, u8.byteOffset + off, PAGE_SIZE / 4);
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) return false;
    return true;
  }
  for (let i = off; i < off + PAGE_SIZE; i++) if (u8[i] !== 0) return false;
  return true;
}

/** Saves guest RAM: its size, then every non-zero page. */
export function saveRam(u8: Uint8Array): Uint8Array {
  if (u8.length % PAGE_SIZE !== 0) throw new SnapshotError(`RAM size ${u8.length} is not a multiple of ${PAGE_SIZE}`);
  const pages = u8.length / PAGE_SIZE;
  if (pages > 0x1_0000_0000) throw new SnapshotError(`RAM of ${u8.length} bytes has too many pages`);
  const used: number[] = [];
  for (let p = 0; p < pages; p++) if (!pageIsZero(u8, p * PAGE_SIZE)) used.push(p);
  const out = new Uint8Array(HEADER + used.length * RECORD + 4);
  const dv = new DataView(out.buffer);
  out.set(RAM_MAGIC, 0);
  dv.setBigUint64(8, BigInt(u8.length), true);
  dv.setUint32(16, used.length, true);
  let o = HEADER;
  for (const p of used) {
    dv.setUint32(o, p, true);
    out.set(u8.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE), o + 4);
    o += RECORD;
  }
  dv.setUint32(o, crc32(out.subarray(0, o)), true);
  return out;
}

/** A validated RAM file: its page indices (ascending) and where each page's 4096 bytes start in the file. */
export interface RamFileIndex {
  readonly size: number;
  readonly pages: Uint32Array;
  readonly offsets: Float64Array;
}

/** Validates a RAM file against the RAM size it must restore into. Throws SnapshotError on any problem. */
export function parseRamFile(bytes: Uint8Array, expectedSize: number): RamFileIndex {
  if (!(bytes instanceof Uint8Array)) throw new SnapshotError('RAM file: not a byte array');
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== RAM_MAGIC[i]) {
      throw new SnapshotError('RAM file: not a Typevisor RAM file: bad magic (expected "TVRAM\\0\\0\\1")');
    }
  }
  if (bytes.length < HEADER + 4) {
    throw new SnapshotError(`RAM file truncated: header and checksum need ${HEADER + 4} bytes, file has ${bytes.length}`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = dv.getBigUint64(8, true);
  if (size !== BigInt(expectedSize)) {
    throw new SnapshotError(`RAM file: RAM size ${size} does not match this machine's ${expectedSize} bytes`);
  }
  if (expectedSize % PAGE_SIZE !== 0) throw new SnapshotError(`RAM file: RAM size ${size} is not a multiple of ${PAGE_SIZE}`);
  const count = dv.getUint32(16, true);
  const totalPages = expectedSize / PAGE_SIZE;
  if (count > totalPages) throw new SnapshotError(`RAM file: page count ${count} exceeds the ${totalPages} pages of RAM`);
  const need = HEADER + count * RECORD + 4;
  if (bytes.length < need) {
    throw new SnapshotError(`RAM file truncated: ${count} pages need ${need} bytes, file has ${bytes.length}`);
  }
  if (bytes.length > need) {
    throw new SnapshotError(`RAM file: ${bytes.length - need} unexpected bytes after the checksum (${count} pages)`);
  }
  const crcAt = need - 4;
  const stored = dv.getUint32(crcAt, true);
  const actual = crc32(bytes.subarray(0, crcAt));
  if (stored !== actual) {
    throw new SnapshotError(
      `RAM file: checksum mismatch (stored 0x${stored.toString(16).padStart(8, '0')}, computed 0x${actual.toString(16).padStart(8, '0')})`,
    );
  }
  const pages = new Uint32Array(count);
  const offsets = new Float64Array(count);
  let prev = -1;
  for (let k = 0; k < count; k++) {
    const o = HEADER + k * RECORD;
    const idx = dv.getUint32(o, true);
    if (idx >= totalPages) throw new SnapshotError(`RAM file: record ${k}: page index ${idx} is outside RAM (${totalPages} pages)`);
    if (idx <= prev) {
      throw new SnapshotError(
        `RAM file: record ${k}: page index ${idx} ${idx === prev ? 'repeats' : 'is below'} the previous index ${prev} (must be ascending and unique)`,
      );
    }
    prev = idx;
    pages[k] = idx;
    offsets[k] = o + 4;
  }
  return { size: expectedSize, pages, offsets };
}

/** Validates `bytes` fully, then makes `into` (guest RAM) exactly the saved contents. */
export function loadRam(bytes: Uint8Array, into: Uint8Array): void {
  const index = parseRamFile(bytes, into.length);
  into.fill(0);
  for (let k = 0; k < index.pages.length; k++) {
    const o = index.offsets[k]!;
    into.set(bytes.subarray(o, o + PAGE_SIZE), index.pages[k]! * PAGE_SIZE);
  }
}
