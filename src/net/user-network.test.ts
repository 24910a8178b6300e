import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import fc from 'fast-check';
import { ARP_REPLY } from './arp.js';
import { ip, ipToString, macToString, u32 } from './bytes.js';
import {
  DHCPACK,
  DHCPDISCOVER,
  DHCPNAK,
  DHCPOFFER,
  DHCPREQUEST,
  dhcpMessageType,
  ipOption,
  OPT_DNS,
  OPT_LEASE_TIME,
  OPT_REQUESTED_IP,
  OPT_ROUTER,
  OPT_SERVER_ID,
  OPT_SUBNET_MASK,
  optionIp,
} from './dhcp.js';
import { buildEthernet, ETHERTYPE_IPV4 } from './ethernet.js';
import { FakeGuest } from './fake-guest.js';
import { buildIpv4, PROTO_TCP } from './ipv4.js';
import { buildTcp, TCP_ACK, TCP_RST, TCP_SYN } from './tcp.js';
import type { TcpCloseReason } from './tcp-connection.js';
import { DNS_IP, GATEWAY_IP, GATEWAY_MAC, systemNameserver, UserNetwork, type UserNetworkConfig } from './user-network.js';

const GUEST = ip('10.0.2.15');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | number[]): string => new TextDecoder().decode(b instanceof Uint8Array ? b : Uint8Array.from(b));

function rig(cfg: UserNetworkConfig = {}): { net: UserNetwork; guest: FakeGuest } {
  const n = new UserNetwork({ dnsServer: { host: '127.0.0.1', port: 9 }, ...cfg });
  return { net: n, guest: new FakeGuest(n) };
}

function listenTcp(handler: (s: net.Socket) => void): Promise<net.Server & { port: number }> {
  return new Promise((resolve) => {
    const server = net.createServer({ allowHalfOpen: true }, handler);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(Object.assign(server, { port: typeof a === 'object' && a ? a.port : 0 }));
    });
  });
}

function listenUdp(handler: (msg: Buffer, rinfo: dgram.RemoteInfo, s: dgram.Socket) => void): Promise<dgram.Socket & { port: number }> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.on('message', (m, r) => handler(m, r, s));
    s.bind(0, '127.0.0.1', () => resolve(Object.assign(s, { port: s.address().port })));
  });
}

function until(pred: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (pred()) resolve();
      else if (Date.now() > deadline) reject(new Error('timed out'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

test('ARP: the gateway and DNS addresses answer with the virtual MAC; others are not answered', async () => {
  const { net: n, guest } = rig();
  guest.arpRequest(GATEWAY_IP);
  guest.arpRequest(DNS_IP);
  guest.arpRequest(ip('10.0.2.99'));
  assert.equal(guest.inbox.length, 2);
  for (const [i, target] of [GATEWAY_IP, DNS_IP].entries()) {
    const a = guest.inbox[i]?.arp;
    assert.equal(a?.op, ARP_REPLY);
    assert.equal(a?.senderIp, target);
    assert.equal(macToString(a.senderMac), macToString(GATEWAY_MAC));
    assert.equal(a.targetIp, GUEST);
    assert.equal(macToString(guest.inbox[i]!.dstMac), macToString(guest.mac));
  }
  assert.equal(n.drops.count('arp: not for a virtual address'), 1);
  assert.equal(macToString(n.guestMac!), macToString(guest.mac), 'the guest MAC is learned');
  n.close();
});

test('ICMP: echo requests to the gateway are answered; beyond it they are dropped and counted', () => {
  const { net: n, guest } = rig();
  guest.ping(GATEWAY_IP, 0x42, 7, enc('hello ping'));
  const r = guest.inbox[0];
  assert.equal(r?.icmp?.type, 0);
  assert.equal(r.icmp.id, 0x42);
  assert.equal(r.icmp.seq, 7);
  assert.equal(dec(r.icmp.payload), 'hello ping');
  assert.equal(r.ip?.src, GATEWAY_IP);
  assert.equal(r.ip.dst, GUEST);
  guest.ping(ip('192.0.2.1'), 1, 1, enc('x'));
  assert.equal(guest.inbox.length, 1);
  assert.equal(n.drops.count('icmp: echo beyond the gateway unsupported'), 1);
  n.close();
});

test('DHCP: DISCOVER/OFFER/REQUEST/ACK with router, DNS, mask and lease time; NAK for a foreign address', () => {
  const { net: n, guest } = rig({ leaseTime: 3600 });
  guest.dhcp(DHCPDISCOVER, 0x1234);
  const offer = guest.inbox[0]?.dhcp;
  assert.ok(offer);
  assert.equal(dhcpMessageType(offer), DHCPOFFER);
  assert.equal(offer.xid, 0x1234);
  assert.equal(ipToString(offer.yiaddr), '10.0.2.15');
  assert.equal(optionIp(offer, OPT_SERVER_ID), GATEWAY_IP);
  assert.equal(optionIp(offer, OPT_ROUTER), GATEWAY_IP);
  assert.equal(optionIp(offer, OPT_DNS), DNS_IP);
  assert.equal(ipToString(optionIp(offer, OPT_SUBNET_MASK)!), '255.255.255.0');
  assert.equal(u32(offer.options.get(OPT_LEASE_TIME)!, 0), 3600);
  const r0 = guest.inbox[0]!;
  assert.equal(r0.ip?.dst, 0xffffffff);
  assert.equal(r0.ip.src, GATEWAY_IP);
  assert.equal(r0.udp?.srcPort, 67);
  assert.equal(r0.udp.dstPort, 68);
  assert.equal(macToString(r0.dstMac), macToString(guest.mac));
  // udhcpc's REQUEST: requested address and server identifier.
  guest.dhcp(DHCPREQUEST, 0x1235, [
    [OPT_REQUESTED_IP, ipOption(offer.yiaddr)],
    [OPT_SERVER_ID, ipOption(GATEWAY_IP)],
  ]);
  const ack = guest.inbox[1]?.dhcp;
  assert.ok(ack);
  assert.equal(dhcpMessageType(ack), DHCPACK);
  assert.equal(ipToString(ack.yiaddr), '10.0.2.15');
  assert.equal(optionIp(ack, OPT_ROUTER), GATEWAY_IP);
  // Asking for another address is refused.
  guest.dhcp(DHCPREQUEST, 0x1236, [[OPT_REQUESTED_IP, ipOption(ip('10.0.2.77'))]]);
  assert.equal(dhcpMessageType(guest.inbox[2]!.dhcp!), DHCPNAK);
  // A REQUEST meant for another server is ignored.
  guest.dhcp(DHCPREQUEST, 0x1237, [[OPT_SERVER_ID, ipOption(ip('10.0.2.50'))]]);
  assert.equal(guest.inbox.length, 3);
  // Renewal (unicast, ciaddr set) is ACKed to the client's address.
  guest.dhcp(DHCPREQUEST, 0x1238, [], GUEST);
  assert.equal(dhcpMessageType(guest.inbox[3]!.dhcp!), DHCPACK);
  assert.equal(guest.inbox[3]!.ip?.dst, GUEST);
  // A second network card gets the next address.
  const other = new FakeGuest(n, '52:54:00:00:00:02');
  other.dhcp(DHCPDISCOVER, 9);
  assert.equal(ipToString(other.inbox.at(-1)!.dhcp!.yiaddr), '10.0.2.16');
  n.close();
});

test('hostile frames: random bytes and mutated valid frames never throw; drops are counted', () => {
  const { net: n, guest } = rig();
  const valid = buildEthernet(
    GATEWAY_MAC,
    guest.mac,
    ETHERTYPE_IPV4,
    buildIpv4({ src: GUEST, dst: GATEWAY_IP, protocol: PROTO_TCP }, buildTcp({ srcPort: 1, dstPort: 1, seq: 1, ack: 0, flags: TCP_ACK, window: 1, payload: new Uint8Array(0) }, GUEST, GATEWAY_IP)),
  );
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 1600 }),
        fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(valid.length)).map(([i, v, cut]) => {
          const b = valid.slice(0, Math.max(cut, 1));
          if (i < b.length) b[i] = v;
          return b;
        }),
      ),
      (frame) => {
        n.send(frame);
      },
    ),
    { numRuns: 3000 },
  );
  assert.ok(n.drops.total > 0);
  assert.equal(n.drops.count('internal error'), 0);
  n.close();
});

test('TCP: a segment for no connection gets a RST; a RST for none is dropped silently', () => {
  const { net: n, guest } = rig();
  guest.sendTcp(GATEWAY_IP, { srcPort: 5000, dstPort: 80, seq: 10, ack: 77, flags: TCP_ACK, window: 100, payload: enc('abc') });
  const r = guest.inbox[0]?.tcp;
  assert.equal(r?.flags, TCP_RST);
  assert.equal(r.seq, 77);
  guest.sendTcp(GATEWAY_IP, { srcPort: 5000, dstPort: 80, seq: 10, ack: 0, flags: TCP_RST, window: 0, payload: new Uint8Array(0) });
  assert.equal(guest.inbox.length, 1);
  n.close();
});

test('UDP NAT: datagrams to 10.0.2.2 reach the host loopback and replies come back; idle flows close', async () => {
  const echo = await listenUdp((m, r, s) => s.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address));
  const { net: n, guest } = rig({ udpIdleTimeout: 200 });
  guest.sendUdp(40000, GATEWAY_IP, echo.port, enc('one'));
  guest.sendUdp(40000, GATEWAY_IP, echo.port, enc('two'));
  const a = await guest.waitFor((r) => r.udp !== undefined && dec(r.udp.payload) === 'echo:two');
  assert.equal(a.ip?.src, GATEWAY_IP);
  assert.equal(a.udp?.srcPort, echo.port);
  assert.equal(a.udp.dstPort, 40000);
  assert.ok(guest.inbox.some((r) => r.udp && dec(r.udp.payload) === 'echo:one'));
  assert.equal(n.udpFlowCount, 1, 'one host socket per flow');
  guest.sendUdp(40001, GATEWAY_IP, echo.port, enc('three'));
  await guest.waitFor((r) => r.udp !== undefined && dec(r.udp.payload) === 'echo:three');
  assert.equal(n.udpFlowCount, 2);
  await until(() => n.udpFlowCount === 0, 3000);
  n.close();
  echo.close();
});

test('DNS: queries to 10.0.2.3:53 go to the configured resolver (a fake on 127.0.0.1) and answer from 10.0.2.3', async () => {
  const seen: string[] = [];
  const fakeDns = await listenUdp((m, r, s) => {
    seen.push(m.subarray(12).toString('latin1'));
    const reply = Buffer.from(m);
    reply[2] = 0x81; // QR, RD
    reply[3] = 0x80; // RA
    s.send(reply, r.port, r.address);
  });
  const { net: n, guest } = rig({ dnsServer: { host: '127.0.0.1', port: fakeDns.port } });
  const query = Uint8Array.from([0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, ...enc('example'), 3, ...enc('com'), 0, 0, 1, 0, 1]);
  guest.sendUdp(33333, DNS_IP, 53, query);
  const r = await guest.waitFor((x) => x.udp?.dstPort === 33333);
  assert.equal(r.ip?.src, DNS_IP);
  assert.equal(r.udp?.srcPort, 53);
  assert.equal(r.udp.payload[0], 0xab);
  assert.equal(r.udp.payload[2], 0x81);
  assert.equal(seen.length, 1);
  // Other ports on the DNS address are dropped.
  guest.sendUdp(33334, DNS_IP, 54, query);
  assert.equal(n.drops.count('udp: DNS address, port not 53'), 1);
  n.close();
  fakeDns.close();
});

test('DNS: the system resolver is the first IPv4 nameserver of resolv.conf', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-net-'));
  const f = path.join(dir, 'resolv.conf');
  fs.writeFileSync(f, '# comment\nsearch example\nnameserver fe80::1\nnameserver 127.0.0.53\nnameserver 10.0.0.1\n');
  assert.equal(systemNameserver(f), '127.0.0.53');
  assert.equal(systemNameserver(path.join(dir, 'missing')), undefined);
  fs.rmSync(dir, { recursive: true });
});

test('TCP NAT end to end: guest connects to 10.0.2.2:PORT (host 127.0.0.1), data both ways, clean close', async () => {
  const serverSide: string[] = [];
  const server = await listenTcp((s) => {
    s.on('data', (d) => {
      serverSide.push(d.toString());
      s.write(d.toString().toUpperCase());
    });
    s.on('end', () => s.end('bye'));
  });
  const { net: n, guest } = rig({ tcp: { timeWait: 50 } });
  const got: number[] = [];
  let ended = false;
  let closed: TcpCloseReason | undefined;
  const c = guest.connect(45000, GATEWAY_IP, server.port, {
    onData: (d) => void got.push(...d),
    onEnd: () => (ended = true),
    onClose: (why) => (closed = why),
  }, { timeWait: 50 });
  await until(() => c.state === 'ESTABLISHED');
  c.write(enc('hello host'));
  await until(() => dec(got) === 'HELLO HOST');
  c.end();
  await until(() => ended);
  assert.equal(dec(got), 'HELLO HOSTbye');
  assert.deepEqual(serverSide, ['hello host']);
  await until(() => closed !== undefined && n.tcpFlowCount === 0);
  assert.equal(closed, 'closed');
  n.close();
  server.close();
});

test('TCP NAT: a refused host port answers the guest SYN with RST', async () => {
  const server = await listenTcp(() => {});
  const port = server.port;
  await new Promise<void>((r) => server.close(() => r()));
  const { net: n, guest } = rig();
  let closed: TcpCloseReason | undefined;
  guest.connect(45001, GATEWAY_IP, port, { onClose: (why) => (closed = why) });
  await until(() => closed !== undefined);
  assert.equal(closed, 'refused');
  assert.equal(n.tcpFlowCount, 0);
  n.close();
});

test('TCP NAT: no SYN-ACK before the host connection succeeds (the guest SYN waits)', async () => {
  let accept: (() => void) | undefined;
  // A server that accepts at the TCP level immediately; the NAT's SYN-ACK follows the host connect.
  const server = await listenTcp((s) => s.end());
  const { net: n, guest } = rig();
  guest.sendTcp(GATEWAY_IP, { srcPort: 45002, dstPort: server.port, seq: 100, ack: 0, flags: TCP_SYN, window: 65535, mss: 1460, payload: new Uint8Array(0) });
  assert.equal(guest.inbox.length, 0, 'nothing synchronously');
  const synAck = await guest.waitFor((r) => r.tcp !== undefined);
  assert.equal(synAck.tcp?.flags, TCP_SYN | TCP_ACK);
  assert.equal(synAck.tcp.ack, 101);
  assert.equal(synAck.tcp.mss, 1460);
  void accept;
  n.close();
  server.close();
});

test('TCP NAT: 2 MB host->guest through a slow guest reader (flow control pauses the host socket), and 1 MB guest->host', async () => {
  const SIZE = 2 * 1024 * 1024;
  const payload = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i++) payload[i] = (i * 7) & 0xff;
  let serverGot = 0;
  let serverBad = false;
  const server = await listenTcp((s) => {
    s.end(Buffer.from(payload));
    s.on('data', (d) => {
      for (let i = 0; i < d.length; i++) if (d[i] !== ((serverGot + i) * 13 & 0xff)) serverBad = true;
      serverGot += d.length;
    });
  });
  const { net: n, guest } = rig({ tcp: { sendHighWater: 64 * 1024 } });
  let got = 0;
  let bad = false;
  let ended = false;
  let backlog = 0;
  const c = guest.connect(45003, GATEWAY_IP, server.port, {
    onData: (d) => {
      for (let i = 0; i < d.length; i++) if (d[i] !== (((got + i) * 7) & 0xff)) bad = true;
      got += d.length;
      backlog += d.length;
      c.setHostBacklog(backlog); // the "application" in the guest reads slowly
    },
    onEnd: () => (ended = true),
  });
  const reader = setInterval(() => {
    backlog = Math.max(0, backlog - 32 * 1024);
    c.setHostBacklog(backlog);
  }, 2);
  await until(() => c.state === 'ESTABLISHED');
  const up = new Uint8Array(1024 * 1024);
  for (let i = 0; i < up.length; i++) up[i] = (i * 13) & 0xff;
  for (let o = 0; o < up.length; o += 16384) c.write(up.subarray(o, o + 16384));
  c.end();
  await until(() => ended && serverGot === up.length, 30000);
  clearInterval(reader);
  assert.equal(got, SIZE);
  assert.equal(bad, false);
  assert.equal(serverBad, false);
  assert.ok(n.stats.hostPauses > 0, 'the host socket was paused while the guest window was full');
  assert.equal(n.drops.count('internal error'), 0);
  n.close();
  server.close();
});

test('TCP NAT: host reset reaches the guest as RST; guest RST resets the host socket', async () => {
  let hostSocket: net.Socket | undefined;
  const hostErrors: string[] = [];
  const server = await listenTcp((s) => {
    hostSocket = s;
    s.on('error', (e: NodeJS.ErrnoException) => hostErrors.push(e.code ?? e.message));
  });
  const { net: n, guest } = rig();
  let closed: TcpCloseReason | undefined;
  guest.connect(45004, GATEWAY_IP, server.port, { onClose: (why) => (closed = why) });
  await until(() => hostSocket !== undefined);
  hostSocket!.resetAndDestroy();
  await until(() => closed !== undefined);
  assert.equal(closed, 'reset');
  // Now the other way.
  hostSocket = undefined;
  const c2 = guest.connect(45005, GATEWAY_IP, server.port, {});
  await until(() => hostSocket !== undefined && c2.state === 'ESTABLISHED');
  c2.abort();
  await until(() => hostErrors.includes('ECONNRESET'));
  await until(() => n.tcpFlowCount === 0);
  n.close();
  server.close();
});

test('host forward: a host client reaches a server in the guest through hostfwd (SYN from 10.0.2.2)', async () => {
  const { net: n, guest } = rig({ hostForwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 0, guestAddress: '10.0.2.15', guestPort: 80 }] });
  await n.ready;
  const fwd = n.forwards()[0]!;
  assert.ok(fwd.hostPort > 0);
  // Learn the guest's MAC as a booted guest would have (it ARPs for its gateway).
  guest.arpRequest(GATEWAY_IP);
  let synSrc = 0;
  guest.listener = (syn, src) => {
    if (syn.dstPort !== 80) return undefined;
    synSrc = src;
    const conn = guest.acceptFrom(syn, src, {
      onData: (d) => void conn.write(enc(`HTTP/1.0 200 OK\r\n\r\nyou said ${dec(d)}`)),
      onEnd: () => conn.end(),
    });
    conn.accept();
    return conn;
  };
  const reply = await new Promise<string>((resolve, reject) => {
    const s = net.connect(fwd.hostPort, '127.0.0.1', () => s.end('GET /'));
    let buf = '';
    s.on('data', (d) => (buf += d.toString()));
    s.on('end', () => resolve(buf));
    s.on('error', reject);
  });
  assert.equal(reply, 'HTTP/1.0 200 OK\r\n\r\nyou said GET /');
  assert.equal(synSrc, GATEWAY_IP);
  n.close();
});

test('host forward: a guest with nothing listening (RST) resets the host client; guest MAC resolved by ARP', async () => {
  const { net: n, guest } = rig({ hostForwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 0, guestAddress: '10.0.2.15', guestPort: 22 }] });
  await n.ready;
  // The guest answers ARP requests for its address and RSTs the SYN (no listener).
  const seenArp = guest.waitFor((r) => r.arp !== undefined && r.arp.targetIp === GUEST).then(() => guest.arpRequest(GATEWAY_IP));
  const syn = guest.waitFor((r) => r.tcp !== undefined && (r.tcp.flags & TCP_SYN) !== 0).then((r) =>
    guest.sendTcp(GATEWAY_IP, { srcPort: 22, dstPort: r.tcp!.srcPort, seq: 0, ack: (r.tcp!.seq + 1) >>> 0, flags: TCP_RST | TCP_ACK, window: 0, payload: new Uint8Array(0) }),
  );
  const outcome = await new Promise<string>((resolve) => {
    const s = net.connect(n.forwards()[0]!.hostPort, '127.0.0.1');
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    s.on('close', () => resolve('closed'));
  });
  await seenArp;
  await syn;
  assert.ok(outcome === 'ECONNRESET' || outcome === 'closed', outcome);
  n.close();
});

test('host forward: a port already in use rejects ready with a clear message', async () => {
  const busy = await listenTcp(() => {});
  const n = new UserNetwork({ hostForwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: busy.port, guestAddress: '10.0.2.15', guestPort: 80 }] });
  await assert.rejects(n.ready, /hostfwd 127.0.0.1:\d+: .*EADDRINUSE/);
  n.close();
  busy.close();
});

test('host forward: a host client that gives up before the guest answers leaves no flow behind', async () => {
  const { net: n, guest } = rig({ hostForwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 0, guestAddress: '10.0.2.15', guestPort: 8080 }] });
  await n.ready;
  guest.arpRequest(GATEWAY_IP);
  const s = net.connect(n.forwards()[0]!.hostPort, '127.0.0.1');
  await guest.waitFor((r) => r.tcp !== undefined && r.tcp.flags === TCP_SYN);
  assert.equal(n.tcpFlowCount, 1);
  s.destroy();
  await until(() => n.tcpFlowCount === 0);
  n.close();
});

test('close() releases sockets and listeners; later frames are ignored', async () => {
  const { net: n, guest } = rig({ hostForwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 0, guestAddress: '10.0.2.15', guestPort: 80 }] });
  await n.ready;
  const port = n.forwards()[0]!.hostPort;
  const echo = await listenUdp(() => {});
  guest.sendUdp(40000, GATEWAY_IP, echo.port, enc('x'));
  assert.equal(n.udpFlowCount, 1);
  n.close();
  assert.equal(n.udpFlowCount, 0);
  const before = guest.inbox.length;
  guest.ping(GATEWAY_IP, 1, 1, enc('x'));
  assert.equal(guest.inbox.length, before);
  const refused = await new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    s.on('connect', () => {
      s.destroy();
      resolve('connected');
    });
  });
  assert.equal(refused, 'ECONNREFUSED');
  echo.close();
});

test('hostile addresses: multicast/local UDP, spoofed virtual sources and odd DHCP ciaddr open nothing on the host', () => {
  const { net: n, guest } = rig();
  guest.sendUdp(5353, ip('224.0.0.251'), 5353, enc('mdns')); // never leaves: multicast
  guest.sendUdp(1000, ip('10.0.2.99'), 1000, enc('x')); // local network
  guest.sendUdp(1000, ip('0.1.2.3'), 1000, enc('x'));
  guest.sendUdp(1000, GATEWAY_IP, 1000, enc('x'), GATEWAY_IP); // spoofed gateway source
  assert.equal(n.udpFlowCount, 0);
  assert.equal(n.drops.count('udp: broadcast, multicast or local destination'), 3);
  assert.equal(n.drops.count('udp: source not a guest address'), 1);
  guest.sendTcp(ip('10.0.2.99'), { srcPort: 1, dstPort: 2, seq: 5, ack: 0, flags: TCP_SYN, window: 100, payload: new Uint8Array(0) });
  const rst = guest.inbox.at(-1)?.tcp;
  assert.equal(rst?.flags, TCP_RST | TCP_ACK);
  assert.equal(rst.ack, 6);
  assert.equal(n.tcpFlowCount, 0);
  // A DHCP renewal claiming an outside address is answered by broadcast, not ARPed for.
  guest.dhcp(DHCPREQUEST, 1, [], ip('8.8.8.8'));
  assert.equal(guest.inbox.at(-1)?.ip?.dst, 0xffffffff);
  n.close();
});

test('DNS over TCP: 10.0.2.3:53 connects to the resolver; other TCP ports on 10.0.2.3 are reset', async () => {
  const fakeDns = await listenTcp((s) => s.on('data', (d) => s.end(Buffer.concat([Buffer.from('answer to '), d]))));
  const { net: n, guest } = rig({ dnsServer: { host: '127.0.0.1', port: fakeDns.port } });
  const got: number[] = [];
  let ended = false;
  const c = guest.connect(46000, DNS_IP, 53, { onData: (d) => void got.push(...d), onEnd: () => (ended = true) });
  await until(() => c.state === 'ESTABLISHED');
  c.write(enc('query'));
  await until(() => ended);
  assert.equal(dec(got), 'answer to query');
  let closed: TcpCloseReason | undefined;
  guest.connect(46001, DNS_IP, 80, { onClose: (w) => (closed = w) });
  await until(() => closed !== undefined);
  assert.equal(closed, 'refused');
  n.close();
  fakeDns.close();
});

test('fromOptions: an option string builds a network with its forwards', async () => {
  const n = UserNetwork.fromOptions('user,hostfwd=tcp:127.0.0.1:0-:80,dns=127.0.0.1:5353');
  await n.ready;
  const [f] = n.forwards();
  assert.equal(f?.guestPort, 80);
  assert.ok((f?.hostPort ?? 0) > 0);
  n.close();
  assert.throws(() => UserNetwork.fromOptions('user,hostfwd=tcp:1-'), /guest side must be/);
});
