import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checksum, ip, ipToString, macToString, parseIp, parseMac, type Parsed } from './bytes.js';
import { buildEthernet, ETHERTYPE_ARP, parseEthernet } from './ethernet.js';
import { ARP_REQUEST, buildArp, parseArp } from './arp.js';
import { buildIpv4, parseIpv4, PROTO_TCP, PROTO_UDP } from './ipv4.js';
import { buildIcmp, ICMP_ECHO_REQUEST, parseIcmp } from './icmp.js';
import { buildUdp, parseUdp } from './udp.js';
import { buildTcp, parseTcp, TCP_ACK, TCP_SYN } from './tcp.js';
import {
  BOOTREQUEST,
  buildDhcp,
  DHCPDISCOVER,
  dhcpMessageType,
  OPT_HOSTNAME,
  OPT_MESSAGE_TYPE,
  parseDhcp,
} from './dhcp.js';

const MAC_A = parseMac('52:54:00:12:34:56')!;
const MAC_B = parseMac('52:55:0a:00:02:02')!;
const A = ip('10.0.2.15');
const B = ip('10.0.2.2');

/** Every strict prefix of `full` either parses or fails, never throws; prefixes below `minLen` must fail. */
function everyTruncation<T>(full: Uint8Array, parse: (b: Uint8Array) => Parsed<T>, minLen: number): void {
  for (let n = 0; n < full.length; n++) {
    const r = parse(full.slice(0, n));
    if (n < minLen) assert.equal(r.ok, false, `prefix of ${n} bytes must be rejected`);
    else if (!r.ok) assert.equal(typeof r.reason, 'string');
  }
  assert.equal(parse(full).ok, true);
}

function neverThrows<T>(parse: (b: Uint8Array) => Parsed<T>): void {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
      const r = parse(b);
      assert.equal(typeof r.ok, 'boolean');
    }),
    { numRuns: 2000 },
  );
}

test('addresses: parse and format IPv4 and MAC', () => {
  assert.equal(ipToString(ip('10.0.2.15')), '10.0.2.15');
  assert.equal(ip('255.255.255.255'), 0xffffffff);
  assert.equal(parseIp('256.0.0.1'), undefined);
  assert.equal(parseIp('1.2.3'), undefined);
  assert.equal(macToString(MAC_A), '52:54:00:12:34:56');
  assert.equal(parseMac('52:54:00:12:34'), undefined);
});

test('checksum: RFC 1071 example and odd lengths', () => {
  const b = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  assert.equal(checksum(b), ~0xddf2 & 0xffff);
  assert.equal(checksum(Uint8Array.from([0xff])), ~0xff00 & 0xffff);
});

test('ethernet: round trip, every truncation, random bytes', () => {
  const f = buildEthernet(MAC_A, MAC_B, ETHERTYPE_ARP, Uint8Array.from([1, 2, 3]));
  const r = parseEthernet(f);
  assert.ok(r.ok);
  assert.equal(macToString(r.value.dst), macToString(MAC_A));
  assert.equal(macToString(r.value.src), macToString(MAC_B));
  assert.equal(r.value.ethertype, ETHERTYPE_ARP);
  assert.deepEqual([...r.value.payload], [1, 2, 3]);
  everyTruncation(f, parseEthernet, 14);
  neverThrows(parseEthernet);
});

test('arp: round trip, every truncation, rejects other hardware types', () => {
  const p = buildArp({ op: ARP_REQUEST, senderMac: MAC_A, senderIp: A, targetMac: new Uint8Array(6), targetIp: B });
  const r = parseArp(p);
  assert.ok(r.ok);
  assert.equal(r.value.op, ARP_REQUEST);
  assert.equal(r.value.senderIp, A);
  assert.equal(r.value.targetIp, B);
  everyTruncation(p, parseArp, 28);
  const bad = p.slice();
  bad[1] = 6; // IEEE 802 hardware type
  assert.equal(parseArp(bad).ok, false);
  neverThrows(parseArp);
});

test('ipv4: round trip with checksum, padding ignored, every truncation', () => {
  const pkt = buildIpv4({ src: A, dst: B, protocol: PROTO_UDP, id: 7 }, Uint8Array.from([9, 8, 7]));
  const padded = new Uint8Array(pkt.length + 10);
  padded.set(pkt);
  const r = parseIpv4(padded);
  assert.ok(r.ok);
  assert.equal(r.value.src, A);
  assert.equal(r.value.dst, B);
  assert.equal(r.value.protocol, PROTO_UDP);
  assert.equal(r.value.fragment, false);
  assert.deepEqual([...r.value.payload], [9, 8, 7]);
  everyTruncation(pkt, parseIpv4, pkt.length);
  neverThrows(parseIpv4);
});

test('ipv4: bad checksum, bad version, bad IHL, fragments flagged', () => {
  const pkt = buildIpv4({ src: A, dst: B, protocol: PROTO_UDP }, new Uint8Array(4));
  const c = pkt.slice();
  c[8] = (c[8] ?? 0) ^ 1;
  assert.deepEqual(parseIpv4(c), { ok: false, reason: 'ipv4: bad header checksum' });
  const v = pkt.slice();
  v[0] = 0x65;
  assert.equal(parseIpv4(v).ok, false);
  const h = pkt.slice();
  h[0] = 0x44;
  assert.equal(parseIpv4(h).ok, false);
  const f = pkt.slice();
  f[6] = 0x20; // more fragments
  f[10] = 0;
  f[11] = 0;
  const sum = checksum(f, 0, 20);
  f[10] = sum >>> 8;
  f[11] = sum & 0xff;
  const rf = parseIpv4(f);
  assert.ok(rf.ok);
  assert.equal(rf.value.fragment, true);
});

test('icmp: round trip, checksum verified, every truncation', () => {
  const p = buildIcmp({ type: ICMP_ECHO_REQUEST, code: 0, id: 0x1234, seq: 5, payload: Uint8Array.from([1, 2, 3]) });
  const r = parseIcmp(p);
  assert.ok(r.ok);
  assert.equal(r.value.id, 0x1234);
  assert.equal(r.value.seq, 5);
  everyTruncation(p, parseIcmp, 8);
  const bad = p.slice();
  bad[9] = 0;
  assert.equal(parseIcmp(bad).ok, false);
  neverThrows(parseIcmp);
});

test('udp: round trip, pseudo-header checksum, zero checksum accepted, every truncation', () => {
  const d = buildUdp({ srcPort: 1234, dstPort: 53, payload: Uint8Array.from([1, 2, 3, 4, 5]) }, A, B);
  const r = parseUdp(d, A, B);
  assert.ok(r.ok);
  assert.equal(r.value.srcPort, 1234);
  assert.equal(r.value.dstPort, 53);
  assert.deepEqual([...r.value.payload], [1, 2, 3, 4, 5]);
  assert.equal(parseUdp(d, A, ip('10.0.2.3')).ok, false, 'pseudo-header covers the destination');
  const z = d.slice();
  z[6] = 0;
  z[7] = 0;
  assert.equal(parseUdp(z, A, ip('1.1.1.1')).ok, true);
  everyTruncation(d, (b) => parseUdp(b, A, B), d.length);
  neverThrows((b) => parseUdp(b, A, B));
});

test('tcp: round trip with MSS, checksum, options, every truncation', () => {
  const s = buildTcp(
    { srcPort: 40000, dstPort: 80, seq: 0xfffffff0, ack: 17, flags: TCP_SYN | TCP_ACK, window: 29200, mss: 1460, payload: Uint8Array.from([7, 7]) },
    A,
    B,
  );
  const r = parseTcp(s, A, B);
  assert.ok(r.ok);
  assert.equal(r.value.seq, 0xfffffff0);
  assert.equal(r.value.ack, 17);
  assert.equal(r.value.flags, TCP_SYN | TCP_ACK);
  assert.equal(r.value.mss, 1460);
  assert.equal(r.value.window, 29200);
  assert.deepEqual([...r.value.payload], [7, 7]);
  assert.equal(parseTcp(s, B, A).ok, true, 'the checksum is symmetric in the addresses');
  assert.equal(parseTcp(s, A, ip('10.0.2.3')).ok, false);
  for (let n = 0; n < s.length; n++) assert.equal(parseTcp(s.slice(0, n), A, B).ok, false); // checksum or length
  neverThrows((b) => parseTcp(b, A, B));
});

test('tcp: Linux-style SYN options (MSS, SACK-permitted, timestamps, NOP, window scale) parse', () => {
  // Header with 20 bytes of options as Linux sends them.
  const opts = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7];
  const hdr = new Uint8Array(40);
  hdr.set(opts, 20);
  hdr[12] = (40 / 4) << 4;
  hdr[13] = TCP_SYN;
  const built = buildTcp({ srcPort: 1, dstPort: 2, seq: 1, ack: 0, flags: TCP_SYN, window: 100, payload: new Uint8Array(0) }, A, B);
  hdr.set(built.subarray(0, 16));
  hdr[12] = (40 / 4) << 4;
  // fix checksum
  hdr[16] = 0;
  hdr[17] = 0;
  const fixed = buildTcpRaw(hdr, A, B);
  const r = parseTcp(fixed, A, B);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  assert.equal(r.value.mss, 1460);
  assert.equal(r.value.windowScale, 7);
  // Broken option length
  const bad = hdr.slice();
  bad[21] = 40;
  assert.equal(parseTcp(buildTcpRaw(bad, A, B), A, B).ok, false);
});

function buildTcpRaw(b: Uint8Array, src: number, dst: number): Uint8Array {
  const out = b.slice();
  out[16] = 0;
  out[17] = 0;
  const pseudo = new Uint8Array(12 + out.length);
  pseudo.set([src >>> 24, (src >>> 16) & 255, (src >>> 8) & 255, src & 255, dst >>> 24, (dst >>> 16) & 255, (dst >>> 8) & 255, dst & 255, 0, PROTO_TCP, out.length >>> 8, out.length & 255]);
  pseudo.set(out, 12);
  const c = checksum(pseudo);
  out[16] = c >>> 8;
  out[17] = c & 255;
  return out;
}

test('dhcp: round trip, long options split and joined, every truncation', () => {
  const long = new Uint8Array(300).fill(0x61);
  const m = {
    op: BOOTREQUEST,
    xid: 0xdeadbeef,
    secs: 0,
    flags: 0x8000,
    ciaddr: 0,
    yiaddr: 0,
    siaddr: 0,
    giaddr: 0,
    chaddr: MAC_A,
    options: new Map([
      [OPT_MESSAGE_TYPE, Uint8Array.of(DHCPDISCOVER)],
      [OPT_HOSTNAME, long],
    ]),
  };
  const b = buildDhcp(m);
  const r = parseDhcp(b);
  assert.ok(r.ok);
  assert.equal(r.value.xid, 0xdeadbeef);
  assert.equal(dhcpMessageType(r.value), DHCPDISCOVER);
  assert.equal(r.value.options.get(OPT_HOSTNAME)?.length, 300);
  assert.equal(macToString(r.value.chaddr), macToString(MAC_A));
  // Every prefix that cuts the options before END fails, and nothing throws.
  const end = b.lastIndexOf(255);
  for (let n = 0; n <= end; n++) assert.equal(parseDhcp(b.slice(0, n)).ok, false, `prefix ${n}`);
  neverThrows(parseDhcp);
});

test('offload: completing a partial (pseudo-header only) checksum yields a valid TCP/UDP packet', async () => {
  const { completeChecksum } = await import('./offload.js');
  const { pseudoHeaderSum, finishChecksum, put16 } = await import('./bytes.js');
  const seg = buildTcp({ srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: TCP_ACK, window: 5, payload: Uint8Array.from([1, 2, 3]) }, A, B);
  const pkt = buildIpv4({ src: A, dst: B, protocol: PROTO_TCP }, seg);
  const frame = buildEthernet(MAC_B, MAC_A, 0x0800, pkt);
  // What a Linux guest with offload sends: the pseudo-header sum (not inverted) in the checksum field.
  const partial = ~finishChecksum(pseudoHeaderSum(A, B, PROTO_TCP, seg.length)) & 0xffff;
  put16(frame, 14 + 20 + 16, partial);
  assert.equal(parseTcp(frame.subarray(34), A, B).ok, false);
  assert.equal(completeChecksum(frame, 34, 16), true);
  assert.equal(parseTcp(frame.subarray(34), A, B).ok, true);
  assert.equal(completeChecksum(frame, 34, 10000), false);
  assert.equal(completeChecksum(frame, -1, 0), false);
  const u = buildUdp({ srcPort: 1, dstPort: 2, payload: Uint8Array.from([9]) }, A, B);
  const uf = buildIpv4({ src: A, dst: B, protocol: PROTO_UDP }, u);
  put16(uf, 20 + 6, ~finishChecksum(pseudoHeaderSum(A, B, PROTO_UDP, u.length)) & 0xffff);
  assert.equal(completeChecksum(uf, 20, 6), true);
  assert.equal(parseUdp(uf.subarray(20), A, B).ok, true);
});
