/**
 * The machine thread's side of harts running in parallel: one worker thread per hart (hart-worker.ts), started
 * from the harts' states, parked together for pause and snapshot, resumed, and ended.
 */
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import type { HartState } from '../../riscv/hart-state.js';
import { CMD_EXIT, CMD_PARK, CMD_RUN, type ControlBlock } from './control-block.js';
import type { HartWorkerData, PoolMessage } from './messages.js';

export type PoolConfig = Omit<HartWorkerData, 'hartId'>;

export class HartPool {
  private readonly control: ControlBlock;
  private readonly workers: Worker[] = [];
  private parkedStates: (HartState | undefined)[] = [];
  private onParked: (() => void) | undefined;
  private onParkFailed: ((e: Error) => void) | undefined;
  private failure: Error | undefined;
  /** Called once when a worker fails (an exception in the emulator): the machine stops with that error. */
  onFailure: (e: Error) => void = () => {};

  private constructor(control: ControlBlock) {
    this.control = control;
  }

  /** Starts a worker per hart and waits until each has built its hart. */
  static async start(control: ControlBlock, config: PoolConfig): Promise<HartPool> {
    // Loaded here: a machine of one hart never starts a worker, and node:worker_threads cost ~2 ms of every start.
    // (A require: the command line's bundle runs as a script, where import() of a builtin module is not available.)
    const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
    const pool = new HartPool(control);
    control.setCommand(CMD_PARK);
    const ready: Promise<void>[] = [];
    for (let id = 0; id < config.harts; id++) {
      const w = new Worker(new URL('./hart-worker.js', import.meta.url), { workerData: { ...config, hartId: id } satisfies HartWorkerData });
      pool.workers.push(w);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const onMessage = (m: PoolMessage): void => {
            if (m.type !== 'ready') return;
            w.off('error', reject);
            w.off('message', onMessage);
            resolve();
          };
          w.on('message', onMessage);
          w.once('error', reject);
        }),
      );
      w.on('message', (m: PoolMessage) => pool.message(m));
      w.on('error', (e) => pool.fail(e));
      w.on('exit', (code) => {
        if (code !== 0 && control.command !== CMD_EXIT) pool.fail(new Error(`hart ${id}'s worker thread exited with code ${code}`));
      });
    }
    try {
      await Promise.all(ready);
    } catch (e) {
      await pool.terminate();
      throw e;
    }
    return pool;
  }

  private fail(e: Error): void {
    if (this.failure !== undefined || this.control.command === CMD_EXIT) return;
    this.failure = e;
    // A failed worker never parks: a pause waiting for it ends with the failure instead.
    this.onParkFailed?.(e);
    this.onFailure(e);
  }

  private message(m: PoolMessage): void {
    if (m.type !== 'parked') return;
    this.parkedStates[m.hart] = m.state;
    if (this.parkedStates.filter((s) => s !== undefined).length === this.workers.length) this.onParked?.();
  }

  /** Lets every hart run, loading `states` (by hart id) first when given. */
  run(states?: readonly HartState[]): void {
    this.parkedStates = [];
    this.control.setCommand(CMD_RUN);
    this.workers.forEach((w, id) => w.postMessage({ type: 'run', ...(states !== undefined ? { state: states[id] } : {}) }));
  }

  /**
   * Stops every hart at its next burst boundary and resolves with their states. The caller must go on serving
   * the mailboxes meanwhile: a hart waiting for a device answer parks only after it has it.
   */
  park(): Promise<HartState[]> {
    return new Promise<HartState[]>((resolve, reject) => {
      if (this.failure !== undefined) {
        reject(this.failure);
        return;
      }
      this.onParked = () => {
        this.onParked = this.onParkFailed = undefined;
        resolve(this.parkedStates as HartState[]);
      };
      this.onParkFailed = (e) => {
        this.onParked = this.onParkFailed = undefined;
        reject(e);
      };
      this.control.setCommand(CMD_PARK);
    });
  }

  /** Ends every worker. */
  async terminate(): Promise<void> {
    this.control.setCommand(CMD_EXIT);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
