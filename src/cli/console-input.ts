/**
 * The host side of the serial console: bytes typed by the user go to the guest, except the escape sequences
 * QEMU users know: Ctrl-A X quits, Ctrl-A H prints help, Ctrl-A Ctrl-A sends a literal Ctrl-A.
 */
export const ESCAPE = 0x01;

export const ESCAPE_HELP =
  '\r\nC-a h    print this help\r\nC-a x    exit Typevisor\r\nC-a C-a  send C-a to the guest\r\n';

export interface ConsoleActions {
  toGuest(bytes: Uint8Array): void;
  quit(): void;
  help(): void;
}

export class ConsoleInput {
  private escaped = false;
  private readonly actions: ConsoleActions;

  constructor(actions: ConsoleActions) {
    this.actions = actions;
  }

  /** Handles one chunk of host input. */
  feed(chunk: Uint8Array): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.escaped) {
        this.escaped = false;
        start = i + 1;
        if (b === ESCAPE) this.actions.toGuest(Uint8Array.of(ESCAPE));
        else if (b === 0x78 || b === 0x58) {
          this.actions.quit();
          return;
        } else if (b === 0x68 || b === 0x48) this.actions.help();
        continue;
      }
      if (b === ESCAPE) {
        if (i > start) this.actions.toGuest(chunk.subarray(start, i));
        this.escaped = true;
        start = i + 1;
      }
    }
    if (start < chunk.length) this.actions.toGuest(chunk.subarray(start));
  }
}
