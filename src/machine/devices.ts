/**
 * The devices a user asks for on the command line, attached to a machine: virtio disks on raw image files, the
 * virtio entropy source, and a virtio console that takes over host input.
 */
import { randomFillSync } from 'node:crypto';
import { FileBlockBackend } from '../virtio/blk-file-backend.js';
import { VirtioBlk } from '../virtio/blk.js';
import { VirtioConsole } from '../virtio/console.js';
import { VirtioRng } from '../virtio/rng.js';
import type { Machine } from './machine.js';

export interface DiskSpec {
  readonly path: string;
  readonly readOnly: boolean;
  /** Answer to the guest's GET_ID (/sys/block/vdX/serial). */
  readonly serial?: string;
}

export class DeviceSpecError extends Error {
  override readonly name = 'DeviceSpecError';
}

/** Parses `path[,readonly][,serial=ID]`, the --disk syntax (close to QEMU's -drive). */
export function parseDiskSpec(text: string): DiskSpec {
  const parts = text.split(',');
  const path = parts[0] ?? '';
  if (path === '') throw new DeviceSpecError(`--disk ${text}: expected a file name first`);
  let readOnly = false;
  let serial: string | undefined;
  for (const p of parts.slice(1)) {
    if (p === 'readonly' || p === 'readonly=on' || p === 'ro') readOnly = true;
    else if (p === 'readonly=off') readOnly = false;
    else if (p.startsWith('serial=')) {
      serial = p.slice(7);
      if (!/^[\x20-\x7e]{1,20}$/.test(serial)) {
        throw new DeviceSpecError(`--disk ${text}: serial must be 1 to 20 printable ASCII characters`);
      }
    } else throw new DeviceSpecError(`--disk ${text}: unknown option '${p}' (expected readonly or serial=ID)`);
  }
  return { path, readOnly, ...(serial !== undefined ? { serial } : {}) };
}

/** Things to release when the machine is gone (open image files). */
export interface Attached {
  close(): void;
}

/** Attaches a virtio-blk for the image file; throws DeviceSpecError when it cannot be opened. */
export function attachDisk(m: Machine, spec: DiskSpec): Attached {
  let backend: FileBlockBackend;
  try {
    backend = new FileBlockBackend(spec.path, { readOnly: spec.readOnly });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new DeviceSpecError(`cannot open disk image '${spec.path}': ${why}`);
  }
  if (backend.size < 512) {
    backend.close();
    throw new DeviceSpecError(`disk image '${spec.path}' is ${backend.size} bytes: too small for one sector`);
  }
  m.attachVirtio(new VirtioBlk({ backend, readOnly: spec.readOnly, ...(spec.serial !== undefined ? { serial: spec.serial } : {}) }));
  return { close: () => backend.close() };
}

/** Attaches virtio-rng fed from the host's cryptographic random source. */
export function attachRng(m: Machine): void {
  m.attachVirtio(new VirtioRng({ random: (buf) => randomFillSync(buf) }));
}

/** Attaches a virtio console (the guest's hvc0) and sends host console input to it instead of the UART. */
export function attachVirtioConsole(m: Machine): void {
  const con = new VirtioConsole({
    output: (data) => {
      for (const b of data) m.emit(b);
    },
    onRxSpace: () => {
      m.feedInput();
      m.wake();
    },
  });
  m.attachVirtio(con);
  m.routeConsoleInput({ canReceive: () => true, receive: (b) => con.receive(Uint8Array.of(b)) === 1 });
}
