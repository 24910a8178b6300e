/**
 * End to end: the SMP guest tests of the bundled initramfs (guest/smp-tests: smp-counters, smp-litmus) pass in
 * Typevisor on 1, 2 and 4 harts (`--cpus N`). With one hart they check that AMOs, LR/SC and the lock stay exact
 * when the guest kernel switches threads between them; with several, atomicity and ordering across harts running in
 * parallel, each in its own worker thread.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GuestConsole } from '../testing/guest-console.js';

// The default engine (the interpreter when the suite runs with TYPEVISOR_ENGINE=interp), and each engine by name on
// two harts, so that every run of the suite checks both engines with harts in parallel.
const cases: { harts: number; engine?: string }[] = [{ harts: 1 }, { harts: 2, engine: 'interp' }, { harts: 2, engine: 'jit' }, { harts: 4 }];
for (const { harts, engine } of cases) {
  test(`smp-counters and smp-litmus pass on ${harts} hart(s)${engine !== undefined ? ` (${engine})` : ''}`, async () => {
    const vm = new GuestConsole(['run', ...(harts > 1 ? ['--cpus', String(harts)] : []), ...(engine !== undefined ? ['--engine', engine] : [])]);
    try {
      await vm.waitForShell('~ # ', 300_000);
      assert.equal((await vm.run('nproc')).trim(), String(harts), 'nproc');
      // Two threads per hart (at least 2) so that threads also contend on one hart through preemption.
      const threads = Math.max(2, 2 * harts);
      const counters = await vm.run(`smp-counters -t ${threads} -n 20000; echo status=$?`, '~ # ', 600_000);
      const want = String(threads * 20000);
      for (const name of ['amoadd.d', 'amoadd.w', 'lr.d/sc.d', 'lr.w/sc.w', 'amoswap lock']) {
        const line = counters.split('\n').find((l) => l.trim().startsWith(`${name} `));
        assert.ok(line, `no ${name} line in:\n${counters}`);
        assert.match(line, new RegExp(`\\b${want} / ${want}\\s+exact`), line);
      }
      assert.match(counters, /smp-counters: PASS/);
      assert.match(counters, /status=0/);
      const litmus = await vm.run(`smp-litmus -t ${threads} -n 1000; echo status=$?`, '~ # ', 600_000);
      assert.doesNotMatch(litmus, /FORBIDDEN/, litmus);
      assert.match(litmus, /smp-litmus: PASS/, litmus);
      assert.match(litmus, /status=0/);
      vm.send('poweroff');
      assert.equal((await vm.exited).code, 0);
    } finally {
      vm.kill();
    }
  });
}
