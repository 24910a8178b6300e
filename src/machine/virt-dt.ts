/**
 * The device tree of Typevisor's `virt` machine, shaped like the one QEMU's riscv `virt` board generates
 * (hw/riscv/virt.c; compare `qemu-system-riscv64 -M virt,dumpdtb=virt.dtb`) so that OpenSBI's generic platform
 * (which finds the CLINT, PLIC, UART, test device and harts here) and Linux 6.1 boot on it unmodified.
 *
 * Only the devices Typevisor implements are described: no PCIe, flash, fw-cfg, RTC or PMU nodes, and virtio-mmio
 * nodes only for the slots in use. Phandles are fixed numbers (see VIRT_PHANDLE) rather than QEMU's
 * allocation order.
 */
import { VIRT } from './virt-layout.js';
import {
  bytes,
  empty,
  node,
  prop,
  ref,
  str,
  strs,
  u32,
  u64,
  writeFdt,
  type FdtCell,
  type FdtNode,
  type FdtWriteOptions,
} from './fdt.js';

/**
 * Most harts the virt device tree describes. QEMU's virt board allows up to 512 (VIRT_CPUS_MAX), in sockets of
 * their own CLINT and PLIC; Typevisor's machine is one socket of 1..8 harts (`--cpus`), which is also the bundled
 * kernel's CONFIG_NR_CPUS: harts beyond that would be described but never brought online.
 */
export const VIRT_MAX_HARTS = 8;

/** UART input clock, as on QEMU virt (the 8250 driver derives the divisor from it). */
export const VIRT_UART_CLOCK = 3_686_400;

/** RISC-V local interrupt numbers used in interrupts-extended. */
export const RV_IRQ = { mSoft: 3, mTimer: 7, sExt: 9, mExt: 11 } as const;

/** The phandles of the generated tree. Hart h's cpu node is cpu(h), its interrupt controller intc(h). */
export const VIRT_PHANDLE = {
  plic: 1,
  test: 2,
  cpu: (hart: number): number => 3 + 2 * hart,
  intc: (hart: number): number => 4 + 2 * hart,
} as const;

export interface VirtDtConfig {
  /**
   * Number of harts, 1..VIRT_MAX_HARTS (default 1), with hart ids 0..harts-1. Described as QEMU virt does for
   * `-smp N` (one socket): a cpu@i node per hart with its own riscv,cpu-intc, cpu-map/cluster0/core0..N-1, and the
   * CLINT and PLIC wired to every hart's interrupt controller, PLIC context 2i = hart i M-mode, 2i+1 = S-mode.
   */
  readonly harts?: number;
  readonly ramBase: number;
  readonly ramSize: number;
  /** The riscv,isa string, e.g. "rv64imafdc_zicsr_zifencei". */
  readonly isa: string;
  readonly mmuType: 'riscv,sv39' | 'riscv,sv48';
  /** Kernel command line (omitted from /chosen when empty). */
  readonly bootargs: string;
  /** Initial ramdisk [start, end) in guest-physical memory. */
  readonly initrd?: { readonly start: number; readonly end: number };
  /** virtio-mmio slots present (0 .. VIRT.virtioSlots-1). */
  readonly virtio?: readonly number[];
  readonly timebaseFrequency: number;
  /**
   * Random bytes for /chosen/rng-seed, as QEMU's virt board gives (32 of them). Linux mixes them into its entropy
   * pool at boot, and credits them (its CRNG is ready at once) when it trusts the boot loader: without that, every
   * random number the kernel takes before its CRNG is ready costs a full extraction from the pool (~10 M
   * instructions of a boot, ~10%, mostly for the inodes of the initramfs).
   */
  readonly rngSeed?: Uint8Array;
}

const hex = (n: number): string => n.toString(16);

function configError(msg: string): never {
  throw new Error(`virt device tree: ${msg}`);
}

function checkConfig(c: VirtDtConfig): void {
  if (typeof c !== 'object' || c === null) configError('config must be an object');
  if (c.harts !== undefined && (!Number.isInteger(c.harts) || c.harts < 1 || c.harts > VIRT_MAX_HARTS)) {
    configError(`harts must be an integer in 1..${VIRT_MAX_HARTS}, got ${String(c.harts)}`);
  }
  if (!Number.isSafeInteger(c.ramBase) || c.ramBase < 0 || c.ramBase % 4096 !== 0) {
    configError(`ramBase must be a 4 KiB-aligned address, got ${String(c.ramBase)}`);
  }
  if (!Number.isSafeInteger(c.ramSize) || c.ramSize <= 0 || c.ramSize % 4096 !== 0) {
    configError(`ramSize must be a positive multiple of 4 KiB, got ${String(c.ramSize)}`);
  }
  if (typeof c.isa !== 'string' || !/^rv(32|64)[a-z][a-z0-9_]*$/.test(c.isa)) {
    configError(`isa must be a lower-case ISA string such as "rv64imafdc_zicsr_zifencei", got ${JSON.stringify(c.isa)}`);
  }
  if (c.mmuType !== 'riscv,sv39' && c.mmuType !== 'riscv,sv48') {
    configError(`mmuType must be "riscv,sv39" or "riscv,sv48", got ${JSON.stringify(c.mmuType)}`);
  }
  if (typeof c.bootargs !== 'string' || c.bootargs.includes('\0')) configError('bootargs must be a string without NUL');
  if (c.initrd !== undefined) {
    const { start, end } = c.initrd;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      configError(`initrd must satisfy 0 <= start <= end, got ${String(start)}..${String(end)}`);
    }
    if (start < c.ramBase || end > c.ramBase + c.ramSize) configError('initrd must lie inside RAM');
  }
  if (c.virtio !== undefined) {
    const seen = new Set<number>();
    for (const s of c.virtio) {
      if (!Number.isInteger(s) || s < 0 || s >= VIRT.virtioSlots) {
        configError(`virtio slot ${String(s)} is not in 0..${VIRT.virtioSlots - 1}`);
      }
      if (seen.has(s)) configError(`virtio slot ${s} is listed twice`);
      seen.add(s);
    }
  }
  if (!Number.isInteger(c.timebaseFrequency) || c.timebaseFrequency < 1 || c.timebaseFrequency > 0xffff_ffff) {
    configError(`timebaseFrequency must be an integer in 1..0xffffffff, got ${String(c.timebaseFrequency)}`);
  }
}

const cpuLabel = (h: number): string => `cpu${h}`;
const intcLabel = (h: number): string => `cpu${h}_intc`;

/** A <address size> pair with #address-cells = #size-cells = 2. */
const reg2 = (base: number, size: number) => u64(base, size);

/** The path of the UART node (stdout-path). */
export const VIRT_UART_PATH = `/soc/serial@${hex(VIRT.uartBase)}`;

/** Builds the device tree of the virt machine as a plain tree (see fdt.ts). */
export function buildVirtTree(config: VirtDtConfig): FdtNode {
  checkConfig(config);
  const harts = config.harts ?? 1;

  const cpus: FdtNode[] = [];
  for (let h = 0; h < harts; h++) {
    cpus.push(
      node(
        `cpu@${hex(h)}`,
        [
          prop('device_type', str('cpu')),
          prop('reg', u32(h)),
          prop('status', str('okay')),
          prop('compatible', str('riscv')),
          prop('riscv,isa', str(config.isa)),
          prop('mmu-type', str(config.mmuType)),
        ],
        [
          node(
            'interrupt-controller',
            [
              prop('#interrupt-cells', u32(1)),
              prop('interrupt-controller', empty()),
              prop('compatible', str('riscv,cpu-intc')),
            ],
            [],
            { label: intcLabel(h), phandle: VIRT_PHANDLE.intc(h) },
          ),
        ],
        { label: cpuLabel(h), phandle: VIRT_PHANDLE.cpu(h) },
      ),
    );
  }
  const cores: FdtNode[] = [];
  for (let h = 0; h < harts; h++) cores.push(node(`core${h}`, [prop('cpu', u32(ref(cpuLabel(h))))]));
  cpus.push(node('cpu-map', [], [node('cluster0', [], cores)]));

  const clintIrqs: FdtCell[] = [];
  const plicIrqs: FdtCell[] = [];
  for (let h = 0; h < harts; h++) {
    clintIrqs.push(ref(intcLabel(h)), RV_IRQ.mSoft, ref(intcLabel(h)), RV_IRQ.mTimer);
    plicIrqs.push(ref(intcLabel(h)), RV_IRQ.mExt, ref(intcLabel(h)), RV_IRQ.sExt);
  }

  const soc: FdtNode[] = [
    node(`clint@${hex(VIRT.clintBase)}`, [
      prop('compatible', strs('sifive,clint0', 'riscv,clint0')),
      prop('reg', reg2(VIRT.clintBase, VIRT.clintSize)),
      prop('interrupts-extended', u32(...clintIrqs)),
    ]),
    node(
      `plic@${hex(VIRT.plicBase)}`,
      [
        prop('#interrupt-cells', u32(1)),
        prop('#address-cells', u32(0)),
        prop('compatible', strs('sifive,plic-1.0.0', 'riscv,plic0')),
        prop('interrupt-controller', empty()),
        prop('interrupts-extended', u32(...plicIrqs)),
        prop('reg', reg2(VIRT.plicBase, VIRT.plicSize)),
        prop('riscv,ndev', u32(VIRT.plicSources)),
      ],
      [],
      { label: 'plic', phandle: VIRT_PHANDLE.plic },
    ),
    node(`serial@${hex(VIRT.uartBase)}`, [
      prop('compatible', str('ns16550a')),
      prop('reg', reg2(VIRT.uartBase, VIRT.uartSize)),
      prop('clock-frequency', u32(VIRT_UART_CLOCK)),
      prop('interrupts', u32(VIRT.uartIrq)),
      prop('interrupt-parent', u32(ref('plic'))),
    ]),
    node(
      `test@${hex(VIRT.testBase)}`,
      [
        prop('compatible', strs('sifive,test1', 'sifive,test0', 'syscon')),
        prop('reg', reg2(VIRT.testBase, VIRT.testSize)),
      ],
      [],
      { label: 'test', phandle: VIRT_PHANDLE.test },
    ),
  ];
  const slots = [...(config.virtio ?? [])].sort((a, b) => a - b);
  for (const s of slots) {
    const base = VIRT.virtioBase + s * VIRT.virtioStride;
    soc.push(
      node(`virtio_mmio@${hex(base)}`, [
        prop('compatible', str('virtio,mmio')),
        prop('reg', reg2(base, VIRT.virtioStride)),
        prop('interrupts', u32(VIRT.virtioIrqBase + s)),
        prop('interrupt-parent', u32(ref('plic'))),
      ]),
    );
  }

  const chosen = [];
  if (config.bootargs !== '') chosen.push(prop('bootargs', str(config.bootargs)));
  if (config.rngSeed !== undefined) chosen.push(prop('rng-seed', bytes(config.rngSeed)));
  chosen.push(prop('stdout-path', str(VIRT_UART_PATH)));
  if (config.initrd !== undefined) {
    chosen.push(prop('linux,initrd-start', u64(config.initrd.start)));
    chosen.push(prop('linux,initrd-end', u64(config.initrd.end)));
  }

  return node(
    '',
    [
      prop('#address-cells', u32(2)),
      prop('#size-cells', u32(2)),
      prop('compatible', str('riscv-virtio')),
      prop('model', str('riscv-virtio,typevisor')),
    ],
    [
      node('chosen', chosen),
      node(
        'cpus',
        [
          prop('#address-cells', u32(1)),
          prop('#size-cells', u32(0)),
          prop('timebase-frequency', u32(config.timebaseFrequency)),
        ],
        cpus,
      ),
      node(`memory@${hex(config.ramBase)}`, [
        prop('device_type', str('memory')),
        prop('reg', reg2(config.ramBase, config.ramSize)),
      ]),
      node(
        'soc',
        [
          prop('#address-cells', u32(2)),
          prop('#size-cells', u32(2)),
          prop('compatible', str('simple-bus')),
          prop('ranges', empty()),
        ],
        soc,
      ),
      node('poweroff', [
        prop('compatible', str('syscon-poweroff')),
        prop('regmap', u32(ref('test'))),
        prop('offset', u32(0)),
        prop('value', u32(0x5555)),
      ]),
      node('reboot', [
        prop('compatible', str('syscon-reboot')),
        prop('regmap', u32(ref('test'))),
        prop('offset', u32(0)),
        prop('value', u32(0x7777)),
      ]),
    ],
  );
}

/** Generates the virt machine's DTB. `options` passes through to writeFdt (e.g. extraSpace for firmware edits). */
export function generateVirtDtb(config: VirtDtConfig, options: FdtWriteOptions = {}): Uint8Array {
  return writeFdt(buildVirtTree(config), options);
}
