/**
 * Unpacks a cpio "newc" archive (what Linux initramfs images are) into a directory: regular files, directories
 * and symlinks, with their modes. Device nodes are skipped (devtmpfs provides them). For tests that turn the
 * bundled initramfs into a root filesystem image.
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

export function unpackCpio(archive: Uint8Array, dest: string): void {
  const text = new TextDecoder('latin1');
  let off = 0;
  const field = (i: number): number => parseInt(text.decode(archive.subarray(off + 6 + i * 8, off + 14 + i * 8)), 16);
  while (off + 110 <= archive.length) {
    const magic = text.decode(archive.subarray(off, off + 6));
    if (magic !== '070701' && magic !== '070702') throw new Error(`cpio: bad magic at ${off}`);
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const name = text.decode(archive.subarray(off + 110, off + 110 + nameSize - 1));
    const dataStart = (off + 110 + nameSize + 3) & ~3;
    const data = archive.subarray(dataStart, dataStart + size);
    off = (dataStart + size + 3) & ~3;
    if (name === 'TRAILER!!!') break;
    const path = join(dest, normalize('/' + name));
    const kind = mode & S_IFMT;
    if (kind === S_IFDIR) mkdirSync(path, { recursive: true, mode: mode & 0o7777 });
    else if (kind === S_IFREG) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, data);
      chmodSync(path, mode & 0o7777);
    } else if (kind === S_IFLNK) {
      mkdirSync(dirname(path), { recursive: true });
      symlinkSync(text.decode(data), path);
    }
  }
}
