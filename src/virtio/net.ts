/**
 * virtio-net (virtio 1.2 section 5.1): device ID 1 with one receive queue (0) and one transmit queue (1): no
 * control queue, no multiqueue, no mergeable receive buffers. Frames go to and come from an injected
 * `NetBackend` (the user-mode network, a TAP device, ...).
 *
 * Every buffer starts with the 12-byte `virtio_net_hdr` (VERSION_1, so num_buffers is present):
 *   flags u8 @0 (NEEDS_CSUM 1, DATA_VALID 2), gso_type u8 @1, hdr_len u16 @2, gso_size u16 @4,
 *   csum_start u16 @6, csum_offset u16 @8, num_buffers u16 @10
 * (The transport insists on VERSION_1, so the 10-byte legacy header never occurs.)
 *
 * Transmit: each chain's device-readable bytes are the header and then one Ethernet frame. The header is
 * stripped; with NEEDS_CSUM (the guest accepted VIRTIO_NET_F_CSUM) the partial TCP/UDP checksum is completed
 * with `completeChecksum(frame, csum_start, csum_offset)`; the frame goes to `backend.send`. A chain shorter
 * than a header, a frame under 14 or over VIRTIO_NET_MAX_FRAME bytes, a GSO frame (no HOST_TSO/UFO offered) or
 * NEEDS_CSUM offsets outside the frame are dropped and counted ('net-tx-malformed', 'net-tx-oversize',
 * 'net-tx-gso', 'net-tx-csum'). Transmit chains are always returned with used length 0.
 *
 * Receive: frames from `backend.onReceive` are copied and queued (at most `rxQueueLimit`, further ones are
 * dropped and counted in `stats.rxQueueFull`), then copied into the guest's receive chains, one frame per
 * chain, behind a header that is zero except num_buffers = 1. Without receive buffers the frames wait until
 * the guest notifies the receive queue. A frame larger than the chain it is given is dropped (the chain is
 * returned with length 0; counted as 'net-rx-oversize'). Frames arriving while the driver is not up, or while
 * the link is down, are dropped (stats.rxNotReady, stats.rxLinkDown).
 *
 * Features offered: MAC (config mac), STATUS (config status, LINK_UP; `setLinkUp` changes it with a
 * configuration change interrupt), MTU (config mtu, 1500 by default) and CSUM.
 *
 * Config space: mac[6] @0, status u16 @6, max_virtqueue_pairs u16 @8 (1), mtu u16 @10. All read-only.
 */
import { VIRTIO_ID, featureBit, readLe, writeLe, type VirtioDevice, type VirtioDeviceContext } from './device.js';
import type { DescriptorChain, Virtqueue } from './queue.js';
import type { NetBackend } from '../net/backend.js';
import { completeChecksum } from '../net/offload.js';

export const VIRTIO_NET_F = {
  csum: 0,
  guestCsum: 1,
  ctrlGuestOffloads: 2,
  mtu: 3,
  mac: 5,
  guestTso4: 7,
  guestTso6: 8,
  guestEcn: 9,
  guestUfo: 10,
  hostTso4: 11,
  hostTso6: 12,
  hostEcn: 13,
  hostUfo: 14,
  mrgRxbuf: 15,
  status: 16,
  ctrlVq: 17,
  mq: 22,
} as const;

export const VIRTIO_NET_S = { linkUp: 1, announce: 2 } as const;
export const VIRTIO_NET_HDR_F = { needsCsum: 1, dataValid: 2, rscInfo: 4 } as const;
export const VIRTIO_NET_HDR_GSO_NONE = 0;

/** Byte offsets in struct virtio_net_config (the fields this device has). */
export const VIRTIO_NET_CONFIG = { mac: 0, status: 6, maxVirtqueuePairs: 8, mtu: 10, size: 12 } as const;
/** Byte offsets in struct virtio_net_hdr. */
export const VIRTIO_NET_HDR = { flags: 0, gsoType: 1, hdrLen: 2, gsoSize: 4, csumStart: 6, csumOffset: 8, numBuffers: 10 } as const;
/** Header length with VERSION_1. */
export const VIRTIO_NET_HDR_LEN = 12;

export const VIRTIO_NET_RX = 0;
export const VIRTIO_NET_TX = 1;
/** Largest frame accepted in either direction (a 64 KiB IP packet with an Ethernet and a VLAN header). */
export const VIRTIO_NET_MAX_FRAME = 65535 + 18;
/** Smallest frame: an Ethernet header. */
export const VIRTIO_NET_MIN_FRAME = 14;
export const VIRTIO_NET_DEFAULT_MAC = '52:54:00:12:34:56';

export interface VirtioNetConfig {
  readonly backend: NetBackend;
  /** Unicast MAC address "52:54:00:12:34:56" (default: that one, QEMU's first NIC). */
  readonly mac?: string;
  /** MTU reported to the guest, 68..65535 (default 1500). */
  readonly mtu?: number;
  /** Size of each queue (power of two, default 256). */
  readonly queueSize?: number;
  /** Most host-to-guest frames kept while the guest has no receive buffers (default 256). */
  readonly rxQueueLimit?: number;
}

export interface VirtioNetStats {
  txFrames: number;
  txBytes: number;
  /** Transmit chains dropped (malformed, oversize, GSO, bad checksum offsets, link down). */
  txDropped: number;
  /** NEEDS_CSUM checksums completed. */
  txCsumCompleted: number;
  rxFrames: number;
  rxBytes: number;
  /** Frames dropped because the pending queue was full. */
  rxQueueFull: number;
  /** Frames dropped because the driver was not up. */
  rxNotReady: number;
  /** Frames dropped because the link is down. */
  rxLinkDown: number;
  /** Frames dropped because they did not fit the receive chain they were given. */
  rxOversize: number;
  /** Frames from the backend shorter than an Ethernet header or longer than VIRTIO_NET_MAX_FRAME. */
  rxInvalid: number;
}

/** The device's own state: link status and the frames waiting for receive buffers (base64). */
export interface VirtioNetState {
  readonly linkUp: boolean;
  readonly rxPending: readonly string[];
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Parses "52:54:00:12:34:56" (six colon-separated pairs of hex digits) into bytes; undefined when malformed. */
export function parseMacAddress(s: string): Uint8Array | undefined {
  const m = /^([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})$/.exec(s);
  if (m === null) return undefined;
  return Uint8Array.from(m.slice(1), (x) => parseInt(x, 16));
}

export class VirtioNet implements VirtioDevice {
  readonly name = 'virtio-net';
  readonly deviceId = VIRTIO_ID.net;
  readonly features: bigint;
  readonly queueMaxSizes: readonly number[];
  readonly configSize = VIRTIO_NET_CONFIG.size;
  readonly mac: string;
  readonly mtu: number;
  readonly stats: VirtioNetStats = {
    txFrames: 0,
    txBytes: 0,
    txDropped: 0,
    txCsumCompleted: 0,
    rxFrames: 0,
    rxBytes: 0,
    rxQueueFull: 0,
    rxNotReady: 0,
    rxLinkDown: 0,
    rxOversize: 0,
    rxInvalid: 0,
  };
  private readonly backend: NetBackend;
  private readonly rxQueueLimit: number;
  private readonly config = new Uint8Array(VIRTIO_NET_CONFIG.size);
  private ctx: VirtioDeviceContext | undefined;
  private rxPending: Uint8Array[] = [];
  private draining = false;

  constructor(config: VirtioNetConfig) {
    if (typeof config !== 'object' || config === null) throw new TypeError('virtio-net config must be an object');
    const { backend, mac, mtu, queueSize, rxQueueLimit } = config;
    if (
      typeof backend !== 'object' ||
      backend === null ||
      typeof backend.send !== 'function' ||
      typeof backend.onReceive !== 'function'
    ) {
      throw new TypeError('virtio-net config: backend must be a NetBackend ({ send, onReceive, close })');
    }
    const macText = mac ?? VIRTIO_NET_DEFAULT_MAC;
    const macBytes = typeof macText === 'string' ? parseMacAddress(macText) : undefined;
    if (macBytes === undefined) throw new TypeError(`virtio-net config: mac must look like "52:54:00:12:34:56" (got ${JSON.stringify(macText)})`);
    if ((macBytes[0]! & 1) !== 0) throw new TypeError(`virtio-net config: mac ${macText} is a multicast address`);
    if (macBytes.every((b) => b === 0)) throw new TypeError('virtio-net config: mac must not be 00:00:00:00:00:00');
    const m = mtu ?? 1500;
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 68 || m > 65535) throw new TypeError('virtio-net config: mtu must be an integer in 68..65535');
    const qs = queueSize ?? 256;
    if (typeof qs !== 'number' || !Number.isInteger(qs) || qs < 1 || qs > 32768 || (qs & (qs - 1)) !== 0) {
      throw new TypeError('virtio-net config: queueSize must be a power of two in 1..32768');
    }
    const limit = rxQueueLimit ?? 256;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0 || limit > 65536) {
      throw new TypeError('virtio-net config: rxQueueLimit must be an integer in 0..65536');
    }
    this.backend = backend;
    this.mac = macText.toLowerCase();
    this.mtu = m;
    this.rxQueueLimit = limit;
    this.queueMaxSizes = [qs, qs];
    this.features = featureBit(VIRTIO_NET_F.csum) | featureBit(VIRTIO_NET_F.mtu) | featureBit(VIRTIO_NET_F.mac) | featureBit(VIRTIO_NET_F.status);
    const C = VIRTIO_NET_CONFIG;
    this.config.set(macBytes, C.mac);
    writeLe(this.config, C.status, 2, VIRTIO_NET_S.linkUp);
    writeLe(this.config, C.maxVirtqueuePairs, 2, 1);
    writeLe(this.config, C.mtu, 2, m);
    backend.onReceive((frame) => this.receive(frame));
  }

  // ---------------------------------------------------------------- host side

  /** Whether the link is reported up. */
  get linkUp(): boolean {
    return (readLe(this.config, VIRTIO_NET_CONFIG.status, 2) & VIRTIO_NET_S.linkUp) !== 0;
  }

  /** Sets the link state; a change raises a configuration change interrupt (Linux then sets the carrier). */
  setLinkUp(up: boolean): void {
    if (typeof up !== 'boolean') throw new TypeError('virtio-net: setLinkUp takes a boolean');
    if (up === this.linkUp) return;
    writeLe(this.config, VIRTIO_NET_CONFIG.status, 2, up ? VIRTIO_NET_S.linkUp : 0);
    if (!up) this.rxPending = [];
    this.ctx?.configChanged();
  }

  /** Frames waiting for guest receive buffers. */
  get rxPendingCount(): number {
    return this.rxPending.length;
  }

  /**
   * A frame for the guest (what the backend's onReceive delivers). It is copied, queued and delivered as soon
   * as the guest has a receive buffer. Never throws.
   */
  receive(frame: Uint8Array): void {
    if (!(frame instanceof Uint8Array) || frame.length < VIRTIO_NET_MIN_FRAME || frame.length > VIRTIO_NET_MAX_FRAME) {
      this.stats.rxInvalid++;
      return;
    }
    if (this.ctx === undefined) {
      this.stats.rxNotReady++;
      return;
    }
    if (!this.linkUp) {
      this.stats.rxLinkDown++;
      return;
    }
    if (this.rxPending.length >= this.rxQueueLimit) {
      this.stats.rxQueueFull++;
      return;
    }
    this.rxPending.push(frame.slice());
    this.drainRx();
  }

  /** Copies pending frames into the guest's receive buffers while both last. */
  private drainRx(): void {
    const ctx = this.ctx;
    if (ctx === undefined || this.draining || this.rxPending.length === 0) return;
    const q = ctx.queue(VIRTIO_NET_RX);
    if (q === undefined) return;
    this.draining = true;
    let any = false;
    try {
      while (this.rxPending.length > 0) {
        const chain = q.pop();
        if (chain === null) break;
        any = true;
        this.fillRx(ctx, q, chain);
      }
    } finally {
      this.draining = false;
    }
    if (any) ctx.usedBuffers(q);
  }

  /** Puts the next pending frame into `chain` (or drops it if it does not fit). */
  private fillRx(ctx: VirtioDeviceContext, q: Virtqueue, chain: DescriptorChain): void {
    const hdrLen = VIRTIO_NET_HDR_LEN;
    if (chain.writableLength < hdrLen + VIRTIO_NET_MIN_FRAME) {
      // Cannot hold any frame: a driver bug (Linux posts at least hdr + 1518 bytes). The frame stays pending.
      ctx.count('net-rx-malformed', `receive chain of ${chain.writableLength} writable bytes`);
      q.push(chain.head, 0);
      return;
    }
    const frame = this.rxPending.shift()!;
    if (hdrLen + frame.length > chain.writableLength) {
      this.stats.rxOversize++;
      ctx.count('net-rx-oversize', `frame of ${frame.length} bytes for a receive chain of ${chain.writableLength} bytes`);
      q.push(chain.head, 0);
      return;
    }
    const hdr = new Uint8Array(hdrLen);
    writeLe(hdr, VIRTIO_NET_HDR.numBuffers, 2, 1);
    chain.writeBytes(ctx.memory, 0, hdr);
    chain.writeBytes(ctx.memory, hdrLen, frame);
    q.push(chain.head, hdrLen + frame.length);
    this.stats.rxFrames++;
    this.stats.rxBytes += frame.length;
  }

  // ---------------------------------------------------------------- guest side

  private transmit(): void {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    const q = ctx.queue(VIRTIO_NET_TX);
    if (q === undefined) return;
    let any = false;
    for (let chain = q.pop(); chain !== null; chain = q.pop()) {
      any = true;
      const frame = this.takeFrame(ctx, chain);
      q.push(chain.head, 0);
      if (frame === null) {
        this.stats.txDropped++;
        continue;
      }
      this.stats.txFrames++;
      this.stats.txBytes += frame.length;
      try {
        this.backend.send(frame);
      } catch (e) {
        ctx.count('net-backend-error', e instanceof Error ? e.message : String(e));
      }
    }
    if (any) ctx.usedBuffers(q);
  }

  /** The frame of a transmit chain with its header stripped and checksum completed, or null (counted). */
  private takeFrame(ctx: VirtioDeviceContext, chain: DescriptorChain): Uint8Array | null {
    const hdrLen = VIRTIO_NET_HDR_LEN;
    const total = chain.readableLength;
    if (total < hdrLen + VIRTIO_NET_MIN_FRAME) {
      ctx.count('net-tx-malformed', `transmit chain of ${total} readable bytes`);
      return null;
    }
    if (total - hdrLen > VIRTIO_NET_MAX_FRAME) {
      ctx.count('net-tx-oversize', `frame of ${total - hdrLen} bytes`);
      return null;
    }
    if (!this.linkUp) return null;
    const hdr = chain.readBytes(ctx.memory, 0, hdrLen);
    const flags = hdr[VIRTIO_NET_HDR.flags]!;
    const gsoType = hdr[VIRTIO_NET_HDR.gsoType]!;
    if (gsoType !== VIRTIO_NET_HDR_GSO_NONE) {
      ctx.count('net-tx-gso', `gso_type ${gsoType} (no segmentation offload was offered)`);
      return null;
    }
    const frame = chain.readBytes(ctx.memory, hdrLen, total - hdrLen);
    if ((flags & VIRTIO_NET_HDR_F.needsCsum) !== 0) {
      const start = readLe(hdr, VIRTIO_NET_HDR.csumStart, 2);
      const offset = readLe(hdr, VIRTIO_NET_HDR.csumOffset, 2);
      if (!completeChecksum(frame, start, offset)) {
        ctx.count('net-tx-csum', `csum_start ${start} + csum_offset ${offset} outside a ${frame.length}-byte frame`);
        return null;
      }
      this.stats.txCsumCompleted++;
    }
    return frame;
  }

  // ---------------------------------------------------------------- VirtioDevice

  readConfig(offset: number, size: 1 | 2 | 4): number {
    return readLe(this.config, offset, size);
  }

  writeConfig(): void {
    // mac is writable only with VIRTIO_NET_F_CTRL_MAC_ADDR (not offered) on legacy devices: all read-only.
  }

  activate(ctx: VirtioDeviceContext): void {
    this.ctx = ctx;
    this.drainRx();
  }

  notify(index: number): void {
    if (index === VIRTIO_NET_RX) this.drainRx();
    else if (index === VIRTIO_NET_TX) this.transmit();
  }

  reset(): void {
    this.ctx = undefined;
    this.rxPending = [];
  }

  saveState(): VirtioNetState {
    return { linkUp: this.linkUp, rxPending: this.rxPending.map((f) => Buffer.from(f.buffer, f.byteOffset, f.length).toString('base64')) };
  }

  restoreState(state: unknown): void {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new Error('virtio-net state: must be an object');
    const rec = state as Record<string, unknown>;
    const linkUp = rec['linkUp'];
    if (typeof linkUp !== 'boolean') throw new Error('virtio-net state: linkUp must be a boolean');
    const pending = rec['rxPending'];
    if (!Array.isArray(pending) || pending.length > this.rxQueueLimit) {
      throw new Error(`virtio-net state: rxPending must be an array of at most ${this.rxQueueLimit} frames`);
    }
    const frames: Uint8Array[] = [];
    for (const [i, s] of (pending as unknown[]).entries()) {
      if (typeof s !== 'string' || s.length > 4 * Math.ceil(VIRTIO_NET_MAX_FRAME / 3) || !BASE64.test(s)) {
        throw new Error(`virtio-net state: rxPending[${i}] must be a base64 frame`);
      }
      const f = new Uint8Array(Buffer.from(s, 'base64'));
      if (f.length < VIRTIO_NET_MIN_FRAME || f.length > VIRTIO_NET_MAX_FRAME) {
        throw new Error(`virtio-net state: rxPending[${i}] must be a frame of ${VIRTIO_NET_MIN_FRAME}..${VIRTIO_NET_MAX_FRAME} bytes`);
      }
      frames.push(f);
    }
    writeLe(this.config, VIRTIO_NET_CONFIG.status, 2, linkUp ? VIRTIO_NET_S.linkUp : 0);
    this.rxPending = frames;
  }
}
