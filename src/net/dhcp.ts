/** DHCP messages (RFC 2131/2132) over BOOTP: the fixed header, the magic cookie and the options. */
import { fail, ok, put16, put32, u16, u32, type Parsed } from './bytes.js';

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
export const DHCP_MAGIC = 0x63825363;

export const DHCPDISCOVER = 1;
export const DHCPOFFER = 2;
export const DHCPREQUEST = 3;
export const DHCPDECLINE = 4;
export const DHCPACK = 5;
export const DHCPNAK = 6;
export const DHCPRELEASE = 7;
export const DHCPINFORM = 8;

export const OPT_PAD = 0;
export const OPT_SUBNET_MASK = 1;
export const OPT_ROUTER = 3;
export const OPT_DNS = 6;
export const OPT_HOSTNAME = 12;
export const OPT_DOMAIN_NAME = 15;
export const OPT_BROADCAST = 28;
export const OPT_REQUESTED_IP = 50;
export const OPT_LEASE_TIME = 51;
export const OPT_MESSAGE_TYPE = 53;
export const OPT_SERVER_ID = 54;
export const OPT_PARAM_LIST = 55;
export const OPT_MAX_SIZE = 57;
export const OPT_RENEWAL_TIME = 58;
export const OPT_REBINDING_TIME = 59;
export const OPT_CLIENT_ID = 61;
export const OPT_END = 255;

/** Fixed BOOTP header (236 bytes) plus the 4-byte magic cookie. */
export const DHCP_FIXED_LEN = 240;

export interface DhcpMessage {
  op: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: number;
  yiaddr: number;
  siaddr: number;
  giaddr: number;
  chaddr: Uint8Array; // 6 bytes (Ethernet)
  /** Options by code; a repeated option is concatenated (RFC 3396). */
  options: Map<number, Uint8Array>;
}

export function parseDhcp(b: Uint8Array): Parsed<DhcpMessage> {
  if (b.length < DHCP_FIXED_LEN) return fail('dhcp: truncated');
  if (b[1] !== 1 || b[2] !== 6) return fail('dhcp: not Ethernet');
  if (u32(b, 236) !== DHCP_MAGIC) return fail('dhcp: no magic cookie');
  const options = new Map<number, Uint8Array>();
  let i = DHCP_FIXED_LEN;
  let ended = false;
  while (i < b.length) {
    const code = b[i] ?? 0;
    if (code === OPT_PAD) {
      i++;
      continue;
    }
    if (code === OPT_END) {
      ended = true;
      break;
    }
    if (i + 1 >= b.length) return fail('dhcp: truncated option');
    const len = b[i + 1] ?? 0;
    if (i + 2 + len > b.length) return fail('dhcp: option overruns packet');
    const data = b.slice(i + 2, i + 2 + len);
    const prev = options.get(code);
    if (prev) {
      const joined = new Uint8Array(prev.length + data.length);
      joined.set(prev);
      joined.set(data, prev.length);
      options.set(code, joined);
    } else {
      options.set(code, data);
    }
    i += 2 + len;
  }
  if (!ended) return fail('dhcp: options without end');
  return ok({
    op: b[0] ?? 0,
    xid: u32(b, 4),
    secs: u16(b, 8),
    flags: u16(b, 10),
    ciaddr: u32(b, 12),
    yiaddr: u32(b, 16),
    siaddr: u32(b, 20),
    giaddr: u32(b, 24),
    chaddr: b.slice(28, 34),
    options,
  });
}

/** The DHCP message type (option 53), or undefined when absent or malformed. */
export function dhcpMessageType(m: DhcpMessage): number | undefined {
  const t = m.options.get(OPT_MESSAGE_TYPE);
  return t && t.length === 1 ? t[0] : undefined;
}

export function optionIp(m: DhcpMessage, code: number): number | undefined {
  const v = m.options.get(code);
  return v && v.length === 4 ? u32(v, 0) : undefined;
}

export function ipOption(ip: number): Uint8Array {
  const b = new Uint8Array(4);
  put32(b, 0, ip);
  return b;
}

export function u32Option(v: number): Uint8Array {
  return ipOption(v);
}

export function buildDhcp(m: DhcpMessage): Uint8Array {
  let optLen = 1; // end
  for (const v of m.options.values()) optLen += 2 + v.length + Math.floor(v.length / 256) * 2;
  // BOOTP clients expect at least 300 bytes.
  const b = new Uint8Array(Math.max(300, DHCP_FIXED_LEN + optLen));
  b[0] = m.op;
  b[1] = 1;
  b[2] = 6;
  put32(b, 4, m.xid);
  put16(b, 8, m.secs);
  put16(b, 10, m.flags);
  put32(b, 12, m.ciaddr);
  put32(b, 16, m.yiaddr);
  put32(b, 20, m.siaddr);
  put32(b, 24, m.giaddr);
  b.set(m.chaddr.subarray(0, 16), 28);
  put32(b, 236, DHCP_MAGIC);
  let i = DHCP_FIXED_LEN;
  for (const [code, v] of m.options) {
    // Options longer than 255 bytes are split into several instances (RFC 3396).
    let o = 0;
    do {
      const n = Math.min(255, v.length - o);
      b[i] = code;
      b[i + 1] = n;
      b.set(v.subarray(o, o + n), i + 2);
      i += 2 + n;
      o += n;
    } while (o < v.length);
  }
  b[i] = OPT_END;
  return b;
}
