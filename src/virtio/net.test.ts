import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TestDriver } from './fake-driver.js';
import { VIRTIO_F, featureBit } from './device.js';
import { VIRTIO_MMIO_INT, VIRTIO_MMIO_REG as R } from './mmio-transport.js';
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from './queue.js';
import {
  VIRTIO_NET_CONFIG as C,
  VIRTIO_NET_F as F,
  VIRTIO_NET_HDR as H,
  VIRTIO_NET_HDR_F,
  VIRTIO_NET_HDR_LEN,
  VIRTIO_NET_S,
  VirtioNet,
  parseMacAddress,
  type VirtioNetConfig,
} from './net.js';
import type { NetBackend } from '../net/backend.js';
import { buildEthernet, ETHERTYPE_IPV4 } from '../net/ethernet.js';
import { buildIpv4, parseIpv4, PROTO_TCP, PROTO_UDP } from '../net/ipv4.js';
import { buildTcp, parseTcp, TCP_ACK, TCP_PSH } from '../net/tcp.js';
import { buildUdp, parseUdp } from '../net/udp.js';
import { ip, pseudoHeaderSum, put16 } from '../net/bytes.js';

class FakeBackend implements NetBackend {
  readonly sent: Uint8Array[] = [];
  private cb: ((frame: Uint8Array) => void) | undefined;
  closed = false;
  send(frame: Uint8Array): void {
    this.sent.push(frame.slice());
  }
  onReceive(cb: (frame: Uint8Array) => void): void {
    this.cb = cb;
  }
  close(): void {
    this.closed = true;
  }
  deliver(frame: Uint8Array): void {
    this.cb?.(frame);
  }
}

const GUEST_MAC = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);
const HOST_MAC = Uint8Array.of(0x52, 0x55, 0x0a, 0, 2, 2);

function frame(n: number, fill = 0xab): Uint8Array {
  const payload = new Uint8Array(Math.max(0, n - 14)).fill(fill);
  return buildEthernet(HOST_MAC, GUEST_MAC, 0x88b5, payload);
}

function hdr(fields: Partial<Record<keyof typeof H, number>> = {}): Uint8Array {
  const h = new Uint8Array(VIRTIO_NET_HDR_LEN);
  for (const [k, v] of Object.entries(fields)) {
    const off = H[k as keyof typeof H];
    if (off <= 1) h[off] = v;
    else {
      h[off] = v & 0xff;
      h[off + 1] = v >>> 8;
    }
  }
  return h;
}

function rig(extra: Partial<VirtioNetConfig> = {}, accept?: (f: bigint) => bigint) {
  const backend = new FakeBackend();
  const net = new VirtioNet({ backend, queueSize: 16, ...extra });
  const d = TestDriver.up(net, accept ? { accept } : {});
  return { net, d, backend };
}

test('virtio-net is device 1 with a receive and a transmit queue and offers MAC, STATUS, MTU and CSUM', () => {
  const { d } = rig();
  assert.equal(d.r(R.deviceId), 1);
  d.w(R.queueSel, 1);
  assert.equal(d.r(R.queueNumMax), 16);
  d.w(R.queueSel, 2);
  assert.equal(d.r(R.queueNumMax), 0, 'no control queue');
  for (const b of [F.mac, F.status, F.mtu, F.csum]) assert.ok(d.features & featureBit(b), `feature ${b}`);
  for (const b of [F.mrgRxbuf, F.ctrlVq, F.mq, F.hostTso4, F.guestCsum]) assert.equal(d.features & featureBit(b), 0n, `feature ${b}`);
  assert.ok(d.features & featureBit(VIRTIO_F.version1));
});

test('config space: MAC, status LINK_UP, one queue pair, MTU; writes are ignored', () => {
  const { d } = rig({ mac: '02:AA:bb:cc:dd:0e', mtu: 1400 });
  const mac = [0, 1, 2, 3, 4, 5].map((i) => d.transport.read(R.config + C.mac + i, 1));
  assert.deepEqual(mac, [0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x0e]);
  assert.equal(d.transport.read(R.config + C.status, 2), VIRTIO_NET_S.linkUp);
  assert.equal(d.transport.read(R.config + C.maxVirtqueuePairs, 2), 1);
  assert.equal(d.transport.read(R.config + C.mtu, 2), 1400);
  d.transport.write(R.config + C.mac, 4, 0);
  assert.equal(d.transport.read(R.config + C.mac, 1), 0x02);
  assert.equal(rig().d.transport.read(R.config + C.mac, 4), 0x12005452, 'default MAC 52:54:00:12:...');
});

test('transmit: the header is stripped and the frame reaches the backend; used length 0', () => {
  const { d, backend, net } = rig();
  const f = frame(60);
  const { used, head } = d.request(1, [{ data: hdr() }, { data: f }]);
  assert.deepEqual(used, [{ id: head, len: 0 }]);
  assert.deepEqual(backend.sent, [f]);
  // Header and frame in one buffer, and split across an indirect table.
  const joined = new Uint8Array(VIRTIO_NET_HDR_LEN + 100);
  joined.set(frame(100, 7), VIRTIO_NET_HDR_LEN);
  d.request(1, [{ data: joined }]);
  d.request(1, [{ data: hdr().subarray(0, 5) }, { data: Uint8Array.of(...hdr().subarray(5), ...f.subarray(0, 3)) }, { data: f.subarray(3) }], { indirect: true });
  assert.deepEqual(backend.sent.slice(1), [frame(100, 7), f]);
  assert.equal(net.stats.txFrames, 3);
  assert.equal(d.irq.level, true);
});

test('receive: frames fill posted buffers behind a zero header with num_buffers 1; used lengths say how much', () => {
  const { d, backend, net } = rig();
  const q = d.queue(0);
  const h1 = q.add([{ writable: VIRTIO_NET_HDR_LEN }, { writable: 1514 }]);
  const h2 = q.add([{ writable: 2048 }], { indirect: true });
  q.notify();
  const f1 = frame(60, 1);
  const f2 = frame(1514, 2);
  backend.deliver(f1);
  backend.deliver(f2);
  assert.deepEqual(q.takeUsed(), [
    { id: h1, len: VIRTIO_NET_HDR_LEN + 60 },
    { id: h2, len: VIRTIO_NET_HDR_LEN + 1514 },
  ]);
  const w1 = q.written(h1);
  assert.deepEqual([...w1.subarray(0, VIRTIO_NET_HDR_LEN)], [...hdr({ numBuffers: 1 })]);
  assert.deepEqual(w1.subarray(VIRTIO_NET_HDR_LEN, VIRTIO_NET_HDR_LEN + 60), f1);
  assert.deepEqual(q.written(h2).subarray(VIRTIO_NET_HDR_LEN, VIRTIO_NET_HDR_LEN + 1514), f2);
  assert.equal(net.stats.rxFrames, 2);
  assert.equal(d.ackInterrupt() & VIRTIO_MMIO_INT.vring, VIRTIO_MMIO_INT.vring);
});

test('backpressure: without receive buffers frames wait (bounded) and are delivered when the guest posts some', () => {
  const { d, backend, net } = rig({ rxQueueLimit: 3 });
  const q = d.queue(0);
  for (let i = 0; i < 5; i++) backend.deliver(frame(64, i));
  assert.equal(net.rxPendingCount, 3);
  assert.equal(net.stats.rxQueueFull, 2);
  assert.deepEqual(q.takeUsed(), []);
  const h1 = q.add([{ writable: 1600 }]);
  q.notify();
  assert.equal(net.rxPendingCount, 2);
  assert.deepEqual(q.takeUsed(), [{ id: h1, len: VIRTIO_NET_HDR_LEN + 64 }]);
  assert.equal(q.written(h1)[VIRTIO_NET_HDR_LEN + 14], 0, 'oldest first');
  const h2 = q.add([{ writable: 1600 }]);
  const h3 = q.add([{ writable: 1600 }]);
  const h4 = q.add([{ writable: 1600 }]);
  q.notify();
  assert.deepEqual(q.takeUsed().map((u) => u.id), [h2, h3]);
  assert.equal(q.written(h3)[VIRTIO_NET_HDR_LEN + 14], 2);
  backend.deliver(frame(64, 9));
  assert.deepEqual(q.takeUsed().map((u) => u.id), [h4], 'a posted buffer takes a new frame at once');
  assert.equal(net.rxPendingCount, 0);
});

test('a frame larger than its receive buffer is dropped and counted; the buffer is returned empty', () => {
  const { d, backend, net } = rig();
  const q = d.queue(0);
  const small = q.add([{ writable: 100 }]);
  const big = q.add([{ writable: 1600 }]);
  q.notify();
  backend.deliver(frame(200));
  backend.deliver(frame(150));
  assert.deepEqual(q.takeUsed(), [
    { id: small, len: 0 },
    { id: big, len: VIRTIO_NET_HDR_LEN + 150 },
  ]);
  assert.equal(net.stats.rxOversize, 1);
  assert.equal(d.transport.errorCounts()['net-rx-oversize'], 1);
});

test('receive chains too small for any frame are returned empty and counted; the frame waits', () => {
  const { d, backend } = rig();
  const q = d.queue(0);
  q.add([{ data: Uint8Array.of(1) }]);
  q.add([{ writable: 4 }]);
  const good = q.add([{ writable: 200 }]);
  q.notify();
  backend.deliver(frame(64));
  assert.deepEqual(q.takeUsed().map((u) => u.len), [0, 0, VIRTIO_NET_HDR_LEN + 64]);
  assert.equal(d.transport.errorCounts()['net-rx-malformed'], 2);
  assert.equal(q.written(good)[VIRTIO_NET_HDR_LEN], HOST_MAC[0]);
});

test('NEEDS_CSUM: a partially checksummed TCP frame is completed before it reaches the backend', () => {
  const { d, backend, net } = rig();
  const src = ip('10.0.2.15');
  const dst = ip('10.0.2.2');
  const payload = new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n!');
  const tcp = buildTcp({ srcPort: 40000, dstPort: 80, seq: 1, ack: 2, flags: TCP_ACK | TCP_PSH, window: 65535, payload }, src, dst);
  // What Linux hands over with CHECKSUM_PARTIAL: the folded pseudo-header sum, not inverted.
  let ps = pseudoHeaderSum(src, dst, PROTO_TCP, tcp.length);
  while (ps > 0xffff) ps = (ps & 0xffff) + (ps >>> 16);
  put16(tcp, 16, ps);
  const f = buildEthernet(HOST_MAC, GUEST_MAC, ETHERTYPE_IPV4, buildIpv4({ src, dst, protocol: PROTO_TCP }, tcp));
  const start = 14 + 20;
  assert.equal(parseTcp(f.subarray(start), src, dst).ok, false, 'partial checksum does not verify yet');
  d.request(1, [{ data: hdr({ flags: VIRTIO_NET_HDR_F.needsCsum, csumStart: start, csumOffset: 16 }) }, { data: f }]);
  const sent = backend.sent[0]!;
  const pkt = parseIpv4(sent.subarray(14));
  assert.ok(pkt.ok);
  const seg = parseTcp(pkt.value.payload, src, dst);
  assert.ok(seg.ok, 'checksum completed');
  assert.deepEqual(seg.value.payload, payload);
  assert.equal(net.stats.txCsumCompleted, 1);
});

test('NEEDS_CSUM on UDP, and offsets outside the frame are dropped and counted', () => {
  const { d, backend } = rig();
  const src = ip('10.0.2.15');
  const dst = ip('10.0.2.3');
  const udp = buildUdp({ srcPort: 5353, dstPort: 53, payload: Uint8Array.of(1, 2, 3) }, src, dst);
  let ps = pseudoHeaderSum(src, dst, PROTO_UDP, udp.length);
  while (ps > 0xffff) ps = (ps & 0xffff) + (ps >>> 16);
  put16(udp, 6, ps);
  const f = buildEthernet(HOST_MAC, GUEST_MAC, ETHERTYPE_IPV4, buildIpv4({ src, dst, protocol: PROTO_UDP }, udp));
  d.request(1, [{ data: hdr({ flags: VIRTIO_NET_HDR_F.needsCsum, csumStart: 34, csumOffset: 6 }) }, { data: f }]);
  const pkt = parseIpv4(backend.sent[0]!.subarray(14));
  assert.ok(pkt.ok && parseUdp(pkt.value.payload, src, dst).ok);
  d.request(1, [{ data: hdr({ flags: VIRTIO_NET_HDR_F.needsCsum, csumStart: 34, csumOffset: 60000 }) }, { data: f }]);
  assert.equal(backend.sent.length, 1);
  assert.equal(d.transport.errorCounts()['net-tx-csum'], 1);
});

test('malformed transmit chains are dropped and counted, never sent: short, GSO', () => {
  const { d, backend, net } = rig();
  d.request(1, [{ data: hdr().subarray(0, 8) }]);
  d.request(1, [{ data: hdr() }, { data: new Uint8Array(13) }]);
  d.request(1, [{ data: hdr({ gsoType: 1, gsoSize: 1448 }) }, { data: frame(3000) }]);
  d.request(1, [{ writable: 64 }]);
  assert.equal(backend.sent.length, 0);
  assert.equal(net.stats.txDropped, 4);
  assert.equal(d.transport.errorCounts()['net-tx-malformed'], 3);
  assert.equal(d.transport.errorCounts()['net-tx-gso'], 1);
  assert.equal(d.transport.needsReset(), false);
});

test('link toggle: status changes with a configuration change interrupt; a down link drops frames', () => {
  const { d, net, backend } = rig();
  const gen = d.r(R.configGeneration);
  d.ackInterrupt();
  net.setLinkUp(false);
  assert.equal(d.transport.read(R.config + C.status, 2), 0);
  assert.equal(d.r(R.configGeneration), gen + 1);
  assert.equal(d.ackInterrupt() & VIRTIO_MMIO_INT.config, VIRTIO_MMIO_INT.config);
  net.setLinkUp(false);
  assert.equal(d.r(R.configGeneration), gen + 1, 'no change, no interrupt');
  const q = d.queue(0);
  q.add([{ writable: 1600 }]);
  q.notify();
  backend.deliver(frame(64));
  assert.equal(net.stats.rxLinkDown, 1);
  d.request(1, [{ data: hdr() }, { data: frame(64) }]);
  assert.equal(backend.sent.length, 0);
  net.setLinkUp(true);
  assert.equal(d.transport.read(R.config + C.status, 2), VIRTIO_NET_S.linkUp);
  assert.equal(d.ackInterrupt() & VIRTIO_MMIO_INT.config, VIRTIO_MMIO_INT.config);
  backend.deliver(frame(64));
  assert.equal(q.takeUsed().length, 1);
});

test('frames before DRIVER_OK are dropped; a reset forgets pending frames', () => {
  const backend = new FakeBackend();
  const net = new VirtioNet({ backend });
  backend.deliver(frame(64));
  assert.equal(net.stats.rxNotReady, 1);
  const d = TestDriver.up(net);
  backend.deliver(frame(64));
  assert.equal(net.rxPendingCount, 1);
  d.w(R.status, 0);
  assert.equal(net.rxPendingCount, 0);
  backend.deliver(new Uint8Array(10));
  assert.equal(net.stats.rxInvalid, 1);
});

test('the transport requires VERSION_1, so headers are always 12 bytes', () => {
  assert.throws(() => rig({}, (f) => f & ~featureBit(VIRTIO_F.version1)), /refused/);
});

test('state round-trips link status and pending frames; bad state is rejected naming the field', () => {
  const { d, net, backend } = rig();
  backend.deliver(frame(64, 5));
  net.setLinkUp(true);
  const s = JSON.parse(JSON.stringify(d.transport.saveState()));
  assert.equal(s.device.rxPending.length, 1);
  const { d: d2, net: net2 } = rig();
  d2.transport.restoreState(s);
  assert.equal(net2.rxPendingCount, 1);
  const q = d2.queue(0);
  const h = q.add([{ writable: 200 }]);
  q.notify();
  assert.deepEqual(q.takeUsed(), [{ id: h, len: VIRTIO_NET_HDR_LEN + 64 }]);
  assert.equal(q.written(h)[VIRTIO_NET_HDR_LEN + 20], 5);
  assert.throws(() => d2.transport.restoreState({ ...s, device: { linkUp: 1, rxPending: [] } }), /linkUp/);
  assert.throws(() => d2.transport.restoreState({ ...s, device: { linkUp: true, rxPending: ['%%%'] } }), /rxPending\[0\]/);
  assert.throws(() => d2.transport.restoreState({ ...s, device: { linkUp: true, rxPending: ['AAAA'] } }), /rxPending\[0\]/);
  assert.throws(() => d2.transport.restoreState({ ...s, device: { linkUp: true, rxPending: new Array(300).fill('') } }), /rxPending/);
  const down = { ...s, device: { linkUp: false, rxPending: [] } };
  d2.transport.restoreState(down);
  assert.equal(net2.linkUp, false);
});

test('config is validated', () => {
  const backend = new FakeBackend();
  assert.throws(() => new VirtioNet({} as never), /backend/);
  assert.throws(() => new VirtioNet({ backend, mac: '52:54:00:12:34' }), /mac/);
  assert.throws(() => new VirtioNet({ backend, mac: '52-54-00-12-34-56' }), /mac/);
  assert.throws(() => new VirtioNet({ backend, mac: '01:00:5e:00:00:01' }), /multicast/);
  assert.throws(() => new VirtioNet({ backend, mac: '00:00:00:00:00:00' }), /mac/);
  assert.throws(() => new VirtioNet({ backend, mac: 5 as never }), /mac/);
  assert.throws(() => new VirtioNet({ backend, mtu: 67 }), /mtu/);
  assert.throws(() => new VirtioNet({ backend, queueSize: 6 }), /queueSize/);
  assert.throws(() => new VirtioNet({ backend, rxQueueLimit: -1 }), /rxQueueLimit/);
  assert.deepEqual(parseMacAddress('52:54:00:AB:cd:ef'), Uint8Array.of(0x52, 0x54, 0, 0xab, 0xcd, 0xef));
  assert.equal(new VirtioNet({ backend, mac: '52:54:00:AB:CD:EF' }).mac, '52:54:00:ab:cd:ef');
});

test('property: random frames in both directions with random buffers are delivered intact and in order', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('post' as const), len: fc.integer({ min: 0, max: 300 }), indirect: fc.boolean() }),
          fc.record({ op: fc.constant('rx' as const), len: fc.integer({ min: 14, max: 200 }), fill: fc.integer({ min: 0, max: 255 }) }),
          fc.record({ op: fc.constant('tx' as const), len: fc.integer({ min: 14, max: 200 }), split: fc.integer({ min: 0, max: 212 }) }),
        ),
        { maxLength: 50 },
      ),
      (ops) => {
        const { d, net, backend } = rig({ rxQueueLimit: 4 }, undefined);
        const rx = d.queue(0);
        const offered: Uint8Array[] = [];
        const got: Uint8Array[] = [];
        const txFrames: Uint8Array[] = [];
        for (const o of ops) {
          if (o.op === 'post') {
            if (((rx.availIdx - rx.lastUsed) & 0xffff) >= 16) continue;
            rx.add([{ writable: o.len }], { indirect: o.indirect });
            rx.notify();
          } else if (o.op === 'rx') {
            const f = frame(o.len, o.fill);
            offered.push(f);
            backend.deliver(f);
          } else {
            const f = frame(o.len, o.split & 0xff);
            const all = Uint8Array.of(...hdr(), ...f);
            const cut = Math.min(o.split, all.length);
            const bufs = [{ data: all.subarray(0, cut) }, { data: all.subarray(cut) }].filter((b) => b.data.length > 0);
            d.request(1, bufs);
            txFrames.push(f);
          }
          for (const u of rx.takeUsed()) if (u.len > 0) got.push(rx.written(u.id).slice(VIRTIO_NET_HDR_LEN, u.len));
        }
        assert.deepEqual(backend.sent, txFrames);
        // Every frame received is one offered, in order; the others were counted as dropped or are pending.
        let i = 0;
        for (const g of got) {
          while (i < offered.length && !bytesEqual(offered[i]!, g)) i++;
          assert.ok(i < offered.length, 'delivered frame was offered, in order');
          i++;
        }
        const s = net.stats;
        assert.equal(offered.length, s.rxFrames + s.rxQueueFull + s.rxOversize + net.rxPendingCount);
        assert.equal(d.transport.needsReset(), false);
      },
    ),
    { numRuns: 500 },
  );
});

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

test('property: hostile descriptor tables on both queues never make the device throw', () => {
  const desc = fc.record({
    addr: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff_ffff }), fc.constant(-1)),
    len: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 0xffff_ffff })),
    flags: fc.integer({ min: 0, max: 7 }),
    next: fc.integer({ min: 0, max: 20 }),
  });
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('desc' as const), q: fc.integer({ min: 0, max: 1 }), i: fc.integer({ min: 0, max: 15 }), d: desc, ram: fc.boolean() }),
          fc.record({ op: fc.constant('avail' as const), q: fc.integer({ min: 0, max: 1 }), head: fc.integer({ min: 0, max: 20 }) }),
          fc.record({ op: fc.constant('notify' as const), q: fc.integer({ min: 0, max: 3 }) }),
          fc.record({ op: fc.constant('rx' as const), len: fc.integer({ min: 0, max: 2000 }) }),
          fc.record({ op: fc.constant('link' as const), up: fc.boolean() }),
          fc.record({ op: fc.constant('bytes' as const), q: fc.integer({ min: 0, max: 1 }), data: fc.uint8Array({ maxLength: 80 }) }),
        ),
        { maxLength: 40 },
      ),
      (ops) => {
        const { d, net, backend } = rig();
        const scratch = d.ram.alloc(4096, 16);
        for (const o of ops) {
          if (o.op === 'desc') {
            const q = d.queue(o.q);
            const addr = o.ram ? scratch + (o.d.addr % 4000) : o.d.addr < 0 ? d.ram.base + d.ram.size - 8 : o.d.addr;
            q.writeDesc(o.i, addr, o.ram ? o.d.len % 96 : o.d.len, o.d.flags & (VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT), o.d.next);
          } else if (o.op === 'avail') {
            d.queue(o.q).pushAvail(o.head);
          } else if (o.op === 'notify') {
            d.w(R.queueNotify, o.q);
          } else if (o.op === 'rx') {
            backend.deliver(new Uint8Array(o.len));
          } else if (o.op === 'link') {
            net.setLinkUp(o.up);
          } else {
            d.ram.write(scratch + (o.q ? 2048 : 0), o.data);
          }
        }
        // Still answers registers and config reads.
        assert.equal(d.r(R.deviceId), 1);
        assert.ok(net.rxPendingCount <= 256);
      },
    ),
    { numRuns: 500 },
  );
});

test('with the user-mode network as backend: an ARP request for the gateway is answered into a receive buffer', async () => {
  const { UserNetwork } = await import('../net/user-network.js');
  const backend = new UserNetwork({});
  try {
    const net = new VirtioNet({ backend, queueSize: 16 });
    const d = TestDriver.up(net);
    const q = d.queue(0);
    const h = q.add([{ writable: 1600 }]);
    q.notify();
    const arp = new Uint8Array(42);
    arp.fill(0xff, 0, 6);
    arp.set(GUEST_MAC, 6);
    arp.set([8, 6, 0, 1, 8, 0, 6, 4, 0, 1], 12);
    arp.set(GUEST_MAC, 22);
    arp.set([10, 0, 2, 15], 28);
    arp.set([10, 0, 2, 2], 38);
    d.request(1, [{ data: hdr() }, { data: arp }]);
    await until(() => q.usedIdx() === 1);
    const [u] = q.takeUsed();
    assert.equal(u!.id, h);
    const reply = q.written(h).subarray(VIRTIO_NET_HDR_LEN, u!.len);
    assert.deepEqual([...reply.subarray(12, 14)], [8, 6]);
    assert.equal(reply[21], 2, 'ARP reply');
    assert.deepEqual([...reply.subarray(28, 32)], [10, 0, 2, 2]);
  } finally {
    backend.close();
  }
});

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}
