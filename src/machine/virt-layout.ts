/**
 * The physical memory map of Typevisor's `virt` machine. It follows QEMU's riscv `virt` board so that the same
 * firmware and kernels run on both, and so behaviour can be compared side by side.
 */
export const VIRT = {
  /** SiFive test device: poweroff / reboot / fail with code (compatible "sifive,test1"). */
  testBase: 0x0010_0000,
  testSize: 0x1000,
  /** Core-local interruptor: msip, mtimecmp, mtime. */
  clintBase: 0x0200_0000,
  clintSize: 0x1_0000,
  /** Platform-level interrupt controller. */
  plicBase: 0x0c00_0000,
  plicSize: 0x60_0000,
  /** Number of PLIC interrupt sources (source 0 is reserved), as on QEMU virt. */
  plicSources: 95,
  /** ns16550a UART. */
  uartBase: 0x1000_0000,
  uartSize: 0x100,
  uartIrq: 10,
  /** virtio-mmio transports: slot i at virtioBase + i * virtioStride, interrupt virtioIrqBase + i. */
  virtioBase: 0x1000_1000,
  virtioStride: 0x1000,
  virtioSlots: 8,
  virtioIrqBase: 1,
  /** Start of RAM. */
  ramBase: 0x8000_0000,
  /** Platform timer frequency (mtime ticks per second), as on QEMU virt. */
  timebaseFrequency: 10_000_000,
} as const;
