/** Ethernet II frames (no 802.1Q tags: a tagged frame is reported with its TPID as the ethertype). */
import { fail, ok, put16, u16, type Parsed } from './bytes.js';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETH_HEADER_LEN = 14;

export interface EthernetFrame {
  dst: Uint8Array;
  src: Uint8Array;
  ethertype: number;
  payload: Uint8Array;
}

export function parseEthernet(b: Uint8Array): Parsed<EthernetFrame> {
  if (b.length < ETH_HEADER_LEN) return fail('ethernet: truncated header');
  return ok({
    dst: b.subarray(0, 6),
    src: b.subarray(6, 12),
    ethertype: u16(b, 12),
    payload: b.subarray(ETH_HEADER_LEN),
  });
}

export function buildEthernet(dst: Uint8Array, src: Uint8Array, ethertype: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(ETH_HEADER_LEN + payload.length);
  f.set(dst.subarray(0, 6), 0);
  f.set(src.subarray(0, 6), 6);
  put16(f, 12, ethertype);
  f.set(payload, ETH_HEADER_LEN);
  return f;
}
