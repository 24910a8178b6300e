/**
 * ns16550a UART as QEMU models it (hw/char/serial.c) and as Linux's 8250 driver and OpenSBI's uart8250 driver use
 * it: registers at byte offsets 0..7 (reg-shift 0, reg-io-width 1).
 *
 *   0 RBR (read) / THR (write)   DLL when LCR.DLAB
 *   1 IER                        DLM when LCR.DLAB
 *   2 IIR (read) / FCR (write)
 *   3 LCR   4 MCR   5 LSR   6 MSR   7 SCR
 *
 * Transmission is immediate: a THR write hands the byte to `output` (or, in loopback, to the receiver) and the
 * transmitter is empty again at once, so LSR.THRE and LSR.TEMT always read 1, and the THRE interrupt follows
 * QEMU's rules: it becomes pending when the THR empties and when IER.ETBEI is turned on with THR empty; it is
 * cleared by reading IIR while it is the reported interrupt, by writing THR, and by turning IER.ETBEI off.
 *
 * Receiving: a 16-byte FIFO (1 byte when FCR.FIFOE is clear). `receive()` refuses bytes when it is full so the
 * host applies backpressure instead of losing input, and `onRxSpace` tells the host when room appears. The
 * character-timeout interrupt has no timer here: it is pending whenever the FIFO holds data below the trigger
 * level (a timeout of zero character times), so data never waits unreported; at or above the trigger level the
 * received-data interrupt is reported instead.
 *
 * Interrupt priority (IIR): line status > received data / character timeout > THR empty > modem status.
 * The IRQ output is high whenever IIR reports an interrupt (MCR.OUT2 does not gate it, as in QEMU).
 *
 * Modem lines: with no host modem control, MSR reads DCD|DSR|CTS; in loopback (MCR bit 4) the MCR outputs are
 * wired to the MSR inputs (DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD), which is what the 8250 probe checks.
 *
 * Wider accesses act on the single register at their offset (value = its low byte), as QEMU's serial_mm does;
 * offsets 8 and up read 0 and ignore writes.
 */
import type { AccessSize, IrqLine, MmioDevice } from './mmio.js';

/** Register offsets (reg-shift 0). */
export const UART_REG = {
  rbrThrDll: 0,
  ierDlm: 1,
  iirFcr: 2,
  lcr: 3,
  mcr: 4,
  lsr: 5,
  msr: 6,
  scr: 7,
} as const;

export const UART_IER = { rdi: 0x01, thri: 0x02, rlsi: 0x04, msi: 0x08 } as const;
export const UART_IIR = { noInt: 0x01, msi: 0x00, thri: 0x02, rdi: 0x04, rlsi: 0x06, cti: 0x0c, fifoEnabled: 0xc0 } as const;
export const UART_FCR = { enable: 0x01, clearRx: 0x02, clearTx: 0x04, dma: 0x08, triggerMask: 0xc0 } as const;
export const UART_LCR = { dlab: 0x80 } as const;
export const UART_MCR = { dtr: 0x01, rts: 0x02, out1: 0x04, out2: 0x08, loop: 0x10 } as const;
export const UART_LSR = { dr: 0x01, oe: 0x02, pe: 0x04, fe: 0x08, bi: 0x10, thre: 0x20, temt: 0x40, fifoErr: 0x80 } as const;
export const UART_MSR = { dcts: 0x01, ddsr: 0x02, teri: 0x04, ddcd: 0x08, cts: 0x10, dsr: 0x20, ri: 0x40, dcd: 0x80 } as const;

/** Depth of the receive FIFO. */
export const UART_FIFO_SIZE = 16;

/** Receive trigger levels selected by FCR bits 7:6 (16550A). */
const TRIGGER_LEVELS = [1, 4, 8, 14] as const;

/** LSR error bits kept as state (the rest are derived). */
const LSR_ERRORS = UART_LSR.oe | UART_LSR.pe | UART_LSR.fe | UART_LSR.bi;

export interface Uart16550Config {
  /** The interrupt line (to the PLIC). */
  readonly irq: IrqLine;
  /** Receives each transmitted byte. */
  readonly output: (byte: number) => void;
  /** Called when the receiver can take bytes again after `receive()` refused one (or after loopback ends). */
  readonly onRxSpace?: () => void;
}

/** A plain, JSON-friendly snapshot of the UART. */
export interface Uart16550State {
  readonly ier: number;
  readonly lcr: number;
  readonly mcr: number;
  readonly scr: number;
  /** The sticky FCR bits (FIFO enable, DMA mode, trigger level). */
  readonly fcr: number;
  /** The 16-bit divisor latch. */
  readonly divisor: number;
  /** LSR error bits (OE, PE, FE, BI) awaiting an LSR read. */
  readonly lsrErrors: number;
  /** Whether a THR-empty interrupt is pending (cleared by an IIR read that reports it). */
  readonly thrInterrupt: boolean;
  /** Bytes in the receive FIFO, oldest first. */
  readonly rxFifo: number[];
}

function stateError(msg: string): Error {
  return new Error(`UART state: ${msg}`);
}

function checkByte(rec: Record<string, unknown>, field: string, max = 0xff): number {
  const v = rec[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw stateError(`${field} must be an integer in 0..${max}`);
  }
  return v;
}

export class Uart16550 implements MmioDevice {
  readonly name = 'uart16550';
  private readonly irq: IrqLine;
  private readonly output: (byte: number) => void;
  private readonly onRxSpace: (() => void) | undefined;

  private ier = 0;
  private lcr = 0;
  private mcr: number = UART_MCR.out2;
  private scr = 0;
  private fcr = 0;
  private divisor = 0x0c;
  private lsrErrors = 0;
  private thrInterrupt = false;
  private readonly fifo = new Uint8Array(UART_FIFO_SIZE);
  private head = 0;
  private count = 0;
  private irqLevel = false;
  /** Told after every change of state a register access or the host makes (watch). */
  private listener: (() => void) | undefined = undefined;

  constructor(config: Uart16550Config) {
    if (typeof config !== 'object' || config === null) throw new TypeError('UART config must be an object');
    const { irq, output, onRxSpace } = config;
    if (typeof irq !== 'object' || irq === null || typeof irq.set !== 'function') {
      throw new TypeError('UART config: irq must be an IrqLine');
    }
    if (typeof output !== 'function') throw new TypeError('UART config: output must be a function');
    if (onRxSpace !== undefined && typeof onRxSpace !== 'function') {
      throw new TypeError('UART config: onRxSpace must be a function');
    }
    this.irq = irq;
    this.output = output;
    this.onRxSpace = onRxSpace;
  }

  // ---------------------------------------------------------------- host side

  private capacity(): number {
    return (this.fcr & UART_FCR.enable) !== 0 ? UART_FIFO_SIZE : 1;
  }

  /** Whether `receive()` would accept a byte now. */
  canReceive(): boolean {
    return (this.mcr & UART_MCR.loop) === 0 && this.count < this.capacity();
  }

  /** Offers a byte from the host. Returns false (and drops nothing) when the receiver is full or in loopback. */
  receive(byte: number): boolean {
    if (!this.canReceive()) return false;
    this.push(byte & 0xff);
    this.updateIrq();
    this.changed();
    return true;
  }

  /**
   * Receives a break condition (the line held low for longer than a character), as QEMU's serial_receive_break
   * does: a zero character with LSR.BI. Linux's 8250 driver turns a break on its console into the Magic SysRq
   * prefix. Only taken when the FIFO is empty, so the break belongs to the character at its head; returns false
   * otherwise (the host retries once the guest has read what is there).
   */
  receiveBreak(): boolean {
    if (!this.canReceive() || this.count !== 0) return false;
    this.push(0);
    this.lsrErrors |= UART_LSR.bi;
    this.updateIrq();
    this.changed();
    return true;
  }

  /** Number of bytes waiting in the receive FIFO. */
  rxCount(): number {
    return this.count;
  }

  /** Whether the interrupt output is high. */
  irqAsserted(): boolean {
    return this.irqLevel;
  }

  private push(byte: number): void {
    this.fifo[(this.head + this.count) % UART_FIFO_SIZE] = byte;
    this.count++;
  }

  private notifySpace(wasReceivable: boolean): void {
    if (!wasReceivable && this.onRxSpace !== undefined && this.canReceive()) this.onRxSpace();
  }

  // ---------------------------------------------------------------- interrupts

  /** The interrupt identification (IIR bits 3:0) the UART reports now. */
  private interruptId(): number {
    const ier = this.ier;
    if ((ier & UART_IER.rlsi) !== 0 && (this.lsrErrors & LSR_ERRORS) !== 0) return UART_IIR.rlsi;
    if ((ier & UART_IER.rdi) !== 0 && this.count > 0) {
      if ((this.fcr & UART_FCR.enable) === 0) return UART_IIR.rdi;
      const trigger = TRIGGER_LEVELS[(this.fcr >>> 6) & 3]!;
      return this.count >= trigger ? UART_IIR.rdi : UART_IIR.cti;
    }
    if ((ier & UART_IER.thri) !== 0 && this.thrInterrupt) return UART_IIR.thri;
    // Modem status deltas never occur without host modem control lines.
    return UART_IIR.noInt;
  }

  private updateIrq(): void {
    const level = this.interruptId() !== UART_IIR.noInt;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.set(level);
    }
  }

  /** Re-sends the interrupt level (after a restore, or when wiring a fresh interrupt controller). */
  resync(): void {
    this.irqLevel = this.interruptId() !== UART_IIR.noInt;
    this.irq.set(this.irqLevel);
  }

  // ---------------------------------------------------------------- fast path

  /**
   * Calls `listener` now and after every change of the UART's state (a register access, a byte or break from the
   * host, a restore): a fast path outside the model (machine/console-fast-path.ts) follows fastLsr and fastThr
   * with it. One listener; undefined removes it.
   */
  watch(listener: (() => void) | undefined): void {
    this.listener = listener;
    listener?.();
  }

  /** What a read of LSR returns now, if the read changes nothing (no break or overrun to clear); else -1. */
  fastLsr(): number {
    if ((this.lsrErrors & (UART_LSR.bi | UART_LSR.oe)) !== 0) return -1;
    return this.lsrErrors | UART_LSR.thre | UART_LSR.temt | (this.count > 0 ? UART_LSR.dr : 0);
  }

  /**
   * Whether a write of THR now only transmits the byte: the divisor latch closed, no loopback (which would
   * receive it), and the THRE interrupt disabled (so the interrupt line stays as it is).
   */
  fastThr(): boolean {
    return (this.lcr & UART_LCR.dlab) === 0 && (this.mcr & UART_MCR.loop) === 0 && (this.ier & UART_IER.thri) === 0;
  }

  private changed(): void {
    this.listener?.();
  }

  // ---------------------------------------------------------------- MMIO

  read(offset: number, size: AccessSize): number {
    const value = this.readRegister(offset, size);
    this.changed();
    return value;
  }

  write(offset: number, size: AccessSize, value: number): void {
    this.writeRegister(offset, size, value);
    this.changed();
  }

  private readRegister(offset: number, _size: AccessSize): number {
    switch (offset) {
      case UART_REG.rbrThrDll: {
        if ((this.lcr & UART_LCR.dlab) !== 0) return this.divisor & 0xff;
        if (this.count === 0) return 0;
        const wasReceivable = this.canReceive();
        const byte = this.fifo[this.head]!;
        this.head = (this.head + 1) % UART_FIFO_SIZE;
        this.count--;
        if (this.count === 0) this.lsrErrors &= ~UART_LSR.bi;
        this.updateIrq();
        this.notifySpace(wasReceivable);
        return byte;
      }
      case UART_REG.ierDlm:
        return (this.lcr & UART_LCR.dlab) !== 0 ? this.divisor >>> 8 : this.ier;
      case UART_REG.iirFcr: {
        const id = this.interruptId();
        if (id === UART_IIR.thri) {
          this.thrInterrupt = false;
          this.updateIrq();
        }
        return id | ((this.fcr & UART_FCR.enable) !== 0 ? UART_IIR.fifoEnabled : 0);
      }
      case UART_REG.lcr:
        return this.lcr;
      case UART_REG.mcr:
        return this.mcr;
      case UART_REG.lsr: {
        const lsr = this.lsrErrors | UART_LSR.thre | UART_LSR.temt | (this.count > 0 ? UART_LSR.dr : 0);
        if ((this.lsrErrors & (UART_LSR.bi | UART_LSR.oe)) !== 0) {
          this.lsrErrors &= ~(UART_LSR.bi | UART_LSR.oe);
          this.updateIrq();
        }
        return lsr;
      }
      case UART_REG.msr: {
        const mcr = this.mcr;
        if ((mcr & UART_MCR.loop) !== 0) {
          return ((mcr & 0x0c) << 4) | ((mcr & UART_MCR.rts) << 3) | ((mcr & UART_MCR.dtr) << 5);
        }
        return UART_MSR.dcd | UART_MSR.dsr | UART_MSR.cts;
      }
      case UART_REG.scr:
        return this.scr;
      default:
        return 0;
    }
  }

  private writeRegister(offset: number, _size: AccessSize, value: number): void {
    const v = value & 0xff;
    switch (offset) {
      case UART_REG.rbrThrDll:
        if ((this.lcr & UART_LCR.dlab) !== 0) {
          this.divisor = (this.divisor & 0xff00) | v;
        } else {
          this.transmit(v);
        }
        return;
      case UART_REG.ierDlm:
        if ((this.lcr & UART_LCR.dlab) !== 0) {
          this.divisor = (this.divisor & 0x00ff) | (v << 8);
        } else {
          const next = v & 0x0f;
          const changed = (this.ier ^ next) & 0x0f;
          this.ier = next;
          // Turning ETBEI on with the THR empty raises THRE again (QEMU; Windows and Linux's THRE test rely on
          // it); turning it off drops a pending THRE interrupt.
          if ((changed & UART_IER.thri) !== 0) this.thrInterrupt = (next & UART_IER.thri) !== 0;
          if (changed !== 0) this.updateIrq();
        }
        return;
      case UART_REG.iirFcr: {
        let f = v;
        if (((f ^ this.fcr) & UART_FCR.enable) !== 0) f |= UART_FCR.clearRx | UART_FCR.clearTx;
        const wasReceivable = this.canReceive();
        if ((f & UART_FCR.clearRx) !== 0) {
          this.head = 0;
          this.count = 0;
          this.lsrErrors &= ~UART_LSR.bi;
        }
        if ((f & UART_FCR.clearTx) !== 0) this.thrInterrupt = true;
        this.fcr = f & (UART_FCR.enable | UART_FCR.dma | UART_FCR.triggerMask);
        this.updateIrq();
        this.notifySpace(wasReceivable);
        return;
      }
      case UART_REG.lcr:
        this.lcr = v;
        return;
      case UART_REG.mcr: {
        const wasReceivable = this.canReceive();
        this.mcr = v & 0x1f;
        this.notifySpace(wasReceivable);
        return;
      }
      case UART_REG.scr:
        this.scr = v;
        return;
      default:
        return; // LSR, MSR: read-only; 8 and up: nothing there
    }
  }

  private transmit(byte: number): void {
    // The THR empties at once: the byte goes to the shift register and out.
    this.thrInterrupt = false;
    if ((this.mcr & UART_MCR.loop) !== 0) {
      if (this.count < this.capacity()) this.push(byte);
      else this.lsrErrors |= UART_LSR.oe;
    } else {
      this.output(byte);
    }
    this.thrInterrupt = true;
    this.updateIrq();
  }

  // ---------------------------------------------------------------- snapshots

  saveState(): Uart16550State {
    const rxFifo: number[] = [];
    for (let i = 0; i < this.count; i++) rxFifo.push(this.fifo[(this.head + i) % UART_FIFO_SIZE]!);
    return {
      ier: this.ier,
      lcr: this.lcr,
      mcr: this.mcr,
      scr: this.scr,
      fcr: this.fcr,
      divisor: this.divisor,
      lsrErrors: this.lsrErrors,
      thrInterrupt: this.thrInterrupt,
      rxFifo,
    };
  }

  /**
   * Restores a snapshot (untrusted input: every field is validated, and nothing changes unless all are valid),
   * then re-sends the interrupt level.
   */
  restoreState(state: unknown): void {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) throw stateError('must be an object');
    const rec = state as Record<string, unknown>;
    const ier = checkByte(rec, 'ier', 0x0f);
    const lcr = checkByte(rec, 'lcr');
    const mcr = checkByte(rec, 'mcr', 0x1f);
    const scr = checkByte(rec, 'scr');
    const fcr = checkByte(rec, 'fcr');
    if ((fcr & ~(UART_FCR.enable | UART_FCR.dma | UART_FCR.triggerMask)) !== 0) {
      throw stateError('fcr may only hold the FIFO enable, DMA mode and trigger level bits');
    }
    const divisor = checkByte(rec, 'divisor', 0xffff);
    const lsrErrors = checkByte(rec, 'lsrErrors');
    if ((lsrErrors & ~LSR_ERRORS) !== 0) throw stateError('lsrErrors may only hold OE, PE, FE and BI');
    const thrInterrupt = rec['thrInterrupt'];
    if (typeof thrInterrupt !== 'boolean') throw stateError('thrInterrupt must be a boolean');
    const rx = rec['rxFifo'];
    if (!Array.isArray(rx)) throw stateError('rxFifo must be an array');
    const cap = (fcr & UART_FCR.enable) !== 0 ? UART_FIFO_SIZE : 1;
    if (rx.length > cap) throw stateError(`rxFifo holds ${rx.length} bytes, more than the ${cap} the FIFO can`);
    for (let i = 0; i < rx.length; i++) {
      const b: unknown = rx[i];
      if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 0xff) {
        throw stateError(`rxFifo[${i}] must be an integer in 0..255`);
      }
    }
    this.ier = ier;
    this.lcr = lcr;
    this.mcr = mcr;
    this.scr = scr;
    this.fcr = fcr;
    this.divisor = divisor;
    this.lsrErrors = lsrErrors;
    this.thrInterrupt = thrInterrupt;
    this.head = 0;
    this.count = rx.length;
    for (let i = 0; i < rx.length; i++) this.fifo[i] = rx[i] as number;
    this.resync();
    this.changed();
  }
}
