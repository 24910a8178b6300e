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
