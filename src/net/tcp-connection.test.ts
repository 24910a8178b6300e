import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TcpConnection, type TcpCloseReason, type TcpConnectionConfig, type TcpOutput, type TcpTimers } from './tcp-connection.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, tcpFlagsToString, type TcpSegment } from './tcp.js';

/** Manual clock: timers fire only when the test advances time. */
class FakeTimers implements TcpTimers {
  t = 0;
  private next = 1;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.pending.delete(h as number);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.pending) if (e[1].at <= end && (!first || e[1].at < first[1].at)) first = e;
      if (!first) break;
      this.pending.delete(first[0]);
      this.t = first[1].at;
      first[1].fn();
    }
    this.t = end;
  }
  get count(): number {
    return this.pending.size;
  }
}

const ISS = 1000;
const GUEST_ISS = 0xfffffff0; // wraps around 2^32 during the tests

interface Rig {
  conn: TcpConnection;
  out: TcpOutput[];
  data: number[];
  ended: number;
  established: number;
  drains: number;
  closed: TcpCloseReason[];
  timers: FakeTimers;
}

function events(r: Omit<Rig, 'conn'>) {
  return {
    output: (s: TcpOutput) => void r.out.push(s),
    onData: (d: Uint8Array) => void r.data.push(...d),
    onEnd: () => void r.ended++,
    onEstablished: () => void r.established++,
    onDrain: () => void r.drains++,
    onClose: (why: TcpCloseReason) => void r.closed.push(why),
  };
}

function base(): Omit<Rig, 'conn'> {
  return { out: [], data: [], ended: 0, established: 0, drains: 0, closed: [], timers: new FakeTimers() };
}

function seg(p: Partial<TcpSegment> & { flags: number }): TcpSegment {
  return { srcPort: 40000, dstPort: 80, seq: 0, ack: 0, window: 65535, payload: new Uint8Array(0), ...p };
}

const bytes = (n: number, from = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
const add = (a: number, n: number): number => (a + n) >>> 0;

function take(r: Rig): TcpOutput[] {
  return r.out.splice(0);
}

function flags(o: TcpOutput[]): string[] {
  return o.map((s) => tcpFlagsToString(s.flags));
}

/** Guest opened a connection; we accepted; handshake complete. Guest's next seq is GUEST_ISS+1. */
function established(cfg: TcpConnectionConfig = {}, guestWindow = 65535, guestMss = 1460): Rig {
  const b = base();
  const conn = TcpConnection.fromSyn(seg({ seq: GUEST_ISS, flags: TCP_SYN, mss: guestMss, window: guestWindow }), events(b), {
    iss: ISS,
    timers: b.timers,
    ...cfg,
  });
  const r = Object.assign(b, { conn });
  assert.equal(conn.state, 'LISTEN');
  conn.accept();
  const [synAck] = take(r);
  assert.ok(synAck);
  assert.equal(synAck.flags, TCP_SYN | TCP_ACK);
  assert.equal(synAck.seq, ISS);
  assert.equal(synAck.ack, add(GUEST_ISS, 1));
  assert.equal(synAck.mss, cfg.mss ?? 1460);
  conn.input(seg({ seq: add(GUEST_ISS, 1), ack: ISS + 1, flags: TCP_ACK, window: guestWindow }));
  assert.equal(conn.state, 'ESTABLISHED');
  assert.equal(r.established, 1);
  assert.deepEqual(take(r), []);
  return r;
}

const G1 = add(GUEST_ISS, 1);

test('passive open: SYN waits for the host, SYN-ACK on accept, ESTABLISHED on the ACK', () => {
  const r = established();
  assert.equal(r.conn.state, 'ESTABLISHED');
});

test('passive open: refused host connection answers RST|ACK acknowledging the SYN', () => {
  const b = base();
  const conn = TcpConnection.fromSyn(seg({ seq: 5, flags: TCP_SYN }), events(b), { timers: b.timers });
  conn.refuse();
  assert.deepEqual(flags(b.out), ['ACK|RST']);
  assert.equal(b.out[0]?.ack, 6);
  assert.deepEqual(b.closed, ['refused']);
  assert.equal(conn.state, 'CLOSED');
});

test('passive open: retransmitted SYN re-sends SYN-ACK; lost SYN-ACK is retransmitted on timeout; gives up after max retries', () => {
  const b = base();
  const conn = TcpConnection.fromSyn(seg({ seq: 5, flags: TCP_SYN }), events(b), { timers: b.timers, iss: 77, maxRetries: 3 });
  const r = Object.assign(b, { conn });
  conn.input(seg({ seq: 5, flags: TCP_SYN })); // while the host connects: silence
  assert.deepEqual(take(r), []);
  conn.accept();
  assert.deepEqual(flags(take(r)), ['SYN|ACK']);
  conn.input(seg({ seq: 5, flags: TCP_SYN }));
  assert.deepEqual(flags(take(r)), ['SYN|ACK']);
  r.timers.advance(1000);
  assert.deepEqual(flags(take(r)), ['SYN|ACK']);
  r.timers.advance(2000);
  r.timers.advance(4000);
  assert.equal(take(r).length, 2);
  r.timers.advance(8000);
  assert.deepEqual(flags(take(r)), ['ACK|RST']);
  assert.deepEqual(r.closed, ['timeout']);
  assert.equal(r.timers.count, 0);
});

test('active open: SYN with MSS, SYN-ACK completes, bad ACK in SYN_SENT gets RST', () => {
  const b = base();
  const conn = TcpConnection.connect(events(b), { timers: b.timers, iss: 500 });
  const r = Object.assign(b, { conn });
  const [syn] = take(r);
  assert.equal(syn?.flags, TCP_SYN);
  assert.equal(syn?.mss, 1460);
  assert.equal(conn.state, 'SYN_SENT');
  conn.input(seg({ seq: 9, ack: 999, flags: TCP_SYN | TCP_ACK }));
  assert.deepEqual(flags(take(r)), ['RST']);
  assert.equal(conn.state, 'SYN_SENT');
  conn.input(seg({ seq: 9, ack: 501, flags: TCP_SYN | TCP_ACK, mss: 1000, window: 3000 }));
  const [ack] = take(r);
  assert.equal(ack?.flags, TCP_ACK);
  assert.equal(ack?.ack, 10);
  assert.equal(conn.state, 'ESTABLISHED');
  assert.equal(r.established, 1);
  // MSS 1000 and window 3000 limit what we send.
  conn.write(bytes(5000));
  const out = take(r);
  assert.deepEqual(
    out.map((s) => s.payload.length),
    [1000, 1000, 1000],
  );
});

test('active open: RST|ACK to our SYN (guest port closed) closes as refused', () => {
  const b = base();
  const conn = TcpConnection.connect(events(b), { timers: b.timers, iss: 500 });
  conn.input(seg({ seq: 0, ack: 501, flags: TCP_RST | TCP_ACK }));
  assert.deepEqual(b.closed, ['refused']);
});

test('active open: data written before the handshake is sent once it completes', () => {
  const b = base();
  const conn = TcpConnection.connect(events(b), { timers: b.timers, iss: 500 });
  conn.write(bytes(10));
  conn.end();
  b.out.length = 0;
  conn.input(seg({ seq: 9, ack: 501, flags: TCP_SYN | TCP_ACK }));
  assert.deepEqual(flags(b.out), ['ACK', 'ACK|PSH', 'ACK|FIN']);
  assert.equal(conn.state, 'FIN_WAIT_1');
});

test('in-order data is delivered and acknowledged, across the 2^32 wrap', () => {
  const r = established();
  r.conn.input(seg({ seq: G1, ack: ISS + 1, flags: TCP_ACK | TCP_PSH, payload: bytes(10) }));
  assert.deepEqual(r.data, [...bytes(10)]);
  const [a] = take(r);
  assert.equal(a?.ack, add(G1, 10));
  r.conn.input(seg({ seq: add(G1, 10), ack: ISS + 1, flags: TCP_ACK, payload: bytes(20, 10) }));
  assert.deepEqual(r.data, [...bytes(30)]);
  assert.equal(take(r)[0]?.ack, add(G1, 30));
  assert.ok(add(G1, 30) < G1, 'wrapped');
});

test('out-of-order data is held, duplicate-ACKed, and delivered when the gap fills', () => {
  const r = established();
  r.conn.input(seg({ seq: add(G1, 10), ack: ISS + 1, flags: TCP_ACK, payload: bytes(10, 10) }));
  r.conn.input(seg({ seq: add(G1, 30), ack: ISS + 1, flags: TCP_ACK | TCP_FIN, payload: bytes(5, 30) }));
  r.conn.input(seg({ seq: add(G1, 20), ack: ISS + 1, flags: TCP_ACK, payload: bytes(10, 20) }));
  assert.deepEqual(r.data, []);
  assert.deepEqual(take(r).map((s) => s.ack), [G1, G1, G1], 'duplicate ACKs for the hole');
  r.conn.input(seg({ seq: G1, ack: ISS + 1, flags: TCP_ACK, payload: bytes(10) }));
  assert.deepEqual(r.data, [...bytes(35)]);
  assert.equal(r.ended, 1);
  assert.equal(r.conn.state, 'CLOSE_WAIT');
  assert.equal(take(r).at(-1)?.ack, add(G1, 36), 'data and FIN acknowledged');
});

test('overlapping and duplicate guest segments deliver each byte once', () => {
  const r = established();
  r.conn.input(seg({ seq: G1, ack: ISS + 1, flags: TCP_ACK, payload: bytes(10) }));
  r.conn.input(seg({ seq: G1, ack: ISS + 1, flags: TCP_ACK, payload: bytes(10) })); // full duplicate
  r.conn.input(seg({ seq: add(G1, 5), ack: ISS + 1, flags: TCP_ACK, payload: bytes(10, 5) })); // overlap
  assert.deepEqual(r.data, [...bytes(15)]);
  assert.deepEqual(take(r).map((s) => s.ack), [add(G1, 10), add(G1, 10), add(G1, 15)]);
});

test('property: any delivery order of the guest segments yields the stream exactly once', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 40 }),
      (sizes, order) => {
        const r = established();
        const segs: TcpSegment[] = [];
        let off = 0;
        for (const n of sizes) {
          segs.push(seg({ seq: add(G1, off), ack: ISS + 1, flags: TCP_ACK, payload: bytes(n, off) }));
          off += n;
        }
        // Deliver in a shuffled order with duplicates, then everything in order to fill any dropped hole.
        for (const k of order) r.conn.input(segs[k % segs.length]!);
        for (const s of segs) r.conn.input(s);
        assert.deepEqual(r.data, [...bytes(off)]);
      },
    ),
    { numRuns: 200 },
  );
});

test('host data is segmented by MSS and window; acknowledged data leaves the buffer', () => {
  const r = established({}, 4000, 1000);
  r.conn.write(bytes(6000));
  let out = take(r);
  assert.deepEqual(out.map((s) => s.payload.length), [1000, 1000, 1000, 1000]);
  assert.deepEqual(out.map((s) => s.seq), [ISS + 1, ISS + 1001, ISS + 2001, ISS + 3001]);
  assert.equal(r.conn.bufferedAmount, 6000);
  r.conn.input(seg({ seq: G1, ack: ISS + 2001, flags: TCP_ACK, window: 4000 }));
  out = take(r);
  assert.deepEqual(out.map((s) => s.seq), [ISS + 4001, ISS + 5001]);
  assert.equal(out[1]?.flags, TCP_ACK | TCP_PSH);
  assert.equal(r.conn.bufferedAmount, 4000);
  r.conn.input(seg({ seq: G1, ack: ISS + 6001, flags: TCP_ACK, window: 4000 }));
  assert.equal(r.conn.bufferedAmount, 0);
  assert.equal(r.timers.count, 0, 'no retransmission timer once all is acknowledged');
});

test('retransmission: the oldest unacknowledged segment is re-sent with exponential backoff', () => {
  const r = established();
  r.conn.write(bytes(3000));
  take(r);
  r.timers.advance(999);
  assert.deepEqual(take(r), []);
  r.timers.advance(1);
  let out = take(r);
  assert.equal(out.length, 1);
  assert.equal(out[0]?.seq, ISS + 1);
  assert.equal(out[0]?.payload.length, 1460);
  r.timers.advance(1999);
  assert.deepEqual(take(r), []);
  r.timers.advance(1);
  assert.equal(take(r).length, 1);
  // A partial ACK: the next retransmission starts at the new left edge.
  r.conn.input(seg({ seq: G1, ack: ISS + 1461, flags: TCP_ACK }));
  r.timers.advance(1000);
  out = take(r);
  assert.equal(out[0]?.seq, ISS + 1461);
  assert.equal(r.conn.stats.retransmits, 3);
});

test('three duplicate ACKs trigger a fast retransmit; window updates are not duplicates', () => {
  const r = established();
  r.conn.write(bytes(4000));
  take(r);
  const dup = seg({ seq: G1, ack: ISS + 1461, flags: TCP_ACK });
  r.conn.input(dup);
  r.conn.input(seg({ seq: G1, ack: ISS + 1461, flags: TCP_ACK, window: 60000 })); // window update, not a dup
  r.conn.input(seg({ seq: G1, ack: ISS + 1461, flags: TCP_ACK, window: 60000 }));
  r.conn.input(seg({ seq: G1, ack: ISS + 1461, flags: TCP_ACK, window: 60000 }));
  assert.deepEqual(take(r), []);
  r.conn.input(seg({ seq: G1, ack: ISS + 1461, flags: TCP_ACK, window: 60000 }));
  const out = take(r);
  assert.equal(out.length, 1);
  assert.equal(out[0]?.seq, ISS + 1461);
  assert.equal(r.conn.stats.fastRetransmits, 1);
});

test('guest window full: write() reports backpressure, zero-window probes, drain when the guest reopens', () => {
  const r = established({ sendHighWater: 8000, persistInterval: 500 }, 2000);
  assert.equal(r.conn.write(bytes(5000)), true);
  assert.deepEqual(take(r).map((s) => s.payload.length), [1460, 540]);
  assert.equal(r.conn.write(bytes(5000, 5000)), false, 'over the high-water mark: pause the host socket');
  // Guest acknowledges everything but its buffer is full: window 0.
  r.conn.input(seg({ seq: G1, ack: ISS + 2001, flags: TCP_ACK, window: 0 }));
  assert.deepEqual(take(r), []);
  assert.equal(r.drains, 0);
  r.timers.advance(500);
  const probe = take(r);
  assert.equal(probe.length, 1);
  assert.equal(probe[0]?.payload.length, 0);
  assert.equal(probe[0]?.seq, ISS + 2000, 'probe from one sequence number back');
  // The guest reads: window opens; data flows; ACKs bring the buffer under half the high-water mark.
  r.conn.input(seg({ seq: G1, ack: ISS + 2001, flags: TCP_ACK, window: 65535 }));
  const out = take(r);
  assert.equal(out.reduce((n, s) => n + s.payload.length, 0), 8000);
  r.conn.input(seg({ seq: G1, ack: ISS + 10001, flags: TCP_ACK, window: 65535 }));
  assert.equal(r.drains, 1);
  assert.equal(r.conn.bufferedAmount, 0);
});

test('receive window: host backlog shrinks the advertised window, never its right edge; update after the drain', () => {
  const r = established({ receiveBuffer: 10000 });
  r.conn.input(seg({ seq: G1, ack: ISS + 1, flags: TCP_ACK, payload: bytes(6000) }));
  assert.equal(take(r)[0]?.window, 10000); // right edge now G1+16000
  r.conn.setHostBacklog(10000); // the host socket stalls
  assert.deepEqual(take(r), [], 'a shrinking window is not announced by itself');
  // The right edge advertised before stays valid: 10000 more bytes are accepted.
  r.conn.input(seg({ seq: add(G1, 6000), ack: ISS + 1, flags: TCP_ACK, payload: bytes(5000, 6000) }));
  r.conn.input(seg({ seq: add(G1, 11000), ack: ISS + 1, flags: TCP_ACK, payload: bytes(5000, 11000) }));
  const acks = take(r);
  assert.equal(acks.at(-1)?.ack, add(G1, 16000));
  assert.equal(acks.at(-1)?.window, 0);
  assert.equal(r.conn.receiveWindow, 0);
  // Data beyond the advertised window is not accepted (a zero-window probe gets an ACK).
  r.conn.input(seg({ seq: add(G1, 16000), ack: ISS + 1, flags: TCP_ACK, payload: bytes(100) }));
  assert.equal(r.data.length, 16000);
  const [z] = take(r);
  assert.equal(z?.ack, add(G1, 16000));
  assert.equal(z?.window, 0);
  r.conn.setHostBacklog(0);
  const [upd] = take(r);
  assert.equal(upd?.window, 10000, 'window update once the host drained');
});

test('host closes first: FIN after the data, FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT -> CLOSED; guest may still send', () => {
  const r = established({ timeWait: 3000 });
  r.conn.write(bytes(10));
  r.conn.end();
  assert.deepEqual(flags(take(r)), ['ACK|PSH', 'ACK|FIN']);
  assert.equal(r.conn.state, 'FIN_WAIT_1');
  r.conn.input(seg({ seq: G1, ack: ISS + 12, flags: TCP_ACK }));
  assert.equal(r.conn.state, 'FIN_WAIT_2');
  // Half-closed: the guest keeps sending.
  r.conn.input(seg({ seq: G1, ack: ISS + 12, flags: TCP_ACK, payload: bytes(4) }));
  assert.deepEqual(r.data, [0, 1, 2, 3]);
  r.conn.input(seg({ seq: add(G1, 4), ack: ISS + 12, flags: TCP_ACK | TCP_FIN }));
  assert.equal(r.conn.state, 'TIME_WAIT');
  assert.equal(r.ended, 1);
  take(r);
  // A retransmitted FIN in TIME_WAIT is acknowledged again.
  r.conn.input(seg({ seq: add(G1, 4), ack: ISS + 12, flags: TCP_ACK | TCP_FIN }));
  assert.equal(take(r)[0]?.ack, add(G1, 5));
  r.timers.advance(3000);
  assert.deepEqual(r.closed, ['closed']);
  assert.equal(r.timers.count, 0);
});

test('host FIN lost: it is retransmitted', () => {
  const r = established();
  r.conn.end();
  assert.deepEqual(flags(take(r)), ['ACK|FIN']);
  r.timers.advance(1000);
  const [f] = take(r);
  assert.equal(f?.flags, TCP_FIN | TCP_ACK);
  assert.equal(f?.seq, ISS + 1);
});

test('guest closes first: CLOSE_WAIT, host keeps sending, then LAST_ACK -> CLOSED', () => {
  const r = established();
  r.conn.input(seg({ seq: G1, ack: ISS + 1, flags: TCP_ACK | TCP_FIN }));
  assert.equal(r.conn.state, 'CLOSE_WAIT');
  assert.equal(r.ended, 1);
  assert.equal(take(r)[0]?.ack, add(G1, 1));
  r.conn.write(bytes(100));
  r.conn.end();
  assert.deepEqual(flags(take(r)), ['ACK|PSH', 'ACK|FIN']);
  assert.equal(r.conn.state, 'LAST_ACK');
  r.conn.input(seg({ seq: add(G1, 1), ack: ISS + 101, flags: TCP_ACK }));
  assert.equal(r.conn.state, 'LAST_ACK', 'FIN not yet acknowledged');
  r.conn.input(seg({ seq: add(G1, 1), ack: ISS + 102, flags: TCP_ACK }));
  assert.deepEqual(r.closed, ['closed']);
});

test('simultaneous close: FIN_WAIT_1 -> CLOSING -> TIME_WAIT', () => {
  const r = established({ timeWait: 10 });
  r.conn.end();
  take(r);
  r.conn.input(seg({ seq: G1, ack: ISS + 1, flags: TCP_ACK | TCP_FIN }));
  assert.equal(r.conn.state, 'CLOSING');
  r.conn.input(seg({ seq: add(G1, 1), ack: ISS + 2, flags: TCP_ACK }));
  assert.equal(r.conn.state, 'TIME_WAIT');
  r.timers.advance(10);
  assert.deepEqual(r.closed, ['closed']);
});

test('RST: in-window RST closes; out-of-exact-sequence RST gets a challenge ACK; outside the window is ignored', () => {
  const r = established();
  r.conn.input(seg({ seq: add(G1, 100), flags: TCP_RST }));
  assert.deepEqual(flags(take(r)), ['ACK'], 'challenge ACK');
  assert.equal(r.conn.state, 'ESTABLISHED');
  r.conn.input(seg({ seq: add(G1, 100000), flags: TCP_RST }));
  assert.equal(r.conn.state, 'ESTABLISHED');
  r.conn.input(seg({ seq: G1, flags: TCP_RST }));
  assert.deepEqual(r.closed, ['reset']);
  assert.equal(r.timers.count, 0);
  // Nothing more after close.
  r.conn.input(seg({ seq: G1, flags: TCP_ACK, payload: bytes(3) }));
  assert.deepEqual(r.data, []);
});

test('SYN in ESTABLISHED gets a challenge ACK; ACK of unsent data is answered with an ACK and ignored', () => {
  const r = established();
  r.conn.input(seg({ seq: G1, flags: TCP_SYN }));
  assert.deepEqual(flags(take(r)), ['ACK']);
  r.conn.input(seg({ seq: G1, ack: ISS + 5000, flags: TCP_ACK, payload: bytes(3) }));
  assert.deepEqual(flags(take(r)), ['ACK']);
  assert.deepEqual(r.data, []);
  assert.equal(r.conn.state, 'ESTABLISHED');
});

test('abort sends RST|ACK and closes; guest RST while LISTEN closes without output', () => {
  const r = established();
  r.conn.abort();
  assert.deepEqual(flags(take(r)), ['ACK|RST']);
  assert.deepEqual(r.closed, ['aborted']);
  const b = base();
  const c = TcpConnection.fromSyn(seg({ seq: 5, flags: TCP_SYN }), events(b), { timers: b.timers });
  c.input(seg({ seq: 6, flags: TCP_RST }));
  assert.deepEqual(b.closed, ['reset']);
  assert.deepEqual(b.out, []);
});

test('retransmission gives up after maxRetries with RST and a timeout close', () => {
  const r = established({ maxRetries: 2, rtoInitial: 100 });
  r.conn.write(bytes(10));
  take(r);
  r.timers.advance(100 + 200 + 400);
  assert.deepEqual(flags(take(r)), ['ACK|PSH', 'ACK|PSH', 'ACK|RST']);
  assert.deepEqual(r.closed, ['timeout']);
});

test('property: random guest segments never throw and never deliver bytes out of order', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          off: fc.integer({ min: -100, max: 70000 }),
          ackOff: fc.integer({ min: -10, max: 5000 }),
          flags: fc.integer({ min: 0, max: 0x3f }),
          window: fc.integer({ min: 0, max: 0xffff }),
          len: fc.integer({ min: 0, max: 200 }),
        }),
        { maxLength: 30 },
      ),
      (segs) => {
        const r = established();
        r.conn.write(bytes(3000));
        for (const s of segs) {
          r.conn.input(
            seg({ seq: add(G1, s.off), ack: add(ISS + 1, s.ackOff), flags: s.flags, window: s.window, payload: bytes(s.len, s.off) }),
          );
          r.timers.advance(300);
        }
        // Whatever was delivered is a prefix of the guest's stream (byte i has value i & 0xff).
        r.data.forEach((v, i) => assert.equal(v, i & 0xff));
      },
    ),
    { numRuns: 300 },
  );
});

test('two connections wired back to back (synchronous, re-entrant delivery, lossy or not) carry both streams intact', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 8 }),
      fc.array(fc.boolean(), { maxLength: 64 }),
      (upChunks, downChunks, lossPattern) => {
        const timers = new FakeTimers();
        let n = 0;
        // Drops the segments the pattern says to (the first few), then delivers everything.
        const lossy = (deliver: () => void): void => {
          if (lossPattern[n++] === true) return;
          deliver();
        };
        const aGot: number[] = [];
        const bGot: number[] = [];
        let aEnded = false;
        let bEnded = false;
        const closes: string[] = [];
        let b: TcpConnection | undefined = undefined;
        const a = new TcpConnection(
          {
            output: (o) => lossy(() => b?.input({ srcPort: 1, dstPort: 2, ...o })),
            onData: (d) => void aGot.push(...d),
            onEnd: () => {
              aEnded = true;
              a.end();
            },
            onClose: (w) => void closes.push(`a:${w}`),
          },
          { timers, iss: 0xffffff00, timeWait: 100 },
        );
        const syn = { seq: 0, ack: 0, flags: TCP_SYN, window: 65535, mss: 1000, srcPort: 2, dstPort: 1, payload: new Uint8Array(0) };
        a.open();
        // a's first SYN finds nobody; b is the listener that takes a's SYN and accepts.
        b = TcpConnection.fromSyn(
          { ...syn, seq: 0xffffff00 },
          {
            output: (o) => lossy(() => a.input({ srcPort: 2, dstPort: 1, ...o })),
            onData: (d) => void bGot.push(...d),
            onEnd: () => (bEnded = true),
            onClose: (w) => void closes.push(`b:${w}`),
          },
          { timers, iss: 7, timeWait: 100 },
        );
        b.accept();
        let off = 0;
        for (const c of upChunks) {
          a.write(bytes(c, off));
          off += c;
        }
        const upTotal = off;
        off = 0;
        for (const c of downChunks) {
          b!.write(bytes(c, off));
          off += c;
        }
        const downTotal = off;
        b!.end();
        for (let i = 0; i < 200 && closes.length < 2; i++) timers.advance(1000);
        assert.equal(bGot.length, upTotal);
        bGot.forEach((v, i) => assert.equal(v, i & 0xff));
        assert.equal(aGot.length, downTotal);
        aGot.forEach((v, i) => assert.equal(v, i & 0xff));
        assert.ok(aEnded && bEnded);
        assert.deepEqual(closes.sort(), ['a:closed', 'b:closed']);
      },
    ),
    { numRuns: 60 },
  );
});

test('delayed ACK: every second segment is acknowledged at once, a lone one after the delay; data piggybacks it', () => {
  const r = established({ delayedAck: 40 });
  r.conn.input(seg({ seq: G1, ack: ISS + 1, flags: TCP_ACK, payload: bytes(100) }));
  assert.deepEqual(take(r), []);
  r.conn.input(seg({ seq: add(G1, 100), ack: ISS + 1, flags: TCP_ACK, payload: bytes(100, 100) }));
  assert.deepEqual(take(r).map((s) => s.ack), [add(G1, 200)]);
  r.conn.input(seg({ seq: add(G1, 200), ack: ISS + 1, flags: TCP_ACK, payload: bytes(100, 200) }));
  assert.deepEqual(take(r), []);
  r.timers.advance(39);
  assert.deepEqual(take(r), []);
  r.timers.advance(1);
  assert.deepEqual(take(r).map((s) => s.ack), [add(G1, 300)]);
  // Data going back carries the ACK; the timer then has nothing to send.
  r.conn.input(seg({ seq: add(G1, 300), ack: ISS + 1, flags: TCP_ACK, payload: bytes(10, 300) }));
  r.conn.write(bytes(5));
  const out = take(r);
  assert.equal(out.length, 1);
  assert.equal(out[0]?.ack, add(G1, 310));
  r.timers.advance(100);
  assert.deepEqual(take(r), []);
  // Out of order and FIN are acknowledged at once.
  r.conn.input(seg({ seq: add(G1, 400), ack: ISS + 1, flags: TCP_ACK, payload: bytes(10) }));
  assert.equal(take(r).length, 1);
  r.conn.input(seg({ seq: add(G1, 310), ack: ISS + 6, flags: TCP_ACK, payload: bytes(90, 310) }));
  assert.equal(take(r).at(-1)?.ack, add(G1, 410), 'hole filled: immediate ACK');
  r.conn.input(seg({ seq: add(G1, 410), ack: ISS + 6, flags: TCP_ACK | TCP_FIN }));
  assert.equal(take(r).at(-1)?.ack, add(G1, 411));
});

test('RTT estimation (RFC 6298): samples set the RTO; retransmitted segments give no sample (Karn)', () => {
  const r = established({ rtoMin: 100 });
  assert.equal(r.conn.retransmissionTimeout, 1000);
  r.conn.write(bytes(10));
  take(r);
  r.timers.advance(300);
  r.conn.input(seg({ seq: G1, ack: ISS + 11, flags: TCP_ACK }));
  assert.equal(r.conn.smoothedRtt, 300);
  assert.equal(r.conn.retransmissionTimeout, 300 + 4 * 150);
  // A lost segment: retransmitted at 900 ms, acknowledged later; no sample from it.
  r.conn.write(bytes(10));
  take(r);
  r.timers.advance(900);
  assert.equal(take(r).length, 1, 'retransmitted after the estimated RTO');
  r.timers.advance(50);
  r.conn.input(seg({ seq: G1, ack: ISS + 21, flags: TCP_ACK }));
  assert.equal(r.conn.smoothedRtt, 300);
  assert.equal(r.conn.retransmissionTimeout, 900, 'backoff ends, estimate kept');
  // Fast samples bring it down to the floor.
  for (let i = 0; i < 40; i++) {
    r.conn.write(bytes(1));
    r.timers.advance(1);
    r.conn.input(seg({ seq: G1, ack: ISS + 22 + i, flags: TCP_ACK }));
  }
  assert.equal(r.conn.retransmissionTimeout, 100);
});
