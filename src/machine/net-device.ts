/**
 * A virtio network interface on the command line's --net backend. Apart from devices.ts because the network
 * stack it brings is large: a run without --net does not load it.
 */
import type { NetBackend } from '../net/backend.js';
import { TapBackend } from '../net/tap.js';
import { UserNetwork } from '../net/user-network.js';
import { VirtioNet } from '../virtio/net.js';
import type { Attached } from './devices.js';
import { DeviceSpecError } from './errors.js';
import type { Machine } from './machine.js';

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
