/**
 * `typevisor disk create FILE SIZE`: a sparse raw image, the format virtio disks use.
 */
import { closeSync, ftruncateSync, openSync } from 'node:fs';
import { UsageError } from './run-command.js';
import { parseSize } from './size.js';

/** Largest image: 16 TiB (beyond what a raw file on common file systems holds). */
const MAX_IMAGE = 16 * 1024 ** 4;

export function createDiskCommand(file: string, sizeText: string, force: boolean): number {
  let size: number;
  try {
    size = parseSize(sizeText);
  } catch (e) {
    throw new UsageError(`disk create: ${(e as Error).message}`);
  }
  if (size % 512 !== 0) throw new UsageError(`disk create: ${sizeText} is not a multiple of 512 bytes`);
  if (size > MAX_IMAGE) throw new UsageError(`disk create: ${sizeText} is larger than 16T`);
  let fd: number;
  try {
    fd = openSync(file, force ? 'w' : 'wx');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EEXIST') throw new UsageError(`disk create: '${file}' exists (use --force to overwrite it)`);
    throw new UsageError(`disk create: cannot create '${file}': ${err.code === 'ENOENT' ? 'no such directory' : err.message}`);
  }
  try {
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
  process.stdout.write(`created ${file}: ${size} bytes (sparse raw image)\n`);
  return 0;
}
