/**
 * What a VM is made of, as the `run` command resolved it: boot files, memory, devices. A snapshot stores it (the
 * "vm" section) so `restore` can rebuild the same machine, and with it each disk's identity at snapshot time so
 * a restore against a disk that changed since is refused (the guest's page cache would no longer match it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DiskSpec } from '../machine/devices.js';

export const VM_CONFIG_FORMAT = 'typevisor-vm';
export const VM_CONFIG_VERSION = 1;

export interface VmConfig {
  /** Absolute paths; initrd and firmware may be 'none', firmware 'builtin' (the machine's own SBI). */
  readonly kernel: string;
  readonly initrd: string;
  readonly firmware: string;
  readonly append: string;
  readonly mmu: 'sv39' | 'sv48';
  readonly memBytes: number;
  /** Harts (vCPUs), 1..8. */
  readonly cpus: number;
  readonly console: 'uart' | 'virtio';
  readonly rng: boolean;
  readonly disks: readonly DiskSpec[];
  readonly nets: readonly string[];
}

/** A disk image as it was when the snapshot was taken (after its data was flushed). */
export interface DiskIdentity {
  readonly path: string;
  readonly size: number;
  readonly dev: string;
  readonly ino: string;
  readonly mtimeNs: string;
}

export class VmConfigError extends Error {
  override readonly name = 'VmConfigError';
}

export function absolute(p: string): string {
  return p === 'none' || p === 'builtin' ? p : path.resolve(p);
}

export function diskIdentity(file: string): DiskIdentity {
  const st = fs.statSync(file, { bigint: true });
  return { path: file, size: Number(st.size), dev: st.dev.toString(), ino: st.ino.toString(), mtimeNs: st.mtimeNs.toString() };
}

/** Problems (one sentence each) with the disks now compared with their identities at snapshot time. */
export function diskChanges(saved: readonly DiskIdentity[]): string[] {
  const problems: string[] = [];
  for (const d of saved) {
    let now: DiskIdentity;
    try {
      now = diskIdentity(d.path);
    } catch (e) {
      problems.push(`disk '${d.path}' cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      continue;
    }
    if (now.dev !== d.dev || now.ino !== d.ino) problems.push(`disk '${d.path}' is a different file than at the snapshot`);
    else if (now.size !== d.size) problems.push(`disk '${d.path}' is ${now.size} bytes, ${d.size} at the snapshot`);
    else if (now.mtimeNs !== d.mtimeNs) problems.push(`disk '${d.path}' was modified after the snapshot was taken`);
  }
  return problems;
}

export function vmConfigRecord(cfg: VmConfig, disks: readonly DiskIdentity[]): unknown {
  return { format: VM_CONFIG_FORMAT, version: VM_CONFIG_VERSION, ...cfg, diskIdentity: disks };
}

function str(rec: Record<string, unknown>, field: string, max = 4096): string {
  const v = rec[field];
  if (typeof v !== 'string' || v.length > max) throw new VmConfigError(`section 'vm': ${field} must be a string of at most ${max} characters`);
  return v;
}

/** An absolute path without NUL (or 'none' where allowed): what `run` stored, never something relative. */
function filePath(rec: Record<string, unknown>, field: string, allowNone = false): string {
  const v = str(rec, field);
  if (allowNone && v === 'none') return v;
  if (!path.isAbsolute(v) || v.includes('\0')) throw new VmConfigError(`section 'vm': ${field} must be an absolute path`);
  return v;
}

function decimal(rec: Record<string, unknown>, field: string): string {
  const v = rec[field];
  if (typeof v !== 'string' || !/^\d{1,30}$/.test(v)) throw new VmConfigError(`section 'vm': ${field} must be a decimal string`);
  return v;
}

function list(rec: Record<string, unknown>, field: string, max: number): unknown[] {
  const v = rec[field];
  if (!Array.isArray(v) || v.length > max) throw new VmConfigError(`section 'vm': ${field} must be a list of at most ${max}`);
  return v;
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new VmConfigError(`section 'vm': ${what} must be an object`);
  return v as Record<string, unknown>;
}

/** Validates a "vm" section (untrusted input). */
export function parseVmConfigRecord(value: unknown): { config: VmConfig; disks: DiskIdentity[] } {
  const rec = obj(value, 'the section');
  if (rec['format'] !== VM_CONFIG_FORMAT) throw new VmConfigError(`section 'vm': format must be '${VM_CONFIG_FORMAT}'`);
  if (rec['version'] !== VM_CONFIG_VERSION) {
    throw new VmConfigError(`section 'vm': version ${String(rec['version'])} is not supported (this Typevisor reads ${VM_CONFIG_VERSION})`);
  }
  const mmu = rec['mmu'];
  if (mmu !== 'sv39' && mmu !== 'sv48') throw new VmConfigError("section 'vm': mmu must be sv39 or sv48");
  const consoleKind = rec['console'];
  if (consoleKind !== 'uart' && consoleKind !== 'virtio') throw new VmConfigError("section 'vm': console must be uart or virtio");
  const memBytes = rec['memBytes'];
  if (typeof memBytes !== 'number' || !Number.isSafeInteger(memBytes) || memBytes < 4096 || memBytes % 4096 !== 0 || memBytes > 2 ** 31) {
    throw new VmConfigError("section 'vm': memBytes must be a multiple of 4096 up to 2 GiB");
  }
  // Absent in snapshots taken before --cpus existed: those machines had one hart.
  const cpus = rec['cpus'] ?? 1;
  if (typeof cpus !== 'number' || !Number.isInteger(cpus) || cpus < 1 || cpus > 8) throw new VmConfigError("section 'vm': cpus must be an integer in 1..8");
  const rng = rec['rng'];
  if (typeof rng !== 'boolean') throw new VmConfigError("section 'vm': rng must be a boolean");
  const disks = list(rec, 'disks', 8).map((d, i): DiskSpec => {
    const r = obj(d, `disks[${i}]`);
    const readOnly = r['readOnly'];
    if (typeof readOnly !== 'boolean') throw new VmConfigError(`section 'vm': disks[${i}].readOnly must be a boolean`);
    const serial = r['serial'];
    if (serial !== undefined && (typeof serial !== 'string' || !/^[\x20-\x7e]{1,20}$/.test(serial))) {
      throw new VmConfigError(`section 'vm': disks[${i}].serial must be 1 to 20 printable ASCII characters`);
    }
    return { path: filePath(r, 'path'), readOnly, ...(serial !== undefined ? { serial } : {}) };
  });
  const nets = list(rec, 'nets', 8).map((n, i) => {
    if (typeof n !== 'string' || n.length > 4096) throw new VmConfigError(`section 'vm': nets[${i}] must be a string`);
    return n;
  });
  const identities = list(rec, 'diskIdentity', 8).map((d, i): DiskIdentity => {
    const r = obj(d, `diskIdentity[${i}]`);
    const size = r['size'];
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new VmConfigError(`section 'vm': diskIdentity[${i}].size must be a byte count`);
    return { path: str(r, 'path'), size, dev: decimal(r, 'dev'), ino: decimal(r, 'ino'), mtimeNs: decimal(r, 'mtimeNs') };
  });
  if (identities.length !== disks.length || identities.some((d, i) => d.path !== disks[i]!.path)) {
    throw new VmConfigError("section 'vm': diskIdentity must list the disks in order");
  }
  const config: VmConfig = {
    kernel: filePath(rec, 'kernel'),
    initrd: filePath(rec, 'initrd', true),
    firmware: rec['firmware'] === 'builtin' ? 'builtin' : filePath(rec, 'firmware', true),
    append: str(rec, 'append', 1023),
    mmu,
    memBytes,
    cpus,
    console: consoleKind,
    rng,
    disks,
    nets,
  };
  return { config, disks: identities };
}
