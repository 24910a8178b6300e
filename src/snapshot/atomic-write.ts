/**
 * Atomic file replacement: the data goes to a temporary file in the same directory, is fsynced, renamed over
 * the destination, and the directory is fsynced. A crash or kill -9 at any point leaves either the old file or
 * the complete new one at `path`, never a partial file (at worst a stray `.<name>.tmp-*` file is left).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** The temp name used for `target`: hidden, in the same directory, unique per call. */
function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return; // Some platforms (Windows) cannot open directories; the rename is still atomic there.
  }
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    // EINVAL/EISDIR: the file system does not support fsync on directories.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw e;
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `data` to `target` atomically (synchronously). */
export function writeFileAtomicSync(target: string, data: Uint8Array, mode = 0o644): void {
  writeAtomicWithSync(
    target,
    (fd) => {
      let off = 0;
      while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
    },
    mode,
  );
}

/** Writes `data` to `target` atomically. */
export async function writeFileAtomic(target: string, data: Uint8Array, mode = 0o644): Promise<void> {
  const tmp = tempPathFor(target);
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(tmp, 'wx', mode);
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await fh.write(data, off, data.length - off);
      off += bytesWritten;
    }
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fs.promises.rename(tmp, target);
  } catch (e) {
    if (fh) await fh.close().catch(() => {});
    await fs.promises.unlink(tmp).catch(() => {});
    throw e;
  }
  fsyncDir(path.dirname(target));
}

/**
 * Atomic replacement with the contents produced by `write(fd)` (positional writes into a fresh temporary
 * file): for files too large to build in memory first, such as guest RAM.
 */
export function writeAtomicWithSync(target: string, write: (fd: number) => void, mode = 0o644): void {
  const tmp = tempPathFor(target);
  let fd = -1;
  try {
    fd = fs.openSync(tmp, 'wx', mode);
    write(fd);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = -1;
    fs.renameSync(tmp, target);
  } catch (e) {
    if (fd >= 0) fs.closeSync(fd);
    try {
      fs.unlinkSync(tmp);
    } catch {
      // Never created, or already renamed.
    }
    throw e;
  }
  fsyncDir(path.dirname(target));
}

/**
 * Atomic replacement in two steps, for a writer that wants its data copied out quickly and made durable later:
 * `write(fd)` fills a fresh temporary file synchronously (into the page cache), then the returned promise
 * fsyncs it asynchronously (other work runs meanwhile), renames it over `target` and fsyncs the directory.
 * `afterWrite` runs between the two, once the data no longer needs the caller's buffers.
 */
export async function writeAtomicWithThenSync(
  target: string,
  write: (fd: number) => void,
  afterWrite: () => void,
  mode = 0o644,
): Promise<void> {
  const tmp = tempPathFor(target);
  let fd = -1;
  try {
    fd = fs.openSync(tmp, 'wx', mode);
    write(fd);
  } catch (e) {
    if (fd >= 0) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  afterWrite();
  try {
    await new Promise<void>((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
    fs.closeSync(fd);
    fd = -1;
    await fs.promises.rename(tmp, target);
  } catch (e) {
    if (fd >= 0) fs.closeSync(fd);
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
  fsyncDir(path.dirname(target));
}
