/** Small helpers shared by the packet codecs: big-endian access, Internet checksum, addresses. */

/** Result of parsing untrusted bytes: never an exception, a reason instead (the caller counts it as a drop). */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function fail<T>(reason: string): Parsed<T> {
  return { ok: false, reason };
}

export function u16(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
}

export function u32(b: Uint8Array, o: number): number {
  return (((b[o] ?? 0) << 24) | ((b[o + 1] ?? 0) << 16) | ((b[o + 2] ?? 0) << 8) | (b[o + 3] ?? 0)) >>> 0;
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** One's-complement sum of 16-bit words (not folded, not inverted), starting from `initial`. */
export function sum16(b: Uint8Array, start = 0, end = b.length, initial = 0): number {
  let s = initial;
  let i = start;
  for (; i + 1 < end; i += 2) s += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  if (i < end) s += (b[i] ?? 0) << 8;
  return s;
}

/** Folds a running sum into the final 16-bit Internet checksum (RFC 1071). */
export function finishChecksum(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

export function checksum(b: Uint8Array, start = 0, end = b.length): number {
  return finishChecksum(sum16(b, start, end));
}

/** Sum of the IPv4 pseudo-header used by TCP and UDP. */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
}

/** IPv4 addresses are plain unsigned 32-bit numbers inside the stack. */
export function ipToString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

export function parseIp(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const p = Number(m[i]);
    if (p > 255) return undefined;
    v = v * 256 + p;
  }
  return v >>> 0;
}

export function ip(s: string): number {
  const v = parseIp(s);
  if (v === undefined) throw new Error(`bad IPv4 address '${s}'`);
  return v;
}

/** MAC addresses are 6-byte arrays; this formats them for logs and map keys. */
export function macToString(m: Uint8Array): string {
  return Array.from(m.subarray(0, 6), (x) => x.toString(16).padStart(2, '0')).join(':');
}

export function parseMac(s: string): Uint8Array | undefined {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(s);
  if (!m) return undefined;
  return Uint8Array.from(m.slice(1), (x) => parseInt(x, 16));
}

export function macEquals(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const BROADCAST_MAC: Uint8Array = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** Counts dropped packets by reason, for logs and tests. */
export class DropCounter {
  readonly byReason = new Map<string, number>();
  total = 0;
  drop(reason: string): void {
    this.total++;
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1);
  }
  count(reason: string): number {
    return this.byReason.get(reason) ?? 0;
  }
}
