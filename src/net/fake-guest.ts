/**
 * A "guest" made of frames, for tests of the user network: it builds the frames a Linux guest would send and
 * parses what comes back, and it can run TCP connections using this module's own TcpConnection as the guest's
 * TCP (any correct TCP talking to the NAT must work).
 */
import { ARP_REQUEST, buildArp, parseArp, type ArpPacket } from './arp.js';
import { ip, parseMac } from './bytes.js';
import { BOOTREQUEST, buildDhcp, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, parseDhcp, type DhcpMessage } from './dhcp.js';
import { buildEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4, parseEthernet } from './ethernet.js';
import { buildIcmp, parseIcmp, type IcmpPacket } from './icmp.js';
import { buildIpv4, parseIpv4, PROTO_ICMP, PROTO_TCP, PROTO_UDP, type Ipv4Packet } from './ipv4.js';
import { buildTcp, parseTcp, TCP_SYN, type TcpSegment } from './tcp.js';
import { TcpConnection, type TcpConnectionConfig, type TcpConnectionEvents } from './tcp-connection.js';
import { buildUdp, parseUdp, type UdpDatagram } from './udp.js';
import { GATEWAY_MAC, type UserNetwork } from './user-network.js';

export interface Received {
  frame: Uint8Array;
  dstMac: Uint8Array;
  arp?: ArpPacket;
  ip?: Ipv4Packet;
  udp?: UdpDatagram;
  tcp?: TcpSegment;
  icmp?: IcmpPacket;
  dhcp?: DhcpMessage;
}

export class FakeGuest {
  readonly mac: Uint8Array;
  ip: number;
  readonly inbox: Received[] = [];
  /** Guest TCP connections by `${localPort}>${remoteIp}:${remotePort}`. */
  readonly tcp = new Map<string, TcpConnection>();
  /** Called for a SYN to a guest port with no connection (a listening guest server). */
  listener: ((syn: TcpSegment, src: number) => TcpConnection | undefined) | undefined;
  private readonly net: UserNetwork;
  private waiters: Array<() => void> = [];

  constructor(net: UserNetwork, mac = '52:54:00:12:34:56', addr = '10.0.2.15') {
    this.net = net;
    this.mac = parseMac(mac)!;
    this.ip = ip(addr);
    net.onReceive((f) => this.receive(f));
  }

  private receive(frame: Uint8Array): void {
    const eth = parseEthernet(frame);
    if (!eth.ok) throw new Error(`host sent a bad frame: ${eth.reason}`);
    if (eth.value.dst[0] !== 0xff && !eth.value.dst.every((b, i) => b === this.mac[i])) return; // not ours
    const r: Received = { frame, dstMac: eth.value.dst };
    if (eth.value.ethertype === ETHERTYPE_ARP) {
      const a = parseArp(eth.value.payload);
      if (!a.ok) throw new Error(a.reason);
      r.arp = a.value;
    } else if (eth.value.ethertype === ETHERTYPE_IPV4) {
      const p = parseIpv4(eth.value.payload);
      if (!p.ok) throw new Error(`host sent a bad IPv4 packet: ${p.reason}`);
      r.ip = p.value;
      if (p.value.protocol === PROTO_UDP) {
        const u = parseUdp(p.value.payload, p.value.src, p.value.dst);
        if (!u.ok) throw new Error(u.reason);
        r.udp = u.value;
        if (u.value.dstPort === DHCP_CLIENT_PORT) {
          const d = parseDhcp(u.value.payload);
          if (!d.ok) throw new Error(d.reason);
          r.dhcp = d.value;
        }
      } else if (p.value.protocol === PROTO_TCP) {
        const t = parseTcp(p.value.payload, p.value.src, p.value.dst);
        if (!t.ok) throw new Error(`host sent a bad TCP segment: ${t.reason}`);
        r.tcp = t.value;
        this.dispatchTcp(p.value.src, t.value);
      } else if (p.value.protocol === PROTO_ICMP) {
        const c = parseIcmp(p.value.payload);
        if (!c.ok) throw new Error(c.reason);
        r.icmp = c.value;
      }
    }
    this.inbox.push(r);
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private dispatchTcp(src: number, s: TcpSegment): void {
    const key = `${s.dstPort}>${src}:${s.srcPort}`;
    const c = this.tcp.get(key);
    if (c) {
      c.input(s);
      return;
    }
    if ((s.flags & TCP_SYN) !== 0 && this.listener) {
      const n = this.listener(s, src);
      if (n) this.tcp.set(key, n);
    }
  }

  /** Waits until the inbox has a frame matching `pred` (searching from `from`), or fails after `ms`. */
  async waitFor(pred: (r: Received) => boolean, ms = 3000, from = 0): Promise<Received> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.inbox.slice(from).find(pred);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a frame');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  sendEthernet(ethertype: number, payload: Uint8Array, dst = GATEWAY_MAC): void {
    this.net.send(buildEthernet(dst, this.mac, ethertype, payload));
  }

  arpRequest(target: number): void {
    const p = buildArp({ op: ARP_REQUEST, senderMac: this.mac, senderIp: this.ip, targetMac: new Uint8Array(6), targetIp: target });
    this.sendEthernet(ETHERTYPE_ARP, p, Uint8Array.of(255, 255, 255, 255, 255, 255));
  }

  sendIp(dst: number, protocol: number, payload: Uint8Array, src = this.ip): void {
    this.sendEthernet(ETHERTYPE_IPV4, buildIpv4({ src, dst, protocol }, payload));
  }

  sendUdp(srcPort: number, dst: number, dstPort: number, payload: Uint8Array, src = this.ip): void {
    this.sendIp(dst, PROTO_UDP, buildUdp({ srcPort, dstPort, payload }, src, dst), src);
  }

  ping(dst: number, id: number, seq: number, payload: Uint8Array): void {
    this.sendIp(dst, PROTO_ICMP, buildIcmp({ type: 8, code: 0, id, seq, payload }));
  }

  sendTcp(dst: number, seg: TcpSegment): void {
    this.sendIp(dst, PROTO_TCP, buildTcp(seg, this.ip, dst));
  }

  dhcp(type: number, xid: number, extra: Array<[number, Uint8Array]> = [], ciaddr = 0): void {
    const m: DhcpMessage = {
      op: BOOTREQUEST,
      xid,
      secs: 0,
      flags: 0,
      ciaddr,
      yiaddr: 0,
      siaddr: 0,
      giaddr: 0,
      chaddr: this.mac,
      options: new Map([[53, Uint8Array.of(type)], ...extra]),
    };
    const udp = buildUdp({ srcPort: DHCP_CLIENT_PORT, dstPort: DHCP_SERVER_PORT, payload: buildDhcp(m) }, ciaddr, 0xffffffff);
    this.sendEthernet(
      ETHERTYPE_IPV4,
      buildIpv4({ src: ciaddr, dst: 0xffffffff, protocol: PROTO_UDP }, udp),
      Uint8Array.of(255, 255, 255, 255, 255, 255),
    );
  }

  /** Opens a guest TCP connection to dst:dstPort from localPort. */
  connect(localPort: number, dst: number, dstPort: number, events: Omit<TcpConnectionEvents, 'output'>, cfg: TcpConnectionConfig = {}): TcpConnection {
    const c = new TcpConnection({ ...events, output: (o) => this.sendTcp(dst, { srcPort: localPort, dstPort, ...o }) }, cfg);
    this.tcp.set(`${localPort}>${dst}:${dstPort}`, c); // before the SYN: the answer may come synchronously
    c.open();
    return c;
  }

  /** A guest-side TCP connection answering `syn` (for a listening guest server). */
  acceptFrom(syn: TcpSegment, src: number, events: Omit<TcpConnectionEvents, 'output'>, cfg: TcpConnectionConfig = {}): TcpConnection {
    const c = TcpConnection.fromSyn(syn, { ...events, output: (o) => this.sendTcp(src, { srcPort: syn.dstPort, dstPort: syn.srcPort, ...o }) }, cfg);
    return c;
  }
}
