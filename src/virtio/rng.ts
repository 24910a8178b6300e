/**
 * virtio-rng, the entropy device (virtio 1.2 section 5.4): device ID 4, one queue (requestq), no feature bits,
 * no configuration space. Each chain's device-writable buffers are filled from the random source and returned
 * with the number of bytes written; device-readable buffers are ignored. Linux's virtio-rng driver feeds
 * /dev/hwrng from it.
 */
import { VIRTIO_ID, type VirtioDevice, type VirtioDeviceContext } from './device.js';
import { forEachPart } from './queue.js';

export interface VirtioRngConfig {
  /** Fills `buf` with random bytes: the host's (machine/entropy.ts) in production. */
  readonly random: (buf: Uint8Array) => void;
  /** Size of the request queue (power of two, default 64). */
  readonly queueSize?: number;
  /** Most bytes given per request (default 65536); longer buffers are filled only that far. */
  readonly maxBytesPerRequest?: number;
}

/** virtio-rng holds no state of its own beyond its queue, which the transport saves. */
export type VirtioRngState = Record<string, never>;

export class VirtioRng implements VirtioDevice {
  readonly name = 'virtio-rng';
  readonly deviceId = VIRTIO_ID.entropy;
  readonly features = 0n;
  readonly queueMaxSizes: readonly number[];
  readonly configSize = 0;
  private readonly random: (buf: Uint8Array) => void;
  private readonly maxBytes: number;
  private ctx: VirtioDeviceContext | undefined;
  /** Bytes handed to the guest so far (for tests and statistics). */
  bytesProvided = 0;

  constructor(config: VirtioRngConfig) {
    if (typeof config !== 'object' || config === null) throw new TypeError('virtio-rng config must be an object');
    const { random, queueSize, maxBytesPerRequest } = config;
    if (typeof random !== 'function') throw new TypeError('virtio-rng config: random must be a function');
    const qs = queueSize ?? 64;
    if (!Number.isInteger(qs) || qs < 1 || qs > 32768 || (qs & (qs - 1)) !== 0) {
      throw new TypeError('virtio-rng config: queueSize must be a power of two in 1..32768');
    }
    const mb = maxBytesPerRequest ?? 65536;
    if (!Number.isInteger(mb) || mb < 1) throw new TypeError('virtio-rng config: maxBytesPerRequest must be a positive integer');
    this.random = random;
    this.queueMaxSizes = [qs];
    this.maxBytes = mb;
  }

  readConfig(): number {
    return 0;
  }

  writeConfig(): void {}

  activate(ctx: VirtioDeviceContext): void {
    this.ctx = ctx;
  }

  notify(index: number): void {
    const ctx = this.ctx;
    if (ctx === undefined || index !== 0) return;
    const q = ctx.queue(0);
    if (q === undefined) return;
    let any = false;
    for (let chain = q.pop(); chain !== null; chain = q.pop()) {
      const n = Math.min(chain.writableLength, this.maxBytes);
      forEachPart(chain.writable, 0, n, (addr, len) => {
        const v = ctx.memory.writableView(addr, len);
        if (v !== undefined) this.random(v);
      });
      this.bytesProvided += n;
      q.push(chain.head, n);
      any = true;
    }
    if (any) ctx.usedBuffers(q);
  }

  reset(): void {
    this.ctx = undefined;
  }

  saveState(): VirtioRngState {
    return {};
  }

  restoreState(state: unknown): void {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new Error('virtio-rng state: must be an object');
  }
}
