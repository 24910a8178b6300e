import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TapBackend, TapError, tapUnavailableReason, type TapIo } from './tap.js';
import { buildEthernet, ETHERTYPE_IPV4 } from './ethernet.js';
import { buildIpv4, parseIpv4, PROTO_UDP } from './ipv4.js';
import { buildUdp, parseUdp } from './udp.js';
import { ip, pseudoHeaderSum, put16 } from './bytes.js';

const MAC_A = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);
const MAC_B = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x57);

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(code), { code });
}

/** A fake descriptor: reads take queued results (then EAGAIN), writes are recorded. */
class FakeIo implements TapIo {
  readonly reads: (Uint8Array | NodeJS.ErrnoException)[] = [];
  readonly written: Uint8Array[] = [];
  readCalls = 0;
  closed = false;
  writeError: NodeJS.ErrnoException | undefined;
  read(_fd: number, buf: Uint8Array, cb: (err: NodeJS.ErrnoException | null, n: number) => void): void {
    this.readCalls++;
    const next = this.reads.shift() ?? errno('EAGAIN');
    setImmediate(() => {
      if (next instanceof Uint8Array) {
        buf.set(next);
        cb(null, next.length);
      } else cb(next, 0);
    });
  }
  write(_fd: number, data: Uint8Array): number {
    if (this.writeError) throw this.writeError;
    this.written.push(data.slice());
    return data.length;
  }
  close(): void {
    this.closed = true;
  }
}

const frame = (n: number, fill = 1) => buildEthernet(MAC_B, MAC_A, 0x88b5, new Uint8Array(n - 14).fill(fill));
// Generous: the machines are shared and a busy one can be slow; the condition decides, not the clock.
const until = async (cond: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
};

test('send writes each frame to the descriptor; with a vnet header, behind a zeroed one', () => {
  const io = new FakeIo();
  const t = new TapBackend(7, { io });
  t.send(frame(60));
  assert.deepEqual(io.written, [frame(60)]);
  const io2 = new FakeIo();
  const t2 = new TapBackend(7, { io: io2, vnetHeader: 12 });
  t2.send(frame(60));
  assert.deepEqual(io2.written[0], Uint8Array.of(...new Uint8Array(12), ...frame(60)));
  assert.equal(t2.stats.txFrames, 1);
  t.close();
  t2.close();
  assert.ok(io.closed);
});

test('write errors are counted by errno and reported once, with a hint for EIO; send never throws', () => {
  const io = new FakeIo();
  const msgs: string[] = [];
  const t = new TapBackend(7, { io, onError: (m) => msgs.push(m) });
  io.writeError = errno('EIO');
  t.send(frame(60));
  t.send(frame(60));
  t.send(new Uint8Array(3));
  assert.equal(t.drops.count('EIO'), 2);
  assert.equal(t.drops.count('bad-frame'), 1);
  assert.equal(msgs.length, 2);
  assert.match(msgs[0]!, /EIO.*interface up/);
  t.close();
  t.send(frame(60));
  assert.equal(t.drops.total, 3, 'nothing after close');
});

test('frames read from the descriptor reach the receiver in order; idle polling stops on close', async () => {
  const io = new FakeIo();
  io.reads.push(frame(60, 1), errno('EAGAIN'), frame(1514, 2), new Uint8Array(5));
  const t = new TapBackend(7, { io, maxPollMs: 2 });
  const got: Uint8Array[] = [];
  t.onReceive((f) => got.push(f));
  // Closed whatever happens: a poll loop left running would keep this test file from ever exiting.
  try {
    // The runt is the last read: its drop is counted in the read's callback, after the queue empties.
    await until(() => got.length === 2 && t.drops.count('runt') === 1);
    assert.deepEqual(got, [frame(60, 1), frame(1514, 2)]);
    assert.equal(t.drops.count('runt'), 1);
    const idle = io.readCalls;
    await until(() => io.readCalls >= idle + 3); // kept polling while idle
  } finally {
    t.close();
  }
  const calls = io.readCalls;
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(io.readCalls <= calls + 1, 'no polling after close');
});

test('with vnet headers: NEEDS_CSUM is completed, GSO frames are dropped', async () => {
  const io = new FakeIo();
  const src = ip('192.168.1.2');
  const dst = ip('192.168.1.3');
  const udp = buildUdp({ srcPort: 1, dstPort: 2, payload: Uint8Array.of(9, 8, 7) }, src, dst);
  let ps = pseudoHeaderSum(src, dst, PROTO_UDP, udp.length);
  while (ps > 0xffff) ps = (ps & 0xffff) + (ps >>> 16);
  put16(udp, 6, ps);
  const f = buildEthernet(MAC_A, MAC_B, ETHERTYPE_IPV4, buildIpv4({ src, dst, protocol: PROTO_UDP }, udp));
  const hdr = new Uint8Array(10);
  hdr[0] = 1;
  hdr[6] = 34;
  hdr[8] = 6;
  const gso = new Uint8Array(10);
  gso[1] = 1;
  io.reads.push(Uint8Array.of(...gso, ...frame(100)), Uint8Array.of(...hdr, ...f));
  const t = new TapBackend(7, { io, vnetHeader: 10, maxPollMs: 2 });
  const got: Uint8Array[] = [];
  t.onReceive((x) => got.push(x));
  await until(() => got.length === 1);
  t.close();
  const p = parseIpv4(got[0]!.subarray(14));
  assert.ok(p.ok && parseUdp(p.value.payload, src, dst).ok, 'checksum completed');
  assert.equal(t.drops.count('gso'), 1);
});

test('a descriptor that is not attached (EBADFD) stops reading with a clear message', async () => {
  const io = new FakeIo();
  io.reads.push(errno('EBADFD'));
  const msgs: string[] = [];
  const t = new TapBackend(7, { io, onError: (m) => msgs.push(m) });
  t.onReceive(() => {});
  await until(() => msgs.length === 1);
  assert.match(msgs[0]!, /TUNSETIFF/);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(io.readCalls, 1);
  t.close();
});

test('options are validated with clear messages', () => {
  assert.throws(() => new TapBackend(-1), TapError);
  assert.throws(() => new TapBackend(3, { vnetHeader: 11 as never }), /vnetHeader/);
  assert.throws(() => TapBackend.fromOptions('user'), /tap,/);
  assert.throws(() => TapBackend.fromOptions('tap,fd=x'), /fd must be/);
  assert.throws(() => TapBackend.fromOptions('tap,fd=3,path=/x'), /exactly one/);
  assert.throws(() => TapBackend.fromOptions('tap,bogus=1'), /unknown option/);
  assert.throws(() => TapBackend.fromOptions('tap,fd=3,vnet_hdr=7'), /vnet_hdr/);
  assert.throws(() => TapBackend.fromOptions('tap,fd=999999'), /not open in this process/);
  assert.throws(() => TapBackend.fromOptions('tap,path=/nonexistent/tap9'), /cannot open \/nonexistent\/tap9: no such device/);
  assert.throws(() => TapBackend.fromOptions('tap,path=/etc/hostname'), /not a character device|cannot open/);
  assert.throws(() => TapBackend.fromOptions('macvtap,ifname=no-such-if0'), /no interface no-such-if0/);
  assert.throws(() => TapBackend.fromOptions('macvtap,ifname=lo'), /not a macvtap interface/);
  assert.throws(() => TapBackend.openDevice('/dev/net/tun'), /TUNSETIFF|tun/);
});

test('tap,ifname explains why it cannot attach and what to do', () => {
  assert.throws(() => TapBackend.fromOptions('tap,ifname=tap0'), (e: Error) => e instanceof TapError && e.message === tapUnavailableReason('tap0'));
  const why = tapUnavailableReason('tap0');
  if (process.platform === 'linux' && fs.existsSync('/dev/net/tun')) {
    assert.match(why, /TUNSETIFF|cannot open \/dev\/net\/tun/);
    if (/TUNSETIFF/.test(why)) assert.match(why, /tap,fd=3/);
  } else assert.match(why, /Linux|does not exist/);
});

function canUseRealTap(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || !fs.existsSync('/dev/net/tun')) return false;
  for (const cmd of ['python3', 'ip']) if (spawnSync(cmd, ['-V'], { stdio: 'ignore' }).error !== undefined) return false;
  return true;
}

test('real tap (root only): a descriptor attached by a parent carries ARP to the host and back', { skip: !canUseRealTap() && 'needs root, /dev/net/tun, python3 and ip' }, () => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tvtap-'));
  const script = path.join(dir, 'child.mjs');
  const ifname = `tvt${process.pid % 100000}`;
  fs.writeFileSync(
    script,
    `import { TapBackend } from ${JSON.stringify(path.join(here, 'tap.js'))};
const t = TapBackend.fromOptions('tap,fd=3');
const mac = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);
const arp = new Uint8Array(42);
arp.fill(0xff, 0, 6); arp.set(mac, 6); arp[12] = 8; arp[13] = 6;
arp.set([0, 1, 8, 0, 6, 4, 0, 1], 14); arp.set(mac, 22); arp.set([10, 213, 7, 2], 28); arp.set([10, 213, 7, 1], 38);
const timer = setTimeout(() => { console.log('timeout'); t.close(); }, 5000);
t.onReceive((f) => {
  if (f[12] === 8 && f[13] === 6 && f[21] === 2) { console.log('reply ' + [...f.subarray(28, 32)].join('.')); clearTimeout(timer); t.close(); }
});
t.send(arp);
`,
  );
  const py = `
import fcntl,os,struct,subprocess,sys
fd=os.open("/dev/net/tun",os.O_RDWR|os.O_NONBLOCK)
fcntl.ioctl(fd,0x400454ca,struct.pack("16sH",sys.argv[1].encode(),0x1002))
subprocess.run(["ip","addr","add","10.213.7.1/24","dev",sys.argv[1]],check=True)
subprocess.run(["ip","link","set",sys.argv[1],"up"],check=True)
os.dup2(fd,3)
sys.exit(subprocess.run([sys.argv[2],sys.argv[3]],pass_fds=[3]).returncode)
`;
  try {
    const r = spawnSync('python3', ['-c', py, ifname, process.execPath, script], { encoding: 'utf8', timeout: 20000 });
    if (/Operation not permitted|Device or resource busy|RTNETLINK/.test(r.stderr)) return; // a restricted container
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /reply 10\.213\.7\.1/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
