/**
 * Loading a guest into the machine's RAM and setting the boot hart's registers.
 *
 * Linux boot follows QEMU's virt board: the OpenSBI firmware (fw_dynamic) at the start of RAM, the kernel Image
 * at RAM + text_offset, the device tree and the initramfs at the top of RAM, and the boot hart entering the
 * firmware in M-mode with a0 = hart id, a1 = device tree, a2 = fw_dynamic_info telling OpenSBI to continue at
 * the kernel in S-mode. With the built-in SBI (sbi.ts) there is no firmware: the hart enters the kernel in S-mode
 * directly, where OpenSBI would have left it.
 *
 * Bare-metal boot loads an ELF and enters it in M-mode, with an HTIF device at its `tohost` symbol.
 */
import { randomBytes } from './entropy.js';
import { Htif } from '../devices/htif.js';
import { SATP_MODE_SV39, SATP_MODE_SV48 } from '../riscv/constants.js';
import { parseElf } from './elf.js';
import { BootError } from './errors.js';
import { parseKernelHeader, parseKernelImage } from './linux-image.js';
import { enterSupervisor, markStopped } from './sbi.js';
import type { Machine } from './machine.js';
import { generateVirtDtb } from './virt-dt.js';
import { VIRT } from './virt-layout.js';

/** The ISA the device tree advertises: what the hart implements. */
export const HART_ISA = 'rv64imafdc_zicsr_zifencei_sstc';

export { BootError } from './errors.js';

/**
 * A boot file that is not in memory: bootLinux places it by its size and first bytes, then has it read straight
 * into guest RAM (the command line reads the kernel and initramfs so, on libuv's thread pool, while the rest
 * of start-up goes on: no buffer of their own, no copy on the main thread).
 */
export interface FileImage {
  /** Its size in bytes. */
  readonly size: number;
  /** Its first bytes: KERNEL_HEADER_BYTES (linux-image.ts) of them, fewer only if the file is shorter. */
  readonly head: Uint8Array;
  /** Reads the whole file into `dest` (its `size` bytes of guest RAM); settles when they are all there. */
  readInto(dest: Uint8Array): Promise<void>;
}

/** A kernel or initramfs: its bytes, or a file bootLinux has read into RAM. */
export type BootImage = Uint8Array | FileImage;

export interface LinuxBoot {
  /** M-mode firmware (OpenSBI fw_dynamic), or 'builtin': the machine's own SBI (MachineOptions.sbi), no firmware. */
  readonly firmware: Uint8Array | 'builtin';
  /** A RISC-V Image (in memory, gzip-compressed or not; as a FileImage, uncompressed). */
  readonly kernel: BootImage;
  readonly initrd?: BootImage;
  readonly cmdline: string;
  readonly mmu?: 'sv39' | 'sv48';
}

/** Where things were placed, for messages and tests. */
export interface BootLayout {
  readonly kernelStart: number;
  readonly kernelEnd: number;
  readonly initrdStart?: number;
  readonly initrdEnd?: number;
  readonly dtb: number;
  /**
   * Settles when every FileImage is in RAM (at once when there is none); rejects with the first one's read error.
   * The machine must not run before.
   */
  readonly loaded: Promise<void>;
}

const sizeOf = (image: BootImage): number => (image instanceof Uint8Array ? image.length : image.size);
const headOf = (image: BootImage): Uint8Array => (image instanceof Uint8Array ? image : image.head);

const FW_DYNAMIC_INFO_MAGIC = 0x4942534f;
const FW_DYNAMIC_INFO_VERSION = 2;
const FW_DYNAMIC_INFO_NEXT_MODE_S = 1;
/** Free bytes left after the device tree for the firmware's fix-ups. */
const DTB_HEADROOM = 16384;

const alignDown = (v: number, a: number): number => v - (v % a);
const hex = (v: number): string => `0x${v.toString(16)}`;
const mib = (v: number): string => `${(v / 1048576).toFixed(1)} MiB`;

/** `rngSeed`: 32 fresh random bytes for /chosen/rng-seed (for Linux; bare-metal programs get none, as on Spike). */
function dtbFor(
  m: Machine,
  cmdline: string,
  mmu: 'sv39' | 'sv48',
  initrd?: { start: number; end: number },
  rngSeed = false,
): Uint8Array {
  return generateVirtDtb({
    harts: m.harts.length,
    ramBase: m.ram.base,
    ramSize: m.ram.size,
    isa: HART_ISA,
    mmuType: mmu === 'sv48' ? 'riscv,sv48' : 'riscv,sv39',
    bootargs: cmdline,
    timebaseFrequency: VIRT.timebaseFrequency,
    virtio: m.virtio.map((_t, slot) => slot),
    ...(rngSeed ? { rngSeed: randomBytes(32) } : {}),
    ...(initrd !== undefined ? { initrd } : {}),
  });
}

/** Compression formats and the cpio "newc" magic an initramfs can start with (Linux's decompressors). */
const INITRD_MAGICS: readonly (readonly number[])[] = [
  [0x1f, 0x8b], // gzip
  [0x42, 0x5a, 0x68], // bzip2
  [0x5d, 0x00, 0x00], // lzma
  [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], // xz
  [0x89, 0x4c, 0x5a, 0x4f], // lzo
  [0x02, 0x21, 0x4c, 0x18], // lz4 legacy
  [0x28, 0xb5, 0x2f, 0xfd], // zstd
  [0x30, 0x37, 0x30, 0x37, 0x30], // cpio "07070"
];

function checkFirmware(fw: Uint8Array): void {
  if (fw.length === 0) throw new BootError('firmware is empty');
  if (fw[0] === 0x7f && fw[1] === 0x45 && fw[2] === 0x4c && fw[3] === 0x46) {
    throw new BootError('firmware is an ELF file: give the raw binary (e.g. fw_dynamic.bin, not fw_dynamic.elf)');
  }
}

function checkInitrd(initrd: BootImage): void {
  if (sizeOf(initrd) === 0) throw new BootError('initrd is empty');
  const head = headOf(initrd);
  if (!INITRD_MAGICS.some((m) => m.every((b, i) => head[i] === b))) {
    throw new BootError('initrd is neither a cpio archive nor a compressed one (gzip, bzip2, lzma, xz, lzo, lz4, zstd)');
  }
}

/**
 * Loads firmware, kernel, initramfs and device tree, and points the harts at the firmware (M-mode), or with the
 * built-in SBI at the kernel (S-mode).
 */
export function bootLinux(m: Machine, boot: LinuxBoot): BootLayout {
  const firmware = boot.firmware === 'builtin' ? undefined : boot.firmware;
  // The built-in SBI answers ECALLs from S-mode in place of M-mode firmware: a machine has one or the other.
  if (firmware === undefined && !m.sbi) {
    throw new RangeError("booting with firmware 'builtin' needs a machine made with the built-in SBI (MachineOptions.sbi)");
  }
  if (firmware !== undefined && m.sbi) {
    throw new RangeError('a machine made with the built-in SBI (MachineOptions.sbi) boots no M-mode firmware');
  }
  if (firmware !== undefined) checkFirmware(firmware);
  if (boot.initrd !== undefined) checkInitrd(boot.initrd);
  const ram = m.ram;
  const ramEnd = ram.base + ram.size;
  const mmu = boot.mmu ?? 'sv39';
  const kernel = boot.kernel instanceof Uint8Array ? parseKernelImage(boot.kernel) : { data: boot.kernel, ...parseKernelHeader(boot.kernel.head, boot.kernel.size) };
  const kernelStart = ram.base + kernel.textOffset;
  if (firmware !== undefined && firmware.length > kernel.textOffset) {
    throw new BootError(`firmware is ${firmware.length} bytes and would overlap the kernel at ${hex(kernelStart)}`);
  }
  const kernelEnd = kernelStart + kernel.imageSize;
  // The device tree's size does not depend on the initrd addresses, so measure it first.
  const probe = dtbFor(m, boot.cmdline, mmu, boot.initrd ? { start: ram.base, end: ram.base + 1 } : undefined, true);
  // OpenSBI edits the device tree in place and grows it: leave room after it.
  const dtb = alignDown(ramEnd - probe.length - DTB_HEADROOM, 4096);
  const info = dtb - 4096;
  let initrd: { start: number; end: number } | undefined;
  let lowest = info;
  if (boot.initrd !== undefined) {
    const start = alignDown(info - sizeOf(boot.initrd), 4096);
    initrd = { start, end: start + sizeOf(boot.initrd) };
    lowest = start;
  }
  // Leave the kernel room for its early allocations (page tables, the boot stack) above its image.
  const needed = kernelEnd + 4 * 1048576;
  if (lowest < needed) {
    throw new BootError(
      `guest memory of ${mib(ram.size)} is too small: the kernel (${mib(kernel.imageSize)})` +
        (boot.initrd ? `, the initrd (${mib(sizeOf(boot.initrd))})` : '') +
        ` and the device tree need at least ${mib(ram.size + needed - lowest)}`,
    );
  }
  const reads: Promise<void>[] = [];
  const place = (addr: number, image: BootImage): void => {
    if (image instanceof Uint8Array) ram.load(addr, image);
    else reads.push(image.readInto(ram.loadTarget(addr, image.size)));
  };
  place(kernelStart, kernel.data);
  if (initrd !== undefined && boot.initrd !== undefined) place(initrd.start, boot.initrd);
  ram.load(dtb, dtbFor(m, boot.cmdline, mmu, initrd, true));
  const loaded = reads.length === 0 ? Promise.resolve() : Promise.all(reads).then(() => undefined);
  // Whoever runs the machine awaits it; a boot that fails after a read started must not leave it unhandled.
  loaded.catch(() => undefined);
  const layout = { kernelStart, kernelEnd, dtb, loaded, ...(initrd ? { initrdStart: initrd.start, initrdEnd: initrd.end } : {}) };
  if (firmware === undefined) {
    // Hart 0 enters the kernel; the others wait, stopped, for the kernel to start them (SBI HSM hart_start).
    for (const h of m.harts) {
      h.reset(kernelStart);
      h.maxSatpMode = mmu === 'sv48' ? SATP_MODE_SV48 : SATP_MODE_SV39;
      enterSupervisor(h, kernelStart, dtb);
      if (h.hartId !== 0) markStopped(h);
    }
    return layout;
  }
  ram.load(ram.base, firmware);
  const infoBytes = new Uint8Array(48);
  const dv = new DataView(infoBytes.buffer);
  dv.setBigUint64(0, BigInt(FW_DYNAMIC_INFO_MAGIC), true);
  dv.setBigUint64(8, BigInt(FW_DYNAMIC_INFO_VERSION), true);
  dv.setBigUint64(16, BigInt(kernelStart), true);
  dv.setBigUint64(24, BigInt(FW_DYNAMIC_INFO_NEXT_MODE_S), true);
  dv.setBigUint64(32, 0n, true); // options
  dv.setBigUint64(40, 0n, true); // boot_hart
  ram.load(info, infoBytes);
  // Every hart enters the firmware, as on QEMU virt: OpenSBI picks the boot hart and parks the others until
  // Linux starts them through SBI HSM.
  for (const h of m.harts) {
    h.reset(ram.base);
    h.maxSatpMode = mmu === 'sv48' ? SATP_MODE_SV48 : SATP_MODE_SV39;
    setReg(h.x, 10, h.hartId);
    setReg(h.x, 11, dtb);
    setReg(h.x, 12, info);
  }
  return layout;
}

function setReg(x: Int32Array, r: number, v: number): void {
  x[r * 2] = v | 0;
  x[r * 2 + 1] = Math.floor(v / 4294967296) | 0;
}

/** Loads a bare-metal ELF, maps HTIF at its tohost symbol, and enters it in M-mode. */
export function bootBareMetal(m: Machine, elf: Uint8Array): { entry: number; htif: boolean } {
  const image = parseElf(elf);
  const ram = m.ram;
  for (const s of image.segments) {
    if (!ram.contains(s.paddr, s.memSize)) {
      throw new BootError(
        `ELF segment at ${hex(s.paddr)} (${s.memSize} bytes) lies outside guest RAM ` +
          `${hex(ram.base)}..${hex(ram.base + ram.size)}`,
      );
    }
    ram.load(s.paddr, s.data);
  }
  if (!ram.contains(image.entry, 2) && m.bus.findDevice(image.entry, 2) === undefined) {
    throw new BootError(`ELF entry point ${hex(image.entry)} is not in guest RAM`);
  }
  const tohost = image.symbols.get('tohost');
  const fromhost = image.symbols.get('fromhost');
  let htif = false;
  if (tohost !== undefined && tohost % 8 === 0 && ram.contains(tohost, 16)) {
    const delta = fromhost !== undefined ? fromhost - tohost : 8;
    const fromhostOffset = delta >= 8 && delta <= 4088 && delta % 8 === 0 ? delta : 8;
    const device = new Htif({
      output: (b) => m.emit(b),
      onExit: (code) => m.stop({ kind: 'htif', code }),
      readGuest: (addr, length) => ram.view(addr, length),
      writeGuest: (addr, bytes) => {
        const v = ram.view(addr, bytes.length);
        if (v === undefined) return false;
        v.set(bytes);
        m.hart.decode.written(addr - ram.base, bytes.length);
        return true;
      },
      fromhostOffset,
    });
    m.bus.map(tohost, device.size, device, { overlayRam: true });
    htif = true;
  }
  const dtbBytes = dtbFor(m, '', 'sv39');
  const dtb = alignDown(ram.base + ram.size - dtbBytes.length - DTB_HEADROOM, 4096);
  const dtbFits = dtb > ram.base && !image.segments.some((s) => dtb < s.paddr + s.memSize && dtb + dtbBytes.length > s.paddr);
  if (dtbFits) ram.load(dtb, dtbBytes);
  // Every hart starts at the entry point with its id in a0, as on Spike.
  for (const h of m.harts) {
    h.reset(image.entry);
    setReg(h.x, 10, h.hartId);
    if (dtbFits) setReg(h.x, 11, dtb);
  }
  return { entry: image.entry, htif };
}
