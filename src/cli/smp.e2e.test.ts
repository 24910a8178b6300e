/**
 * End to end: Linux on several harts (--cpus). The kernel brings every hart online through SBI HSM, /proc and
 * sysfs agree, a hart goes offline and comes back, and a two-hart VM is snapshotted and restored with both harts
 * carrying on (atomic counters across them still exact).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GuestConsole } from '../testing/guest-console.js';
import { runCli as cli } from '../testing/run-cli.js';


test('several harts: online through SBI HSM, hot-unplugged and back, snapshot and restore', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'typevisor-smp-'));
  const sock = join(dir, 'vm.sock');
  const snap = join(dir, 'snap');
  const vm = new GuestConsole(['run', '--cpus', '4', '--api-sock', sock]);
  try {
    await vm.waitForShell();
    // Kernel messages off the console (kept by the snapshot too): 4 harts on a loaded 2-core host make the kernel
    // warn about slow timer interrupts ("hrtimer: interrupt took ... ns") in the middle of command output.
    await vm.run('echo 1 > /proc/sys/kernel/printk');
    assert.equal((await vm.run('nproc')).trim(), '4');
    assert.equal((await vm.run('grep -c ^processor /proc/cpuinfo')).trim(), '4');
    assert.equal((await vm.run('cat /sys/devices/system/cpu/online')).trim(), '0-3');
    await vm.run('echo 0 > /sys/devices/system/cpu/cpu1/online');
    assert.equal((await vm.run('cat /sys/devices/system/cpu/online')).trim(), '0,2-3');
    assert.equal((await vm.run('nproc')).trim(), '3');
    await vm.run('echo 1 > /sys/devices/system/cpu/cpu1/online');
    assert.equal((await vm.run('cat /sys/devices/system/cpu/online')).trim(), '0-3');
    // Pause stops every hart (the worker threads park); resume lets them all run on.
    assert.equal((await cli('pause', '--api-sock', sock)).code, 0);
    const paused = JSON.parse((await cli('status', '--api-sock', sock, '--json')).stdout) as { state: string; cpus: number; instructions: number };
    assert.equal(paused.state, 'Paused');
    assert.equal(paused.cpus, 4);
    await new Promise((r) => setTimeout(r, 300));
    const still = JSON.parse((await cli('status', '--api-sock', sock, '--json')).stdout) as { instructions: number };
    assert.equal(still.instructions, paused.instructions, 'no instructions retire while paused');
    assert.equal((await cli('resume', '--api-sock', sock)).code, 0);
    assert.equal((await vm.run('echo resumed-$((2+2))')).trim(), 'resumed-4');
    // Work spread over the harts when the snapshot is taken.
    vm.send('smp-counters -t 4 -n 40000 > /tmp/before.txt; echo counted-$((1+1))');
    await vm.waitFor('counted-2');
    await vm.waitFor('~ # ');
    const snapshotted = (await cli('snapshot', '--api-sock', sock, '--out', snap, '--timeout', '120')).code;
    assert.equal(snapshotted, 0, `snapshot failed; the VM's console ends with:\n${vm.output.slice(-3000)}`);
    assert.equal((await cli('stop', '--api-sock', sock)).code, 0);
    await vm.exited;
  } finally {
    vm.kill();
  }
  const r = new GuestConsole(['restore', snap]);
  try {
    assert.equal((await r.run('nproc; cat /sys/devices/system/cpu/online')).trim().replace(/\s+/g, ' '), '4 0-3');
    assert.match(await r.run('cat /tmp/before.txt'), /smp-counters: PASS/);
    const after = await r.run('smp-counters -t 4 -n 20000', '~ # ', 180_000);
    assert.match(after, /smp-counters: PASS/, after);
    r.send('poweroff');
    assert.equal((await r.exited).code, 0);
  } finally {
    r.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
