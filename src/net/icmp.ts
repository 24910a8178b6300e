/** ICMP (RFC 792): echo request/reply and the generic header. */
import { checksum, fail, ok, put16, u16, type Parsed } from './bytes.js';

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;

export interface IcmpPacket {
  type: number;
  code: number;
  /** Bytes 4..8 of the header: identifier and sequence number for echo messages. */
  id: number;
  seq: number;
  payload: Uint8Array;
}

export function parseIcmp(b: Uint8Array): Parsed<IcmpPacket> {
  if (b.length < 8) return fail('icmp: truncated');
  if (checksum(b) !== 0) return fail('icmp: bad checksum');
  return ok({ type: b[0] ?? 0, code: b[1] ?? 0, id: u16(b, 4), seq: u16(b, 6), payload: b.subarray(8) });
}

export function buildIcmp(p: IcmpPacket): Uint8Array {
  const b = new Uint8Array(8 + p.payload.length);
  b[0] = p.type;
  b[1] = p.code;
  put16(b, 4, p.id);
  put16(b, 6, p.seq);
  b.set(p.payload, 8);
  put16(b, 2, checksum(b));
  return b;
}
