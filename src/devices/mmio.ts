/**
 * The contract between the system bus and a memory-mapped device model.
 *
 * Device models are pure: they see register offsets and values, and reach the rest of the machine only through
 * the small interfaces they are constructed with (an interrupt line, a byte sink, a clock). They never import a
 * CPU engine.
 *
 * The bus delivers accesses of 1, 2 or 4 bytes. A guest's 8-byte access is split by the bus into two 4-byte
 * accesses, the lower address first, so a device implements 64-bit registers as two 32-bit halves.
 * Values are passed as unsigned numbers in the access's width (0 .. 2^(8*size) - 1).
 */
export type AccessSize = 1 | 2 | 4;

export interface MmioDevice {
  /** Short name used in logs and in the device tree's node name. */
  readonly name: string;
  /** Reads `size` bytes at `offset` (relative to the device's base). Returns an unsigned value. */
  read(offset: number, size: AccessSize): number;
  /** Writes `size` bytes at `offset`. `value` is unsigned and already truncated to the access width. */
  write(offset: number, size: AccessSize, value: number): void;
}

/** A level-triggered interrupt line from a device to an interrupt controller. */
export interface IrqLine {
  set(level: boolean): void;
}

/** The machine's time base, in ticks of the platform timer (10 MHz on the virt machine). */
export interface TickSource {
  /** The current value of mtime: a non-negative integer number of ticks. */
  ticks(): number;
}
