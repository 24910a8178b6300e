/**
 * The SiFive test finisher ("sifive,test1", "sifive,test0", "syscon") at 0x100000 on QEMU's `virt` board
 * (hw/misc/sifive_test.c). A write to offset 0 acts on its low 16 bits (status) and high 16 bits (code):
 *
 *   0x5555             power off (pass)          -> onExit({ kind: 'poweroff' })
 *   0x3333 | code<<16  fail with exit code       -> onExit({ kind: 'fail', code })
 *   0x7777             reset                     -> onExit({ kind: 'reset' })
 *
 * Any other value or offset is ignored, reads return 0. As in QEMU, 16- and 32-bit writes are accepted (a 16-bit
 * write carries code 0); byte writes are ignored. Linux reaches it through syscon-poweroff/syscon-reboot
 * (regmap writes of 0x5555/0x7777), OpenSBI through its sifive_test / syscon reset drivers.
 */
import type { AccessSize, MmioDevice } from './mmio.js';

export const SIFIVE_TEST = {
  /** Offset of the finisher register. */
  finisher: 0x0,
  fail: 0x3333,
  pass: 0x5555,
  reset: 0x7777,
  /** Size of the register window on QEMU virt. */
  size: 0x1000,
} as const;

export type SifiveTestEvent = { kind: 'poweroff' } | { kind: 'fail'; code: number } | { kind: 'reset' };

export interface SifiveTestConfig {
  /** Called when the guest powers off, fails or resets the machine. */
  readonly onExit: (event: SifiveTestEvent) => void;
}

/** The device has no state of its own; the record exists so snapshots treat every device alike. */
export type SifiveTestState = Record<string, never>;

const POWEROFF: SifiveTestEvent = { kind: 'poweroff' };
const RESET: SifiveTestEvent = { kind: 'reset' };

export class SifiveTest implements MmioDevice {
  readonly name = 'sifive-test';
  private readonly onExit: (event: SifiveTestEvent) => void;

  constructor(config: SifiveTestConfig) {
    if (typeof config !== 'object' || config === null) throw new TypeError('sifive-test config must be an object');
    if (typeof config.onExit !== 'function') throw new TypeError('sifive-test config: onExit must be a function');
    this.onExit = config.onExit;
  }

  read(_offset: number, _size: AccessSize): number {
    return 0;
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (offset !== SIFIVE_TEST.finisher || size === 1) return;
    const status = value & 0xffff;
    const code = size === 4 ? (value >>> 16) & 0xffff : 0;
    switch (status) {
      case SIFIVE_TEST.pass:
        this.onExit(POWEROFF);
        return;
      case SIFIVE_TEST.fail:
        this.onExit({ kind: 'fail', code });
        return;
      case SIFIVE_TEST.reset:
        this.onExit(RESET);
        return;
      default:
        return;
    }
  }

  saveState(): SifiveTestState {
    return {};
  }

  restoreState(state: unknown): void {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) {
      throw new Error('sifive-test state: must be an object');
    }
    const keys = Object.keys(state);
    if (keys.length !== 0) throw new Error(`sifive-test state: unexpected field ${keys[0]!}`);
  }
}
