/** ARP for IPv4 over Ethernet (RFC 826). */
import { fail, ok, put16, put32, u16, u32, type Parsed } from './bytes.js';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
export const ARP_LEN = 28;

export interface ArpPacket {
  op: number;
  senderMac: Uint8Array;
  senderIp: number;
  targetMac: Uint8Array;
  targetIp: number;
}

export function parseArp(b: Uint8Array): Parsed<ArpPacket> {
  if (b.length < ARP_LEN) return fail('arp: truncated');
  if (u16(b, 0) !== 1 || u16(b, 2) !== 0x0800 || b[4] !== 6 || b[5] !== 4) return fail('arp: not IPv4 over Ethernet');
  return ok({
    op: u16(b, 6),
    senderMac: b.slice(8, 14),
    senderIp: u32(b, 14),
    targetMac: b.slice(18, 24),
    targetIp: u32(b, 24),
  });
}

export function buildArp(p: ArpPacket): Uint8Array {
  const b = new Uint8Array(ARP_LEN);
  put16(b, 0, 1);
  put16(b, 2, 0x0800);
  b[4] = 6;
  b[5] = 4;
  put16(b, 6, p.op);
  b.set(p.senderMac.subarray(0, 6), 8);
  put32(b, 14, p.senderIp);
  b.set(p.targetMac.subarray(0, 6), 18);
  put32(b, 24, p.targetIp);
  return b;
}
