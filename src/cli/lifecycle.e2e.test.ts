/**
 * End to end: the control API's lifecycle commands on a real Linux guest. Pause stops the guest and its clock,
 * resume lets both go on, requests in the wrong state are refused, and shutdown makes the guest power itself
 * off (SysRq sync, remount read-only, power off) so the VM process exits with status 0.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GuestConsole } from '../testing/guest-console.js';
import { runCli as cli } from '../testing/run-cli.js';


test('pause freezes the guest and its clock, resume continues, wrong states are refused, shutdown powers off', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'typevisor-life-'));
  const sock = join(dir, 'vm.sock');
  const vm = new GuestConsole(['run', '--api-sock', sock, '--memory', '128M']);
  try {
    await vm.waitForShell();
    const status = JSON.parse((await cli('status', '--api-sock', sock, '--json')).stdout) as Record<string, unknown>;
    assert.equal(String(status['state']).toLowerCase(), 'running');
    assert.equal(status['memory_bytes'] ?? status['memoryBytes'], 128 * 1048576);
    const refusedResume = await cli('resume', '--api-sock', sock);
    assert.equal(refusedResume.code, 1);
    assert.match(refusedResume.stderr, /^typevisor: .*not paused/);

    const t0 = Number((await vm.run('cut -d" " -f1 /proc/uptime')).trim());
    assert.equal((await cli('pause', '--api-sock', sock)).code, 0);
    vm.send('echo typed-while-paused');
    await new Promise((r) => setTimeout(r, 4000));
    assert.ok(!vm.output.includes('typed-while-paused\r\ntyped-while-paused'), 'a paused guest runs nothing');
    const refusedShutdown = await cli('shutdown', '--api-sock', sock);
    assert.equal(refusedShutdown.code, 1);
    assert.match(refusedShutdown.stderr, /paused/);
    assert.equal((await cli('resume', '--api-sock', sock)).code, 0);
    await vm.waitFor('typed-while-paused\r\n~ # ');
    const t1 = Number((await vm.run('cut -d" " -f1 /proc/uptime')).trim());
    // Four seconds paused do not count: the guest's clock stood still (less than the pause has passed).
    assert.ok(t1 - t0 < 4, `guest uptime advanced ${t1 - t0} s across a 4 s pause`);

    assert.equal((await cli('shutdown', '--api-sock', sock)).code, 0);
    assert.equal((await vm.exited).code, 0);
    assert.match(vm.output, /sysrq: Emergency Sync[\s\S]*sysrq: Emergency Remount R\/O[\s\S]*sysrq: Power Off/);
    const gone = await cli('status', '--api-sock', sock);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no VM control socket at/);
  } finally {
    vm.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
