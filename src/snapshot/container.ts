/**
 * The snapshot container: a versioned, bounded, checksummed file of named sections.
 *
 * Layout (all integers little-endian):
 *   magic "TVSNAP\0\1" (8 bytes)
 *   format version u32
 *   section count u32
 *   per section:
 *     name: u8 length (1..64) + ASCII in [a-z0-9._-]
 *     body length u32 (≤ MAX_SECTION_BYTES; all bodies together ≤ MAX_TOTAL_BYTES)
 *     body bytes (UTF-8 JSON)
 *     CRC-32 (IEEE), u32, of the section record before it: name length, name, body length and body. (Covering
 *     the name too means a flipped name byte cannot silently rename a section.)
 *   nothing after the last section
 *
 * decodeSnapshot treats its input as untrusted: every field is checked before it is used, and every problem is
 * reported as a SnapshotError naming the section and what is wrong.
 */
import { crc32 } from './crc32.js';
import { SnapshotError } from './errors.js';

export { SnapshotError } from './errors.js';

export const SNAPSHOT_MAGIC = new Uint8Array([0x54, 0x56, 0x53, 0x4e, 0x41, 0x50, 0x00, 0x01]); // "TVSNAP\0\1"
export const SNAPSHOT_FORMAT_VERSION = 1;
export const MAX_SECTION_BYTES = 64 * 1024 * 1024;
export const MAX_TOTAL_BYTES = 256 * 1024 * 1024;
export const MAX_SECTIONS = 4096;
export const MAX_NAME_LENGTH = 64;

const HEADER_BYTES = 16;
const NAME_RE = /^[a-z0-9._-]{1,64}$/;

/** Whether `name` is a valid section name. */
export function isSectionName(name: string): boolean {
  return NAME_RE.test(name);
}

/** Encodes sections (name → JSON-serialisable value) into a snapshot file. Order is kept. */
export function encodeSnapshot(sections: Map<string, unknown>): Uint8Array {
  if (sections.size > MAX_SECTIONS) throw new SnapshotError(`too many sections: ${sections.size} (at most ${MAX_SECTIONS})`);
  const enc = new TextEncoder();
  const parts: { name: Uint8Array; body: Uint8Array }[] = [];
  let total = 0;
  let size = HEADER_BYTES;
  for (const [name, value] of sections) {
    if (!isSectionName(name)) throw new SnapshotError(`invalid section name ${JSON.stringify(name)}: 1..64 chars of [a-z0-9._-]`);
    const json = JSON.stringify(value);
    if (json === undefined) throw new SnapshotError(`section '${name}': value is not JSON-serialisable`);
    const body = enc.encode(json);
    if (body.length > MAX_SECTION_BYTES) {
      throw new SnapshotError(`section '${name}': ${body.length} bytes exceeds the limit of ${MAX_SECTION_BYTES}`);
    }
    total += body.length;
    if (total > MAX_TOTAL_BYTES) throw new SnapshotError(`sections total more than ${MAX_TOTAL_BYTES} bytes`);
    parts.push({ name: enc.encode(name), body });
    size += 1 + name.length + 4 + body.length + 4;
  }
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(SNAPSHOT_MAGIC, 0);
  dv.setUint32(8, SNAPSHOT_FORMAT_VERSION, true);
  dv.setUint32(12, parts.length, true);
  let p = HEADER_BYTES;
  for (const { name, body } of parts) {
    const start = p;
    out[p] = name.length;
    out.set(name, p + 1);
    p += 1 + name.length;
    dv.setUint32(p, body.length, true);
    p += 4;
    out.set(body, p);
    p += body.length;
    dv.setUint32(p, crc32(out.subarray(start, p)), true);
    p += 4;
  }
  return out;
}

/** Decodes and validates a snapshot file. Throws SnapshotError on any problem. */
export function decodeSnapshot(bytes: Uint8Array): Map<string, unknown> {
  if (!(bytes instanceof Uint8Array)) throw new SnapshotError('not a byte array');
  if (bytes.length < HEADER_BYTES) {
    if (bytes.length >= 8 || !startsWithMagicPrefix(bytes)) checkMagic(bytes);
    throw new SnapshotError(`truncated: header needs ${HEADER_BYTES} bytes, file has ${bytes.length}`);
  }
  checkMagic(bytes);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== SNAPSHOT_FORMAT_VERSION) {
    throw new SnapshotError(`unsupported format version ${version} (this Typevisor reads ${SNAPSHOT_FORMAT_VERSION})`);
  }
  const count = dv.getUint32(12, true);
  if (count > MAX_SECTIONS) throw new SnapshotError(`section count ${count} exceeds the limit of ${MAX_SECTIONS}`);
  // Each section takes at least 1 + 1 + 4 + 4 bytes.
  const minNeeded = count * 10;
  if (minNeeded > bytes.length - HEADER_BYTES) {
    throw new SnapshotError(
      `truncated: ${count} sections need at least ${minNeeded} bytes, ${bytes.length - HEADER_BYTES} left`,
    );
  }
  const dec = new TextDecoder('utf-8', { fatal: true });
  const out = new Map<string, unknown>();
  let p = HEADER_BYTES;
  let total = 0;
  for (let i = 0; i < count; i++) {
    const start = p;
    const left = (): number => bytes.length - p;
    if (left() < 1) throw new SnapshotError(`truncated: section ${i} needs a name length byte, 0 left`);
    const nameLen = bytes[p]!;
    if (nameLen < 1 || nameLen > MAX_NAME_LENGTH) {
      throw new SnapshotError(`section ${i}: name length ${nameLen} at offset ${p} is not in 1..${MAX_NAME_LENGTH}`);
    }
    p += 1;
    if (left() < nameLen) throw new SnapshotError(`truncated: section ${i} name needs ${nameLen} bytes, ${left()} left`);
    let name = '';
    for (let k = 0; k < nameLen; k++) name += String.fromCharCode(bytes[p + k]!);
    if (!isSectionName(name)) {
      throw new SnapshotError(`section ${i}: invalid name ${JSON.stringify(name)} at offset ${p} (allowed: [a-z0-9._-])`);
    }
    p += nameLen;
    if (out.has(name)) throw new SnapshotError(`section ${i}: duplicate section name '${name}'`);
    if (left() < 4) throw new SnapshotError(`truncated: section '${name}' needs 4 bytes for its length, ${left()} left`);
    const len = dv.getUint32(p, true);
    p += 4;
    if (len > MAX_SECTION_BYTES) {
      throw new SnapshotError(`section '${name}': body length ${len} exceeds the limit of ${MAX_SECTION_BYTES}`);
    }
    total += len;
    if (total > MAX_TOTAL_BYTES) throw new SnapshotError(`section '${name}': sections total more than ${MAX_TOTAL_BYTES} bytes`);
    if (left() < len + 4) {
      throw new SnapshotError(`truncated: section ${i} ('${name}') needs ${len + 4} bytes, ${left()} left`);
    }
    const body = bytes.subarray(p, p + len);
    p += len;
    const stored = dv.getUint32(p, true);
    p += 4;
    const actual = crc32(bytes.subarray(start, p - 4));
    if (stored !== actual) {
      throw new SnapshotError(
        `section '${name}': checksum mismatch (stored ${hex32(stored)}, computed ${hex32(actual)})`,
      );
    }
    let text: string;
    try {
      text = dec.decode(body);
    } catch {
      throw new SnapshotError(`section '${name}': body is not valid UTF-8`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new SnapshotError(`section '${name}': body is not valid JSON (${(e as Error).message})`);
    }
    out.set(name, value);
  }
  if (p !== bytes.length) {
    throw new SnapshotError(`${bytes.length - p} unexpected bytes after the last section (offset ${p})`);
  }
  return out;
}

function startsWithMagicPrefix(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length && i < 8; i++) if (bytes[i] !== SNAPSHOT_MAGIC[i]) return false;
  return true;
}

function checkMagic(bytes: Uint8Array): void {
  if (bytes.length < 8 || !startsWithMagicPrefix(bytes)) {
    throw new SnapshotError('not a Typevisor snapshot: bad magic (expected "TVSNAP\\0\\1")');
  }
}

function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}
