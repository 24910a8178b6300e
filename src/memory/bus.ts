import type { AccessSize, MmioDevice } from '../devices/mmio.js';
import type { GuestRam } from './ram.js';

interface Region {
  readonly base: number;
  readonly end: number;
  readonly device: MmioDevice;
}

/** Returned by `read` when no device or RAM answers at an address (the CPU raises an access fault). */
export const BUS_ERROR = -1;

/**
 * The system bus: guest-physical addresses to RAM or to memory-mapped devices. The CPU's fast paths go to RAM
 * directly through its software TLB; everything else (device registers, page-table walks, misaligned or
 * page-crossing accesses) comes through here.
 */
export class SystemBus {
  readonly ram: GuestRam;
  private regions: Region[] = [];
  /** Accesses that hit no device and no RAM. */
  unmappedAccesses = 0;

  constructor(ram: GuestRam) {
    this.ram = ram;
  }

  /**
   * Maps `device` at [base, base + size). Overlapping another device is a configuration error, and so is
   * overlapping RAM unless `overlayRam` says the device deliberately sits on top of it (the HTIF words inside a
   * bare-metal program): accesses there then reach the device, and the page never enters the CPU's TLB.
   */
  map(base: number, size: number, device: MmioDevice, options: { readonly overlayRam?: boolean } = {}): void {
    const end = base + size;
    if (!(size > 0) || base % 4 !== 0) throw new RangeError(`bad MMIO window for ${device.name}`);
    const ram = this.ram;
    if (base < ram.base + ram.size && end > ram.base && options.overlayRam !== true) {
      throw new RangeError(`MMIO window of ${device.name} overlaps RAM`);
    }
    for (const r of this.regions) {
      if (base < r.end && end > r.base) {
        throw new RangeError(`MMIO window of ${device.name} overlaps ${r.device.name}`);
      }
    }
    this.regions.push({ base, end, device });
    this.regions.sort((a, b) => a.base - b.base);
  }

  /** Every device window, by address. */
  windows(): { readonly base: number; readonly size: number; readonly name: string }[] {
    return this.regions.map((r) => ({ base: r.base, size: r.end - r.base, name: r.device.name }));
  }

  /** The device window containing [addr, addr + size), if any. */
  findDevice(addr: number, size: number): Region | undefined {
    for (const r of this.regions) {
      if (addr >= r.base && addr + size <= r.end) return r;
    }
    return undefined;
  }

  /** True when [addr, addr + size) is RAM with no device window on any part of it. */
  isRam(addr: number, size: number): boolean {
    if (!this.ram.contains(addr, size)) return false;
    for (const r of this.regions) {
      if (addr < r.end && addr + size > r.base) return false;
    }
    return true;
  }

  /** Reads an unsigned value of `size` bytes, or BUS_ERROR. */
  read(addr: number, size: AccessSize): number {
    const r = this.findDevice(addr, size);
    if (r !== undefined) return r.device.read(addr - r.base, size) >>> 0;
    const ram = this.ram;
    if (ram.contains(addr, size)) {
      const o = addr - ram.base;
      ram.ensure(o, size);
      const u8 = ram.u8;
      if (size === 1) return u8[o]!;
      if (size === 2) return u8[o]! | (u8[o + 1]! << 8);
      return (u8[o]! | (u8[o + 1]! << 8) | (u8[o + 2]! << 16) | (u8[o + 3]! << 24)) >>> 0;
    }
    this.unmappedAccesses++;
    return BUS_ERROR;
  }

  /** Writes `size` bytes; returns false when nothing answers at that address. */
  write(addr: number, size: AccessSize, value: number): boolean {
    const r = this.findDevice(addr, size);
    if (r !== undefined) {
      r.device.write(addr - r.base, size, size === 4 ? value >>> 0 : value & ((1 << (size * 8)) - 1));
      return true;
    }
    const ram = this.ram;
    if (ram.contains(addr, size)) {
      const o = addr - ram.base;
      ram.ensure(o, size);
      const u8 = ram.u8;
      u8[o] = value;
      if (size >= 2) u8[o + 1] = value >>> 8;
      if (size === 4) {
        u8[o + 2] = value >>> 16;
        u8[o + 3] = value >>> 24;
      }
      return true;
    }
    this.unmappedAccesses++;
    return false;
  }
}
