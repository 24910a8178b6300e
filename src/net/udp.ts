/** UDP (RFC 768) with the IPv4 pseudo-header checksum (zero means "none" and is accepted). */
import { fail, finishChecksum, ok, pseudoHeaderSum, put16, sum16, u16, type Parsed } from './bytes.js';
import { PROTO_UDP } from './ipv4.js';

export const UDP_HEADER_LEN = 8;

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** `src`/`dst` are the IPv4 addresses of the enclosing packet, for the checksum. */
export function parseUdp(b: Uint8Array, src: number, dst: number): Parsed<UdpDatagram> {
  if (b.length < UDP_HEADER_LEN) return fail('udp: truncated header');
  const len = u16(b, 4);
  if (len < UDP_HEADER_LEN) return fail('udp: bad length');
  if (len > b.length) return fail('udp: truncated payload');
  if (u16(b, 6) !== 0) {
    const s = sum16(b, 0, len, pseudoHeaderSum(src, dst, PROTO_UDP, len));
    if (finishChecksum(s) !== 0) return fail('udp: bad checksum');
  }
  return ok({ srcPort: u16(b, 0), dstPort: u16(b, 2), payload: b.subarray(UDP_HEADER_LEN, len) });
}

export function buildUdp(d: UdpDatagram, src: number, dst: number): Uint8Array {
  const len = UDP_HEADER_LEN + d.payload.length;
  const b = new Uint8Array(len);
  put16(b, 0, d.srcPort);
  put16(b, 2, d.dstPort);
  put16(b, 4, len);
  b.set(d.payload, UDP_HEADER_LEN);
  const c = finishChecksum(sum16(b, 0, len, pseudoHeaderSum(src, dst, PROTO_UDP, len)));
  put16(b, 6, c === 0 ? 0xffff : c);
  return b;
}
