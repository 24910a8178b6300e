import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDriver, type TestBuffer } from './fake-driver.js';
import { VIRTIO_STATUS as S, featureBit } from './device.js';
import { VIRTIO_MMIO_REG as R } from './mmio-transport.js';
import {
  MemoryBlockBackend,
  VIRTIO_BLK_CONFIG as C,
  VIRTIO_BLK_F as F,
  VIRTIO_BLK_S as ST,
  VIRTIO_BLK_T as T,
  VirtioBlk,
  type BlockBackend,
} from './blk.js';
import { FileBlockBackend } from './blk-file-backend.js';

function header(type: number, sector = 0): Uint8Array {
  const h = new Uint8Array(16);
  const dv = new DataView(h.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(8, sector % 0x1_0000_0000, true);
  dv.setUint32(12, Math.floor(sector / 0x1_0000_0000), true);
  return h;
}

function segment(sector: number, num: number, flags = 0): Uint8Array {
  const s = new Uint8Array(16);
  const dv = new DataView(s.buffer);
  dv.setUint32(0, sector, true);
  dv.setUint32(8, num, true);
  dv.setUint32(12, flags, true);
  return s;
}

function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function rig(backend: BlockBackend = new MemoryBlockBackend(64 * 1024), extra: Partial<ConstructorParameters<typeof VirtioBlk>[0]> = {}, accept?: (f: bigint) => bigint) {
  const blk = new VirtioBlk({ backend, serial: 'TV-0001', ...extra });
  const d = TestDriver.up(blk, accept ? { accept, ramSize: 4 << 20 } : { ramSize: 4 << 20 });
  /** Sends a request; returns the status byte, the used length, and the data the device wrote. */
  const req = (bufs: TestBuffer[], indirect = false) => {
    const { head, used } = d.request(0, bufs, { indirect });
    assert.equal(used.length, 1);
    assert.equal(used[0]!.id, head);
    const w = d.queue(0).written(head);
    return { status: w[w.length - 1], len: used[0]!.len, data: w.subarray(0, w.length - 1) };
  };
  return { blk, d, req, backend };
}

test('config space: capacity in sectors, seg_max, blk_size, one queue', () => {
  const { d } = rig(new MemoryBlockBackend(1 << 20), { blockSize: 4096 });
  assert.equal(d.transport.read(R.config + C.capacity, 4), 2048);
  assert.equal(d.transport.read(R.config + C.capacity + 4, 4), 0);
  assert.equal(d.transport.read(R.config + C.segMax, 4), 254);
  assert.equal(d.transport.read(R.config + C.blkSize, 4), 4096);
  assert.equal(d.transport.read(R.config + C.numQueues, 2), 1);
  assert.equal(d.r(R.deviceId), 2);
});

test('features: FLUSH, BLK_SIZE, SEG_MAX, DISCARD and WRITE_ZEROES from the backend; RO for read-only disks', () => {
  const rw = new VirtioBlk({ backend: new MemoryBlockBackend(4096) });
  for (const f of [F.flush, F.blkSize, F.segMax, F.discard, F.writeZeroes]) assert.ok(rw.features & featureBit(f));
  assert.equal(rw.features & featureBit(F.ro), 0n);
  const ro = new VirtioBlk({ backend: new MemoryBlockBackend(4096, { readOnly: true }) });
  assert.ok(ro.features & featureBit(F.ro));
  assert.equal(ro.features & featureBit(F.discard), 0n);
  const forced = new VirtioBlk({ backend: new MemoryBlockBackend(4096), readOnly: true });
  assert.ok(forced.features & featureBit(F.ro));
  const plain: BlockBackend = { size: 4096, readOnly: false, read() {}, write() {}, flush() {} };
  const p = new VirtioBlk({ backend: plain });
  assert.equal(p.features & (featureBit(F.discard) | featureBit(F.writeZeroes)), 0n);
  assert.equal(p.readConfig(C.maxDiscardSectors, 4), 0);
});

test('a write then a read returns the same data, direct and indirect, across several buffers', () => {
  const { req, backend } = rig();
  const data = pattern(1536);
  for (const indirect of [false, true]) {
    const w = req([{ data: header(T.out, 3) }, { data: data.subarray(0, 1000) }, { data: data.subarray(1000) }, { writable: 1 }], indirect);
    assert.equal(w.status, ST.ok);
    assert.equal(w.len, 1);
    const r = req([{ data: header(T.in, 3) }, { writable: 512 }, { writable: 1024 }, { writable: 1 }], indirect);
    assert.equal(r.status, ST.ok);
    assert.equal(r.len, 1537);
    assert.deepEqual(r.data, data);
  }
  assert.deepEqual((backend as MemoryBlockBackend).bytes.subarray(3 * 512, 3 * 512 + 1536), data);
});

test('the status byte may share a descriptor with the data', () => {
  const { req } = rig();
  req([{ data: header(T.out, 0) }, { data: pattern(512, 9) }, { writable: 1 }]);
  const r = req([{ data: header(T.in, 0) }, { writable: 513 }]);
  assert.equal(r.status, ST.ok);
  assert.deepEqual(r.data, pattern(512, 9));
});

test('a read past capacity completes with IOERR', () => {
  const { req } = rig(new MemoryBlockBackend(8 * 512));
  assert.equal(req([{ data: header(T.in, 8) }, { writable: 512 }, { writable: 1 }]).status, ST.ioerr);
  assert.equal(req([{ data: header(T.in, 7) }, { writable: 1024 }, { writable: 1 }]).status, ST.ioerr);
  assert.equal(req([{ data: header(T.in, 2 ** 52) }, { writable: 512 }, { writable: 1 }]).status, ST.ioerr);
  assert.equal(req([{ data: header(T.in, 7) }, { writable: 512 }, { writable: 1 }]).status, ST.ok);
});

test('a write past capacity completes with IOERR and writes nothing', () => {
  const backend = new MemoryBlockBackend(8 * 512);
  const { req } = rig(backend);
  assert.equal(req([{ data: header(T.out, 7) }, { data: pattern(1024) }, { writable: 1 }]).status, ST.ioerr);
  assert.ok(backend.bytes.every((b) => b === 0));
});

test('a disk read reports the guest RAM it writes (so the CPU can drop decoded code there)', () => {
  const { d } = rig();
  const q = d.queue(0);
  const head = q.add([{ data: header(T.in, 0) }, { writable: 1024 }, { writable: 1 }]);
  const [buf, status] = q.writableOf.get(head)!;
  d.ramWrites.length = 0;
  q.notify();
  const covered = (addr: number, len: number) =>
    d.ramWrites.some(([o, n]) => o <= addr - d.ram.base && addr - d.ram.base + len <= o + n);
  assert.ok(covered(buf!.addr, 1024), 'the data buffer');
  assert.ok(covered(status!.addr, 1), 'the status byte');
  assert.ok(covered(q.used + 2, 2), 'used.idx');
  assert.ok(covered(q.used + 4, 4) && covered(q.used + 8, 4), 'the used element');
});

test('a partial-sector transfer completes with IOERR', () => {
  const { req } = rig();
  assert.equal(req([{ data: header(T.in, 0) }, { writable: 100 }, { writable: 1 }]).status, ST.ioerr);
  assert.equal(req([{ data: header(T.out, 0) }, { data: pattern(100) }, { writable: 1 }]).status, ST.ioerr);
});

test('a write to a read-only disk completes with IOERR', () => {
  const backend = new MemoryBlockBackend(4096, { readOnly: true });
  const { req } = rig(backend);
  assert.equal(req([{ data: header(T.out, 0) }, { data: pattern(512) }, { writable: 1 }]).status, ST.ioerr);
  assert.equal(req([{ data: header(T.in, 0) }, { writable: 512 }, { writable: 1 }]).status, ST.ok);
  assert.equal(req([{ data: header(T.writeZeroes) }, { data: segment(0, 1) }, { writable: 1 }]).status, ST.ioerr);
});

test('FLUSH calls the backend flush', () => {
  const backend = new MemoryBlockBackend(4096);
  const { req } = rig(backend);
  assert.equal(req([{ data: header(T.flush) }, { writable: 1 }]).status, ST.ok);
  assert.equal(backend.flushes, 1);
});

test('without a negotiated FLUSH, every write is flushed (write-through)', () => {
  const backend = new MemoryBlockBackend(4096);
  const { req } = rig(backend, {}, (f) => f & ~featureBit(F.flush));
  req([{ data: header(T.out, 0) }, { data: pattern(512) }, { writable: 1 }]);
  assert.equal(backend.flushes, 1);
});

test('GET_ID answers the serial, NUL-padded to 20 bytes', () => {
  const { req } = rig();
  const r = req([{ data: header(T.getId) }, { writable: 20 }, { writable: 1 }]);
  assert.equal(r.status, ST.ok);
  assert.equal(r.len, 21);
  assert.equal(new TextDecoder().decode(r.data.subarray(0, 7)), 'TV-0001');
  assert.ok(r.data.subarray(7).every((b) => b === 0));
  const short = req([{ data: header(T.getId) }, { writable: 4 }, { writable: 1 }]);
  assert.equal(short.len, 5);
  assert.equal(new TextDecoder().decode(short.data), 'TV-0');
});

test('DISCARD and WRITE_ZEROES clear their ranges', () => {
  const backend = new MemoryBlockBackend(16 * 512);
  backend.bytes.fill(0xff);
  const { req } = rig(backend);
  assert.equal(req([{ data: header(T.discard) }, { data: segment(1, 2) }, { writable: 1 }]).status, ST.ok);
  assert.equal(req([{ data: header(T.writeZeroes) }, { data: segment(8, 1, 1) }, { data: segment(10, 1) }, { writable: 1 }]).status, ST.ok);
  const zeroSectors = [...Array(16).keys()].filter((s) => backend.bytes.subarray(s * 512, s * 512 + 512).every((b) => b === 0));
  assert.deepEqual(zeroSectors, [1, 2, 8, 10]);
  assert.equal(backend.discards, 1);
});

test('DISCARD with the unmap flag or reserved flags is UNSUPP; ranges past capacity are IOERR', () => {
  const { req } = rig(new MemoryBlockBackend(16 * 512));
  assert.equal(req([{ data: header(T.discard) }, { data: segment(0, 1, 1) }, { writable: 1 }]).status, ST.unsupp);
  assert.equal(req([{ data: header(T.writeZeroes) }, { data: segment(0, 1, 2) }, { writable: 1 }]).status, ST.unsupp);
  assert.equal(req([{ data: header(T.discard) }, { data: segment(15, 2) }, { writable: 1 }]).status, ST.ioerr);
  assert.equal(req([{ data: header(T.discard) }, { data: new Uint8Array(8) }, { writable: 1 }]).status, ST.unsupp);
});

test('DISCARD on a backend without discard is UNSUPP', () => {
  const plain: BlockBackend = { size: 4096, readOnly: false, read() {}, write() {}, flush() {} };
  const { req } = rig(plain);
  assert.equal(req([{ data: header(T.discard) }, { data: segment(0, 1) }, { writable: 1 }]).status, ST.unsupp);
});

test('an unknown request type completes with UNSUPP', () => {
  const { req, blk } = rig();
  assert.equal(req([{ data: header(0x55) }, { writable: 1 }]).status, ST.unsupp);
  assert.equal(req([{ data: header(T.getLifetime) }, { writable: 16 }, { writable: 1 }]).status, ST.unsupp);
  assert.equal(blk.stats.unsupported, 2);
});

test('a backend that throws makes the request complete with IOERR', () => {
  const bad: BlockBackend = {
    size: 4096,
    readOnly: false,
    read() {
      throw new Error('EIO');
    },
    write() {},
    flush() {
      throw new Error('EIO');
    },
  };
  const { req, d } = rig(bad);
  assert.equal(req([{ data: header(T.in, 0) }, { writable: 512 }, { writable: 1 }]).status, ST.ioerr);
  assert.equal(req([{ data: header(T.flush) }, { writable: 1 }]).status, ST.ioerr);
  assert.equal(d.transport.errorCounts()['blk-backend-error'], 2);
  assert.equal(d.status() & S.deviceNeedsReset, 0);
});

test('a chain too short for a header or without a status byte is returned with length 0 and counted', () => {
  const { d } = rig();
  const a = d.request(0, [{ data: new Uint8Array(8) }, { writable: 1 }]);
  assert.equal(a.used[0]!.len, 0);
  const b = d.request(0, [{ data: header(T.in) }]);
  assert.equal(b.used[0]!.len, 0);
  assert.equal(d.transport.errorCounts()['blk-malformed'], 2);
  assert.equal(d.status() & S.deviceNeedsReset, 0);
});

test('requests keep flowing through a queue that wraps many times', () => {
  const { req } = rig(new MemoryBlockBackend(64 * 512), { queueSize: 4 });
  for (let i = 0; i < 200; i++) {
    const s = i % 64;
    assert.equal(req([{ data: header(T.out, s) }, { data: pattern(512, i) }, { writable: 1 }]).status, ST.ok);
    assert.deepEqual(req([{ data: header(T.in, s) }, { writable: 512 }, { writable: 1 }]).data, pattern(512, i));
  }
});

test('the file backend reads, writes, flushes and zeroes a raw image; read-only opens refuse writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'typevisor-blk-'));
  try {
    const path = join(dir, 'disk.img');
    writeFileSync(path, new Uint8Array(8 * 512 + 100));
    const backend = new FileBlockBackend(path);
    const { req, blk } = rig(backend);
    assert.equal(blk.capacity, 8, 'a trailing partial sector is not visible');
    assert.equal(req([{ data: header(T.out, 2) }, { data: pattern(1024, 5) }, { writable: 1 }]).status, ST.ok);
    assert.equal(req([{ data: header(T.flush) }, { writable: 1 }]).status, ST.ok);
    assert.deepEqual(req([{ data: header(T.in, 2) }, { writable: 1024 }, { writable: 1 }]).data, pattern(1024, 5));
    assert.equal(req([{ data: header(T.writeZeroes) }, { data: segment(3, 1) }, { writable: 1 }]).status, ST.ok);
    backend.close();
    const file = readFileSync(path);
    assert.deepEqual(new Uint8Array(file.subarray(1024, 1536)), pattern(1024, 5).subarray(0, 512));
    assert.ok(file.subarray(1536, 2048).every((b) => b === 0));
    const ro = new FileBlockBackend(path, { readOnly: true });
    assert.equal(ro.readOnly, true);
    assert.throws(() => ro.write(0, new Uint8Array(1)), /read-only/);
    ro.close();
    assert.throws(() => new FileBlockBackend(join(dir, 'missing.img')), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('config is validated', () => {
  const backend = new MemoryBlockBackend(4096);
  assert.throws(() => new VirtioBlk({} as never), /backend/);
  assert.throws(() => new VirtioBlk({ backend, serial: 'x'.repeat(21) }), /serial/);
  assert.throws(() => new VirtioBlk({ backend, serial: 'é' }), /serial/);
  assert.throws(() => new VirtioBlk({ backend, blockSize: 1000 }), /blockSize/);
  assert.throws(() => new VirtioBlk({ backend, queueSize: 100 }), /queueSize/);
});

test('state: saveState round-trips through the transport and bad device state is rejected', () => {
  const { d } = rig();
  const s = JSON.parse(JSON.stringify(d.transport.saveState()));
  d.transport.restoreState(s);
  assert.throws(() => d.transport.restoreState({ ...s, device: { version: 2 } }), /virtio-blk state: version/);
});

// ---------------------------------------------------------------- properties

const reqArb = fc.record({
  type: fc.oneof(fc.constantFrom(T.in, T.out, T.flush, T.getId, T.discard, T.writeZeroes), fc.nat(20), fc.nat(0xffff_ffff)),
  sector: fc.oneof(fc.nat(40), fc.constantFrom(2 ** 32 - 1, 2 ** 40, 2 ** 53)),
  reads: fc.array(fc.oneof(fc.nat(40), fc.constantFrom(0, 512, 1024, 16, 32)), { maxLength: 3 }),
  writes: fc.array(fc.oneof(fc.nat(40), fc.constantFrom(0, 1, 512, 513, 20)), { maxLength: 3 }),
  indirect: fc.boolean(),
  headerLen: fc.constantFrom(16, 16, 16, 8, 0),
});

test('property: random requests never throw, always complete in order, and never touch data outside their range', () => {
  fc.assert(
    fc.property(fc.array(reqArb, { minLength: 1, maxLength: 30 }), fc.boolean(), (reqs, readOnly) => {
      const backend = new MemoryBlockBackend(32 * 512, { readOnly });
      const blk = new VirtioBlk({ backend, queueSize: 8 });
      const d = TestDriver.up(blk, { ramSize: 1 << 20 });
      const q = d.queue(0);
      for (const r of reqs) {
        const bufs: TestBuffer[] = [];
        if (r.headerLen > 0) bufs.push({ data: header(r.type, r.sector).subarray(0, r.headerLen) });
        for (const n of r.reads) bufs.push({ data: pattern(n, r.sector) });
        for (const n of r.writes) bufs.push({ writable: n });
        if (bufs.length === 0) bufs.push({ writable: 1 });
        const before = backend.bytes.slice();
        const { head, used } = d.request(0, bufs, { indirect: r.indirect });
        assert.equal(used.length, 1);
        assert.equal(used[0]!.id, head);
        const w = q.written(head);
        assert.ok(used[0]!.len <= w.length);
        if (used[0]!.len > 0) assert.ok([ST.ok, ST.ioerr, ST.unsupp].includes(w[w.length - 1] as 0 | 1 | 2));
        if (readOnly) assert.deepEqual(backend.bytes, before);
      }
      assert.equal(d.status() & S.deviceNeedsReset, 0);
      assert.equal(q.usedIdx(), reqs.length);
    }),
    { numRuns: 1500 },
  );
});

test('property: the disk behaves like a byte array under random reads and writes', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ write: fc.boolean(), sector: fc.nat(15), count: fc.integer({ min: 1, max: 4 }), seed: fc.nat(255) }), { maxLength: 40 }),
      (ops) => {
        const model = new Uint8Array(16 * 512);
        const { req } = rig(new MemoryBlockBackend(16 * 512));
        for (const op of ops) {
          const len = op.count * 512;
          const fits = op.sector + op.count <= 16;
          if (op.write) {
            const data = pattern(len, op.seed);
            const st = req([{ data: header(T.out, op.sector) }, { data }, { writable: 1 }]).status;
            assert.equal(st, fits ? ST.ok : ST.ioerr);
            if (fits) model.set(data, op.sector * 512);
          } else {
            const r = req([{ data: header(T.in, op.sector) }, { writable: len }, { writable: 1 }]);
            assert.equal(r.status, fits ? ST.ok : ST.ioerr);
            if (fits) assert.deepEqual(r.data, model.subarray(op.sector * 512, op.sector * 512 + len));
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});


test('property: hostile raw descriptor tables through the transport: no throw, a consistent used ring, and reset recovers', () => {
  const descArb = fc.record({
    where: fc.nat(4),
    off: fc.nat(2048),
    len: fc.oneof(fc.nat(600), fc.constantFrom(0, 1, 16, 512, 513, 0xffff_ffff)),
    flags: fc.nat(7),
    next: fc.oneof(fc.nat(9), fc.nat(0xffff)),
  });
  fc.assert(
    fc.property(fc.array(descArb, { minLength: 8, maxLength: 8 }), fc.array(descArb, { minLength: 4, maxLength: 4 }), fc.array(fc.nat(9), { maxLength: 12 }), (descs, table, heads) => {
      const backend = new MemoryBlockBackend(8 * 512);
      const blk = new VirtioBlk({ backend, queueSize: 8 });
      const d = TestDriver.up(blk, { ramSize: 1 << 18 });
      const q = d.queue(0);
      const area = d.ram.alloc(4096, 16);
      const tbl = d.ram.alloc(64, 16);
      const addrOf = (x: { where: number; off: number }) =>
        x.where === 0 ? tbl + 16 * (x.off % 4) : x.where === 1 ? x.off : x.where === 2 ? 2 ** 45 : area + x.off;
      table.forEach((x, i) => q.writeDesc(i, addrOf(x), x.len, x.flags, x.next, tbl));
      descs.forEach((x, i) => q.writeDesc(i, addrOf(x), x.len, x.flags, x.next));
      const n = Math.min(heads.length, 8);
      for (const h of heads.slice(0, n)) q.pushAvail(h);
      q.notify();
      const used = q.takeUsed();
      const broken = (d.status() & S.deviceNeedsReset) !== 0;
      if (!broken) assert.equal(used.length, n);
      else assert.ok(used.length < n);
      for (const u of used) assert.ok(u.id < 8);
      assert.equal(d.irq.level, d.r(R.interruptStatus) !== 0);
      // A reset and a fresh bring-up always give a working disk.
      d.init();
      const rq = d.queue(0);
      const head = rq.add([{ data: header(T.in, 0) }, { writable: 512 }, { writable: 1 }]);
      rq.notify();
      assert.deepEqual(rq.takeUsed(), [{ id: head, len: 513 }]);
    }),
    { numRuns: 2000 },
  );
});
