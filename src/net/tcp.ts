/** TCP segments (RFC 9293) with the pseudo-header checksum and the MSS / window-scale / SACK-permitted options. */
import { fail, finishChecksum, ok, pseudoHeaderSum, put16, put32, sum16, u16, u32, type Parsed } from './bytes.js';
import { PROTO_TCP } from './ipv4.js';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_HEADER_LEN = 20;

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** Maximum segment size option, when present. */
  mss?: number;
  /** Window-scale shift option, when present (parsed only; this stack does not scale windows). */
  windowScale?: number;
  payload: Uint8Array;
}

export function parseTcp(b: Uint8Array, src: number, dst: number): Parsed<TcpSegment> {
  if (b.length < TCP_HEADER_LEN) return fail('tcp: truncated header');
  const off = ((b[12] ?? 0) >>> 4) * 4;
  if (off < TCP_HEADER_LEN) return fail('tcp: bad data offset');
  if (off > b.length) return fail('tcp: truncated options');
  if (finishChecksum(sum16(b, 0, b.length, pseudoHeaderSum(src, dst, PROTO_TCP, b.length))) !== 0) {
    return fail('tcp: bad checksum');
  }
  const seg: TcpSegment = {
    srcPort: u16(b, 0),
    dstPort: u16(b, 2),
    seq: u32(b, 4),
    ack: u32(b, 8),
    flags: (b[13] ?? 0) & 0x3f,
    window: u16(b, 14),
    payload: b.subarray(off),
  };
  let i = TCP_HEADER_LEN;
  while (i < off) {
    const kind = b[i] ?? 0;
    if (kind === 0) break; // end of options
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= off) return fail('tcp: truncated option');
    const len = b[i + 1] ?? 0;
    if (len < 2 || i + len > off) return fail('tcp: bad option length');
    if (kind === 2) {
      if (len !== 4) return fail('tcp: bad MSS option');
      seg.mss = u16(b, i + 2);
    } else if (kind === 3) {
      if (len !== 3) return fail('tcp: bad window-scale option');
      seg.windowScale = b[i + 2] ?? 0;
    }
    i += len;
  }
  return ok(seg);
}

export function buildTcp(s: TcpSegment, src: number, dst: number): Uint8Array {
  const optLen = s.mss !== undefined ? 4 : 0;
  const hlen = TCP_HEADER_LEN + optLen;
  const b = new Uint8Array(hlen + s.payload.length);
  put16(b, 0, s.srcPort);
  put16(b, 2, s.dstPort);
  put32(b, 4, s.seq);
  put32(b, 8, s.ack);
  b[12] = (hlen / 4) << 4;
  b[13] = s.flags & 0x3f;
  put16(b, 14, s.window);
  if (s.mss !== undefined) {
    b[20] = 2;
    b[21] = 4;
    put16(b, 22, s.mss);
  }
  b.set(s.payload, hlen);
  put16(b, 16, finishChecksum(sum16(b, 0, b.length, pseudoHeaderSum(src, dst, PROTO_TCP, b.length))));
  return b;
}

/** Human-readable flags, for logs and test messages: "SYN|ACK". */
export function tcpFlagsToString(f: number): string {
  const names: Array<[number, string]> = [
    [TCP_SYN, 'SYN'],
    [TCP_ACK, 'ACK'],
    [TCP_FIN, 'FIN'],
    [TCP_RST, 'RST'],
    [TCP_PSH, 'PSH'],
    [TCP_URG, 'URG'],
  ];
  return names.filter(([bit]) => f & bit).map(([, n]) => n).join('|') || '-';
}
