/**
 * The devices a user asks for on the command line, attached to a machine: virtio disks on raw image files, the
 * virtio entropy source, and a virtio console that takes over host input.
 */
import { randomFillSync } from 'node:crypto';
import { FileBlockBackend } from '../virtio/blk-file-backend.js';
import { VirtioBlk } from '../virtio/blk.js';
import { VirtioConsole } from '../virtio/console.js';
import { VirtioRng } from '../virtio/rng.js';
import type { NetBackend } from '../net/backend.js';
import { UserNetwork } from '../net/user-network.js';
import { TapBackend } from '../net/tap.js';
import { VirtioNet } from '../virtio/net.js';
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
  // hvc has no break: Linux's hvc driver takes ^O on the console as the Magic SysRq prefix instead.
  m.routeConsoleInput({
    canReceive: () => true,
    receive: (b) => con.receive(Uint8Array.of(b)) === 1,
    receiveBreak: () => con.receive(Uint8Array.of(0x0f)) === 1,
  });
}

/** A network interface being attached: `ready` settles once its host side listens (port forwards). */
export interface AttachedNet extends Attached {
  readonly ready: Promise<void>;
}

/**
 * Attaches a virtio-net with the backend `spec` names, in QEMU's -netdev syntax: `user[,hostfwd=tcp:H-:G...]`
 * (user-mode networking, no privileges) or `tap,fd=N` / `macvtap,ifname=X` (see src/net/tap.ts). A `mac=`
 * option sets the interface's MAC address.
 */
export function attachNet(m: Machine, spec: string): AttachedNet {
  const parts = spec.split(',');
  const mac = parts.find((p) => p.startsWith('mac='))?.slice(4);
  const backendSpec = parts.filter((p) => !p.startsWith('mac=')).join(',');
  let backend: NetBackend & { ready?: Promise<void> };
  try {
    if (backendSpec === 'user' || backendSpec.startsWith('user,')) backend = UserNetwork.fromOptions(backendSpec);
    else if (/^(tap|macvtap)(,|$)/.test(backendSpec)) backend = TapBackend.fromOptions(backendSpec);
    else throw new Error(`expected user[,hostfwd=...], tap,fd=N or macvtap,ifname=X`);
  } catch (e) {
    throw new DeviceSpecError(`--net ${spec}: ${(e as Error).message}`);
  }
  // Frames for the guest arrive from host sockets; the guest may be asleep in WFI, so wake the run loop.
  const waking: NetBackend = {
    send: (frame) => backend.send(frame),
    onReceive: (cb) =>
      backend.onReceive((frame) => {
        cb(frame);
        m.wake();
      }),
    close: () => backend.close(),
  };
  try {
    m.attachVirtio(new VirtioNet({ backend: waking, ...(mac !== undefined ? { mac } : {}) }));
  } catch (e) {
    backend.close();
    throw new DeviceSpecError(`--net ${spec}: ${(e as Error).message}`);
  }
  const ready = (backend.ready ?? Promise.resolve()).catch((e: unknown) => {
    throw new DeviceSpecError(`--net ${spec}: ${(e as Error).message}`);
  });
  ready.catch(() => undefined);
  return { ready, close: () => backend.close() };
}
