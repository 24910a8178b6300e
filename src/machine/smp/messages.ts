/** What the machine's thread gives a hart worker, and the messages a hart worker sends back. */
import type { SharedRamHandle } from '../../memory/ram.js';
import type { Engine } from '../../riscv/engine.js';
import type { HartState } from '../../riscv/hart-state.js';

export interface HartWorkerData {
  readonly hartId: number;
  readonly harts: number;
  readonly engine: Engine;
  readonly ram: SharedRamHandle;
  readonly control: SharedArrayBuffer;
  readonly clintStorage: SharedArrayBuffer;
  readonly clintBase: number;
  readonly timebaseFrequency: number;
  /**
   * Give the host CPU away briefly when the guest spins (PAUSE): set when the VM has more harts than the host
   * has cores, so that a hart spinning for a lock does not keep the holder's thread off the CPU.
   */
  readonly yieldOnPause: boolean;
  /** The hart answers SBI calls itself (sbi.ts), with no M-mode firmware. */
  readonly sbi: boolean;
  /** Every device window of the machine's bus; the CLINT's (at clintBase) is served in the worker. */
  readonly windows: readonly { readonly base: number; readonly size: number; readonly name: string }[];
}

export type PoolMessage =
  | { readonly type: 'ready'; readonly hart: number }
  | { readonly type: 'parked'; readonly hart: number; readonly state: HartState; readonly instret: number };
