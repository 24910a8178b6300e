/**
 * virtio-console (virtio 1.2 section 5.3): device ID 3 with a single port (no VIRTIO_CONSOLE_F_MULTIPORT), the
 * guest's hvc0. Queue 0 (receiveq) carries host input to the guest, queue 1 (transmitq) guest output to the host.
 *
 * Input: `receive(bytes)` copies into the guest's receive buffers and returns how many bytes it took — fewer
 * than offered (maybe 0) when the guest has no buffers posted or the driver is not up. The host keeps the rest
 * and offers it again when `onRxSpace` fires (the guest posted buffers), so input is never lost.
 *
 * Output: each transmit chain's device-readable bytes go to `output` in one call, in order. A chain of more
 * than VIRTIO_CONSOLE_MAX_TX bytes (Linux sends at most a page) is cut there and counted as 'console-oversize',
 * so a hostile guest cannot make the host allocate unbounded memory.
 *
 * Features: VIRTIO_CONSOLE_F_EMERG_WRITE always (a 32-bit write to emerg_wr at config offset 8 outputs its low
 * byte, even before the queues are up); VIRTIO_CONSOLE_F_SIZE when the config gives a size, which `setSize`
 * changes with a configuration change interrupt (Linux resizes hvc0).
 *
 * Config space: cols u16 @0, rows u16 @2, max_nr_ports u32 @4 (1), emerg_wr u32 @8 (write-only).
 */
import { VIRTIO_ID, featureBit, readLe, writeLe, type VirtioDevice, type VirtioDeviceContext } from './device.js';

export const VIRTIO_CONSOLE_F = { size: 0, multiport: 1, emergWrite: 2 } as const;
export const VIRTIO_CONSOLE_CONFIG = { cols: 0, rows: 2, maxNrPorts: 4, emergWr: 8, size: 12 } as const;
export const VIRTIO_CONSOLE_RX = 0;
export const VIRTIO_CONSOLE_TX = 1;
/** Most bytes taken from one transmit chain. */
export const VIRTIO_CONSOLE_MAX_TX = 1 << 20;

export interface VirtioConsoleConfig {
  /** Receives guest output (one call per transmit buffer chain). */
  readonly output: (data: Uint8Array) => void;
  /** Called when `receive()` refused bytes earlier and the guest has since posted receive buffers. */
  readonly onRxSpace?: () => void;
  /** Terminal size to report (offers VIRTIO_CONSOLE_F_SIZE). */
  readonly size?: { readonly cols: number; readonly rows: number };
  /** Size of each queue (power of two, default 64). */
  readonly queueSize?: number;
}

export interface VirtioConsoleState {
  readonly cols: number;
  readonly rows: number;
}

function checkDim(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff) throw new TypeError(`${what} must be an integer in 0..65535`);
  return v;
}

export class VirtioConsole implements VirtioDevice {
  readonly name = 'virtio-console';
  readonly deviceId = VIRTIO_ID.console;
  readonly features: bigint;
  readonly queueMaxSizes: readonly number[];
  readonly configSize = VIRTIO_CONSOLE_CONFIG.size;
  private readonly output: (data: Uint8Array) => void;
  private readonly onRxSpace: (() => void) | undefined;
  private readonly config = new Uint8Array(VIRTIO_CONSOLE_CONFIG.size);
  private ctx: VirtioDeviceContext | undefined;
  /** receive() refused bytes and has not yet told the host about new space. */
  private rxBlocked = false;

  constructor(config: VirtioConsoleConfig) {
    if (typeof config !== 'object' || config === null) throw new TypeError('virtio-console config must be an object');
    const { output, onRxSpace, size, queueSize } = config;
    if (typeof output !== 'function') throw new TypeError('virtio-console config: output must be a function');
    if (onRxSpace !== undefined && typeof onRxSpace !== 'function') throw new TypeError('virtio-console config: onRxSpace must be a function');
    const qs = queueSize ?? 64;
    if (!Number.isInteger(qs) || qs < 1 || qs > 32768 || (qs & (qs - 1)) !== 0) {
      throw new TypeError('virtio-console config: queueSize must be a power of two in 1..32768');
    }
    let f = featureBit(VIRTIO_CONSOLE_F.emergWrite);
    if (size !== undefined) {
      if (typeof size !== 'object' || size === null) throw new TypeError('virtio-console config: size must be { cols, rows }');
      writeLe(this.config, VIRTIO_CONSOLE_CONFIG.cols, 2, checkDim(size.cols, 'virtio-console config: size.cols'));
      writeLe(this.config, VIRTIO_CONSOLE_CONFIG.rows, 2, checkDim(size.rows, 'virtio-console config: size.rows'));
      f |= featureBit(VIRTIO_CONSOLE_F.size);
    }
    writeLe(this.config, VIRTIO_CONSOLE_CONFIG.maxNrPorts, 4, 1);
    this.features = f;
    this.output = output;
    this.onRxSpace = onRxSpace;
    this.queueMaxSizes = [qs, qs];
  }

  // ---------------------------------------------------------------- host side

  /**
   * Offers host input to the guest. Returns the number of bytes taken (a prefix of `data`); when it is less than
   * `data.length`, `onRxSpace` will be called once the guest posts more buffers.
   */
  receive(data: Uint8Array): number {
    const ctx = this.ctx;
    const q = ctx?.queue(VIRTIO_CONSOLE_RX);
    let done = 0;
    if (ctx !== undefined && q !== undefined) {
      let any = false;
      while (done < data.length) {
        const chain = q.pop();
        if (chain === null) break;
        any = true;
        if (chain.writableLength === 0) {
          ctx.count('console-malformed', 'receive buffer without writable bytes');
          q.push(chain.head, 0);
          continue;
        }
        const n = chain.writeBytes(ctx.memory, 0, data.subarray(done));
        q.push(chain.head, n);
        done += n;
      }
      if (any) ctx.usedBuffers(q);
    }
    if (done < data.length) this.rxBlocked = true;
    return done;
  }

  /** Whether the guest has receive buffers posted (receive() would take at least one byte). */
  canReceive(): boolean {
    return this.ctx?.queue(VIRTIO_CONSOLE_RX)?.hasAvailable() === true;
  }

  /** Changes the reported terminal size (only when constructed with a size), with a config change interrupt. */
  setSize(cols: number, rows: number): void {
    if ((this.features & featureBit(VIRTIO_CONSOLE_F.size)) === 0n) throw new Error('virtio-console: constructed without a size');
    writeLe(this.config, VIRTIO_CONSOLE_CONFIG.cols, 2, checkDim(cols, 'cols'));
    writeLe(this.config, VIRTIO_CONSOLE_CONFIG.rows, 2, checkDim(rows, 'rows'));
    this.ctx?.configChanged();
  }

  private maybeSignalSpace(): void {
    if (this.rxBlocked && this.canReceive()) {
      this.rxBlocked = false;
      this.onRxSpace?.();
    }
  }

  // ---------------------------------------------------------------- VirtioDevice

  readConfig(offset: number, size: 1 | 2 | 4): number {
    if (offset >= VIRTIO_CONSOLE_CONFIG.emergWr) return 0; // emerg_wr is write-only
    return readLe(this.config, offset, size);
  }

  writeConfig(offset: number, size: 1 | 2 | 4, value: number): void {
    if (offset === VIRTIO_CONSOLE_CONFIG.emergWr && size === 4) this.output(Uint8Array.of(value & 0xff));
  }

  activate(ctx: VirtioDeviceContext): void {
    this.ctx = ctx;
  }

  notify(index: number): void {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    if (index === VIRTIO_CONSOLE_RX) {
      this.maybeSignalSpace();
      return;
    }
    if (index !== VIRTIO_CONSOLE_TX) return;
    const q = ctx.queue(VIRTIO_CONSOLE_TX);
    if (q === undefined) return;
    let any = false;
    for (let chain = q.pop(); chain !== null; chain = q.pop()) {
      any = true;
      let n = chain.readableLength;
      if (n > VIRTIO_CONSOLE_MAX_TX) {
        ctx.count('console-oversize', `transmit chain of ${n} bytes cut to ${VIRTIO_CONSOLE_MAX_TX}`);
        n = VIRTIO_CONSOLE_MAX_TX;
      }
      if (n > 0) this.output(chain.readBytes(ctx.memory, 0, n));
      q.push(chain.head, 0);
    }
    if (any) ctx.usedBuffers(q);
  }

  reset(): void {
    this.ctx = undefined;
  }

  saveState(): VirtioConsoleState {
    return { cols: readLe(this.config, 0, 2), rows: readLe(this.config, 2, 2) };
  }

  restoreState(state: unknown): void {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) throw new Error('virtio-console state: must be an object');
    const rec = state as Record<string, unknown>;
    let cols: number;
    let rows: number;
    try {
      cols = checkDim(rec['cols'], 'virtio-console state: cols');
      rows = checkDim(rec['rows'], 'virtio-console state: rows');
    } catch (e) {
      throw new Error((e as Error).message);
    }
    writeLe(this.config, VIRTIO_CONSOLE_CONFIG.cols, 2, cols);
    writeLe(this.config, VIRTIO_CONSOLE_CONFIG.rows, 2, rows);
  }
}
