/**
 * The contract between a virtio transport (virtio-mmio here) and a device model (blk, rng, console, ...).
 *
 * The transport owns the registers, the status state machine, feature negotiation and the virtqueues. A device
 * model declares what it is (id, feature bits, queues, config space) and does its work when the driver notifies
 * one of its queues, through the `VirtioDeviceContext` it is given when the driver sets DRIVER_OK.
 */
import type { GuestMemory } from './guest-memory.js';
import type { Virtqueue } from './queue.js';

/** Device IDs (virtio 1.2, section 5). */
export const VIRTIO_ID = { net: 1, block: 2, console: 3, entropy: 4 } as const;

/** Reserved feature bits (section 6) the transport offers itself. */
export const VIRTIO_F = {
  indirectDesc: 28,
  eventIdx: 29,
  version1: 32,
} as const;

/** Device status bits (section 2.1). */
export const VIRTIO_STATUS = {
  acknowledge: 1,
  driver: 2,
  driverOk: 4,
  featuresOk: 8,
  deviceNeedsReset: 0x40,
  failed: 0x80,
} as const;

/** A feature bit as a bigint mask. */
export function featureBit(bit: number): bigint {
  return 1n << BigInt(bit);
}

/** What a device model may do to the transport while it is active. */
export interface VirtioDeviceContext {
  readonly memory: GuestMemory;
  /** The negotiated features. */
  readonly features: bigint;
  /** Queue `index` when the driver made it ready; undefined otherwise. Faulted queues deliver no buffers. */
  queue(index: number): Virtqueue | undefined;
  /** Signals the driver that `queue` has new used buffers (subject to the driver's interrupt suppression). */
  usedBuffers(queue: Virtqueue): void;
  /** The device changed its config space: bumps ConfigGeneration and sends a configuration change interrupt. */
  configChanged(): void;
  /** The device cannot continue until the driver resets it (sets DEVICE_NEEDS_RESET). `reason` is logged. */
  needsReset(reason: string): void;
  /** Counts (and logs) a driver error the device survived, e.g. a malformed request it failed. */
  count(kind: string, detail: string): void;
}

export interface VirtioDevice {
  /** Short name used in logs and as the transport's MMIO name (e.g. "virtio-blk"). */
  readonly name: string;
  /** The virtio device ID (VIRTIO_ID). */
  readonly deviceId: number;
  /** Device-specific feature bits offered (the transport adds VERSION_1, INDIRECT_DESC and EVENT_IDX). */
  readonly features: bigint;
  /** Maximum size of each queue (powers of two); the length is the number of queues. */
  readonly queueMaxSizes: readonly number[];
  /** Bytes of device-specific configuration space. */
  readonly configSize: number;
  /** Reads config space (0 <= offset, offset + size <= configSize). Little-endian, unsigned. */
  readConfig(offset: number, size: 1 | 2 | 4): number;
  /** Writes config space (most fields are read-only: ignore those writes). */
  writeConfig(offset: number, size: 1 | 2 | 4, value: number): void;
  /** The driver set DRIVER_OK: start work. `ctx` stays valid until `reset()`. */
  activate(ctx: VirtioDeviceContext): void;
  /** The driver notified queue `index` (only called while active, for a ready queue). Must not throw. */
  notify(index: number): void;
  /** Device reset (status 0 or transport reset): forget in-flight work, back to the state before activation. */
  reset(): void;
  /** A plain, JSON-friendly snapshot of the device's own state. */
  saveState(): unknown;
  /** Validates and applies a snapshot (throws an Error naming the bad field; nothing changes on error). */
  restoreState(state: unknown): void;
}

/** Little-endian read of `size` bytes at `offset` of a byte array; bytes past the end read as 0. */
export function readLe(bytes: Uint8Array, offset: number, size: number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + (bytes[offset + i] ?? 0);
  return v;
}

/** Little-endian write of `size` bytes at `offset`; bytes past the end are dropped. */
export function writeLe(bytes: Uint8Array, offset: number, size: number, value: number): void {
  let v = value;
  for (let i = 0; i < size; i++) {
    if (offset + i < bytes.length) bytes[offset + i] = v & 0xff;
    v = Math.floor(v / 256);
  }
}
