/** IPv4 (RFC 791): header with checksum; fragments are reported so the caller can drop them. */
import { checksum, fail, ok, put16, put32, u16, u32, type Parsed } from './bytes.js';

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const IPV4_HEADER_LEN = 20;

export interface Ipv4Packet {
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  id: number;
  tos: number;
  /** More-fragments flag set or a non-zero fragment offset. */
  fragment: boolean;
  headerLength: number;
  payload: Uint8Array;
}

export function parseIpv4(b: Uint8Array): Parsed<Ipv4Packet> {
  if (b.length < IPV4_HEADER_LEN) return fail('ipv4: truncated header');
  const vihl = b[0] ?? 0;
  if (vihl >>> 4 !== 4) return fail('ipv4: version not 4');
  const ihl = (vihl & 0xf) * 4;
  if (ihl < IPV4_HEADER_LEN) return fail('ipv4: bad header length');
  if (b.length < ihl) return fail('ipv4: truncated options');
  const total = u16(b, 2);
  if (total < ihl) return fail('ipv4: total length below header length');
  if (total > b.length) return fail('ipv4: truncated payload');
  if (checksum(b, 0, ihl) !== 0) return fail('ipv4: bad header checksum');
  const frag = u16(b, 6);
  return ok({
    src: u32(b, 12),
    dst: u32(b, 16),
    protocol: b[9] ?? 0,
    ttl: b[8] ?? 0,
    id: u16(b, 4),
    tos: b[1] ?? 0,
    fragment: (frag & 0x2000) !== 0 || (frag & 0x1fff) !== 0,
    headerLength: ihl,
    // Ethernet pads short frames: the payload ends where the IP total length says.
    payload: b.subarray(ihl, total),
  });
}

export interface Ipv4Fields {
  src: number;
  dst: number;
  protocol: number;
  ttl?: number;
  id?: number;
  tos?: number;
}

export function buildIpv4(f: Ipv4Fields, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(IPV4_HEADER_LEN + payload.length);
  b[0] = 0x45;
  b[1] = f.tos ?? 0;
  put16(b, 2, b.length);
  put16(b, 4, f.id ?? 0);
  put16(b, 6, 0x4000); // don't fragment
  b[8] = f.ttl ?? 64;
  b[9] = f.protocol;
  put32(b, 12, f.src);
  put32(b, 16, f.dst);
  put16(b, 10, checksum(b, 0, IPV4_HEADER_LEN));
  b.set(payload, IPV4_HEADER_LEN);
  return b;
}
