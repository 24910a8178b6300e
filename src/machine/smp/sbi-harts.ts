/**
 * The built-in SBI's calls that reach other harts, for harts in worker threads (sbi.ts SbiHarts): an IPI, a
 * remote fence or a hart start is a request in the target's words of the control block, which the target does
 * at its next look (doRequests, between bursts and while it sleeps or waits itself).
 *
 * A fence and a start wait until the target has done them, as the SBI spec asks. A hart that waits also does the
 * requests made of it meanwhile (two harts fencing each other do not deadlock), and gives up when the machine
 * parks its harts (the target may be parked already): the call is then made again when the harts run on. An IPI
 * does not wait; one still in the control block when the harts park is taken into the hart's state then
 * (ParallelHarts), so that a snapshot keeps it.
 */
import { MIP_SSIP } from '../../riscv/constants.js';
import type { Hart } from '../../riscv/hart.js';
import { pairToNumber } from '../../riscv/pairs.js';
import {
  HSM_START_PENDING,
  HSM_STOPPED,
  SBI_ERR_ALREADY_AVAILABLE,
  SBI_RETRY,
  SBI_SUCCESS,
  markStopped,
  startHart,
  type SbiHarts,
} from '../sbi.js';
import {
  CMD_RUN,
  REQ_FENCE_I,
  REQ_SFENCE_VMA,
  REQ_SSIP,
  type ControlBlock,
} from './control-block.js';

/** How long one wait lasts before looking at the machine's command and this hart's own requests again. */
const WAIT_MS = 1;

export class WorkerSbiHarts implements SbiHarts {
  readonly count: number;
  private readonly control: ControlBlock;
  private readonly hart: Hart;

  constructor(control: ControlBlock, hart: Hart) {
    this.control = control;
    this.hart = hart;
    this.count = control.harts;
  }

  status(id: number): number {
    return this.control.hsm(id);
  }

  start(id: number, addrLo: number, addrHi: number, opaqueLo: number, opaqueHi: number): number {
    const control = this.control;
    if (control.command !== CMD_RUN) return SBI_RETRY;
    if (!control.requestStart(id, addrLo, addrHi, opaqueLo, opaqueHi)) return SBI_ERR_ALREADY_AVAILABLE;
    while (control.hsm(id) === HSM_START_PENDING) {
      if (control.command !== CMD_RUN) {
        // Parking: if the target has not taken the request, take it back and make the call again later.
        if (control.withdrawStart(id)) return SBI_RETRY;
        break;
      }
      this.doRequests();
      control.waitHsm(id, HSM_START_PENDING, WAIT_MS);
    }
    return SBI_SUCCESS;
  }

  ipi(id: number): void {
    this.control.postRequests(id, REQ_SSIP);
  }

  fence(ids: readonly number[], vma: boolean): number {
    const control = this.control;
    if (control.command !== CMD_RUN) return SBI_RETRY;
    const bits = vma ? REQ_SFENCE_VMA : REQ_FENCE_I;
    // A stopped hart has nothing to drop (a start begins with an empty TLB): it need not answer.
    const waits = ids.filter((id) => control.hsm(id) !== HSM_STOPPED).map((id) => [id, control.postRequests(id, bits)] as const);
    for (const [id, seq] of waits) {
      while (!control.waitDone(id, seq, WAIT_MS)) {
        if (control.hsm(id) === HSM_STOPPED) break;
        if (control.command !== CMD_RUN) return SBI_RETRY;
        this.doRequests();
      }
    }
    return SBI_SUCCESS;
  }

  stop(h: Hart): boolean {
    const control = this.control;
    let running = 0;
    for (let id = 0; id < this.count; id++) if (control.hsm(id) !== HSM_STOPPED) running++;
    if (running <= 1) return false;
    markStopped(h);
    control.setHsm(h.hartId, HSM_STOPPED);
    return true;
  }

  /** Does what other harts asked of this one: an IPI, fences, a start (when it is stopped). */
  doRequests(): void {
    const h = this.hart;
    const control = this.control;
    control.takeRequests(h.hartId, (bits) => {
      if ((bits & REQ_SSIP) !== 0) h.mipSw |= MIP_SSIP;
      if ((bits & REQ_FENCE_I) !== 0) h.decode.clear();
      if ((bits & REQ_SFENCE_VMA) !== 0) h.tlb.flushTranslated();
    });
    const start = control.takeStart(h.hartId);
    if (start !== undefined) startHart(h, pairToNumber(start[0]!, start[1]!), start[2]!, start[3]!);
  }
}
