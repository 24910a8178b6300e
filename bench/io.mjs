// npm run bench:io — sequential disk read and write from inside the guest, and guest-to-host TCP throughput over
// user-mode networking, Typevisor vs QEMU (TCG) with virtio-blk and virtio-net devices, timed from the host
// (command sent to prompt back). Loopback only: the host side is a TCP sink on 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { GuestConsole, TYPEVISOR_BIN } from '../dist/testing/guest-console.js';
import { engines, machineLine, median, qemuVersion } from './peer.mjs';

const runs = Number(process.env.RUNS ?? 3);
const MIB = Number(process.env.MIB ?? 64);
const dir = mkdtempSync(join(tmpdir(), 'typevisor-bench-io-'));
const sink = createServer((sock) => {
  sock.resume();
  sock.on('end', () => sock.end());
});
await new Promise((resolve) => sink.listen(0, '127.0.0.1', resolve));
const sinkPort = sink.address().port;
const WORKLOADS = [
  { name: `tcp to host ${MIB} MiB`, cmd: `dd if=/dev/zero bs=65536 count=${MIB * 16} 2>/dev/null | nc 10.0.2.2 ${sinkPort}` },
  { name: `write ${MIB} MiB`, cmd: `dd if=/dev/zero of=/dev/vda bs=1048576 count=${MIB} conv=fsync 2>/dev/null` },
  // Drop the guest's page cache first, so the data really comes through the device.
  { name: `read ${MIB} MiB`, cmd: `echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda of=/dev/null bs=1048576 count=${MIB} 2>/dev/null` },
];
console.log(`disk and network I/O inside the guest, ${runs} runs each — ${machineLine()}`);
if (qemuVersion() === undefined) console.log('(qemu-system-riscv64 not found: apt-get install qemu-system-misc to compare)');
const results = new Map();
for (const e of engines()) {
  const img = join(dir, `${e.name}.img`);
  execFileSync(process.execPath, [TYPEVISOR_BIN, 'disk', 'create', img, `${MIB * 2}M`, '--force']);
  const args =
    e.name.startsWith('typevisor')
      ? [...e.args, '--disk', img, '--net', 'user']
      : [
          ...e.args,
          '-drive', `file=${img},format=raw,if=none,id=d0,cache=writeback`, '-device', 'virtio-blk-device,drive=d0',
          '-netdev', 'user,id=n0', '-device', 'virtio-net-device,netdev=n0',
        ];
  const vm = new GuestConsole(args, e.command);
  try {
    await vm.waitForShell('~ # ', 300_000);
    await vm.run('ip link set eth0 up; ip addr add 10.0.2.15/24 dev eth0; ip route add default via 10.0.2.2');
    for (const w of WORKLOADS) {
      for (let run = 0; run < runs; run++) {
        const t0 = performance.now();
        await vm.run(w.cmd, '~ # ', 600_000);
        const s = (performance.now() - t0) / 1000;
        const key = `${w.name}|${e.name}`;
        if (!results.has(key)) results.set(key, []);
        results.get(key).push(MIB / s);
        process.stdout.write(`  ${e.name.padEnd(10)} ${w.name}: ${(MIB / s).toFixed(1)} MiB/s\n`);
      }
    }
  } finally {
    vm.kill();
    await vm.exited;
  }
}
sink.close();
console.log('\nworkload              typevisor     qemu-tcg      typevisor/qemu');
for (const w of WORKLOADS) {
  const tv = results.get(`${w.name}|typevisor`);
  const q = results.get(`${w.name}|qemu-tcg`);
  const fmt = (xs) => (xs ? `${median(xs).toFixed(1)} MiB/s` : '-').padEnd(14);
  console.log(`${w.name.padEnd(22)}${fmt(tv)}${fmt(q)}${tv && q ? (median(tv) / median(q)).toFixed(2) : '-'}`);
}
