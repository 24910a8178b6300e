/**
 * Reading a whole range of an open file into a buffer on libuv's thread pool: one request, more only after a
 * short read.
 */
import { read } from 'node:fs';

/**
 * Reads `into.length` bytes of the file open on `fd`, from byte `position`, into `into`. Rejects with the read's
 * error, or with `atEnd(at)`'s when the file ends first (`at`: the file offset where it ended).
 */
export function readFully(fd: number, into: Uint8Array, position: number, atEnd: (at: number) => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    const from = (done: number): void => {
      if (done === into.length) {
        resolve();
        return;
      }
      read(fd, into, done, into.length - done, position + done, (err, n) => {
        if (err !== null) reject(err);
        else if (n === 0) reject(atEnd(position + done));
        else from(done + n);
      });
    };
    from(0);
  });
}
