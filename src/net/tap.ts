/**
 * A TAP backend: the guest's Ethernet frames go to a Linux tap (or macvtap) device on the host, so the guest is
 * a real machine on a host bridge or routed network. Needs Linux and, to create or attach taps, root or
 * CAP_NET_ADMIN.
 *
 * The catch: attaching a file descriptor of /dev/net/tun to an interface takes the TUNSETIFF ioctl, and Node.js
 * has no ioctl. No npm package offers one that installs without native code (`ioctl` is a nan addon compiled
 * by node-gyp; `appium-ios-tuntap` is a native addon with prebuilt binaries for its own TUN use). So this
 * backend does not attach by itself; it takes a descriptor that is already attached, as QEMU's
 * `-netdev tap,fd=N` does, or a device that needs no ioctl:
 *
 *   tap,fd=N             descriptor N, inherited from the parent, already attached with IFF_TAP | IFF_NO_PI.
 *                        A one-line parent that does it (python3's fcntl has the ioctl):
 *                          python3 -c 'import fcntl,os,struct,sys; fd=os.open("/dev/net/tun",os.O_RDWR|os.O_NONBLOCK);
 *                            fcntl.ioctl(fd,0x400454ca,struct.pack("16sH",b"tap0",0x1002)); os.dup2(fd,3);
 *                            os.execvp(sys.argv[1],sys.argv[1:])' npx typevisor run --net tap,fd=3
 *                        Add vnet_hdr=10 or vnet_hdr=12 if it was attached with IFF_VNET_HDR.
 *   macvtap,ifname=X     a macvtap interface (`ip link add link eth0 name X type macvtap mode bridge`): its
 *                        character device /dev/tap<ifindex> is opened directly; it uses 10-byte virtio-net
 *                        headers by default, which are handled here.
 *   tap,path=P           any such character device by path (vnet_hdr=0|10|12, default 0).
 *   tap,ifname=X         reports, with the reason, why that cannot work from Node (see `tapUnavailableReason`).
 *
 * Reads are non-blocking polls when the descriptor is non-blocking (every descriptor this module opens is;
 * pass inherited ones non-blocking too, as the recipe does): a read that finds nothing waits 1..8 ms before
 * the next. A blocking descriptor works as well, but then one read stays in libuv's thread pool, and `close()`
 * cannot interrupt it until the next frame arrives.
 *
 * Frames read with a virtio-net header: a GSO frame (gso_type != 0) is dropped ('gso'), NEEDS_CSUM is completed
 * with `completeChecksum`. Written frames get a zero header. Host errors never throw: they are counted in
 * `drops` by reason (errno code) and reported once per reason to `onError`.
 */
import * as fs from 'node:fs';
import type { NetBackend } from './backend.js';
import { DropCounter } from './bytes.js';
import { completeChecksum } from './offload.js';

/** The low-level file operations (node:fs by default; tests inject fakes). */
export interface TapIo {
  read(fd: number, buf: Uint8Array, cb: (err: NodeJS.ErrnoException | null, bytesRead: number) => void): void;
  /** Writes a whole frame; returns the bytes written or throws an errno error. */
  write(fd: number, data: Uint8Array): number;
  close(fd: number): void;
}

export const nodeTapIo: TapIo = {
  read: (fd, buf, cb) => fs.read(fd, buf, 0, buf.length, null, cb),
  write: (fd, data) => fs.writeSync(fd, data),
  close: (fd) => fs.closeSync(fd),
};

export type VnetHeaderSize = 0 | 10 | 12;

export interface TapBackendOptions {
  /** Bytes of virtio_net_hdr in front of each frame on the descriptor (IFF_VNET_HDR): 0, 10 or 12. */
  readonly vnetHeader?: VnetHeaderSize;
  /** Longest wait between polls of an idle non-blocking descriptor, in ms (default 8). */
  readonly maxPollMs?: number;
  /** Told once per drop reason (e.g. "tap: write: EIO (is the interface up?)"). */
  readonly onError?: (message: string) => void;
  readonly io?: TapIo;
}

export interface TapStats {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
}

/** Thrown (only) when a TAP backend cannot be set up; the message says why and what to do. */
export class TapError extends Error {
  override readonly name = 'TapError';
}

const MAX_FRAME = 65535 + 18;
const IFNAME = /^[A-Za-z0-9_.:-]{1,15}$/;
const CAP_NET_ADMIN = 12;

export class TapBackend implements NetBackend {
  readonly fd: number;
  readonly vnetHeader: VnetHeaderSize;
  readonly stats: TapStats = { rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0 };
  readonly drops = new DropCounter();
  private readonly io: TapIo;
  private readonly maxPollMs: number;
  private readonly onError: ((message: string) => void) | undefined;
  private readonly reported = new Set<string>();
  private readonly buf: Uint8Array;
  private receiver: ((frame: Uint8Array) => void) | undefined;
  private closed = false;
  private reading = false;
  private pollMs = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** Wraps a descriptor already attached to a tap (or macvtap) device. The backend owns it from now on. */
  constructor(fd: number, options: TapBackendOptions = {}) {
    if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fff_ffff) throw new TapError(`tap: fd must be a non-negative integer (got ${String(fd)})`);
    const { vnetHeader, maxPollMs, onError, io } = options;
    const vh = vnetHeader ?? 0;
    if (vh !== 0 && vh !== 10 && vh !== 12) throw new TapError('tap: vnetHeader must be 0, 10 or 12');
    const mp = maxPollMs ?? 8;
    if (typeof mp !== 'number' || !Number.isInteger(mp) || mp < 1 || mp > 1000) throw new TapError('tap: maxPollMs must be an integer in 1..1000');
    if (onError !== undefined && typeof onError !== 'function') throw new TapError('tap: onError must be a function');
    this.fd = fd;
    this.vnetHeader = vh;
    this.maxPollMs = mp;
    this.onError = onError;
    this.io = io ?? nodeTapIo;
    this.buf = new Uint8Array(MAX_FRAME + vh);
  }

  /** `tap,fd=N[,vnet_hdr=10]`, `tap,path=/dev/tapN[,vnet_hdr=..]`, `macvtap,ifname=X`; `tap,ifname=X` explains. */
  static fromOptions(spec: string, options: Omit<TapBackendOptions, 'vnetHeader'> = {}): TapBackend {
    const parts = spec.split(',');
    const kind = parts[0];
    if (kind !== 'tap' && kind !== 'macvtap') throw new TapError(`tap: options must start with "tap," or "macvtap," (got ${JSON.stringify(spec)})`);
    const kv = new Map<string, string>();
    for (const p of parts.slice(1)) {
      const eq = p.indexOf('=');
      if (eq <= 0) throw new TapError(`tap: expected key=value, got ${JSON.stringify(p)}`);
      const k = p.slice(0, eq);
      if (!['fd', 'path', 'ifname', 'vnet_hdr'].includes(k)) throw new TapError(`tap: unknown option ${JSON.stringify(k)} (fd, path, ifname, vnet_hdr)`);
      if (kv.has(k)) throw new TapError(`tap: option ${k} given twice`);
      kv.set(k, p.slice(eq + 1));
    }
    let vnetHeader: VnetHeaderSize | undefined;
    const vhText = kv.get('vnet_hdr');
    if (vhText !== undefined) {
      if (vhText !== '0' && vhText !== '10' && vhText !== '12') throw new TapError('tap: vnet_hdr must be 0, 10 or 12');
      vnetHeader = Number(vhText) as VnetHeaderSize;
    }
    const withVh = (d: VnetHeaderSize): TapBackendOptions => ({ ...options, vnetHeader: vnetHeader ?? d });
    const sources = ['fd', 'path', 'ifname'].filter((k) => kv.has(k));
    if (sources.length !== 1) throw new TapError('tap: give exactly one of fd=, path=, ifname=');
    if (kind === 'macvtap') {
      const ifname = kv.get('ifname');
      if (ifname === undefined) throw new TapError('macvtap: give ifname=<macvtap interface>');
      return TapBackend.openMacvtap(ifname, withVh(10));
    }
    const fdText = kv.get('fd');
    if (fdText !== undefined) {
      if (!/^\d{1,9}$/.test(fdText)) throw new TapError(`tap: fd must be a descriptor number (got ${JSON.stringify(fdText)})`);
      const fd = Number(fdText);
      try {
        if (!fs.fstatSync(fd).isCharacterDevice()) throw new TapError(`tap: fd ${fd} is not a character device (expected an attached /dev/net/tun descriptor)`);
      } catch (e) {
        if (e instanceof TapError) throw e;
        throw new TapError(`tap: fd ${fd} is not open in this process (${errCode(e)}): start typevisor from the process that attached it`);
      }
      return new TapBackend(fd, withVh(0));
    }
    const path = kv.get('path');
    if (path !== undefined) return TapBackend.openDevice(path, withVh(0));
    throw new TapError(tapUnavailableReason(kv.get('ifname') ?? ''));
  }

  /** Opens a character device that needs no ioctl to carry frames (a macvtap's /dev/tapN), non-blocking. */
  static openDevice(path: string, options: TapBackendOptions = {}): TapBackend {
    if (path === '/dev/net/tun') throw new TapError(tapUnavailableReason('tap0'));
    let fd: number;
    try {
      fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    } catch (e) {
      throw new TapError(`tap: cannot open ${path}: ${describeOpenError(e)}`);
    }
    try {
      if (!fs.fstatSync(fd).isCharacterDevice()) throw new TapError(`tap: ${path} is not a character device`);
      return new TapBackend(fd, options);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  /** Opens the character device of macvtap interface `ifname` (/dev/tap<ifindex>), with 10-byte vnet headers. */
  static openMacvtap(ifname: string, options: TapBackendOptions = {}): TapBackend {
    if (!IFNAME.test(ifname)) throw new TapError(`macvtap: bad interface name ${JSON.stringify(ifname)}`);
    let ifindex: string;
    try {
      ifindex = fs.readFileSync(`/sys/class/net/${ifname}/ifindex`, 'utf8').trim();
    } catch {
      throw new TapError(`macvtap: no interface ${ifname} (create it: ip link add link eth0 name ${ifname} type macvtap mode bridge; ip link set ${ifname} up)`);
    }
    if (!fs.existsSync(`/sys/class/net/${ifname}/macvtap`)) {
      throw new TapError(`macvtap: ${ifname} is not a macvtap interface; for a tap interface see: ${tapUnavailableReason(ifname)}`);
    }
    const path = `/dev/tap${ifindex}`;
    if (!fs.existsSync(path)) {
      let dev = '';
      try {
        dev = fs.readFileSync(`/sys/class/net/${ifname}/macvtap/tap${ifindex}/dev`, 'utf8').trim();
      } catch {
        // no sysfs entry: leave the numbers out of the hint
      }
      const [maj, min] = dev.split(':');
      throw new TapError(`macvtap: ${path} does not exist (no udev?): create it with mknod ${path} c ${maj ?? 'MAJOR'} ${min ?? 'MINOR'}`);
    }
    return TapBackend.openDevice(path, { vnetHeader: 10, ...options });
  }

  // ---------------------------------------------------------------- NetBackend

  send(frame: Uint8Array): void {
    if (this.closed) return;
    if (!(frame instanceof Uint8Array) || frame.length < 14 || frame.length > MAX_FRAME) {
      this.drop('bad-frame', 'tap: send: not an Ethernet frame');
      return;
    }
    let out = frame;
    if (this.vnetHeader > 0) {
      out = new Uint8Array(this.vnetHeader + frame.length);
      out.set(frame, this.vnetHeader);
    }
    try {
      this.io.write(this.fd, out);
      this.stats.txFrames++;
      this.stats.txBytes += frame.length;
    } catch (e) {
      const code = errCode(e);
      this.drop(code, `tap: write: ${code}${code === 'EIO' ? ' (is the interface up? ip link set <tap> up)' : ''}`);
    }
  }

  onReceive(cb: (frame: Uint8Array) => void): void {
    this.receiver = cb;
    this.readNext();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      this.io.close(this.fd);
    } catch {
      // already closed: nothing to release
    }
  }

  // ---------------------------------------------------------------- reading

  private readNext(): void {
    if (this.closed || this.reading || this.timer !== undefined || this.receiver === undefined) return;
    this.reading = true;
    try {
      this.io.read(this.fd, this.buf, (err, n) => this.onRead(err, n));
    } catch (e) {
      this.onRead(e as NodeJS.ErrnoException, 0);
    }
  }

  private onRead(err: NodeJS.ErrnoException | null, n: number): void {
    this.reading = false;
    if (this.closed) return;
    if (err !== null) {
      const code = errCode(err);
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
        this.pollMs = Math.min(this.maxPollMs, Math.max(1, this.pollMs * 2));
      } else {
        this.drop(code, `tap: read: ${code}${code === 'EBADFD' ? ' (the descriptor is not attached to an interface: TUNSETIFF was not done)' : ''}`);
        if (code === 'EBADF' || code === 'EBADFD' || code === 'EINVAL') return; // hopeless: stop reading
        this.pollMs = this.maxPollMs;
      }
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.readNext();
      }, this.pollMs);
      return;
    }
    this.pollMs = 0;
    if (n === 0) {
      // End of file: the device went away (the interface was deleted).
      this.drop('eof', 'tap: read: end of file (interface deleted?)');
      return;
    }
    const frame = this.takeFrame(n);
    if (frame !== null) {
      this.stats.rxFrames++;
      this.stats.rxBytes += frame.length;
      try {
        this.receiver?.(frame);
      } catch (e) {
        this.drop('receiver-error', `tap: receiver threw: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.readNext();
  }

  /** The frame in buf[0..n), header handled, or null (counted). */
  private takeFrame(n: number): Uint8Array | null {
    const vh = this.vnetHeader;
    if (n < vh + 14) {
      this.drop('runt', `tap: read: ${n}-byte frame`);
      return null;
    }
    const frame = this.buf.slice(vh, n);
    if (vh > 0) {
      const flags = this.buf[0]!;
      const gsoType = this.buf[1]!;
      if (gsoType !== 0) {
        this.drop('gso', `tap: read: GSO frame (gso_type ${gsoType}) dropped: disable offloads on the host side (ethtool -K <dev> gro off tso off)`);
        return null;
      }
      if ((flags & 1) !== 0) {
        const start = this.buf[6]! | (this.buf[7]! << 8);
        const offset = this.buf[8]! | (this.buf[9]! << 8);
        if (!completeChecksum(frame, start, offset)) {
          this.drop('csum', `tap: read: checksum offsets ${start}+${offset} outside a ${frame.length}-byte frame`);
          return null;
        }
      }
    }
    return frame;
  }

  private drop(reason: string, message: string): void {
    this.drops.drop(reason);
    if (!this.reported.has(reason)) {
      this.reported.add(reason);
      this.onError?.(message);
    }
  }
}

function errCode(e: unknown): string {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : e instanceof Error ? e.message : String(e);
}

function describeOpenError(e: unknown): string {
  switch (errCode(e)) {
    case 'ENOENT':
      return 'no such device';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied: run as root or with CAP_NET_ADMIN, or make the device accessible to this user';
    case 'ENXIO':
    case 'ENODEV':
      return 'the device has no interface behind it';
    default:
      return errCode(e);
  }
}

/** Whether this process has CAP_NET_ADMIN in its effective set (Linux; false when it cannot tell). */
export function hasNetAdmin(): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m !== null && (BigInt(`0x${m[1]!}`) & (1n << BigInt(CAP_NET_ADMIN))) !== 0n;
  } catch {
    return false;
  }
}

/**
 * Why `tap,ifname=X` cannot be served from Node, most basic obstacle first, with what to do instead:
 * not Linux; no /dev/net/tun; /dev/net/tun not openable; no CAP_NET_ADMIN; and in any case no TUNSETIFF.
 */
export function tapUnavailableReason(ifname: string): string {
  const name = IFNAME.test(ifname) ? ifname : 'tap0';
  const recipe =
    `attach it in a parent process and pass the descriptor: python3 -c 'import fcntl,os,struct,sys; ` +
    `fd=os.open("/dev/net/tun",os.O_RDWR|os.O_NONBLOCK); fcntl.ioctl(fd,0x400454ca,struct.pack("16sH",b"${name}",0x1002)); ` +
    `os.dup2(fd,3); os.execvp(sys.argv[1],sys.argv[1:])' <typevisor command line with tap,fd=3>; ` +
    `or use a macvtap interface (macvtap,ifname=...), which needs no ioctl`;
  if (process.platform !== 'linux') return `tap: TAP networking needs Linux (this is ${process.platform}); use user-mode networking`;
  if (!fs.existsSync('/dev/net/tun')) {
    return 'tap: /dev/net/tun does not exist: load the tun module (modprobe tun), or in a container pass --device /dev/net/tun --cap-add NET_ADMIN';
  }
  try {
    fs.closeSync(fs.openSync('/dev/net/tun', fs.constants.O_RDWR));
  } catch (e) {
    return `tap: cannot open /dev/net/tun: ${describeOpenError(e)}`;
  }
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const caps = hasNetAdmin()
    ? ''
    : `this process lacks CAP_NET_ADMIN${root ? ' (root without it: a restricted container?)' : ''}, so it could only attach to a persistent tap created for its user (ip tuntap add dev ${name} mode tap user $USER); `;
  return `tap: cannot attach to ${name}: ${caps}attaching takes the TUNSETIFF ioctl, which Node.js cannot issue without a native addon; ${recipe}`;
}
