/**
 * User-mode networking (like QEMU's slirp): a virtual router on 10.0.2.0/24 that needs no privileges.
 * The guest's Ethernet frames are answered by an ARP responder, a DHCP server, an ICMP echo responder on the
 * gateway, and NAT for UDP (a host `dgram` socket per flow) and TCP (a TcpConnection facing the guest joined
 * to a host `net.Socket`). Host port forwards open TCP connections into the guest.
 *
 *   10.0.2.2   gateway and host (its TCP/UDP ports are the host's 127.0.0.1 ports)
 *   10.0.2.3   DNS forwarder (UDP and TCP port 53 go to the host's resolver)
 *   10.0.2.15  the address the DHCP server hands out (10.0.2.16.. for further MAC addresses)
 *
 * Frames for the guest are delivered synchronously to the onReceive callback.
 */
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { buildArp, parseArp, ARP_REPLY, ARP_REQUEST } from './arp.js';
import type { NetBackend } from './backend.js';
import { BROADCAST_MAC, DropCounter, ip, ipToString, macEquals, macToString, parseIp } from './bytes.js';
import {
  BOOTREPLY,
  BOOTREQUEST,
  buildDhcp,
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  DHCPACK,
  DHCPDISCOVER,
  DHCPINFORM,
  DHCPNAK,
  DHCPOFFER,
  DHCPREQUEST,
  dhcpMessageType,
  ipOption,
  OPT_DNS,
  OPT_LEASE_TIME,
  OPT_MESSAGE_TYPE,
  OPT_REBINDING_TIME,
  OPT_RENEWAL_TIME,
  OPT_REQUESTED_IP,
  OPT_ROUTER,
  OPT_SERVER_ID,
  OPT_SUBNET_MASK,
  OPT_BROADCAST,
  optionIp,
  parseDhcp,
  u32Option,
  type DhcpMessage,
} from './dhcp.js';
import { buildEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4, parseEthernet } from './ethernet.js';
import { buildIcmp, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, parseIcmp } from './icmp.js';
import { buildIpv4, parseIpv4, PROTO_ICMP, PROTO_TCP, PROTO_UDP, type Ipv4Packet } from './ipv4.js';
import { GUEST_NETMASK, GUEST_NETWORK, parseUserNetOptions, type HostForward } from './options.js';
import { buildTcp, parseTcp, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from './tcp.js';
import { TcpConnection, type TcpConnectionConfig, type TcpOutput } from './tcp-connection.js';
import { buildUdp, parseUdp } from './udp.js';

export const GATEWAY_IP = ip('10.0.2.2');
export const DNS_IP = ip('10.0.2.3');
export const FIRST_GUEST_IP = ip('10.0.2.15');
export const BROADCAST_IP = 0xffffffff;
/** QEMU's MAC for the virtual host: 52:55 then the gateway address. */
export const GATEWAY_MAC: Uint8Array = Uint8Array.of(0x52, 0x55, 0x0a, 0x00, 0x02, 0x02);

export interface UserNetworkConfig {
  hostForwards?: HostForward[];
  /** Where queries to 10.0.2.3:53 go (default: the first IPv4 nameserver in /etc/resolv.conf). */
  dnsServer?: { host: string; port: number };
  /** UDP NAT flows without traffic for this long are closed (default 60 s; DNS flows 10 s). */
  udpIdleTimeout?: number;
  /** DHCP lease time in seconds (default 86400). */
  leaseTime?: number;
  /** Most simultaneous NAT flows of each protocol (default 1024); beyond it new ones are refused. */
  maxFlows?: number;
  /** TCP tuning for every NAT connection (this network defaults delayedAck to 20 ms). */
  tcp?: TcpConnectionConfig;
  log?: (msg: string) => void;
}

export interface ForwardInfo {
  hostAddress: string;
  hostPort: number;
  guestAddress: string;
  guestPort: number;
}

interface UdpFlow {
  key: string;
  socket: dgram.Socket;
  guestIp: number;
  guestPort: number;
  /** The address the guest sent to, which replies appear to come from. */
  remoteIp: number;
  remotePort: number;
  hostAddress: string;
  hostPort: number;
  lastActive: number;
  idleTimeout: number;
}

interface TcpFlow {
  key: string;
  conn: TcpConnection;
  socket: net.Socket;
  guestIp: number;
  guestPort: number;
  remoteIp: number;
  remotePort: number;
}

export interface UserNetworkStats {
  framesIn: number;
  framesOut: number;
  /** NAT flows opened so far. */
  udpFlows: number;
  tcpFlows: number;
  /** Times a host socket was paused because the guest's window and our send buffer were full. */
  hostPauses: number;
}

/** First IPv4 nameserver of /etc/resolv.conf, if any. */
export function systemNameserver(path = '/etc/resolv.conf'): string | undefined {
  try {
    for (const line of fs.readFileSync(path, 'utf8').split('\n')) {
      const m = /^\s*nameserver\s+(\S+)/.exec(line);
      if (m && parseIp(m[1] ?? '') !== undefined) return m[1];
    }
  } catch {
    // no resolver configured
  }
  return undefined;
}

export class UserNetwork implements NetBackend {
  readonly drops = new DropCounter();
  readonly stats: UserNetworkStats = { framesIn: 0, framesOut: 0, udpFlows: 0, tcpFlows: 0, hostPauses: 0 };
  /** Resolves once every host forward listens (rejects if one cannot bind). */
  readonly ready: Promise<void>;

  private readonly log: (msg: string) => void;
  private readonly receivers: Array<(frame: Uint8Array) => void> = [];
  private readonly dns: { host: string; port: number } | undefined;
  private readonly udpIdle: number;
  private readonly leaseTime: number;
  private readonly maxFlows: number;
  private readonly tcpConfig: TcpConnectionConfig;
  private readonly leases = new Map<string, number>();
  private readonly arpTable = new Map<number, Uint8Array>();
  /** Packets waiting for the guest's MAC, and when we last asked for it. */
  private readonly pendingArp = new Map<number, { packets: Uint8Array[]; asked: number }>();
  private readonly udpFlows = new Map<string, UdpFlow>();
  private readonly tcpFlows = new Map<string, TcpFlow>();
  private readonly servers: Array<{ server: net.Server; fwd: HostForward }> = [];
  private readonly sweeper: ReturnType<typeof setInterval>;
  private nextIpId = 1;
  private nextFwdPort = 49152;
  private closed = false;

  constructor(config: UserNetworkConfig = {}) {
    this.log = config.log ?? (() => {});
    const ns = config.dnsServer ? undefined : systemNameserver();
    this.dns = config.dnsServer ?? (ns !== undefined ? { host: ns, port: 53 } : undefined);
    this.udpIdle = config.udpIdleTimeout ?? 60_000;
    this.leaseTime = config.leaseTime ?? 86400;
    this.maxFlows = config.maxFlows ?? 1024;
    this.tcpConfig = { delayedAck: 20, ...config.tcp };
    this.sweeper = setInterval(() => this.sweepUdp(), Math.min(5000, Math.max(50, this.udpIdle / 4)));
    this.sweeper.unref();
    this.ready = Promise.all((config.hostForwards ?? []).map((f) => this.listen(f))).then(() => undefined);
    this.ready.catch(() => {}); // callers that never await must not see an unhandled rejection
  }

  /** Builds a network from a `user,hostfwd=...` option string (throws NetOptionError on bad input). */
  static fromOptions(options: string, config: Omit<UserNetworkConfig, 'hostForwards' | 'dnsServer'> = {}): UserNetwork {
    const o = parseUserNetOptions(options);
    return new UserNetwork({ ...config, hostForwards: o.hostForwards, ...(o.dnsServer ? { dnsServer: o.dnsServer } : {}) });
  }

  // --- NetBackend ---

  send(frame: Uint8Array): void {
    if (this.closed) return;
    this.stats.framesIn++;
    try {
      this.handleFrame(frame);
    } catch (e) {
      // A bug here must not take the VM down: count it and carry on.
      this.drops.drop('internal error');
      this.log(`user network: internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
  }

  onReceive(cb: (frame: Uint8Array) => void): void {
    this.receivers.push(cb);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    for (const { server } of this.servers) server.close();
    for (const f of this.udpFlows.values()) f.socket.close();
    this.udpFlows.clear();
    for (const f of this.tcpFlows.values()) {
      f.socket.destroy();
      f.conn.abort();
    }
    this.tcpFlows.clear();
  }

  /** The host forwards with their bound ports (a configured port 0 shows the port the host chose). */
  forwards(): ForwardInfo[] {
    return this.servers.map(({ server, fwd }) => {
      const a = server.address();
      return {
        hostAddress: fwd.hostAddress,
        hostPort: a && typeof a === 'object' ? a.port : fwd.hostPort,
        guestAddress: fwd.guestAddress,
        guestPort: fwd.guestPort,
      };
    });
  }

  get guestMac(): Uint8Array | undefined {
    return this.arpTable.get(FIRST_GUEST_IP);
  }

  // --- link layer ---

  private handleFrame(frame: Uint8Array): void {
    const eth = parseEthernet(frame);
    if (!eth.ok) return this.drops.drop(eth.reason);
    const { dst, src, ethertype, payload } = eth.value;
    if (!macEquals(dst, GATEWAY_MAC) && !macEquals(dst, BROADCAST_MAC)) return this.drops.drop('ethernet: not for us');
    if (ethertype === ETHERTYPE_ARP) return this.handleArp(payload);
    if (ethertype === ETHERTYPE_IPV4) return this.handleIpv4(payload, src);
    this.drops.drop(`ethernet: ethertype 0x${ethertype.toString(16).padStart(4, '0')} unsupported`);
  }

  private handleArp(b: Uint8Array): void {
    const r = parseArp(b);
    if (!r.ok) return this.drops.drop(r.reason);
    const a = r.value;
    if (this.isGuestAddress(a.senderIp)) this.learn(a.senderIp, a.senderMac);
    if (a.op === ARP_REQUEST && (a.targetIp === GATEWAY_IP || a.targetIp === DNS_IP)) {
      const reply = buildArp({ op: ARP_REPLY, senderMac: GATEWAY_MAC, senderIp: a.targetIp, targetMac: a.senderMac, targetIp: a.senderIp });
      this.output(buildEthernet(a.senderMac, GATEWAY_MAC, ETHERTYPE_ARP, reply));
    } else if (a.op !== ARP_REPLY) {
      this.drops.drop('arp: not for a virtual address');
    }
  }

  private learn(ipAddr: number, mac: Uint8Array): void {
    this.arpTable.set(ipAddr, mac.slice(0, 6));
    const q = this.pendingArp.get(ipAddr);
    if (q) {
      this.pendingArp.delete(ipAddr);
      for (const p of q.packets) this.output(buildEthernet(mac, GATEWAY_MAC, ETHERTYPE_IPV4, p));
    }
  }

  private output(frame: Uint8Array): void {
    this.stats.framesOut++;
    if (this.receivers.length === 0) return this.drops.drop('no receiver');
    for (const cb of this.receivers) cb(frame);
  }

  /** Sends an IPv4 packet to the guest at `dstIp`, resolving its MAC with ARP when unknown. */
  private sendIp(src: number, dst: number, protocol: number, payload: Uint8Array, dstMac?: Uint8Array): void {
    const pkt = buildIpv4({ src, dst, protocol, id: this.nextIpId++ & 0xffff }, payload);
    const mac = dstMac ?? (dst === BROADCAST_IP ? BROADCAST_MAC : this.arpTable.get(dst));
    if (mac) return this.output(buildEthernet(mac, GATEWAY_MAC, ETHERTYPE_IPV4, pkt));
    if (!this.isGuestAddress(dst)) return this.drops.drop('arp: destination not a guest address');
    let q = this.pendingArp.get(dst);
    if (!q) {
      if (this.pendingArp.size >= 16) return this.drops.drop('arp: too many unresolved addresses');
      q = { packets: [], asked: -Infinity };
      this.pendingArp.set(dst, q);
    }
    // Keep the newest packets (retransmissions supersede what they repeat).
    if (q.packets.length >= 64) {
      q.packets.shift();
      this.drops.drop('arp: pending queue full');
    }
    q.packets.push(pkt);
    const now = Date.now();
    if (now - q.asked >= 1000) {
      q.asked = now;
      const req = buildArp({ op: ARP_REQUEST, senderMac: GATEWAY_MAC, senderIp: GATEWAY_IP, targetMac: new Uint8Array(6), targetIp: dst });
      this.output(buildEthernet(BROADCAST_MAC, GATEWAY_MAC, ETHERTYPE_ARP, req));
    }
  }

  private inSubnet(a: number): boolean {
    return (a & GUEST_NETMASK) >>> 0 === GUEST_NETWORK;
  }

  /** An address a guest may use as its source: in the subnet, not a virtual or network/broadcast address. */
  private isGuestAddress(a: number): boolean {
    const host = a & 0xff;
    return this.inSubnet(a) && a !== GATEWAY_IP && a !== DNS_IP && host !== 0 && host !== 255;
  }

  /** A destination NAT may reach: not this network, not multicast/broadcast/reserved, not 0.0.0.0/8. */
  private isNatDestination(a: number): boolean {
    return !this.inSubnet(a) && a >>> 28 < 14 && a >>> 24 !== 0;
  }

  // --- IPv4 ---

  private handleIpv4(b: Uint8Array, srcMac: Uint8Array): void {
    const r = parseIpv4(b);
    if (!r.ok) return this.drops.drop(r.reason);
    const p = r.value;
    if (p.fragment) return this.drops.drop('ipv4: fragments unsupported');
    if (this.isGuestAddress(p.src)) {
      const known = this.arpTable.get(p.src);
      if (!known || !macEquals(known, srcMac)) this.learn(p.src, srcMac);
    }
    switch (p.protocol) {
      case PROTO_UDP:
        return this.handleUdp(p, srcMac);
      case PROTO_TCP:
        return this.handleTcp(p);
      case PROTO_ICMP:
        return this.handleIcmp(p);
      default:
        return this.drops.drop(`ipv4: protocol ${p.protocol} unsupported`);
    }
  }

  private handleIcmp(p: Ipv4Packet): void {
    const r = parseIcmp(p.payload);
    if (!r.ok) return this.drops.drop(r.reason);
    const m = r.value;
    if (m.type !== ICMP_ECHO_REQUEST) return this.drops.drop('icmp: not an echo request');
    if (p.dst !== GATEWAY_IP && p.dst !== DNS_IP) return this.drops.drop('icmp: echo beyond the gateway unsupported');
    this.sendIp(p.dst, p.src, PROTO_ICMP, buildIcmp({ type: ICMP_ECHO_REPLY, code: 0, id: m.id, seq: m.seq, payload: m.payload }));
  }

  // --- UDP: DHCP, DNS, NAT ---

  private handleUdp(p: Ipv4Packet, srcMac: Uint8Array): void {
    const r = parseUdp(p.payload, p.src, p.dst);
    if (!r.ok) return this.drops.drop(r.reason);
    const d = r.value;
    if (d.dstPort === DHCP_SERVER_PORT && (p.dst === BROADCAST_IP || p.dst === GATEWAY_IP)) return this.handleDhcp(d.payload, srcMac);
    if (p.dst !== GATEWAY_IP && p.dst !== DNS_IP && !this.isNatDestination(p.dst)) {
      return this.drops.drop('udp: broadcast, multicast or local destination');
    }
    if (!this.isGuestAddress(p.src)) return this.drops.drop('udp: source not a guest address');
    let host: string;
    let port = d.dstPort;
    let idle = this.udpIdle;
    if (p.dst === DNS_IP) {
      if (d.dstPort !== 53) return this.drops.drop('udp: DNS address, port not 53');
      if (!this.dns) return this.drops.drop('dns: no host resolver');
      host = this.dns.host;
      port = this.dns.port;
      idle = Math.min(idle, 10_000);
    } else if (p.dst === GATEWAY_IP) {
      host = '127.0.0.1';
    } else {
      host = ipToString(p.dst);
    }
    const key = `${p.src}:${d.srcPort}>${p.dst}:${d.dstPort}`;
    let flow = this.udpFlows.get(key);
    if (!flow) {
      if (this.udpFlows.size >= this.maxFlows) return this.drops.drop('udp: too many flows');
      flow = this.openUdpFlow(key, p.src, d.srcPort, p.dst, d.dstPort, host, port, idle);
    }
    flow.lastActive = Date.now();
    flow.socket.send(d.payload, flow.hostPort, flow.hostAddress, (err) => {
      if (err) {
        this.drops.drop('udp: host send failed');
        this.log(`user network: udp send to ${flow.hostAddress}:${flow.hostPort}: ${err.message}`);
      }
    });
  }

  private openUdpFlow(
    key: string,
    guestIp: number,
    guestPort: number,
    remoteIp: number,
    remotePort: number,
    hostAddress: string,
    hostPort: number,
    idleTimeout: number,
  ): UdpFlow {
    const socket = dgram.createSocket('udp4');
    const flow: UdpFlow = { key, socket, guestIp, guestPort, remoteIp, remotePort, hostAddress, hostPort, lastActive: Date.now(), idleTimeout };
    socket.on('message', (msg, rinfo) => {
      if (this.closed) return;
      flow.lastActive = Date.now();
      // Replies from the destination appear to come from the address the guest used; others by their own
      // address (the host's loopback as the gateway).
      let srcIp = flow.remoteIp;
      let srcPort = flow.remotePort;
      if (rinfo.address !== flow.hostAddress || rinfo.port !== flow.hostPort) {
        const a = parseIp(rinfo.address);
        if (a === undefined) return this.drops.drop('udp: reply from a non-IPv4 address');
        srcIp = (a >>> 24) === 127 ? GATEWAY_IP : a;
        srcPort = rinfo.port;
      }
      const payload = new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
      if (payload.length > 1472) return this.drops.drop('udp: reply larger than the MTU');
      this.sendIp(srcIp, flow.guestIp, PROTO_UDP, buildUdp({ srcPort, dstPort: flow.guestPort, payload }, srcIp, flow.guestIp));
    });
    socket.on('error', (err) => {
      this.log(`user network: udp flow ${key}: ${err.message}`);
      this.closeUdpFlow(flow);
    });
    this.udpFlows.set(key, flow);
    this.stats.udpFlows++;
    return flow;
  }

  private closeUdpFlow(flow: UdpFlow): void {
    if (this.udpFlows.get(flow.key) !== flow) return;
    this.udpFlows.delete(flow.key);
    try {
      flow.socket.close();
    } catch {
      // already closed
    }
  }

  private sweepUdp(): void {
    const now = Date.now();
    for (const f of [...this.udpFlows.values()]) if (now - f.lastActive >= f.idleTimeout) this.closeUdpFlow(f);
  }

  /** Number of open UDP NAT flows (for tests and statistics). */
  get udpFlowCount(): number {
    return this.udpFlows.size;
  }

  get tcpFlowCount(): number {
    return this.tcpFlows.size;
  }

  private handleDhcp(b: Uint8Array, srcMac: Uint8Array): void {
    const r = parseDhcp(b);
    if (!r.ok) return this.drops.drop(r.reason);
    const m = r.value;
    if (m.op !== BOOTREQUEST) return this.drops.drop('dhcp: not a request');
    const type = dhcpMessageType(m);
    const macKey = macToString(m.chaddr);
    let lease = this.leases.get(macKey);
    if (lease === undefined) {
      const used = new Set(this.leases.values());
      for (let a = FIRST_GUEST_IP; a < FIRST_GUEST_IP + 16; a++) {
        if (!used.has(a)) {
          lease = a;
          break;
        }
      }
      if (lease === undefined) return this.drops.drop('dhcp: address pool exhausted');
      this.leases.set(macKey, lease);
    }
    const serverId = optionIp(m, OPT_SERVER_ID);
    switch (type) {
      case DHCPDISCOVER:
        return this.dhcpReply(m, DHCPOFFER, lease, srcMac);
      case DHCPREQUEST: {
        if (serverId !== undefined && serverId !== GATEWAY_IP) return; // the client chose another server
        const wanted = optionIp(m, OPT_REQUESTED_IP) ?? (m.ciaddr !== 0 ? m.ciaddr : lease);
        return this.dhcpReply(m, wanted === lease ? DHCPACK : DHCPNAK, lease, srcMac);
      }
      case DHCPINFORM:
        return this.dhcpReply(m, DHCPACK, 0, srcMac);
      default:
        // RELEASE and DECLINE need no answer: the lease stays reserved for this MAC.
        return this.drops.drop(`dhcp: message type ${type ?? 'missing'} ignored`);
    }
  }

  private dhcpReply(req: DhcpMessage, type: number, yiaddr: number, dstMac: Uint8Array): void {
    const options = new Map<number, Uint8Array>([
      [OPT_MESSAGE_TYPE, Uint8Array.of(type)],
      [OPT_SERVER_ID, ipOption(GATEWAY_IP)],
    ]);
    if (type !== DHCPNAK) {
      options.set(OPT_SUBNET_MASK, ipOption(GUEST_NETMASK));
      options.set(OPT_ROUTER, ipOption(GATEWAY_IP));
      options.set(OPT_DNS, ipOption(DNS_IP));
      options.set(OPT_BROADCAST, ipOption((GUEST_NETWORK | ~GUEST_NETMASK) >>> 0));
      if (yiaddr !== 0) {
        options.set(OPT_LEASE_TIME, u32Option(this.leaseTime));
        options.set(OPT_RENEWAL_TIME, u32Option(Math.floor(this.leaseTime / 2)));
        options.set(OPT_REBINDING_TIME, u32Option(Math.floor((this.leaseTime * 7) / 8)));
      }
    }
    const reply = buildDhcp({
      op: BOOTREPLY,
      xid: req.xid,
      secs: 0,
      flags: req.flags,
      ciaddr: type === DHCPNAK ? 0 : req.ciaddr,
      yiaddr: type === DHCPNAK ? 0 : yiaddr,
      siaddr: GATEWAY_IP,
      giaddr: 0,
      chaddr: req.chaddr,
      options,
    });
    // The client has no address yet: broadcast at the IP layer, unicast to its MAC at the link layer.
    const unicast = type !== DHCPNAK && this.isGuestAddress(req.ciaddr) && (req.flags & 0x8000) === 0;
    const dst = unicast ? req.ciaddr : BROADCAST_IP;
    const udp = buildUdp({ srcPort: DHCP_SERVER_PORT, dstPort: DHCP_CLIENT_PORT, payload: reply }, GATEWAY_IP, dst);
    this.sendIp(GATEWAY_IP, dst, PROTO_UDP, udp, dst === BROADCAST_IP ? dstMac : undefined);
  }

  // --- TCP NAT ---

  private handleTcp(p: Ipv4Packet): void {
    const r = parseTcp(p.payload, p.src, p.dst);
    if (!r.ok) return this.drops.drop(r.reason);
    const s = r.value;
    const key = `${p.src}:${s.srcPort}>${p.dst}:${s.dstPort}`;
    const flow = this.tcpFlows.get(key);
    const syn = (s.flags & (TCP_SYN | TCP_ACK | TCP_RST)) === TCP_SYN;
    if (flow && !(syn && flow.conn.state === 'TIME_WAIT')) return flow.conn.input(s);
    if (flow) flow.conn.abort(); // a new connection reusing a tuple in TIME_WAIT
    if (!syn) return this.resetUnknown(p, s);
    if (!this.isGuestAddress(p.src)) return this.drops.drop('tcp: source not a guest address');
    let host: string;
    let port = s.dstPort;
    if (p.dst === GATEWAY_IP) host = '127.0.0.1';
    else if (p.dst === DNS_IP && s.dstPort === 53 && this.dns) {
      host = this.dns.host; // DNS over TCP (large answers, truncated UDP replies)
      port = this.dns.port;
    } else if (!this.isNatDestination(p.dst)) return this.resetUnknown(p, s);
    else host = ipToString(p.dst);
    if (this.tcpFlows.size >= this.maxFlows) {
      this.drops.drop('tcp: too many flows');
      return this.resetUnknown(p, s);
    }
    const socket = new net.Socket({ allowHalfOpen: true });
    const f = this.addTcpFlow(key, socket, p.src, s.srcPort, p.dst, s.dstPort, (events) => TcpConnection.fromSyn(s, events, this.tcpConfig));
    socket.once('connect', () => f.conn.accept());
    socket.connect({ host, port });
  }

  /** RST for a segment that belongs to no connection (RFC 9293 3.10.7.1). */
  private resetUnknown(p: Ipv4Packet, s: TcpSegment): void {
    if (s.flags & TCP_RST) return this.drops.drop('tcp: RST for no connection');
    this.drops.drop('tcp: no connection');
    const len = s.payload.length + (s.flags & TCP_SYN ? 1 : 0) + (s.flags & TCP_FIN ? 1 : 0);
    const out: TcpSegment =
      s.flags & TCP_ACK
        ? { srcPort: s.dstPort, dstPort: s.srcPort, seq: s.ack, ack: 0, flags: TCP_RST, window: 0, payload: new Uint8Array(0) }
        : { srcPort: s.dstPort, dstPort: s.srcPort, seq: 0, ack: (s.seq + len) >>> 0, flags: TCP_RST | TCP_ACK, window: 0, payload: new Uint8Array(0) };
    this.sendIp(p.dst, p.src, PROTO_TCP, buildTcp(out, p.dst, p.src));
  }

  /** Joins a guest-facing TcpConnection and a host socket in both directions. */
  private addTcpFlow(
    key: string,
    socket: net.Socket,
    guestIp: number,
    guestPort: number,
    remoteIp: number,
    remotePort: number,
    make: (events: Parameters<typeof TcpConnection.connect>[0]) => TcpConnection,
  ): TcpFlow {
    let hostGone = false;
    const flow = { key, socket, guestIp, guestPort, remoteIp, remotePort } as TcpFlow;
    const conn = make({
      output: (o: TcpOutput) => {
        const seg: TcpSegment = { srcPort: remotePort, dstPort: guestPort, ...o };
        this.sendIp(remoteIp, guestIp, PROTO_TCP, buildTcp(seg, remoteIp, guestIp));
      },
      onData: (d) => {
        if (hostGone) return;
        socket.write(d);
        conn.setHostBacklog(socket.writableLength);
      },
      onEnd: () => {
        if (!hostGone) socket.end();
      },
      onDrain: () => socket.resume(),
      onClose: (why) => {
        if (this.tcpFlows.get(key) === flow) this.tcpFlows.delete(key);
        if (!hostGone) {
          hostGone = true;
          if (why === 'closed') socket.end();
          else if (typeof socket.resetAndDestroy === 'function' && socket.readyState === 'open') socket.resetAndDestroy();
          else socket.destroy();
        }
      },
    });
    flow.conn = conn;
    this.tcpFlows.set(key, flow); // before an active open sends its SYN (the answer may come synchronously)
    if (conn.state === 'CLOSED') conn.open();
    this.stats.tcpFlows++;
    socket.on('data', (d: Buffer) => {
      if (!conn.write(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)) && !socket.isPaused()) {
        this.stats.hostPauses++;
        socket.pause();
      }
    });
    socket.on('drain', () => conn.setHostBacklog(socket.writableLength));
    let hostEnded = false;
    socket.on('end', () => {
      hostEnded = true;
      // A forwarded client that left before the guest even answered, having sent nothing: drop it.
      if (conn.state === 'SYN_SENT' && conn.bufferedAmount === 0) conn.abort();
      else conn.end();
    });
    socket.on('error', (err) => {
      this.log(`user network: tcp ${key}: ${err.message}`);
      hostGone = true;
      if (conn.state === 'LISTEN') conn.refuse();
      else conn.abort();
    });
    socket.on('close', () => {
      // After a clean end the FIN exchange with the guest finishes on its own; a socket that vanished without
      // one (destroyed, or the host client gave up during the handshake) takes the guest connection with it.
      hostGone = true;
      if (!hostEnded && !conn.isClosed) conn.abort();
    });
    return flow;
  }

  // --- host forwards ---

  private listen(fwd: HostForward): Promise<void> {
    const guestIp = ip(fwd.guestAddress);
    const server = net.createServer({ allowHalfOpen: true }, (socket) => this.forwardIn(socket, fwd, guestIp));
    this.servers.push({ server, fwd });
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`hostfwd ${fwd.hostAddress}:${fwd.hostPort}: ${err.message}`)));
      server.listen(fwd.hostPort, fwd.hostAddress, () => {
        server.on('error', (err) => this.log(`user network: hostfwd: ${err.message}`));
        resolve();
      });
    });
  }

  private forwardIn(socket: net.Socket, fwd: HostForward, guestIp: number): void {
    if (this.closed || this.tcpFlows.size >= this.maxFlows) {
      socket.destroy();
      return;
    }
    // A source port on 10.0.2.2 not used by another flow to the same guest port.
    let port = 0;
    for (let i = 0; i < 16384; i++) {
      const cand = this.nextFwdPort;
      this.nextFwdPort = cand >= 65535 ? 49152 : cand + 1;
      if (!this.tcpFlows.has(`${guestIp}:${fwd.guestPort}>${GATEWAY_IP}:${cand}`)) {
        port = cand;
        break;
      }
    }
    if (port === 0) {
      socket.destroy();
      return;
    }
    const key = `${guestIp}:${fwd.guestPort}>${GATEWAY_IP}:${port}`;
    this.addTcpFlow(key, socket, guestIp, fwd.guestPort, GATEWAY_IP, port, (events) => new TcpConnection(events, this.tcpConfig));
  }
}
