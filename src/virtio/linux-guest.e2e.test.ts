/**
 * End to end against Linux 6.1's own drivers (virtio_mmio, virtio_ring, virtio_blk, virtio-rng, virtio_console):
 * boots the bundled guest in-process with a virtio-blk, a virtio-rng and a virtio-console mapped in the first
 * three virtio-mmio slots, and checks from the guest's shell that each works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomFillSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { Machine } from '../machine/machine.js';
import { bootLinux } from '../machine/boot.js';
import type { VirtioMmioTransport } from './mmio-transport.js';
import { MemoryBlockBackend, VirtioBlk } from './blk.js';
import { FileBlockBackend } from './blk-file-backend.js';
import { VirtioRng } from './rng.js';
import { VirtioConsole } from './console.js';
import type { VirtioDevice } from './device.js';

const images = (name: string) => fileURLToPath(new URL(`../../guest/images/${name}`, import.meta.url));

function readImage(name: string): Uint8Array {
  const b = readFileSync(images(name));
  return name.endsWith('.gz') ? gunzipSync(b) : b;
}

interface GuestSession {
  readonly m: Machine;
  readonly transports: VirtioMmioTransport[];
  readonly logs: string[];
  /** Waits for `needle` in console output not consumed yet; returns the output up to it. */
  waitFor(needle: string | RegExp, ms?: number): Promise<string>;
  send(line: string): void;
  /** Runs a shell command and returns its output. */
  sh(cmd: string, ms?: number): Promise<string>;
  stop(): Promise<void>;
}

/** Boots the bundled guest with `devices` in virtio-mmio slots 0.. and waits for its shell. */
async function bootWith(devices: readonly VirtioDevice[]): Promise<GuestSession> {
  let text = '';
  const m = new Machine({ memBytes: 256 << 20, onOutput: (b) => (text += Buffer.from(b).toString('latin1')) });
  const logs: string[] = [];
  for (const device of devices) m.attachVirtio(device, (s) => logs.push(s));
  const transports = m.virtio;
  bootLinux(m, {
    firmware: readFileSync(images('fw_dynamic.bin')),
    kernel: readImage('Image.gz'),
    initrd: readFileSync(images('initramfs.cpio')),
    cmdline: 'console=ttyS0',
  });

  const running = m.run();
  let consumed = 0;
  const waitFor = async (needle: string | RegExp, ms = 60_000): Promise<string> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const rest = text.slice(consumed);
      let index = -1;
      let len = 0;
      if (typeof needle === 'string') {
        index = rest.indexOf(needle);
        len = needle.length;
      } else {
        const r = rest.match(needle);
        index = r?.index ?? -1;
        len = r?.[0].length ?? 0;
      }
      if (index >= 0) {
        consumed += index + len;
        return rest.slice(0, index + len);
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(needle)}; output ends with:\n${text.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const send = (line: string): void => m.sendInput(new TextEncoder().encode(line + '\n'));
  let marker = 0;
  const sh = async (cmd: string, ms = 60_000): Promise<string> => {
    // The marker is split by '' in the command so that the echoed command line does not match it.
    const id = `@@${++marker}@@`;
    send(`echo @@''${id.slice(2)}; ${cmd}; echo @@''${id.slice(2)}`);
    await waitFor(id, ms);
    const out = await waitFor(id, ms);
    return out.slice(0, -id.length).replace(/\r/g, '').trim();
  };
  const stop = async (): Promise<void> => {
    m.stop();
    await running;
  };
  try {
    await waitFor('~ # ', 180_000);
    for (let attempt = 0; ; attempt++) {
      send('echo shell-$((40+2))');
      try {
        await waitFor('shell-42', 1_500);
        break;
      } catch (e) {
        if (attempt > 20) throw e;
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
  await sh('dmesg -n 1'); // kernel messages would interleave with command output
  return { m, transports, logs, waitFor, send, sh, stop };
}

test('Linux 6.1 drives virtio-blk, virtio-rng and virtio-console over virtio-mmio', { timeout: 240_000 }, async () => {
  const disk = new MemoryBlockBackend(1 << 20);
  for (let i = 0; i < disk.size; i++) disk.bytes[i] = (i * 7 + (i >> 9)) & 0xff;
  const sector0 = createHash('md5').update(disk.bytes.subarray(0, 512)).digest('hex');
  const blk = new VirtioBlk({ backend: disk, serial: 'TYPEVISOR-E2E' });
  const rng = new VirtioRng({ random: randomFillSync });
  let hvc = '';
  const con = new VirtioConsole({ output: (b) => (hvc += Buffer.from(b).toString('latin1')) });
  const { transports, logs, waitFor, send, sh, stop } = await bootWith([blk, rng, con]);
  try {
    assert.equal(await sh('cat /sys/bus/virtio/devices/*/device | tr "\\n" " "'), '0x0002 0x0004 0x0003');

    // virtio-blk: capacity, serial (GET_ID), reads, durable writes.
    assert.equal(await sh('cat /sys/block/vda/size'), '2048');
    assert.equal(await sh('cat /sys/block/vda/serial'), 'TYPEVISOR-E2E');
    assert.equal((await sh('dd if=/dev/vda bs=512 count=1 2>/dev/null | md5sum')).split(/\s+/)[0], sector0);
    const whole = createHash('md5').update(disk.bytes).digest('hex');
    assert.equal((await sh('md5sum /dev/vda')).split(/\s+/)[0], whole);
    await sh('echo -n typevisor-was-here | dd of=/dev/vda bs=512 seek=5 conv=sync,notrunc,fsync 2>/dev/null');
    assert.equal(Buffer.from(disk.bytes.subarray(5 * 512, 5 * 512 + 18)).toString(), 'typevisor-was-here');
    assert.ok(disk.bytes.subarray(5 * 512 + 18, 6 * 512).every((b) => b === 0), 'conv=sync pads the sector with zeros');
    assert.ok(blk.stats.flushes > 0, 'fsync reached the device as a FLUSH');

    // virtio-rng: /dev/hwrng reads come from the device.
    assert.match(await sh('cat /sys/class/misc/hw_random/rng_current'), /virtio_rng/);
    const before = rng.bytesProvided;
    assert.equal(await sh('dd if=/dev/hwrng bs=64 count=4 2>/dev/null | wc -c'), '256');
    assert.ok(rng.bytesProvided > before);

    // virtio-console: output and input through its hvc port.
    assert.match(await sh('cd /sys/bus/virtio/devices/virtio2/virtio-ports/ && echo *'), /^vport\dp0$/);
    const dev = await sh('cd /dev && echo hvc*');
    const hvcs = dev.split(/\s+/).filter((s) => /^hvc\d+$/.test(s));
    assert.ok(hvcs.length > 0, `hvc devices: ${dev}`);
    // The virtio console is the highest-numbered hvc (hvc0 may be the SBI console).
    let found = '';
    for (const h of hvcs) {
      hvc = '';
      await sh(`echo hello-from-${h} > /dev/${h}`);
      if (hvc.includes(`hello-from-${h}`)) found = h;
    }
    assert.ok(found !== '', 'some hvc device reached the virtio console output');
    send(`head -c 6 /dev/${found} | od -c | head -1`);
    await new Promise((r) => setTimeout(r, 500));
    let taken = 0;
    const input = new TextEncoder().encode('abcde\n');
    for (let i = 0; i < 100 && taken < input.length; i++) {
      taken += con.receive(input.subarray(taken));
      if (taken < input.length) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(taken, input.length);
    await waitFor(/a\s+b\s+c\s+d\s+e\s+\\n/);

    for (const t of transports) assert.deepEqual(t.errorCounts(), {}, `${t.name} counted no guest errors`);
    assert.deepEqual(logs, []);
    const dmesg = await sh('dmesg | grep -i virtio | grep -i -E "error|fail|warn" | head -5');
    assert.equal(dmesg, '');
  } finally {
    await stop();
  }
});

test('an ext4 filesystem on a file-backed virtio disk keeps its files across a power cycle; fstrim discards', { timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'typevisor-ext4-'));
  try {
    const path = join(dir, 'disk.img');
    writeFileSync(path, new Uint8Array(0));
    truncateSync(path, 32 << 20);
    const mkfs = spawnSync('mkfs.ext4', ['-q', '-F', path], { encoding: 'utf8' });
    if (mkfs.error !== undefined || mkfs.status !== 0) {
      t.skip('mkfs.ext4 is not available on this host');
      return;
    }
    {
      const backend = new FileBlockBackend(path);
      const blk = new VirtioBlk({ backend });
      const vm = await bootWith([blk]);
      try {
        assert.equal(await vm.sh('mkdir -p /mnt && mount -t ext4 /dev/vda /mnt && echo mounted'), 'mounted');
        await vm.sh('dd if=/dev/urandom of=/mnt/big bs=64k count=32 2>/dev/null; md5sum /mnt/big > /mnt/big.md5; echo persistent-hello > /mnt/hello');
        await vm.sh('rm -f /mnt/big; sync');
        const discardsBefore = blk.stats.requests;
        assert.match(await vm.sh('fstrim -v /mnt'), /trimmed/);
        assert.ok(blk.stats.requests > discardsBefore);
        await vm.sh('dd if=/dev/urandom of=/mnt/big bs=64k count=32 2>/dev/null; md5sum /mnt/big > /mnt/big.md5');
        assert.equal(await vm.sh('umount /mnt && echo unmounted'), 'unmounted');
        assert.ok(blk.stats.flushes > 0);
        for (const tr of vm.transports) assert.deepEqual(tr.errorCounts(), {});
      } finally {
        await vm.stop();
        backend.close();
      }
    }
    // The host sees a clean filesystem.
    const fsck = spawnSync('e2fsck', ['-f', '-n', path], { encoding: 'utf8' });
    if (fsck.error === undefined) assert.equal(fsck.status, 0, fsck.stdout + fsck.stderr);
    {
      const backend = new FileBlockBackend(path, { readOnly: true });
      const vm = await bootWith([new VirtioBlk({ backend })]);
      try {
        assert.equal(await vm.sh('cat /sys/block/vda/ro'), '1');
        assert.equal(await vm.sh('mkdir -p /mnt && mount -t ext4 -o ro,noload /dev/vda /mnt && cat /mnt/hello'), 'persistent-hello');
        assert.equal(await vm.sh('md5sum -c /mnt/big.md5'), '/mnt/big: OK');
        assert.match(await vm.sh('touch /mnt/x 2>&1'), /Read-only file system/);
      } finally {
        await vm.stop();
        backend.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
