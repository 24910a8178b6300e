/**
 * QEMU-like option strings for user-mode networking:
 *   user[,hostfwd=tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...[,dns=HOST[:PORT]]
 * e.g. `user,hostfwd=tcp:8080-:80,hostfwd=tcp:127.0.0.1:2222-:22`.
 * An empty host address means 127.0.0.1 (QEMU binds every interface; a loopback default keeps a guest's
 * services private unless the user names an address such as 0.0.0.0). `dns=` (not in QEMU) names the
 * resolver that queries to 10.0.2.3 are forwarded to, instead of the first nameserver in /etc/resolv.conf.
 */
import { ipToString, parseIp } from './bytes.js';

export interface HostForward {
  protocol: 'tcp';
  hostAddress: string;
  /** 0 asks the host for any free port (useful in tests). */
  hostPort: number;
  guestAddress: string;
  guestPort: number;
}

export interface UserNetOptions {
  hostForwards: HostForward[];
  dnsServer?: { host: string; port: number };
}

export const GUEST_NETWORK = 0x0a000200; // 10.0.2.0/24
export const GUEST_NETMASK = 0xffffff00;
export const DEFAULT_GUEST_IP = '10.0.2.15';

export class NetOptionError extends Error {
  override name = 'NetOptionError';
}

function parsePort(s: string, what: string, allowZero: boolean): number {
  if (!/^\d{1,5}$/.test(s)) throw new NetOptionError(`${what} '${s}' is not a port number`);
  const n = Number(s);
  if (n > 65535 || (n === 0 && !allowZero)) throw new NetOptionError(`${what} ${n} is out of range (1..65535)`);
  return n;
}

/** Parses one `hostfwd=` value: `tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT`. */
export function parseHostForward(v: string): HostForward {
  const m = /^([a-z]*):([^-]*)-(.*)$/.exec(v);
  if (!m) throw new NetOptionError(`hostfwd '${v}': expected tcp:[hostaddr]:hostport-[guestaddr]:guestport`);
  const [, proto = '', hostPart = '', guestPart = ''] = m;
  if (proto === 'udp') throw new NetOptionError(`hostfwd '${v}': udp forwards are not supported yet (only tcp)`);
  if (proto !== 'tcp') throw new NetOptionError(`hostfwd '${v}': protocol must be tcp, not '${proto}'`);
  const split = (part: string, side: string): [string, string] => {
    const i = part.lastIndexOf(':');
    if (i < 0) {
      if (side === 'host') return ['', part];
      throw new NetOptionError(`hostfwd '${v}': guest side must be [guestaddr]:guestport`);
    }
    return [part.slice(0, i), part.slice(i + 1)];
  };
  const [hostAddr, hostPortS] = split(hostPart, 'host');
  const [guestAddr, guestPortS] = split(guestPart, 'guest');
  const hostAddress = hostAddr === '' ? '127.0.0.1' : hostAddr;
  if (parseIp(hostAddress) === undefined) throw new NetOptionError(`hostfwd '${v}': host address '${hostAddr}' is not an IPv4 address`);
  const guestAddress = guestAddr === '' ? DEFAULT_GUEST_IP : guestAddr;
  const g = parseIp(guestAddress);
  if (g === undefined) throw new NetOptionError(`hostfwd '${v}': guest address '${guestAddr}' is not an IPv4 address`);
  if ((g & GUEST_NETMASK) >>> 0 !== GUEST_NETWORK) {
    throw new NetOptionError(`hostfwd '${v}': guest address ${guestAddress} is outside the guest network ${ipToString(GUEST_NETWORK)}/24`);
  }
  return {
    protocol: 'tcp',
    hostAddress,
    hostPort: parsePort(hostPortS, `hostfwd '${v}': host port`, true),
    guestAddress,
    guestPort: parsePort(guestPortS, `hostfwd '${v}': guest port`, false),
  };
}

/** Parses the whole `user,...` string. Throws NetOptionError with a message fit for the command line. */
export function parseUserNetOptions(s: string): UserNetOptions {
  const parts = s.split(',');
  if (parts[0] !== 'user') {
    throw new NetOptionError(`network backend '${parts[0] ?? ''}' is not 'user' (expected user[,hostfwd=...])`);
  }
  const out: UserNetOptions = { hostForwards: [] };
  for (const p of parts.slice(1)) {
    if (p === '') throw new NetOptionError(`empty option in '${s}'`);
    const eq = p.indexOf('=');
    if (eq < 0) throw new NetOptionError(`option '${p}' needs a value (key=value)`);
    const key = p.slice(0, eq);
    const value = p.slice(eq + 1);
    if (key === 'hostfwd') {
      out.hostForwards.push(parseHostForward(value));
    } else if (key === 'dns') {
      const m = /^([^:]+)(?::(\d+))?$/.exec(value);
      if (!m || parseIp(m[1] ?? '') === undefined) throw new NetOptionError(`dns '${value}': expected an IPv4 address with an optional :port`);
      out.dnsServer = { host: m[1] ?? '', port: m[2] === undefined ? 53 : parsePort(m[2], `dns '${value}': port`, false) };
    } else {
      throw new NetOptionError(`unknown user network option '${key}' (known: hostfwd, dns)`);
    }
  }
  const seen = new Set<string>();
  for (const f of out.hostForwards) {
    const k = `${f.hostAddress}:${f.hostPort}`;
    if (f.hostPort !== 0 && seen.has(k)) throw new NetOptionError(`hostfwd: host port ${k} is forwarded twice`);
    seen.add(k);
  }
  return out;
}
