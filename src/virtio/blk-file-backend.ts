/**
 * A virtio-blk backend on a raw image file, with synchronous I/O (fs.readSync / writeSync / fdatasyncSync):
 * a FLUSH returns only once the data is on stable storage.
 *
 * The capacity is the file's size when opened (a trailing partial sector is not visible to the guest). Reads
 * past the end of a file that shrank underneath us read zeros. Write-zeroes writes zero bytes; discard is
 * accepted and does nothing (virtio allows it: discarded contents are unspecified) because Node has no
 * portable way to punch holes in a file.
 */
import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import type { BlockBackend } from './blk.js';

const ZERO_CHUNK = 1 << 20;

export interface FileBlockBackendOptions {
  /** Open the image read-only (O_RDONLY); the device then offers VIRTIO_BLK_F_RO. */
  readonly readOnly?: boolean;
}

export class FileBlockBackend implements BlockBackend {
  readonly path: string;
  readonly size: number;
  readonly readOnly: boolean;
  private fd: number;
  private zeros: Uint8Array | undefined;

  /** Opens `path`; throws the fs error (ENOENT, EACCES, EISDIR...) when it cannot. */
  constructor(path: string, options: FileBlockBackendOptions = {}) {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('disk image path must be a non-empty string');
    this.path = path;
    this.readOnly = options.readOnly === true;
    this.fd = openSync(path, this.readOnly ? 'r' : 'r+');
    try {
      const st = fstatSync(this.fd);
      if (!st.isFile() && !st.isBlockDevice()) throw new Error(`${path} is not a regular file`);
      this.size = st.size;
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  private checkOpen(): number {
    if (this.fd < 0) throw new Error(`${this.path}: disk image is closed`);
    return this.fd;
  }

  read(offset: number, buf: Uint8Array): void {
    const fd = this.checkOpen();
    let done = 0;
    while (done < buf.length) {
      const n = readSync(fd, buf, done, buf.length - done, offset + done);
      if (n === 0) {
        buf.fill(0, done);
        return;
      }
      done += n;
    }
  }

  write(offset: number, data: Uint8Array): void {
    const fd = this.checkOpen();
    if (this.readOnly) throw new Error(`${this.path}: disk image is read-only`);
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done, offset + done);
  }

  flush(): void {
    if (this.readOnly) return;
    fdatasyncSync(this.checkOpen());
  }

  discard(_offset: number, _len: number): void {
    this.checkOpen();
  }

  writeZeroes(offset: number, len: number): void {
    this.zeros ??= new Uint8Array(ZERO_CHUNK);
    for (let done = 0; done < len; done += ZERO_CHUNK) {
      const n = Math.min(ZERO_CHUNK, len - done);
      this.write(offset + done, this.zeros.subarray(0, n));
    }
  }

  /** Closes the file (after a final flush when writable). Further requests fail with IOERR. */
  close(): void {
    if (this.fd < 0) return;
    try {
      if (!this.readOnly) fdatasyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.fd = -1;
    }
  }
}
