/**
 * A snapshot on disk is a directory of two files:
 *   state        the container (container.ts): every section of machine and device state, plus a "ram" section
 *                naming the RAM file and its size
 *   ram-<id>     guest RAM (ram-file.ts), a new name for every snapshot
 *
 * Writing goes RAM file first (under its new name), then `state` atomically (temporary file, fsync, rename):
 * that rename is the commit point. A crash or kill -9 before it leaves the previous `state` pointing at the
 * previous RAM file, both untouched; after it, the new pair is complete. Older RAM files are removed last.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { decodeSnapshot, encodeSnapshot, MAX_TOTAL_BYTES } from './container.js';
import { SnapshotError } from './errors.js';
import { writeFileAtomicSync } from './atomic-write.js';
import { fileSource, readRamIndex, writeRamFile, writeRamFileSync, type RamFileIndex, type RamSource } from './ram-file.js';

export const STATE_FILE = 'state';
const RAM_NAME = /^ram-[0-9a-f]{8,40}$/;

export interface WrittenSnapshot {
  readonly dir: string;
  readonly ramFile: string;
  readonly ramFileBytes: number;
  readonly stateBytes: number;
}

/** Writes a snapshot directory (created if needed) from state sections and guest RAM. */
export function writeSnapshotDir(dir: string, sections: ReadonlyMap<string, unknown>, ram: Uint8Array): WrittenSnapshot {
  const ramFile = prepare(dir, sections);
  const ramFileBytes = writeRamFileSync(path.join(dir, ramFile), ram);
  return commitState(dir, sections, ramFile, ramFileBytes);
}

/** A temporary file (atomic-write.ts names them .<name>.tmp-<pid>-<random>) left by a process that died. */
function isOrphanTemp(name: string): boolean {
  const m = /^\.(?:state|ram-[0-9a-f]+)\.tmp-(\d+)-[0-9a-f]+$/.exec(name);
  if (m === null) return false;
  const pid = Number(m[1]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * writeSnapshotDir for a running VM: RAM is copied into the new RAM file synchronously, then `afterCopy` runs
 * (the caller resumes the guest), and the files are made durable and committed while the guest runs.
 */
export async function writeSnapshotDirAsync(
  dir: string,
  sections: ReadonlyMap<string, unknown>,
  ram: Uint8Array,
  afterCopy: () => void,
): Promise<WrittenSnapshot> {
  const ramFile = prepare(dir, sections);
  const ramFileBytes = await writeRamFile(path.join(dir, ramFile), ram, afterCopy);
  return commitState(dir, sections, ramFile, ramFileBytes);
}

/** Checks the sections, makes the directory, and names the new RAM file. */
function prepare(dir: string, sections: ReadonlyMap<string, unknown>): string {
  if (sections.has('ram')) throw new SnapshotError("the 'ram' section name is reserved");
  fs.mkdirSync(dir, { recursive: true });
  return `ram-${Date.now().toString(16)}${randomBytes(4).toString('hex')}`;
}

function commitState(dir: string, sections: ReadonlyMap<string, unknown>, ramFile: string, ramFileBytes: number): WrittenSnapshot {
  const all = new Map<string, unknown>(sections);
  all.set('ram', { file: ramFile, bytes: ramFileBytes });
  const bytes = encodeSnapshot(all);
  try {
    writeFileAtomicSync(path.join(dir, STATE_FILE), bytes);
  } catch (e) {
    fs.rmSync(path.join(dir, ramFile), { force: true });
    throw e;
  }
  for (const name of fs.readdirSync(dir)) {
    if ((RAM_NAME.test(name) && name !== ramFile) || isOrphanTemp(name)) fs.rmSync(path.join(dir, name), { force: true });
  }
  return { dir, ramFile, ramFileBytes, stateBytes: bytes.length };
}

/** An opened snapshot: its validated sections and its RAM file, open and with a validated header. */
export interface OpenedSnapshot {
  readonly sections: Map<string, unknown>;
  readonly ramFd: number;
  readonly ramFileBytes: number;
  readonly ramIndex: RamFileIndex;
  readonly ramSource: RamSource;
}

/** Why a path is not a snapshot, in words. */
function missing(dir: string, e: unknown): SnapshotError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new SnapshotError(`no snapshot at '${dir}' (no ${STATE_FILE} file there)`);
  if (code === 'ENOTDIR') return new SnapshotError(`'${dir}' is not a snapshot directory`);
  return new SnapshotError(`cannot read snapshot '${dir}': ${(e as Error).message}`);
}

/** Reads the state file's sections (validated container), without opening RAM. */
export function readSnapshotState(dir: string): Map<string, unknown> {
  const file = path.join(dir, STATE_FILE);
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (e) {
    throw missing(dir, e);
  }
  if (size > MAX_TOTAL_BYTES + 1024 * 1024) throw new SnapshotError(`${file}: ${size} bytes is larger than any snapshot state file`);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw missing(dir, e);
  }
  try {
    return decodeSnapshot(bytes);
  } catch (e) {
    if (e instanceof SnapshotError) throw new SnapshotError(`${file}: ${e.message}`);
    throw e;
  }
}

/**
 * Opens a snapshot for restore into RAM of `memBytes`: validates the state file, the RAM reference, and the RAM
 * file's header. The caller owns `ramFd` (pass it to a LazyRamLoader or close it after an eager load).
 */
export function openSnapshotDir(dir: string, sections: Map<string, unknown>, memBytes: number): OpenedSnapshot {
  const ref = sections.get('ram');
  if (typeof ref !== 'object' || ref === null || Array.isArray(ref)) throw new SnapshotError(`${dir}: state has no valid 'ram' section`);
  const file = (ref as Record<string, unknown>)['file'];
  const bytes = (ref as Record<string, unknown>)['bytes'];
  if (typeof file !== 'string' || !RAM_NAME.test(file)) throw new SnapshotError(`${dir}: 'ram' section names no valid RAM file`);
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0) throw new SnapshotError(`${dir}: 'ram' section has no valid size`);
  const ramPath = path.join(dir, file);
  let fd: number;
  try {
    fd = fs.openSync(ramPath, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SnapshotError(code === 'ENOENT' ? `${dir}: RAM file ${file} is missing` : `${ramPath}: ${(e as Error).message}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new SnapshotError(`${ramPath}: not a regular file`);
    if (st.size !== bytes) throw new SnapshotError(`${ramPath}: ${st.size} bytes, the snapshot says ${bytes}`);
    const ramSource = fileSource(fd, st.size);
    let ramIndex: RamFileIndex;
    try {
      ramIndex = readRamIndex(ramSource, memBytes);
    } catch (e) {
      if (e instanceof SnapshotError) throw new SnapshotError(`${ramPath}: ${e.message}`);
      throw e;
    }
    return { sections, ramFd: fd, ramFileBytes: st.size, ramIndex, ramSource };
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}
