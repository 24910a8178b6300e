import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VIRT } from './virt-layout.js';
import { FDT_MAGIC, writeFdt, type FdtNode, type FdtValue } from './fdt.js';
import {
  buildVirtTree,
  generateVirtDtb,
  VIRT_MAX_HARTS,
  VIRT_PHANDLE,
  VIRT_UART_PATH,
  type VirtDtConfig,
} from './virt-dt.js';

const base: VirtDtConfig = {
  harts: 2,
  ramBase: VIRT.ramBase,
  ramSize: 256 * 1024 * 1024,
  isa: 'rv64imafdc_zicsr_zifencei',
  mmuType: 'riscv,sv39',
  bootargs: 'console=ttyS0',
  timebaseFrequency: VIRT.timebaseFrequency,
};

function at(root: FdtNode, path: string): FdtNode {
  let n = root;
  for (const part of path.split('/').filter((p) => p !== '')) {
    const c = (n.children ?? []).find((x) => x.name === part);
    assert.ok(c, `no node ${path}`);
    n = c;
  }
  return n;
}

function value(n: FdtNode, name: string): FdtValue {
  const p = (n.props ?? []).find((x) => x.name === name);
  assert.ok(p, `no property ${name} in ${n.name || '/'}`);
  return p.value;
}

/** Cells of a property with phandle references replaced by the referenced node's phandle. */
function cellsOf(root: FdtNode, n: FdtNode, name: string): number[] {
  const labels = new Map<string, number>();
  const walk = (x: FdtNode): void => {
    if (x.label !== undefined && x.phandle !== undefined) labels.set(x.label, x.phandle);
    (x.children ?? []).forEach(walk);
  };
  walk(root);
  const v = value(n, name);
  if (v.kind === 'u64') return v.values.flatMap((q) => [Math.floor(Number(q) / 2 ** 32), Number(q) % 2 ** 32]);
  assert.equal(v.kind, 'cells');
  return v.cells.map((c) => (typeof c === 'number' ? c : labels.get(c.ref)!));
}

const strings = (n: FdtNode, name: string): string[] => {
  const v = value(n, name);
  if (v.kind === 'string') return [v.value];
  assert.equal(v.kind, 'strings');
  return [...v.values];
};

test('cpus: timebase, one node per hart with isa, mmu-type and a riscv,cpu-intc child; cpu-map', () => {
  const root = buildVirtTree(base);
  const cpus = at(root, '/cpus');
  assert.deepEqual(cellsOf(root, cpus, 'timebase-frequency'), [10_000_000]);
  assert.deepEqual(cellsOf(root, cpus, '#address-cells'), [1]);
  assert.deepEqual(cellsOf(root, cpus, '#size-cells'), [0]);
  for (let h = 0; h < 2; h++) {
    const cpu = at(root, `/cpus/cpu@${h}`);
    assert.deepEqual(cellsOf(root, cpu, 'reg'), [h]);
    assert.deepEqual(strings(cpu, 'device_type'), ['cpu']);
    assert.deepEqual(strings(cpu, 'status'), ['okay']);
    assert.deepEqual(strings(cpu, 'compatible'), ['riscv']);
    assert.deepEqual(strings(cpu, 'riscv,isa'), ['rv64imafdc_zicsr_zifencei']);
    assert.deepEqual(strings(cpu, 'mmu-type'), ['riscv,sv39']);
    assert.equal(cpu.phandle, VIRT_PHANDLE.cpu(h));
    const intc = at(root, `/cpus/cpu@${h}/interrupt-controller`);
    assert.deepEqual(strings(intc, 'compatible'), ['riscv,cpu-intc']);
    assert.deepEqual(cellsOf(root, intc, '#interrupt-cells'), [1]);
    assert.equal(value(intc, 'interrupt-controller').kind, 'empty');
    assert.equal(intc.phandle, VIRT_PHANDLE.intc(h));
    assert.deepEqual(cellsOf(root, at(root, `/cpus/cpu-map/cluster0/core${h}`), 'cpu'), [VIRT_PHANDLE.cpu(h)]);
  }
});

test('memory node at the RAM base', () => {
  const root = buildVirtTree({ ...base, ramSize: 5 * 2 ** 30 });
  const mem = at(root, '/memory@80000000');
  assert.deepEqual(strings(mem, 'device_type'), ['memory']);
  assert.deepEqual(cellsOf(root, mem, 'reg'), [0, 0x8000_0000, 1, 0x4000_0000]);
});

test('CLINT and PLIC route to each hart as on QEMU virt', () => {
  const root = buildVirtTree(base);
  const i0 = VIRT_PHANDLE.intc(0);
  const i1 = VIRT_PHANDLE.intc(1);
  const clint = at(root, '/soc/clint@2000000');
  assert.deepEqual(strings(clint, 'compatible'), ['sifive,clint0', 'riscv,clint0']);
  assert.deepEqual(cellsOf(root, clint, 'reg'), [0, 0x200_0000, 0, 0x1_0000]);
  assert.deepEqual(cellsOf(root, clint, 'interrupts-extended'), [i0, 3, i0, 7, i1, 3, i1, 7]);
  const plic = at(root, '/soc/plic@c000000');
  assert.deepEqual(strings(plic, 'compatible'), ['sifive,plic-1.0.0', 'riscv,plic0']);
  assert.deepEqual(cellsOf(root, plic, 'reg'), [0, 0xc00_0000, 0, 0x60_0000]);
  assert.deepEqual(cellsOf(root, plic, 'interrupts-extended'), [i0, 11, i0, 9, i1, 11, i1, 9]);
  assert.deepEqual(cellsOf(root, plic, 'riscv,ndev'), [95]);
  assert.deepEqual(cellsOf(root, plic, '#interrupt-cells'), [1]);
  assert.deepEqual(cellsOf(root, plic, '#address-cells'), [0]);
  assert.equal(value(plic, 'interrupt-controller').kind, 'empty');
  assert.equal(plic.phandle, VIRT_PHANDLE.plic);
  const soc = at(root, '/soc');
  assert.deepEqual(strings(soc, 'compatible'), ['simple-bus']);
  assert.equal(value(soc, 'ranges').kind, 'empty');
});

test('serial, test device, poweroff and reboot', () => {
  const root = buildVirtTree(base);
  const uart = at(root, VIRT_UART_PATH);
  assert.deepEqual(strings(uart, 'compatible'), ['ns16550a']);
  assert.deepEqual(cellsOf(root, uart, 'reg'), [0, 0x1000_0000, 0, 0x100]);
  assert.deepEqual(cellsOf(root, uart, 'clock-frequency'), [3_686_400]);
  assert.deepEqual(cellsOf(root, uart, 'interrupts'), [10]);
  assert.deepEqual(cellsOf(root, uart, 'interrupt-parent'), [VIRT_PHANDLE.plic]);
  const testDev = at(root, '/soc/test@100000');
  assert.deepEqual(strings(testDev, 'compatible'), ['sifive,test1', 'sifive,test0', 'syscon']);
  assert.deepEqual(cellsOf(root, testDev, 'reg'), [0, 0x10_0000, 0, 0x1000]);
  for (const [name, compat, v] of [
    ['poweroff', 'syscon-poweroff', 0x5555],
    ['reboot', 'syscon-reboot', 0x7777],
  ] as const) {
    const n = at(root, `/${name}`);
    assert.deepEqual(strings(n, 'compatible'), [compat]);
    assert.deepEqual(cellsOf(root, n, 'regmap'), [VIRT_PHANDLE.test]);
    assert.deepEqual(cellsOf(root, n, 'offset'), [0]);
    assert.deepEqual(cellsOf(root, n, 'value'), [v]);
  }
});

test('virtio-mmio nodes only for the slots present, with interrupts 1..8', () => {
  const root = buildVirtTree({ ...base, virtio: [7, 0] });
  const names = (at(root, '/soc').children ?? []).map((c) => c.name).filter((n) => n.startsWith('virtio'));
  assert.deepEqual(names, ['virtio_mmio@10001000', 'virtio_mmio@10008000']);
  const last = at(root, '/soc/virtio_mmio@10008000');
  assert.deepEqual(strings(last, 'compatible'), ['virtio,mmio']);
  assert.deepEqual(cellsOf(root, last, 'reg'), [0, 0x1000_8000, 0, 0x1000]);
  assert.deepEqual(cellsOf(root, last, 'interrupts'), [8]);
  assert.deepEqual(cellsOf(root, last, 'interrupt-parent'), [VIRT_PHANDLE.plic]);
  assert.equal(names.length, 2);
  const none = buildVirtTree(base);
  assert.equal((at(none, '/soc').children ?? []).filter((c) => c.name.startsWith('virtio')).length, 0);
});

test('chosen: bootargs, stdout-path and the initrd as u64', () => {
  const root = buildVirtTree({ ...base, initrd: { start: 0x8820_0000, end: 0x8830_0000 } });
  const chosen = at(root, '/chosen');
  assert.deepEqual(strings(chosen, 'bootargs'), ['console=ttyS0']);
  assert.deepEqual(strings(chosen, 'stdout-path'), ['/soc/serial@10000000']);
  assert.equal(value(chosen, 'linux,initrd-start').kind, 'u64');
  assert.deepEqual(cellsOf(root, chosen, 'linux,initrd-start'), [0, 0x8820_0000]);
  assert.deepEqual(cellsOf(root, chosen, 'linux,initrd-end'), [0, 0x8830_0000]);
  const plain = at(buildVirtTree({ ...base, bootargs: '' }), '/chosen');
  assert.deepEqual(
    (plain.props ?? []).map((p) => p.name),
    ['stdout-path'],
  );
});

test('chosen: rng-seed carries the bytes given, after bootargs', () => {
  const seed = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
  const chosen = at(buildVirtTree({ ...base, rngSeed: seed }), '/chosen');
  const v = value(chosen, 'rng-seed');
  assert.equal(v.kind, 'bytes');
  assert.deepEqual(v.kind === 'bytes' ? [...v.bytes] : [], [...seed]);
  assert.deepEqual((chosen.props ?? []).map((p) => p.name).slice(0, 2), ['bootargs', 'rng-seed']);
});

test('generateVirtDtb serializes the tree', () => {
  const blob = generateVirtDtb(base, { extraSpace: 4096 });
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  assert.equal(dv.getUint32(0), FDT_MAGIC);
  assert.equal(dv.getUint32(4), blob.length);
  assert.deepEqual(generateVirtDtb(base), writeFdt(buildVirtTree(base)));
  const many = generateVirtDtb({ ...base, harts: 8, virtio: [0, 1, 2, 3, 4, 5, 6, 7] });
  assert.ok(many.length > blob.length - 4096);
});

test('config is validated', () => {
  const bad: Array<[Partial<VirtDtConfig>, RegExp]> = [
    [{ harts: 0 }, /harts/],
    [{ harts: 9 }, /harts must be an integer in 1\.\.8/],
    [{ harts: 1.5 }, /harts/],
    [{ harts: Number.NaN }, /harts/],
    [{ ramBase: 0x8000_0001 }, /ramBase/],
    [{ ramSize: 0 }, /ramSize/],
    [{ isa: 'RV64GC' }, /isa/],
    [{ mmuType: 'riscv,sv57' as never }, /mmuType/],
    [{ bootargs: 'a\0b' }, /bootargs/],
    [{ initrd: { start: 0x9000_0000, end: 0x8000_0000 } }, /initrd/],
    [{ initrd: { start: 0x1000, end: 0x2000 } }, /inside RAM/],
    [{ virtio: [8] }, /virtio slot 8/],
    [{ virtio: [1, 1] }, /listed twice/],
    [{ timebaseFrequency: 0 }, /timebaseFrequency/],
  ];
  for (const [patch, re] of bad) assert.throws(() => buildVirtTree({ ...base, ...patch }), re);
});

// ---------------------------------------------------------------- N harts, as QEMU virt describes `-smp N`

/** The tree for `harts` harts (undefined: the default), from the 1-hart base config. */
function treeFor(harts: number | undefined): FdtNode {
  const { harts: _omit, ...rest } = base;
  return buildVirtTree(harts === undefined ? rest : { ...rest, harts });
}

/** Node path of every phandle in the tree, so references can be compared by what they point at. */
function phandlePaths(root: FdtNode): Map<number, string> {
  const out = new Map<number, string>();
  const walk = (x: FdtNode, path: string): void => {
    if (x.phandle !== undefined) out.set(x.phandle, path || '/');
    for (const c of x.children ?? []) walk(c, `${path}/${c.name}`);
  };
  walk(root, '');
  return out;
}

/** interrupts-extended as [controller path, local interrupt] pairs. */
function irqPairs(root: FdtNode, path: string): Array<[string, number]> {
  const paths = phandlePaths(root);
  const c = cellsOf(root, at(root, path), 'interrupts-extended');
  const out: Array<[string, number]> = [];
  for (let i = 0; i < c.length; i += 2) out.push([paths.get(c[i]!) ?? `?${c[i]}`, c[i + 1]!]);
  return out;
}

const intcPath = (h: number): string => `/cpus/cpu@${h}/interrupt-controller`;

test('harts defaults to 1, and the 1-hart blob is the one an explicit harts: 1 gives', () => {
  const { harts: _omit, ...one } = base;
  assert.deepEqual(generateVirtDtb(one), generateVirtDtb({ ...base, harts: 1 }));
  const cpus = at(treeFor(undefined), '/cpus');
  assert.deepEqual(
    (cpus.children ?? []).map((c) => c.name),
    ['cpu@0', 'cpu-map'],
  );
  assert.equal(VIRT_MAX_HARTS, 8);
});

for (const n of [2, 4, 8]) {
  test(`${n} harts: cpu@0..${n - 1}, cpu-map and CLINT/PLIC routing in QEMU virt's -smp ${n} order`, () => {
    const root = treeFor(n);
    const cpus = at(root, '/cpus');
    assert.deepEqual(
      (cpus.children ?? []).map((c) => c.name),
      [...Array.from({ length: n }, (_, h) => `cpu@${h}`), 'cpu-map'],
    );
    const seen = new Set<number>();
    for (let h = 0; h < n; h++) {
      const cpu = at(root, `/cpus/cpu@${h}`);
      // Same property order as QEMU's cpu nodes (phandle aside, which the writer places first).
      assert.deepEqual(
        (cpu.props ?? []).map((p) => p.name),
        ['device_type', 'reg', 'status', 'compatible', 'riscv,isa', 'mmu-type'],
      );
      assert.deepEqual(cellsOf(root, cpu, 'reg'), [h]);
      assert.deepEqual(strings(cpu, 'status'), ['okay']);
      const intc = at(root, intcPath(h));
      assert.deepEqual(strings(intc, 'compatible'), ['riscv,cpu-intc']);
      assert.deepEqual(
        (intc.props ?? []).map((p) => p.name),
        ['#interrupt-cells', 'interrupt-controller', 'compatible'],
      );
      // Every cpu and every interrupt controller has a phandle of its own.
      for (const ph of [cpu.phandle, intc.phandle]) {
        assert.ok(ph !== undefined && !seen.has(ph), `hart ${h}: phandle ${String(ph)} missing or reused`);
        seen.add(ph);
      }
    }
    assert.ok(!seen.has(VIRT_PHANDLE.plic) && !seen.has(VIRT_PHANDLE.test));
    const cluster = at(root, '/cpus/cpu-map/cluster0');
    assert.deepEqual(
      (cluster.children ?? []).map((c) => c.name),
      Array.from({ length: n }, (_, h) => `core${h}`),
    );
    const paths = phandlePaths(root);
    for (let h = 0; h < n; h++) {
      const [target] = cellsOf(root, at(root, `/cpus/cpu-map/cluster0/core${h}`), 'cpu');
      assert.equal(paths.get(target!), `/cpus/cpu@${h}`);
    }
    // CLINT: each hart's (MSIP 3, MTIP 7), in hart order.
    assert.deepEqual(
      irqPairs(root, '/soc/clint@2000000'),
      Array.from({ length: n }, (_, h) => [
        [intcPath(h), 3],
        [intcPath(h), 7],
      ]).flat(),
    );
    // PLIC: context 2h = hart h's M-mode external interrupt (11), 2h+1 = its S-mode one (9).
    const plic = irqPairs(root, '/soc/plic@c000000');
    assert.equal(plic.length, 2 * n);
    for (let ctx = 0; ctx < 2 * n; ctx++) {
      const h = ctx >> 1;
      assert.deepEqual(plic[ctx], [intcPath(h), ctx % 2 === 0 ? 11 : 9], `PLIC context ${ctx}`);
    }
    // Nothing else depends on the hart count.
    const single = treeFor(1);
    for (const path of ['/memory@80000000', '/chosen', '/soc/serial@10000000', '/soc/test@100000', '/poweroff', '/reboot']) {
      assert.deepEqual(at(root, path), at(single, path), path);
    }
    assert.deepEqual(cellsOf(root, at(root, '/soc/plic@c000000'), 'reg'), [0, 0xc00_0000, 0, 0x60_0000]);
    assert.deepEqual(cellsOf(root, at(root, '/soc/clint@2000000'), 'reg'), [0, 0x200_0000, 0, 0x1_0000]);
  });
}

test('4 harts: the routing QEMU 7.2 generates for -M virt -smp 4 (guest/reference/qemu-virt-rv64gc-256M-smp4.dts)', () => {
  // Transcribed from the reference with QEMU's phandles replaced by the nodes they name: QEMU numbers phandles
  // from the last cpu backwards (cpu@3 = 1, its intc = 2, ... cpu@0 = 7, intc = 8), Typevisor from cpu@0 forwards.
  const qemuPhandles = new Map<number, string>([
    [1, '/cpus/cpu@3'],
    [2, intcPath(3)],
    [3, '/cpus/cpu@2'],
    [4, intcPath(2)],
    [5, '/cpus/cpu@1'],
    [6, intcPath(1)],
    [7, '/cpus/cpu@0'],
    [8, intcPath(0)],
  ]);
  const q = (cellsList: number[]): Array<[string, number]> => {
    const out: Array<[string, number]> = [];
    for (let i = 0; i < cellsList.length; i += 2) out.push([qemuPhandles.get(cellsList[i]!)!, cellsList[i + 1]!]);
    return out;
  };
  const root = treeFor(4);
  assert.deepEqual(
    irqPairs(root, '/soc/clint@2000000'),
    q([8, 3, 8, 7, 6, 3, 6, 7, 4, 3, 4, 7, 2, 3, 2, 7]),
  );
  assert.deepEqual(
    irqPairs(root, '/soc/plic@c000000'),
    q([8, 11, 8, 9, 6, 11, 6, 9, 4, 11, 4, 9, 2, 11, 2, 9]),
  );
  const paths = phandlePaths(root);
  const cores = [7, 5, 3, 1].map((ph) => qemuPhandles.get(ph));
  assert.deepEqual(
    [0, 1, 2, 3].map((h) => paths.get(cellsOf(root, at(root, `/cpus/cpu-map/cluster0/core${h}`), 'cpu')[0]!)),
    cores,
  );
});
