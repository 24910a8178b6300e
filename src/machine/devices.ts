/**
 * The devices a user asks for on the command line, attached to a machine: virtio disks on raw image files, the
 * virtio entropy source, and a virtio console that takes over host input (network interfaces: net-device.ts).
 */
import { fillRandom } from './entropy.js';
import { FileBlockBackend } from '../virtio/blk-file-backend.js';
import { VirtioBlk } from '../virtio/blk.js';
import { VirtioConsole } from '../virtio/console.js';
import { VirtioRng } from '../virtio/rng.js';
import type { DiskSpec } from './device-specs.js';
import { DeviceSpecError } from './errors.js';
import type { Machine } from './machine.js';

export { parseDiskSpec, type DiskSpec } from './device-specs.js';
export { DeviceSpecError } from './errors.js';

/** Things to release when the machine is gone (open image files). */
export interface Attached {
  close(): void;
}

/** An attached disk: its image can be flushed to stable storage (before a snapshot records its identity). */
export interface AttachedDisk extends Attached {
  readonly spec: DiskSpec;
  flush(): void;
}

/** Attaches a virtio-blk for the image file; throws DeviceSpecError when it cannot be opened. */
export function attachDisk(m: Machine, spec: DiskSpec): AttachedDisk {
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
  return { spec, close: () => backend.close(), flush: () => backend.flush() };
}

/** Attaches virtio-rng fed from the host's cryptographic random source. */
export function attachRng(m: Machine): void {
  m.attachVirtio(new VirtioRng({ random: fillRandom }));
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
  // hvc has no break: Linux's hvc driver takes ^O on the console as the Magic SysRq prefix instead.
  m.routeConsoleInput({
    canReceive: () => true,
    receive: (b) => con.receive(Uint8Array.of(b)) === 1,
    receiveBreak: () => con.receive(Uint8Array.of(0x0f)) === 1,
  });
}
