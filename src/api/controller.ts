/**
 * What the per-VM control API controls: one running VM process. The HTTP server (server.ts) turns requests into
 * calls on a VmController; the VM process implements it on its Machine (src/cli/vm-controller.ts).
 */

/** running: executing guest code; paused: stopped by the API, resumable; stopped: gone or powering off. */
export type VmRunState = 'running' | 'paused' | 'stopped';

export interface VmStatus {
  readonly state: VmRunState;
  /** Milliseconds since the VM process started running the guest (or was restored). */
  readonly uptimeMs: number;
  readonly cpus: number;
  readonly memoryBytes: number;
  /** Guest instructions retired by hart 0 so far. */
  readonly instructions: number;
  /** Set when the VM was restored from a snapshot: its directory. */
  readonly restoredFrom?: string;
}

export interface SnapshotResult {
  /** The snapshot directory written. */
  readonly path: string;
  /** Guest RAM size, and how many bytes of non-zero pages the RAM file holds. */
  readonly memoryBytes: number;
  readonly ramFileBytes: number;
  /** Wall time of the whole snapshot, and how long the guest was paused for it. */
  readonly durationMs: number;
  readonly pausedMs: number;
}

/** A request that is valid but not in the VM's current state (HTTP 409), e.g. resume of a running VM. */
export class VmStateError extends Error {
  override readonly name = 'VmStateError';
}

/** A request whose arguments are wrong (HTTP 400), e.g. a snapshot path in a directory that does not exist. */
export class VmRequestError extends Error {
  override readonly name = 'VmRequestError';
}

export interface VmController {
  status(): VmStatus;
  /** Stops executing guest code (guest time stands still while paused). VmStateError unless running. */
  pause(): Promise<void>;
  /** VmStateError unless paused. */
  resume(): Promise<void>;
  /**
   * Writes a snapshot directory at `path` (created if missing; replacing an earlier snapshot there atomically).
   * A running VM is paused for the capture and resumed after; a paused VM stays paused. VmStateError if stopped.
   */
  snapshot(path: string): Promise<SnapshotResult>;
  /** Asks the guest to power off cleanly; resolves once the request is delivered (not when the guest is off). */
  shutdown(): Promise<void>;
  /** Stops the VM at once (like pulling the plug); the VM process exits afterwards. */
  stop(): Promise<void>;
}
