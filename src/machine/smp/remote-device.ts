/**
 * A device window as a hart in a worker thread sees it: every access goes through the hart's mailbox to the
 * machine's thread, where the device lives, and waits for the answer (see ControlBlock.call). Device accesses
 * are rare next to RAM accesses (console, PLIC claim and complete, virtio notifications and configuration).
 */
import type { AccessSize, MmioDevice } from '../../devices/mmio.js';
import { ACCESS_READ, ACCESS_WRITE, type ControlBlock } from './control-block.js';

export class RemoteDevice implements MmioDevice {
  readonly name: string;
  private readonly control: ControlBlock;
  private readonly hart: number;
  private readonly base: number;
  private readonly after: () => void;

  /** `after` runs once each access is answered (the device may have changed the hart's interrupt lines). */
  constructor(control: ControlBlock, hart: number, base: number, name: string, after: () => void) {
    this.control = control;
    this.hart = hart;
    this.base = base;
    this.name = name;
    this.after = after;
  }

  read(offset: number, size: AccessSize): number {
    const v = this.control.call(this.hart, ACCESS_READ, this.base + offset, size, 0);
    this.after();
    return v >>> 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    this.control.call(this.hart, ACCESS_WRITE, this.base + offset, size, value);
    this.after();
  }
}
