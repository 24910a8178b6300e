/**
 * `--net tap,ifname=X`: Node cannot issue the TUNSETIFF ioctl that attaches to a TAP interface, so the CLI runs
 * itself again under a few lines of python3 that attach each named interface and pass the descriptors down,
 * rewriting the option to `tap,fd=N` (what QEMU users know as `-netdev tap,fd=N`). The interface may exist
 * already (`ip tuntap add X mode tap user $USER`) or is created (which needs CAP_NET_ADMIN).
 */
import { spawn, spawnSync } from 'node:child_process';
import { typevisorArgv, typevisorEnv } from './node-flags.js';
import { UsageError } from './run-command.js';

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
/** Set in the re-run process, so it never re-runs itself again. */
const MARK = 'TYPEVISOR_TAP_ATTACHED';

/**
 * python3 -c ATTACH N ifname1..ifnameN argv...: attaches each interface as fd 3, 4, ... and execs argv.
 */
export const TAP_ATTACH_SCRIPT = `
import fcntl, os, struct, sys
n = int(sys.argv[1])
for i in range(n):
    name = sys.argv[2 + i]
    try:
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
        fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", name.encode(), 0x1002))  # TUNSETIFF, IFF_TAP|IFF_NO_PI
    except OSError as e:
        sys.stderr.write("typevisor: --net tap,ifname=%s: cannot attach: %s (run as root, give CAP_NET_ADMIN, or create it with: ip tuntap add %s mode tap user $USER)\\n" % (name, e.strerror, name))
        sys.exit(1)
    if fd != 3 + i:
        os.dup2(fd, 3 + i)
        os.close(fd)
    os.set_inheritable(3 + i, True)
argv = sys.argv[2 + n:]
os.execv(argv[0], argv)
`;

/** The interface names given as `tap,ifname=X` (with no fd=), in order. */
export function tapInterfaces(nets: readonly string[]): string[] {
  const names: string[] = [];
  for (const spec of nets) {
    const parts = spec.split(',');
    if (parts[0] !== 'tap' || parts.some((p) => p.startsWith('fd='))) continue;
    const name = parts.find((p) => p.startsWith('ifname='))?.slice(7);
    if (name !== undefined) names.push(name);
  }
  return names;
}

/**
 * Re-runs `typevisor` with `argv` under the attaching helper when some --net asks for a TAP interface by name.
 * Returns the exit status of the re-run, or undefined when nothing needs attaching.
 */
export async function runWithTaps(argv: readonly string[], nets: readonly string[]): Promise<number | undefined> {
  const names = tapInterfaces(nets);
  if (names.length === 0 || process.env[MARK] !== undefined) return undefined;
  for (const n of names) {
    if (!IFNAME.test(n)) throw new UsageError(`--net tap,ifname=${n}: not a valid interface name`);
  }
  if (spawnSync('python3', ['-c', 'import fcntl'], { stdio: 'ignore' }).status !== 0) {
    throw new UsageError('--net tap,ifname=...: attaching a TAP interface needs python3 (Node has no ioctl); or pass tap,fd=N');
  }
  let next = 3;
  const rewrite = (spec: string): string => {
    const parts = spec.split(',');
    if (parts[0] !== 'tap' || !parts.some((p) => p.startsWith('ifname=')) || parts.some((p) => p.startsWith('fd='))) return spec;
    return ['tap', `fd=${next++}`, ...parts.slice(1).filter((p) => !p.startsWith('ifname='))].join(',');
  };
  const rewritten = argv.map((a) => (a.startsWith('--net=') ? `--net=${rewrite(a.slice(6))}` : rewrite(a)));
  const child = spawn(
    'python3',
    ['-c', TAP_ATTACH_SCRIPT, String(names.length), ...names, process.execPath, ...typevisorArgv(rewritten)],
    { stdio: 'inherit', env: { ...typevisorEnv(), [MARK]: '1' } },
  );
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on('SIGTERM', forward);
  try {
    return await new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  } finally {
    process.off('SIGTERM', forward);
  }
}
