/**
 * End to end: virtio-net with user-mode networking, driven by the guest's Linux driver and busybox tools. The
 * guest gets its address by DHCP, fetches a page from a server on the host's loopback through the gateway
 * 10.0.2.2, and a host client reaches a server in the guest through a port forward. Loopback only.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { GuestConsole, TYPEVISOR_BIN } from '../testing/guest-console.js';
import { TAP_ATTACH_SCRIPT } from './tap-attach.js';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function fetchText(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/hello.txt' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

test('user networking: DHCP, a download from the host, and a port forward into the guest', { timeout: 240_000 }, async () => {
  const page = 'served-by-the-host\n'.repeat(2000); // 38 KB: several TCP segments and windows
  const server = createServer((_req, res) => res.end(page));
  const hostPort = await listen(server);
  const fwdPort = 20000 + (process.pid % 20000);
  const vm = new GuestConsole(['run', '--net', `user,hostfwd=tcp:127.0.0.1:${fwdPort}-:8080`]);
  try {
    await vm.waitForShell();
    assert.match(await vm.run('cat /sys/class/net/eth0/address'), /52:54:00:12:34:56/);
    const dhcp = await vm.run('ip link set eth0 up; udhcpc -i eth0 -n -q -s /bin/true 2>&1');
    assert.match(dhcp, /lease of 10\.0\.2\.15 obtained from 10\.0\.2\.2/);
    await vm.run('ip addr add 10.0.2.15/24 dev eth0; ip route add default via 10.0.2.2');
    const sum = await vm.run(`wget -q -O - http://10.0.2.2:${hostPort}/ | md5sum`);
    const expected = spawnSync('md5sum', { input: page, encoding: 'utf8' }).stdout.split(' ')[0]!;
    assert.equal(sum.trim().split(' ')[0], expected);

    await vm.run('mkdir -p /tmp/www && echo served-by-the-guest > /tmp/www/hello.txt && httpd -p 8080 -h /tmp/www');
    assert.equal(await fetchText(fwdPort), 'served-by-the-guest\n');
    vm.send('poweroff');
    assert.equal((await vm.exited).code, 0);
  } finally {
    vm.kill();
    server.close();
  }
});

test('a bad --net spec is a one-line error', () => {
  const r = spawnSync(process.execPath, [TYPEVISOR_BIN, 'run', '--net', 'slirp'], { encoding: 'utf8', input: '' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^typevisor: --net slirp: .*\n$/);
  const fwd = spawnSync(process.execPath, [TYPEVISOR_BIN, 'run', '--net', 'user,hostfwd=tcp:99999-:80'], { encoding: 'utf8', input: '' });
  assert.equal(fwd.status, 1);
  assert.match(fwd.stderr, /^typevisor: --net user,hostfwd=tcp:99999-:80: .*\n$/);
});

/** Creates TAP interface `name` in namespace `ns` with the host side at `cidr`, up. */
function makeTap(ns: string, name: string, cidr: string): void {
  for (const cmd of [['ip', 'tuntap', 'add', name, 'mode', 'tap'], ['ip', 'addr', 'add', cidr, 'dev', name], ['ip', 'link', 'set', name, 'up']]) {
    const r = spawnSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${cmd.join(' ')}: ${r.stderr}`);
  }
}

function tapPrerequisites(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (CAP_NET_ADMIN) for a network namespace and a TAP device';
  for (const cmd of ['python3', 'ip']) {
    if (spawnSync(cmd, ['-V'], { stdio: 'ignore' }).error !== undefined) return `needs ${cmd}`;
  }
  return undefined;
}

test('TAP: the guest reaches a host kernel in a network namespace the test creates and removes', { timeout: 240_000, skip: tapPrerequisites() ?? false }, async () => {
  const ns = `typevisor-test-${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  assert.equal(add.status, 0, `ip netns add: ${add.stderr}`);
  makeTap(ns, 'tvtap0', '10.213.7.1/24');
  // The descriptor is attached by a parent, as a launcher would (the same helper --net tap,ifname= uses).
  const vm = new GuestConsole(
    ['netns', 'exec', ns, 'python3', '-c', TAP_ATTACH_SCRIPT, '1', 'tvtap0', process.execPath, TYPEVISOR_BIN, 'run', '--net', 'tap,fd=3'],
    'ip',
  );
  try {
    await vm.waitForShell();
    await vm.run('ip addr add 10.213.7.2/24 dev eth0; ip link set eth0 up');
    assert.match(await vm.run('ping -c 2 -W 5 10.213.7.1'), /2 packets received/);
    vm.send('poweroff');
    assert.equal((await vm.exited).code, 0);
  } finally {
    vm.kill();
    spawnSync('ip', ['netns', 'del', ns]);
  }
  assert.doesNotMatch(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout, new RegExp(ns));
});

test('TAP by name: --net tap,ifname=X attaches an interface the user made in a network namespace', { timeout: 240_000, skip: tapPrerequisites() ?? false }, async () => {
  const ns = `typevisor-test-ifname-${process.pid}`;
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
  try {
    makeTap(ns, 'tvtap1', '10.213.8.1/24');
    const vm = new GuestConsole(['netns', 'exec', ns, process.execPath, TYPEVISOR_BIN, 'run', '--net', 'tap,ifname=tvtap1,mac=52:54:00:aa:bb:cc'], 'ip');
    try {
      await vm.waitForShell();
      assert.match(await vm.run('cat /sys/class/net/eth0/address'), /52:54:00:aa:bb:cc/);
      await vm.run('ip addr add 10.213.8.2/24 dev eth0; ip link set eth0 up');
      assert.match(await vm.run('ping -c 2 -W 5 10.213.8.1'), /2 packets received/);
      vm.send('poweroff');
      assert.equal((await vm.exited).code, 0);
    } finally {
      vm.kill();
    }
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
});

test('TAP by name without permission is a one-line error that says what to do', () => {
  // As root, drop CAP_NET_ADMIN (util-linux setpriv): without it the attach must fail cleanly.
  const cli = [process.execPath, TYPEVISOR_BIN, 'run', '--net', 'tap,ifname=tvtap9'];
  const argv = process.getuid?.() === 0 ? ['setpriv', '--bounding-set', '-net_admin', '--inh-caps', '-net_admin', ...cli] : cli;
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', input: '' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^typevisor: --net tap,ifname=tvtap9: cannot attach: .*CAP_NET_ADMIN.*\n$/);
});
