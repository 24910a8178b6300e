/**
 * Guest RAM, saved sparsely: only the 4 KiB pages that are not all zero, laid out so that a restore can start
 * the guest after reading just the header and load each page later, on first touch (see lazy-ram.ts).
 *
 * Layout (little-endian):
 *   magic "TVRAM\0\0\2" (8 bytes)
 *   RAM size u64 (bytes; a multiple of 4096)
 *   page count u32
 *   data offset u32: where the first page starts (the header rounded up to 4096)
 *   page indices: count × u32, strictly ascending
 *   page checksums: count × u32, CRC-32 of each page's 4096 bytes
 *   header checksum u32: CRC-32 of everything above
 *   zero padding up to the data offset
 *   the pages: count × 4096 bytes, in index order; the file ends right after the last page
 *
 * The header is validated completely before anything is used. Each page is checked against its own checksum
 * when it is loaded, so a lazy restore never reads the whole file up front and still never uses a bad byte.
 */
import * as fs from 'node:fs';
import { crc32 } from './crc32.js';
import { SnapshotError } from './errors.js';
import { writeAtomicWithSync, writeAtomicWithThenSync } from './atomic-write.js';

export const RAM_MAGIC = new Uint8Array([0x54, 0x56, 0x52, 0x41, 0x4d, 0x00, 0x00, 0x02]); // "TVRAM\0\0\2"
export const PAGE_SIZE = 4096;
const FIXED = 24;
/** Guest RAM can be at most this large (2^32 pages would not fit the u32 indices anyway). */
const MAX_RAM = 2 ** 40;

/** Bytes before the first page for `count` pages. */
function dataOffsetFor(count: number): number {
  return Math.ceil((FIXED + count * 8 + 4) / PAGE_SIZE) * PAGE_SIZE;
}

/** Something a RAM file can be read from at any position (a file descriptor, or bytes in tests). */
export interface RamSource {
  readonly size: number;
  /** Fills `into` with the bytes at `position`; throws SnapshotError when the source ends early. */
  read(into: Uint8Array, position: number): void;
}

/** A RamSource over bytes in memory. */
export function bytesSource(bytes: Uint8Array): RamSource {
  return {
    size: bytes.length,
    read(into, position) {
      if (position + into.length > bytes.length) throw new SnapshotError('RAM file: unexpected end of file');
      into.set(bytes.subarray(position, position + into.length));
    },
  };
}

/** A RamSource over an open file (synchronous reads). */
export function fileSource(fd: number, size: number): RamSource {
  return {
    size,
    read(into, position) {
      let done = 0;
      while (done < into.length) {
        const n = fs.readSync(fd, into, done, into.length - done, position + done);
        if (n === 0) throw new SnapshotError(`RAM file: unexpected end of file at byte ${position + done}`);
        done += n;
      }
    },
  };
}

const ZERO_PAGE = Buffer.alloc(PAGE_SIZE);

/** Indices of the pages of `u8` that are not all zero (a native compare per page: no allocation, no JS loop). */
function nonZeroPages(u8: Uint8Array): number[] {
  const ram = Buffer.from(u8.buffer, u8.byteOffset, u8.length);
  const used: number[] = [];
  const pages = u8.length / PAGE_SIZE;
  for (let p = 0; p < pages; p++) {
    if (ZERO_PAGE.compare(ram, p * PAGE_SIZE, (p + 1) * PAGE_SIZE) !== 0) used.push(p);
  }
  return used;
}

/** The header of a RAM file for `u8`, and the pages it lists. */
function encodeHeader(u8: Uint8Array): { header: Uint8Array; used: number[] } {
  if (u8.length % PAGE_SIZE !== 0) throw new SnapshotError(`RAM size ${u8.length} is not a multiple of ${PAGE_SIZE}`);
  if (u8.length > MAX_RAM) throw new SnapshotError(`RAM of ${u8.length} bytes is too large for a RAM file`);
  const used = nonZeroPages(u8);
  const count = used.length;
  const header = new Uint8Array(dataOffsetFor(count));
  const dv = new DataView(header.buffer);
  header.set(RAM_MAGIC, 0);
  dv.setBigUint64(8, BigInt(u8.length), true);
  dv.setUint32(16, count, true);
  dv.setUint32(20, header.length, true);
  for (let k = 0; k < count; k++) {
    const p = used[k]!;
    dv.setUint32(FIXED + k * 4, p, true);
    dv.setUint32(FIXED + count * 4 + k * 4, crc32(u8.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)), true);
  }
  const crcAt = FIXED + count * 8;
  dv.setUint32(crcAt, crc32(header.subarray(0, crcAt)), true);
  return { header, used };
}

/** Encodes guest RAM into RAM-file bytes in memory (tests and small RAM; writeRamFileSync streams). */
export function saveRam(u8: Uint8Array): Uint8Array {
  const { header, used } = encodeHeader(u8);
  const out = new Uint8Array(header.length + used.length * PAGE_SIZE);
  out.set(header);
  used.forEach((p, k) => out.set(u8.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE), header.length + k * PAGE_SIZE));
  return out;
}

/**
 * Writes guest RAM to `target` atomically (temporary file, fsync, rename), straight from `u8` without a copy:
 * runs of consecutive non-zero pages go out in one write each. Returns the file's size.
 */
export function writeRamFileSync(target: string, u8: Uint8Array): number {
  const { header, used } = encodeHeader(u8);
  writeAtomicWithSync(target, (fd) => writeRamData(fd, header, used, u8));
  return header.length + used.length * PAGE_SIZE;
}

/**
 * writeRamFileSync in two steps: RAM is copied into the file (the page cache) synchronously, `afterCopy` runs
 * (the guest may change RAM from then on: a snapshot resumes it here), and the promise makes the file durable
 * and puts it in place. Resolves to the file's size.
 */
export async function writeRamFile(target: string, u8: Uint8Array, afterCopy: () => void): Promise<number> {
  const { header, used } = encodeHeader(u8);
  await writeAtomicWithThenSync(target, (fd) => writeRamData(fd, header, used, u8), afterCopy);
  return header.length + used.length * PAGE_SIZE;
}

function writeRamData(fd: number, header: Uint8Array, used: readonly number[], u8: Uint8Array): void {
  writeAll(fd, header, 0);
  let pos = header.length;
  for (let k = 0; k < used.length; ) {
    let end = k + 1;
    while (end < used.length && used[end] === used[end - 1]! + 1 && end - k < 2048) end++;
    const first = used[k]!;
    writeAll(fd, u8.subarray(first * PAGE_SIZE, (first + end - k) * PAGE_SIZE), pos);
    pos += (end - k) * PAGE_SIZE;
    k = end;
  }
}

function writeAll(fd: number, data: Uint8Array, position: number): void {
  let off = 0;
  while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off, position + off);
}

/** A validated RAM-file header: which pages are stored, their checksums, and where page k starts. */
export interface RamFileIndex {
  readonly size: number;
  readonly pages: Uint32Array;
  readonly crcs: Uint32Array;
  readonly dataOffset: number;
}

function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}

/** Reads and validates a RAM file's header against the RAM size it must restore into. */
export function readRamIndex(src: RamSource, expectedSize: number): RamFileIndex {
  if (src.size < FIXED + 4) {
    if (src.size >= 8) checkMagic(src);
    throw new SnapshotError(`RAM file truncated: the header needs at least ${FIXED + 4} bytes, the file has ${src.size}`);
  }
  const fixed = new Uint8Array(FIXED);
  src.read(fixed, 0);
  checkMagic(src, fixed);
  const dv = new DataView(fixed.buffer);
  const size = dv.getBigUint64(8, true);
  if (size !== BigInt(expectedSize)) {
    throw new SnapshotError(`RAM file: RAM size ${size} does not match this machine's ${expectedSize} bytes`);
  }
  if (expectedSize % PAGE_SIZE !== 0) throw new SnapshotError(`RAM file: RAM size ${size} is not a multiple of ${PAGE_SIZE}`);
  const count = dv.getUint32(16, true);
  const totalPages = expectedSize / PAGE_SIZE;
  if (count > totalPages) throw new SnapshotError(`RAM file: page count ${count} exceeds the ${totalPages} pages of RAM`);
  const dataOffset = dv.getUint32(20, true);
  if (dataOffset !== dataOffsetFor(count)) {
    throw new SnapshotError(`RAM file: data offset ${dataOffset} is wrong for ${count} pages (expected ${dataOffsetFor(count)})`);
  }
  const need = dataOffset + count * PAGE_SIZE;
  if (src.size < need) throw new SnapshotError(`RAM file truncated: ${count} pages need ${need} bytes, the file has ${src.size}`);
  if (src.size > need) throw new SnapshotError(`RAM file: ${src.size - need} unexpected bytes after the last of its ${count} pages`);
  const header = new Uint8Array(dataOffset);
  src.read(header, 0);
  const hv = new DataView(header.buffer);
  const crcAt = FIXED + count * 8;
  const stored = hv.getUint32(crcAt, true);
  const actual = crc32(header.subarray(0, crcAt));
  if (stored !== actual) throw new SnapshotError(`RAM file: header checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)})`);
  for (let i = crcAt + 4; i < dataOffset; i++) {
    if (header[i] !== 0) throw new SnapshotError(`RAM file: non-zero byte in the header padding at offset ${i}`);
  }
  const pages = new Uint32Array(count);
  const crcs = new Uint32Array(count);
  let prev = -1;
  for (let k = 0; k < count; k++) {
    const idx = hv.getUint32(FIXED + k * 4, true);
    if (idx >= totalPages) throw new SnapshotError(`RAM file: record ${k}: page index ${idx} is outside RAM (${totalPages} pages)`);
    if (idx <= prev) {
      throw new SnapshotError(
        `RAM file: record ${k}: page index ${idx} ${idx === prev ? 'repeats' : 'is below'} the previous index ${prev} (must be ascending and unique)`,
      );
    }
    prev = idx;
    pages[k] = idx;
    crcs[k] = hv.getUint32(FIXED + count * 4 + k * 4, true);
  }
  return { size: expectedSize, pages, crcs, dataOffset };
}

function checkMagic(src: RamSource, first?: Uint8Array): void {
  const m = first ?? new Uint8Array(8);
  if (first === undefined) src.read(m, 0);
  for (let i = 0; i < 8; i++) {
    if (m[i] !== RAM_MAGIC[i]) throw new SnapshotError('RAM file: not a Typevisor RAM file: bad magic (expected "TVRAM\\0\\0\\2")');
  }
}

/** Checks record k's bytes against its checksum. */
export function checkPage(index: RamFileIndex, k: number, bytes: Uint8Array): void {
  const actual = crc32(bytes);
  if (actual !== index.crcs[k]) {
    throw new SnapshotError(
      `RAM file: page ${index.pages[k]} (guest-physical offset 0x${(index.pages[k]! * PAGE_SIZE).toString(16)}) checksum mismatch ` +
        `(stored ${hex(index.crcs[k]!)}, computed ${hex(actual)})`,
    );
  }
}

/**
 * Loads every page into `into`, in chunks, checking each page. `into` must be all zero already (fresh guest RAM
 * is; zeroing it here would touch every page of a RAM that may be gigabytes). On a bad page it throws and
 * `into` holds a partial restore: callers load into a fresh machine they then discard.
 */
export function loadRamEager(src: RamSource, index: RamFileIndex, into: Uint8Array): void {
  if (into.length !== index.size) throw new SnapshotError(`RAM file: RAM size ${index.size} does not match ${into.length}`);
  const count = index.pages.length;
  const CHUNK = 512;
  const buf = new Uint8Array(Math.min(CHUNK, Math.max(1, count)) * PAGE_SIZE);
  for (let k = 0; k < count; k += CHUNK) {
    const n = Math.min(CHUNK, count - k);
    const view = buf.subarray(0, n * PAGE_SIZE);
    src.read(view, index.dataOffset + k * PAGE_SIZE);
    for (let j = 0; j < n; j++) {
      const page = view.subarray(j * PAGE_SIZE, (j + 1) * PAGE_SIZE);
      checkPage(index, k + j, page);
      into.set(page, index.pages[k + j]! * PAGE_SIZE);
    }
  }
}

/** Validates RAM-file bytes against the RAM size they must restore into (in-memory form of readRamIndex). */
export function parseRamFile(bytes: Uint8Array, expectedSize: number): RamFileIndex {
  if (!(bytes instanceof Uint8Array)) throw new SnapshotError('RAM file: not a byte array');
  return readRamIndex(bytesSource(bytes), expectedSize);
}

/** Validates `bytes` fully, then makes `into` (guest RAM) exactly the saved contents. */
export function loadRam(bytes: Uint8Array, into: Uint8Array): void {
  const src = bytesSource(bytes);
  const index = readRamIndex(src, into.length);
  into.fill(0);
  loadRamEager(src, index, into);
}
