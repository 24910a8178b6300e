/**
 * The console UART's LSR and THR in WebAssembly, for the translator. Linux's 8250 console writes a character as
 * a read of LSR (is THR empty?) and a write of THR, with the UART's interrupts off (serial8250_console_write
 * clears IER first). Each was a trip from WebAssembly to the TypeScript interpreter and the device model, ~15 k
 * of them in a boot, and printing the kernel's messages cost ~13% of the boot to the prompt (`loglevel=1`
 * against the default, in-process, paired) where it costs QEMU nothing measurable.
 *
 * The UART stays the one model of its state (devices/uart16550.ts); this module keeps a copy of what the two
 * accesses need in the hart's area (jit/layout.ts AREA_CONSOLE_*), refreshed after every change of the UART's
 * state: LSR's value when reading it has no effect, and whether a write of THR only transmits. The TLB publishes
 * its translations of the UART's page there (Tlb.publishIoPage), so WebAssembly knows the virtual address and
 * the context they hold for, and drops them when the TLB drops its device pages. A byte load of LSR or store to
 * THR that misses the TLB (device pages are never in its sets) is then done by the WebAssembly interpreter
 * (jit/interp-wasm.ts), a THR write queued in the area; a translated block leaves before such an access, and
 * the WebAssembly interpreter does it. The translator hands the queue to the UART as a guest write of each byte
 * whenever WebAssembly returns (Hart.consoleOut), before anything else can touch the UART or the output.
 * Anything else (another register, an access while the THRE interrupt is on, an LSR read that would clear an
 * error) goes to the model as before.
 *
 * Only for a hart on this thread (harts in parallel run in workers, away from the UART).
 */
import type { Uart16550 } from '../devices/uart16550.js';
import { UART_REG } from '../devices/uart16550.js';
import type { Hart } from '../riscv/hart.js';
import { AREA_CONSOLE_LSR, AREA_CONSOLE_OUT, AREA_CONSOLE_THR } from '../riscv/jit/layout.js';

/** Serves `uart`'s LSR and THR, mapped at physical page `uartPage`, in WebAssembly for `h` (see above). */
export function attachConsoleFastPath(h: Hart, uart: Uart16550, uartPage: number): void {
  if (h.area < 0) throw new Error('the console fast path needs the hart area of a hart on this thread');
  const a32 = new Int32Array(h.bus.ram.buffer, h.area, (AREA_CONSOLE_OUT >>> 2) + 1);
  a32[AREA_CONSOLE_OUT >>> 2] = 0;
  h.tlb.publishIoPage(uartPage);
  h.consoleOut = (bytes) => {
    for (const byte of bytes) uart.write(UART_REG.rbrThrDll, 1, byte);
  };
  uart.watch(() => {
    a32[AREA_CONSOLE_LSR >>> 2] = uart.fastLsr();
    a32[AREA_CONSOLE_THR >>> 2] = uart.fastThr() ? 1 : 0;
  });
}
