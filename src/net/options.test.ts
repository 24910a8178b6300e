import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetOptionError, parseUserNetOptions } from './options.js';

test('options: the issue example parses', () => {
  const o = parseUserNetOptions('user,hostfwd=tcp:8080-:80,hostfwd=tcp:127.0.0.1:2222-:22');
  assert.deepEqual(o.hostForwards, [
    { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestAddress: '10.0.2.15', guestPort: 80 },
    { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 2222, guestAddress: '10.0.2.15', guestPort: 22 },
  ]);
  assert.equal(o.dnsServer, undefined);
});

test('options: bare user, QEMU forms with empty host address and an explicit guest address, dns', () => {
  assert.deepEqual(parseUserNetOptions('user'), { hostForwards: [] });
  const o = parseUserNetOptions('user,hostfwd=tcp::8080-10.0.2.16:80,hostfwd=tcp:0.0.0.0:0-:22,dns=127.0.0.1:5353');
  assert.equal(o.hostForwards[0]?.hostAddress, '127.0.0.1');
  assert.equal(o.hostForwards[0]?.guestAddress, '10.0.2.16');
  assert.equal(o.hostForwards[1]?.hostAddress, '0.0.0.0');
  assert.equal(o.hostForwards[1]?.hostPort, 0);
  assert.deepEqual(o.dnsServer, { host: '127.0.0.1', port: 5353 });
  assert.deepEqual(parseUserNetOptions('user,dns=1.2.3.4').dnsServer, { host: '1.2.3.4', port: 53 });
});

test('options: clear errors', () => {
  const cases: Array<[string, RegExp]> = [
    ['tap,ifname=tap0', /backend 'tap' is not 'user'/],
    ['user,hostfwd=udp:53-:53', /udp forwards are not supported/],
    ['user,hostfwd=sctp:1-:2', /protocol must be tcp/],
    ['user,hostfwd=tcp:8080', /expected tcp:\[hostaddr\]:hostport-\[guestaddr\]:guestport/],
    ['user,hostfwd=tcp:8080-80', /guest side must be/],
    ['user,hostfwd=tcp:70000-:80', /host port 70000 is out of range/],
    ['user,hostfwd=tcp:80-:0', /guest port 0 is out of range/],
    ['user,hostfwd=tcp:x-:80', /'x' is not a port number/],
    ['user,hostfwd=tcp:localhost:80-:80', /host address 'localhost' is not an IPv4 address/],
    ['user,hostfwd=tcp:80-192.168.1.5:80', /outside the guest network 10.0.2.0\/24/],
    ['user,hostfwd=tcp:80-:80,hostfwd=tcp::80-:81', /forwarded twice/],
    ['user,restrict=on', /unknown user network option 'restrict'/],
    ['user,hostfwd', /needs a value/],
    ['user,,', /empty option/],
    ['user,dns=foo', /dns 'foo'/],
  ];
  for (const [s, re] of cases) {
    assert.throws(() => parseUserNetOptions(s), (e: unknown) => e instanceof NetOptionError && re.test(e.message), s);
  }
});
