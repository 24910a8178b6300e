/**
 * One TCP connection as seen from the network side of user-mode networking: the guest is the peer, and the
 * "application" is a host socket owned by the caller. Pure state machine: segments come in through `input`,
 * go out through `events.output`, and time comes from an injectable timer API so tests can drive it by hand.
 *
 * Implements RFC 9293's states and segment processing, with: MSS option, a receive window derived from the
 * host socket's backlog (window updates when it drains), out-of-order reassembly, retransmission of the oldest
 * unacknowledged segment on timeout with exponential backoff, fast retransmit on three duplicate ACKs, zero-window
 * probes, half-close both ways, RST in both directions (with RFC 5961 challenge ACKs) and TIME_WAIT.
 * No window scaling, SACK or timestamps (the options are not offered, so the guest does not use them).
 */
import type { TcpSegment } from './tcp.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from './tcp.js';

export type TcpState =
  | 'LISTEN' // a guest SYN arrived; waiting for the host side to accept() or refuse()
  | 'SYN_SENT'
  | 'SYN_RECEIVED'
  | 'ESTABLISHED'
  | 'FIN_WAIT_1'
  | 'FIN_WAIT_2'
  | 'CLOSING'
  | 'TIME_WAIT'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'CLOSED';

export type TcpCloseReason = 'closed' | 'reset' | 'refused' | 'timeout' | 'aborted';

/** A segment without ports: the owner adds ports, addresses and the link header. */
export interface TcpOutput {
  seq: number;
  ack: number;
  flags: number;
  window: number;
  mss?: number;
  payload: Uint8Array;
}

export interface TcpTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: TcpTimers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface TcpConnectionEvents {
  /** A segment for the guest. */
  output(seg: TcpOutput): void;
  /** In-order bytes from the guest, for the host side. */
  onData?(data: Uint8Array): void;
  /** The guest closed its sending direction (FIN); no more onData. */
  onEnd?(): void;
  /** The three-way handshake completed. */
  onEstablished?(): void;
  /** The send buffer fell below its low-water mark after write() returned false. */
  onDrain?(): void;
  /** The connection is gone; called exactly once. */
  onClose?(reason: TcpCloseReason): void;
}

export interface TcpConnectionConfig {
  /** Our maximum segment size, announced in the SYN (default 1460: a 1500-byte MTU). */
  mss?: number;
  /** Receive buffer: the largest window we advertise (default and maximum 65535, as windows are unscaled). */
  receiveBuffer?: number;
  /** write() returns false once this many bytes are buffered for the guest (default 256 KiB). */
  sendHighWater?: number;
  /** Initial, minimum and maximum retransmission timeouts in ms (defaults 1000, 200, 30000); RTT estimated per RFC 6298. */
  rtoInitial?: number;
  rtoMin?: number;
  rtoMax?: number;
  /** Retransmissions of one segment before the connection is reset (default 8). */
  maxRetries?: number;
  /** How long TIME_WAIT lasts in ms (default 2000; a NAT has no old duplicates to fear after a short while). */
  timeWait?: number;
  /** Zero-window probe interval in ms (default 500). */
  persistInterval?: number;
  /** Delayed ACK in ms: acknowledge every second segment, or after this long (default 0: every segment). */
  delayedAck?: number;
  /** Initial send sequence number (default random). */
  iss?: number;
  timers?: TcpTimers;
}

const seqLt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const seqLe = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
const seqAdd = (a: number, n: number): number => (a + n) >>> 0;
const seqDiff = (a: number, b: number): number => (a - b) | 0;

interface OooSegment {
  seq: number;
  data: Uint8Array;
  fin: boolean;
}

export interface TcpConnectionStats {
  segmentsIn: number;
  segmentsOut: number;
  bytesIn: number;
  bytesOut: number;
  retransmits: number;
  fastRetransmits: number;
  dupAcks: number;
  outOfOrder: number;
  dropped: number;
}

export class TcpConnection {
  state: TcpState = 'CLOSED';
  readonly stats: TcpConnectionStats = {
    segmentsIn: 0,
    segmentsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    retransmits: 0,
    fastRetransmits: 0,
    dupAcks: 0,
    outOfOrder: 0,
    dropped: 0,
  };

  private readonly ev: TcpConnectionEvents;
  private readonly timers: TcpTimers;
  private readonly ourMss: number;
  private readonly rcvBuf: number;
  private readonly highWater: number;
  /** RTO without backoff: the initial value until RTT samples exist, then RFC 6298's SRTT + 4 RTTVAR. */
  private rtoBase: number;
  private readonly rtoMin: number;
  private srtt: number | undefined = undefined;
  private rttvar = 0;
  /** The sequence number whose acknowledgement times the segment being measured (Karn: none after a retransmit). */
  private rttSeq: number | undefined = undefined;
  private rttStart = 0;
  private readonly rtoMax: number;
  private readonly maxRetries: number;
  private readonly timeWaitMs: number;
  private readonly persistMs: number;

  // Send side.
  private readonly iss: number;
  private sndUna: number;
  private sndNxt: number;
  private sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private peerMss = 536;
  /** Sequence number of sendQueue's first byte. */
  private bufSeq: number;
  private sendQueue: Uint8Array[] = [];
  private sendLen = 0;
  private wantFin = false;
  private finSent = false;
  private finSeq = 0;
  private blocked = false;
  private dupAcks = 0;

  // Receive side.
  private irs = 0;
  private rcvNxt = 0;
  private hostBacklog = 0;
  private advertisedEdge = 0;
  private ooo: OooSegment[] = [];
  private finReceived = false;

  // Timers.
  private rto: number;
  private retries = 0;
  private rtxTimer: unknown = undefined;
  private persistTimer: unknown = undefined;
  private timeWaitTimer: unknown = undefined;
  private delackTimer: unknown = undefined;
  private unackedSegments = 0;
  private readonly ackDelay: number;
  private closed = false;

  constructor(events: TcpConnectionEvents, config: TcpConnectionConfig = {}) {
    this.ev = events;
    this.timers = config.timers ?? realTimers;
    this.ourMss = config.mss ?? 1460;
    this.rcvBuf = Math.min(65535, config.receiveBuffer ?? 65535);
    this.highWater = config.sendHighWater ?? 256 * 1024;
    this.rto = this.rtoBase = config.rtoInitial ?? 1000;
    this.rtoMin = config.rtoMin ?? 200;
    this.rtoMax = config.rtoMax ?? 30000;
    this.maxRetries = config.maxRetries ?? 8;
    this.timeWaitMs = config.timeWait ?? 2000;
    this.persistMs = config.persistInterval ?? 500;
    this.ackDelay = config.delayedAck ?? 0;
    this.iss = (config.iss ?? Math.floor(Math.random() * 0x100000000)) >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.bufSeq = seqAdd(this.iss, 1);
  }

  /** Passive open: the guest's SYN arrived. The connection waits in LISTEN for accept() or refuse(). */
  static fromSyn(syn: TcpSegment, events: TcpConnectionEvents, config: TcpConnectionConfig = {}): TcpConnection {
    const c = new TcpConnection(events, config);
    c.state = 'LISTEN';
    c.irs = syn.seq;
    c.rcvNxt = seqAdd(syn.seq, 1);
    c.sndWnd = syn.window;
    c.sndWl1 = syn.seq;
    c.peerMss = syn.mss ?? 536;
    c.advertisedEdge = c.rcvNxt;
    c.stats.segmentsIn++;
    return c;
  }

  /** Active open: send a SYN to the guest. */
  static connect(events: TcpConnectionEvents, config: TcpConnectionConfig = {}): TcpConnection {
    const c = new TcpConnection(events, config);
    c.open();
    return c;
  }

  /**
   * Active open of a connection built with `new` (state CLOSED): sends the SYN. Separate from construction so
   * the owner can register the connection before the first segment leaves (an answer may come back at once).
   */
  open(): void {
    if (this.state !== 'CLOSED' || this.closed) return;
    this.state = 'SYN_SENT';
    this.sndNxt = seqAdd(this.iss, 1);
    this.armRtx();
    this.step(() => this.sendSyn());
  }

  /** The host side is ready (its connection succeeded): answer the guest's SYN with SYN-ACK. */
  accept(): void {
    if (this.state !== 'LISTEN') return;
    this.state = 'SYN_RECEIVED';
    this.sndNxt = seqAdd(this.iss, 1);
    this.armRtx();
    this.step(() => this.sendSyn());
  }

  /** The host side failed (connection refused): answer the guest's SYN with RST. */
  refuse(): void {
    if (this.state !== 'LISTEN') return;
    this.emit({ seq: 0, ack: this.rcvNxt, flags: TCP_RST | TCP_ACK, window: 0, payload: new Uint8Array(0) });
    this.finish('refused');
  }

  /** Queue host bytes for the guest. Returns false when the caller should pause its source until onDrain. */
  write(data: Uint8Array): boolean {
    if (this.closed || this.wantFin || data.length === 0) return !this.closed && !this.blocked;
    this.sendQueue.push(data);
    this.sendLen += data.length;
    if (this.sendLen >= this.highWater) this.blocked = true;
    this.step(() => this.trySend());
    return !this.blocked;
  }

  /** The host side will send no more: a FIN follows the queued data. */
  end(): void {
    if (this.closed || this.wantFin) return;
    this.wantFin = true;
    this.step(() => this.trySend());
  }

  /** Tear down at once, telling the guest with RST when it knows the connection. */
  abort(): void {
    if (this.closed) return;
    if (this.state === 'LISTEN') {
      this.refuse();
      return;
    }
    if (this.state !== 'SYN_SENT' && this.state !== 'TIME_WAIT') {
      this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: TCP_RST | TCP_ACK, window: 0, payload: new Uint8Array(0) });
    }
    this.finish('aborted');
  }

  /** Bytes delivered through onData that the host side has not consumed yet; shrinks the advertised window. */
  setHostBacklog(bytes: number): void {
    const before = this.window();
    this.hostBacklog = Math.max(0, bytes);
    const after = this.window();
    // Window update when the window re-opens meaningfully (RFC 9293 receiver SWS avoidance).
    if (this.isSynchronized() && after > before && (before < this.ourMss || after - before >= this.rcvBuf / 2)) {
      if (after >= Math.min(this.ourMss, this.rcvBuf / 2)) this.step(() => this.sendAck());
    }
  }

  /** Bytes queued for the guest and not yet acknowledged. */
  get bufferedAmount(): number {
    return this.sendLen;
  }

  get receiveWindow(): number {
    return this.window();
  }

  get sendWindow(): number {
    return this.sndWnd;
  }

  /**
   * A segment from the guest for this connection. Re-entrant calls (an output callback that synchronously
   * delivers the peer's answer) are queued and processed after the current step, so each step sees a
   * consistent state.
   */
  input(seg: TcpSegment): void {
    this.pending.push(seg);
    if (this.busy) return;
    this.busy = true;
    try {
      for (let s = this.pending.shift(); s; s = this.pending.shift()) this.process(s);
    } finally {
      this.busy = false;
    }
  }

  private busy = false;
  private pending: TcpSegment[] = [];

  /** Runs a public operation with re-entrant inputs deferred to its end. */
  private step(fn: () => void): void {
    if (this.busy) {
      fn();
      return;
    }
    this.busy = true;
    try {
      fn();
      for (let s = this.pending.shift(); s; s = this.pending.shift()) this.process(s);
    } finally {
      this.busy = false;
    }
  }

  private process(seg: TcpSegment): void {
    if (this.closed) return;
    this.stats.segmentsIn++;
    const rst = (seg.flags & TCP_RST) !== 0;
    const syn = (seg.flags & TCP_SYN) !== 0;
    const hasAck = (seg.flags & TCP_ACK) !== 0;
    const fin = (seg.flags & TCP_FIN) !== 0;

    if (this.state === 'LISTEN') {
      if (rst) this.finish('reset');
      // A retransmitted SYN while the host connects, or anything else: nothing to say yet.
      return;
    }

    if (this.state === 'SYN_SENT') {
      if (hasAck && (seqLe(seg.ack, this.iss) || seqLt(this.sndNxt, seg.ack))) {
        if (!rst) this.emit({ seq: seg.ack, ack: 0, flags: TCP_RST, window: 0, payload: new Uint8Array(0) });
        return this.drop();
      }
      if (rst) {
        if (hasAck) this.finish('refused');
        return;
      }
      if (!syn) return this.drop();
      this.irs = seg.seq;
      this.rcvNxt = seqAdd(seg.seq, 1);
      this.advertisedEdge = this.rcvNxt;
      this.peerMss = seg.mss ?? 536;
      this.updateWindow(seg, true);
      if (hasAck) {
        this.sndUna = seg.ack;
        this.retries = 0;
        this.clearRtx();
        this.state = 'ESTABLISHED';
        this.sendAck();
        this.ev.onEstablished?.();
        this.trySend();
      } else {
        // Simultaneous open.
        this.state = 'SYN_RECEIVED';
        this.sendSyn();
      }
      return;
    }

    // Synchronized states (and SYN_RECEIVED).
    if (this.state === 'SYN_RECEIVED' && syn && !hasAck && seg.seq === this.irs) {
      this.sendSyn(); // the guest did not get our SYN-ACK
      return;
    }

    const segLen = seg.payload.length + (syn ? 1 : 0) + (fin ? 1 : 0);
    const wnd = Math.max(this.window(), seqDiff(this.advertisedEdge, this.rcvNxt));
    let acceptable: boolean;
    if (segLen === 0) {
      acceptable = wnd === 0 ? seg.seq === this.rcvNxt : this.inWindow(seg.seq, wnd);
    } else {
      acceptable = wnd > 0 && (this.inWindow(seg.seq, wnd) || this.inWindow(seqAdd(seg.seq, segLen - 1), wnd));
    }
    // A zero window still lets ACKs and RSTs through when the segment starts at rcvNxt.
    const zeroWindowProbe = !acceptable && wnd === 0 && seg.seq === this.rcvNxt;
    if (!acceptable && !zeroWindowProbe) {
      if (!rst) this.sendAck();
      return this.drop();
    }

    if (rst) {
      if (seg.seq === this.rcvNxt || this.state === 'SYN_RECEIVED') this.finish('reset');
      else this.sendAck(); // challenge ACK (RFC 5961)
      return;
    }
    if (syn) {
      this.sendAck(); // challenge ACK
      return this.drop();
    }
    if (!hasAck) return this.drop();

    if (this.state === 'SYN_RECEIVED') {
      if (seqLt(this.sndUna, seg.ack) && seqLe(seg.ack, this.sndNxt)) {
        this.state = 'ESTABLISHED';
        this.updateWindow(seg, true);
        this.ev.onEstablished?.();
      } else {
        this.emit({ seq: seg.ack, ack: 0, flags: TCP_RST, window: 0, payload: new Uint8Array(0) });
        return this.drop();
      }
    }

    // ACK processing.
    if (seqLt(this.sndNxt, seg.ack)) {
      this.sendAck(); // acknowledges something not yet sent
      return this.drop();
    }
    if (seqLt(this.sndUna, seg.ack)) {
      this.onAck(seg.ack);
      this.updateWindow(seg, false);
    } else if (seg.ack === this.sndUna) {
      const windowChanged = seg.window !== this.sndWnd;
      this.updateWindow(seg, false);
      if (seg.payload.length === 0 && !fin && !windowChanged && this.sndNxt !== this.sndUna) {
        this.stats.dupAcks++;
        if (++this.dupAcks === 3) {
          this.stats.fastRetransmits++;
          this.rttSeq = undefined;
          this.retransmitOldest();
        }
      }
    }
    if (this.closed) return;

    if (this.state === 'TIME_WAIT') {
      if (fin) {
        this.sendAck();
        this.armTimeWait();
      }
      return;
    }

    // Data.
    if (seg.payload.length > 0 || fin) {
      if (this.state === 'ESTABLISHED' || this.state === 'FIN_WAIT_1' || this.state === 'FIN_WAIT_2') {
        if (zeroWindowProbe) {
          this.sendAck();
        } else {
          this.receive(seg.seq, seg.payload, fin);
        }
      } else {
        this.sendAck(); // data after the guest's FIN: acknowledge what we have
      }
    }
    this.trySend();
  }

  // --- receive path ---

  private receive(seq: number, data: Uint8Array, fin: boolean): void {
    const wnd = Math.max(this.window(), seqDiff(this.advertisedEdge, this.rcvNxt));
    // Trim what we already have and what lies beyond the window.
    let start = seqDiff(this.rcvNxt, seq);
    if (start < 0) start = 0;
    let d = data.subarray(start);
    const s = seqAdd(seq, start);
    const room = wnd - seqDiff(s, this.rcvNxt);
    if (d.length > room) {
      d = d.subarray(0, Math.max(0, room));
      fin = false;
    }
    if (s !== this.rcvNxt) {
      this.stats.outOfOrder++;
      if ((d.length > 0 || fin) && this.ooo.length < 64) this.ooo.push({ seq: s, data: d.slice(), fin });
      this.sendAck(); // duplicate ACK tells the guest what is missing
      return;
    }
    const filledHole = this.ooo.length > 0;
    this.deliver(d, fin);
    // Pull whatever the out-of-order queue now continues.
    let progress = true;
    while (progress && !this.finReceived) {
      progress = false;
      for (let i = 0; i < this.ooo.length; i++) {
        const o = this.ooo[i]!;
        const end = seqAdd(o.seq, o.data.length);
        if (seqLe(o.seq, this.rcvNxt)) {
          this.ooo.splice(i, 1);
          if (seqLt(this.rcvNxt, end) || (o.fin && end === this.rcvNxt)) {
            this.deliver(o.data.subarray(seqDiff(this.rcvNxt, o.seq)), o.fin);
          }
          progress = true;
          break;
        }
      }
    }
    if (this.finReceived) this.ooo = [];
    // Delayed ACK (RFC 9293 3.8.6.3): at least every second full segment, at once for a FIN or a filled hole.
    if (this.ackDelay > 0 && !fin && !this.finReceived && !filledHole && d.length > 0 && ++this.unackedSegments < 2) {
      if (this.delackTimer === undefined) {
        this.delackTimer = this.timers.setTimeout(() => this.step(() => {
          this.delackTimer = undefined;
          if (!this.closed && this.unackedSegments > 0) this.sendAck();
        }), this.ackDelay);
      }
      return;
    }
    this.sendAck();
  }

  private deliver(d: Uint8Array, fin: boolean): void {
    if (d.length > 0) {
      this.rcvNxt = seqAdd(this.rcvNxt, d.length);
      this.stats.bytesIn += d.length;
      this.ev.onData?.(d);
    }
    if (fin && !this.finReceived) {
      this.finReceived = true;
      this.rcvNxt = seqAdd(this.rcvNxt, 1);
      if (this.state === 'ESTABLISHED') this.state = 'CLOSE_WAIT';
      else if (this.state === 'FIN_WAIT_1') this.state = 'CLOSING';
      else if (this.state === 'FIN_WAIT_2') this.enterTimeWait();
      this.ev.onEnd?.();
    }
  }

  private window(): number {
    return Math.max(0, this.rcvBuf - this.hostBacklog);
  }

  private inWindow(seq: number, wnd: number): boolean {
    const d = seqDiff(seq, this.rcvNxt);
    return d >= 0 && d < wnd;
  }

  // --- send path ---

  private onAck(ack: number): void {
    this.dupAcks = 0;
    // Bytes of the queue now acknowledged (the SYN and FIN occupy sequence space but not the queue).
    const ackedBytes = Math.min(this.sendLen, Math.max(0, seqDiff(ack, this.bufSeq)));
    this.dropFromQueue(ackedBytes);
    this.sndUna = ack;
    this.retries = 0;
    if (this.rttSeq !== undefined && seqLe(this.rttSeq, ack)) {
      this.rttSample(this.timers.now() - this.rttStart);
      this.rttSeq = undefined;
    }
    this.rto = this.rtoBase; // new data acknowledged: the backoff ends
    if (this.sndUna === this.sndNxt) this.clearRtx();
    else this.armRtx(true);
    const finAcked = this.finSent && ack === seqAdd(this.finSeq, 1);
    if (finAcked) {
      if (this.state === 'FIN_WAIT_1') this.state = 'FIN_WAIT_2';
      else if (this.state === 'CLOSING') this.enterTimeWait();
      else if (this.state === 'LAST_ACK') {
        this.finish('closed');
        return;
      }
    }
    if (this.blocked && this.sendLen <= this.highWater / 2) {
      this.blocked = false;
      this.ev.onDrain?.();
    }
  }

  private updateWindow(seg: TcpSegment, force: boolean): void {
    if (
      force ||
      seqLt(this.sndWl1, seg.seq) ||
      (this.sndWl1 === seg.seq && seqLe(this.sndWl2, seg.ack))
    ) {
      this.sndWnd = seg.window;
      this.sndWl1 = seg.seq;
      this.sndWl2 = seg.ack;
    }
  }

  private dropFromQueue(n: number): void {
    this.sendLen -= n;
    this.bufSeq = seqAdd(this.bufSeq, n);
    while (n > 0) {
      const head = this.sendQueue[0]!;
      if (head.length <= n) {
        n -= head.length;
        this.sendQueue.shift();
      } else {
        this.sendQueue[0] = head.subarray(n);
        n = 0;
      }
    }
  }

  /** Copies `len` queued bytes starting `offset` bytes into the queue. */
  private peek(offset: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    let o = 0;
    for (const chunk of this.sendQueue) {
      if (o >= len) break;
      if (offset >= chunk.length) {
        offset -= chunk.length;
        continue;
      }
      const part = chunk.subarray(offset, offset + (len - o));
      out.set(part, o);
      o += part.length;
      offset = 0;
    }
    return out;
  }

  private effectiveMss(): number {
    return Math.max(1, Math.min(this.ourMss, this.peerMss));
  }

  private canSendData(): boolean {
    return this.state === 'ESTABLISHED' || this.state === 'CLOSE_WAIT';
  }

  private trySend(): void {
    if (this.closed || !this.canSendData()) return;
    for (;;) {
      const sentBytes = seqDiff(this.sndNxt, this.bufSeq);
      const unsent = this.sendLen - sentBytes;
      if (unsent <= 0) break;
      const wndAvail = seqDiff(seqAdd(this.sndUna, this.sndWnd), this.sndNxt);
      const n = Math.min(unsent, this.effectiveMss(), wndAvail);
      if (n <= 0) break;
      const payload = this.peek(sentBytes, n);
      const seq = this.sndNxt;
      this.sndNxt = seqAdd(this.sndNxt, n);
      if (this.rttSeq === undefined) {
        this.rttSeq = this.sndNxt;
        this.rttStart = this.timers.now();
      }
      this.stats.bytesOut += n;
      this.armRtx();
      this.emit({ seq, ack: this.rcvNxt, flags: TCP_ACK | (n === unsent ? TCP_PSH : 0), window: this.advertise(), payload });
    }
    const allSent = seqDiff(this.sndNxt, this.bufSeq) >= this.sendLen;
    if (this.wantFin && !this.finSent && allSent) {
      this.finSent = true;
      this.finSeq = this.sndNxt;
      this.sndNxt = seqAdd(this.sndNxt, 1);
      this.state = this.state === 'ESTABLISHED' ? 'FIN_WAIT_1' : 'LAST_ACK';
      this.armRtx();
      this.emit({ seq: this.finSeq, ack: this.rcvNxt, flags: TCP_FIN | TCP_ACK, window: this.advertise(), payload: new Uint8Array(0) });
    }
    // Zero window with data waiting and nothing in flight: probe until the guest reopens it.
    if (!allSent && this.sndWnd === 0 && this.sndNxt === this.sndUna) this.armPersist();
  }

  private sendSyn(): void {
    const synAck = this.state === 'SYN_RECEIVED';
    this.emit({
      seq: this.iss,
      ack: synAck ? this.rcvNxt : 0,
      flags: synAck ? TCP_SYN | TCP_ACK : TCP_SYN,
      window: this.advertise(),
      mss: this.ourMss,
      payload: new Uint8Array(0),
    });
  }

  private sendAck(): void {
    this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: TCP_ACK, window: this.advertise(), payload: new Uint8Array(0) });
  }

  private advertise(): number {
    const w = Math.min(0xffff, this.window());
    const edge = seqAdd(this.rcvNxt, w);
    if (this.state !== 'SYN_SENT' && seqLt(this.advertisedEdge, edge)) this.advertisedEdge = edge;
    return w;
  }

  private retransmitOldest(): void {
    if (this.state === 'SYN_SENT' || this.state === 'SYN_RECEIVED') {
      this.sendSyn();
      return;
    }
    const inFlight = Math.min(this.sendLen, seqDiff(this.sndNxt, this.bufSeq));
    if (inFlight > 0) {
      const n = Math.min(inFlight, this.effectiveMss());
      this.emit({ seq: this.bufSeq, ack: this.rcvNxt, flags: TCP_ACK | TCP_PSH, window: this.advertise(), payload: this.peek(0, n) });
    } else if (this.finSent && seqLe(this.sndUna, this.finSeq)) {
      this.emit({ seq: this.finSeq, ack: this.rcvNxt, flags: TCP_FIN | TCP_ACK, window: this.advertise(), payload: new Uint8Array(0) });
    }
  }

  // --- timers ---

  private rttSample(r: number): void {
    if (this.srtt === undefined) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.rtoBase = Math.min(this.rtoMax, Math.max(this.rtoMin, this.srtt + Math.max(1, 4 * this.rttvar)));
  }

  /** Smoothed round-trip time in ms, once measured. */
  get smoothedRtt(): number | undefined {
    return this.srtt;
  }

  get retransmissionTimeout(): number {
    return this.rto;
  }

  private armRtx(restart = false): void {
    if (this.rtxTimer !== undefined) {
      if (!restart) return;
      this.timers.clearTimeout(this.rtxTimer);
    }
    this.rtxTimer = this.timers.setTimeout(() => this.step(() => this.onRtxTimeout()), this.rto);
  }

  private clearRtx(): void {
    if (this.rtxTimer !== undefined) this.timers.clearTimeout(this.rtxTimer);
    this.rtxTimer = undefined;
    this.rto = this.rtoBase;
  }

  private onRtxTimeout(): void {
    this.rtxTimer = undefined;
    if (this.closed || this.sndUna === this.sndNxt) return;
    if (++this.retries > this.maxRetries) {
      this.abortTimeout();
      return;
    }
    this.stats.retransmits++;
    this.rttSeq = undefined; // Karn's algorithm: no sample from a retransmitted segment
    this.rto = Math.min(this.rtoMax, this.rto * 2);
    this.retransmitOldest();
    this.armRtx();
  }

  private abortTimeout(): void {
    if (this.state !== 'SYN_SENT') {
      this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: TCP_RST | TCP_ACK, window: 0, payload: new Uint8Array(0) });
    }
    this.finish('timeout');
  }

  private armPersist(): void {
    if (this.persistTimer !== undefined) return;
    this.persistTimer = this.timers.setTimeout(() => this.step(() => this.onPersist()), this.persistMs);
  }

  private onPersist(): void {
    this.persistTimer = undefined;
    if (this.closed || !this.canSendData() || this.sndWnd !== 0) return;
    // An ACK from one sequence number back makes the guest answer with its current window.
    this.emit({ seq: seqAdd(this.sndNxt, -1), ack: this.rcvNxt, flags: TCP_ACK, window: this.advertise(), payload: new Uint8Array(0) });
    this.armPersist();
  }

  private enterTimeWait(): void {
    this.state = 'TIME_WAIT';
    this.clearRtx();
    this.armTimeWait();
  }

  private armTimeWait(): void {
    if (this.timeWaitTimer !== undefined) this.timers.clearTimeout(this.timeWaitTimer);
    this.timeWaitTimer = this.timers.setTimeout(() => {
      this.timeWaitTimer = undefined;
      this.finish('closed');
    }, this.timeWaitMs);
  }

  // --- plumbing ---

  private isSynchronized(): boolean {
    return this.state !== 'LISTEN' && this.state !== 'SYN_SENT' && this.state !== 'CLOSED' && !this.closed;
  }

  private emit(seg: TcpOutput): void {
    this.stats.segmentsOut++;
    // Every segment carries the acknowledgement: nothing is pending for the delayed-ACK timer any more.
    this.unackedSegments = 0;
    if (this.delackTimer !== undefined) {
      this.timers.clearTimeout(this.delackTimer);
      this.delackTimer = undefined;
    }
    this.ev.output(seg);
  }

  private drop(): void {
    this.stats.dropped++;
  }

  private finish(reason: TcpCloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.state = 'CLOSED';
    for (const t of [this.rtxTimer, this.persistTimer, this.timeWaitTimer, this.delackTimer]) if (t !== undefined) this.timers.clearTimeout(t);
    this.rtxTimer = this.persistTimer = this.timeWaitTimer = this.delackTimer = undefined;
    this.sendQueue = [];
    this.sendLen = 0;
    this.ooo = [];
    this.ev.onClose?.(reason);
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
