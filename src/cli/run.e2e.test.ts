/**
 * End to end: `typevisor run` boots the bundled guest (Linux, busybox; the SBI built in, or OpenSBI when asked)
 * to a shell, commands work, and poweroff ends the process with status 0.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GuestConsole } from '../testing/guest-console.js';
import { BUNDLED } from './bundled.js';

test('the bundled Linux guest boots to a shell, runs commands and powers off with status 0', async () => {
  const vm = new GuestConsole(['run']);
  try {
    const boot = await vm.waitForShell();
    assert.doesNotMatch(boot, /OpenSBI/, 'no firmware: the SBI is built in');
    assert.match(boot, /SBI specification v2\.0 detected/);
    assert.match(boot, /SBI implementation ID=0x5456 Version=0x1/);
    for (const ext of ['TIME', 'IPI', 'RFENCE', 'SRST', 'HSM']) assert.match(boot, new RegExp(`SBI ${ext} extension detected`));
    assert.match(boot, /Linux version 6\.1/, 'kernel log');
    assert.match(boot, /Typevisor guest ready/);
    // The device tree's rng-seed, which the kernel trusts (guest/kernel.config): its CRNG is ready at once.
    assert.match(boot, /\[\s*0\.000000\] random: crng init done/);
    // Sstc: the kernel sets its timer with stimecmp, not through the firmware.
    assert.match(boot, /Timer interrupt in S-mode is available via sstc extension/);

    assert.equal((await vm.run('uname -m')).trim(), 'riscv64');
    const cpuinfo = await vm.run('cat /proc/cpuinfo');
    assert.match(cpuinfo, /isa\s*:\s*rv64imafdc/);
    assert.match(cpuinfo, /mmu\s*:\s*sv39/);
    assert.equal((await vm.run('echo typevisor-was-here > /tmp/f && cat /tmp/f')).trim(), 'typevisor-was-here');
    assert.equal((await vm.run('echo $((6 * 7))')).trim(), '42');
    // Floating point in user space (awk computes in doubles).
    assert.equal((await vm.run("awk 'BEGIN { printf \"%.6f\\n\", sqrt(2) * 3.5 }'")).trim(), '4.949747');

    vm.send('poweroff');
    await vm.waitFor('reboot: Power down', 60_000);
    const { code } = await vm.exited;
    assert.equal(code, 0);
  } finally {
    vm.kill();
  }
});

test('with --firmware the bundled OpenSBI, the guest boots through it and powers off with status 0', async () => {
  const vm = new GuestConsole(['run', '--firmware', BUNDLED.firmware]);
  try {
    const boot = await vm.waitForShell();
    assert.match(boot, /OpenSBI v1\./, 'OpenSBI banner');
    assert.match(boot, /SBI implementation ID=0x1 /, 'Linux sees OpenSBI');
    assert.equal((await vm.run('echo $((6 * 7))')).trim(), '42');
    vm.send('poweroff');
    await vm.waitFor('reboot: Power down', 60_000);
    assert.equal((await vm.exited).code, 0);
  } finally {
    vm.kill();
  }
});

test('reboot in the guest (an SBI system reset) boots it again; poweroff then ends with status 0', async () => {
  const vm = new GuestConsole(['run']);
  try {
    await vm.waitForShell();
    vm.send('reboot');
    await vm.waitFor('reboot: Restarting system', 60_000);
    const second = await vm.waitForShell();
    assert.match(second, /SBI implementation ID=0x5456/);
    assert.equal((await vm.run('echo $((6 * 7))')).trim(), '42');
    vm.send('poweroff');
    assert.equal((await vm.exited).code, 0);
  } finally {
    vm.kill();
  }
});

test('the guest clock follows the host: sleep 1 takes about one second of host time', async () => {
  const vm = new GuestConsole(['run']);
  try {
    await vm.waitForShell();
    const start = Date.now();
    await vm.run('sleep 1');
    const elapsed = Date.now() - start;
    // Not a speed check: a guest clock running at the wrong rate is off by large factors.
    assert.ok(elapsed >= 950, `sleep 1 returned after ${elapsed} ms`);
    const out = await vm.run('date +%s; sleep 2; date +%s');
    const [a, b] = out.trim().split('\n').map(Number);
    assert.ok(b! - a! >= 2 && b! - a! <= 3, `guest date advanced ${b! - a!} s over sleep 2`);
    vm.send('poweroff');
    assert.equal((await vm.exited).code, 0);
  } finally {
    vm.kill();
  }
});

test('Ctrl-A X quits the VM from the host side with status 0', async () => {
  const vm = new GuestConsole(['run']);
  try {
    await vm.waitForShell();
    vm.child.stdin.write('\x01x');
    assert.equal((await vm.exited).code, 0);
  } finally {
    vm.kill();
  }
});
