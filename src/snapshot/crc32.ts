/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320). Uses zlib's native crc32 where Node has it (20.15+,
 * gigabytes per second, which matters for checksumming guest RAM), a table-driven version otherwise; both give
 * the same values.
 */
import { lazyZlib } from '../lib/lazy-zlib.js';

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The portable version (also the reference the native one is tested against). */
export function crc32Table(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

type NativeCrc32 = (data: Uint8Array, value?: number) => number;
/** zlib's crc32, looked up at the first checksum (zlib loads then), or null where Node has none. */
let native: NativeCrc32 | null | undefined;

/** CRC-32 of `bytes` (optionally continuing from a previous `crc`), as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  native ??= (lazyZlib() as { crc32?: NativeCrc32 }).crc32 ?? null;
  return native !== null ? native(bytes, crc) >>> 0 : crc32Table(bytes, crc);
}
