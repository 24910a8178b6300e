/**
 * A machine's complete device and CPU state as snapshot sections (plain JSON records, one per part), and the
 * restore of those sections into a freshly built machine with the same devices attached. RAM is not here: it
 * goes to its own file (src/snapshot/ram-file.ts).
 *
 * Sections: "machine" (layout, device list, clock), "hart.<id>" for each hart, "clint", "plic", "uart", "virtio.<slot>" and
 * "console" (host input queued for the guest). Restore treats them as untrusted: each part validates its record
 * before it changes anything, and the machine-level record is checked against the machine it is restored into.
 */
import { restoreHartState, saveHartState } from '../riscv/hart-state.js';
import { MachineStateError } from './errors.js';
import { CONSOLE_BREAK, type Machine } from './machine.js';
import { VIRT } from './virt-layout.js';

export const MACHINE_STATE_FORMAT = 'typevisor-machine';
export const MACHINE_STATE_VERSION = 1;

/** How the guest's clock continues after a restore. */
export type RestoreClock =
  /** From where it stood at the snapshot: no jump (the default; the guest sees no time pass). */
  | 'continue'
  /** Forward by the wall-clock time since the snapshot, so guest time matches the host's again. */
  | 'catch-up';

export interface MachineRecord {
  readonly format: typeof MACHINE_STATE_FORMAT;
  readonly version: typeof MACHINE_STATE_VERSION;
  readonly memBytes: number;
  readonly harts: number;
  /** The virtio device in each slot, by name (virtio-blk, virtio-net, ...). */
  readonly virtio: readonly string[];
  /** Host wall-clock time of the snapshot (ms since the epoch), for clock catch-up. */
  readonly savedAtMs: number;
}

export { MachineStateError } from './errors.js';

/** Captures every part of the machine except RAM. Call it while the machine is paused (or not yet running). */
export function captureMachineState(m: Machine): Map<string, unknown> {
  m.flushOutput();
  const record: MachineRecord = {
    format: MACHINE_STATE_FORMAT,
    version: MACHINE_STATE_VERSION,
    memBytes: m.ram.size,
    harts: m.harts.length,
    virtio: m.virtio.map((t) => t.device.name),
    savedAtMs: Date.now(),
  };
  const sections = new Map<string, unknown>();
  sections.set('machine', record);
  for (const h of m.harts) sections.set(`hart.${h.hartId}`, saveHartState(h));
  sections.set('clint', m.clint.saveState());
  sections.set('plic', m.plic.saveState());
  sections.set('uart', m.uart.saveState());
  m.virtio.forEach((t, slot) => sections.set(`virtio.${slot}`, t.saveState()));
  sections.set('console', { pendingInput: m.pendingInput() });
  return sections;
}

function get(sections: ReadonlyMap<string, unknown>, name: string): unknown {
  if (!sections.has(name)) throw new MachineStateError(`snapshot has no '${name}' section`);
  return sections.get(name);
}

function asRecord(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MachineStateError(`${what}: must be an object`);
  return v as Record<string, unknown>;
}

/** Validates the "machine" section against machine `m`. */
export function checkMachineRecord(m: Machine, value: unknown): MachineRecord {
  const rec = asRecord(value, "section 'machine'");
  if (rec['format'] !== MACHINE_STATE_FORMAT) throw new MachineStateError(`section 'machine': format must be '${MACHINE_STATE_FORMAT}'`);
  if (rec['version'] !== MACHINE_STATE_VERSION) {
    throw new MachineStateError(`section 'machine': version ${String(rec['version'])} is not supported (this Typevisor reads ${MACHINE_STATE_VERSION})`);
  }
  if (rec['memBytes'] !== m.ram.size) {
    throw new MachineStateError(`section 'machine': memBytes ${String(rec['memBytes'])} does not match the machine's ${m.ram.size}`);
  }
  if (rec['harts'] !== m.harts.length) {
    throw new MachineStateError(`section 'machine': harts ${String(rec['harts'])} does not match the machine's ${m.harts.length}`);
  }
  const virtio = rec['virtio'];
  if (!Array.isArray(virtio) || virtio.length > VIRT.virtioSlots || !virtio.every((n) => typeof n === 'string')) {
    throw new MachineStateError(`section 'machine': virtio must be a list of at most ${VIRT.virtioSlots} device names`);
  }
  const have = m.virtio.map((t) => t.device.name);
  if (virtio.length !== have.length || virtio.some((n, i) => n !== have[i])) {
    throw new MachineStateError(
      `section 'machine': the snapshot's virtio devices [${virtio.join(', ')}] differ from the machine's [${have.join(', ')}]`,
    );
  }
  const savedAtMs = rec['savedAtMs'];
  if (typeof savedAtMs !== 'number' || !Number.isSafeInteger(savedAtMs) || savedAtMs < 0) {
    throw new MachineStateError("section 'machine': savedAtMs must be a non-negative integer");
  }
  return rec as unknown as MachineRecord;
}

/** Adds `ticks` to a CLINT record's mtime (64-bit, as two 32-bit halves). */
function advanceMtime(clint: unknown, ticks: number): unknown {
  const rec = asRecord(clint, "section 'clint'");
  const lo = rec['mtimeLo'];
  const hi = rec['mtimeHi'];
  if (typeof lo !== 'number' || typeof hi !== 'number') return clint; // the CLINT's own check reports it
  const t = (BigInt(hi >>> 0) << 32n) + BigInt(lo >>> 0) + BigInt(Math.max(0, Math.floor(ticks)));
  return { ...rec, mtimeLo: Number(t & 0xffff_ffffn), mtimeHi: Number((t >> 32n) & 0xffff_ffffn) };
}

/**
 * Restores sections into `m`, a machine built with the same memory size and virtio devices, whose RAM is (or
 * is being lazily) restored separately. Throws MachineStateError or the part's own error on a bad record; the
 * machine must then be discarded.
 */
export function restoreMachineState(m: Machine, sections: ReadonlyMap<string, unknown>, clock: RestoreClock = 'continue'): MachineRecord {
  const record = checkMachineRecord(m, get(sections, 'machine'));
  const part = (name: string, restore: (v: unknown) => void): void => {
    try {
      restore(get(sections, name));
    } catch (e) {
      if (e instanceof MachineStateError) throw e;
      // The parts report bad records with plain Errors (or HartStateError); a TypeError or RangeError is a bug.
      if (e instanceof Error && (e.constructor === Error || e.name === 'HartStateError')) {
        throw new MachineStateError(`section '${name}': ${e.message}`);
      }
      throw e;
    }
  };
  for (const h of m.harts) part(`hart.${h.hartId}`, (v) => restoreHartState(h, v));
  const elapsedMs = clock === 'catch-up' ? Math.max(0, Date.now() - record.savedAtMs) : 0;
  part('clint', (v) => m.clint.restoreState(advanceMtime(v, (elapsedMs * VIRT.timebaseFrequency) / 1000)));
  part('plic', (v) => m.plic.restoreState(v));
  part('uart', (v) => m.uart.restoreState(v));
  m.virtio.forEach((t, slot) => part(`virtio.${slot}`, (v) => t.restoreState(v)));
  part('console', (v) => {
    const items = asRecord(v, "section 'console'")['pendingInput'];
    if (!Array.isArray(items) || items.length > 1_048_576 || !items.every((b) => Number.isInteger(b) && b >= 0 && b <= CONSOLE_BREAK)) {
      throw new MachineStateError(`section 'console': pendingInput must be a list of at most 1 MiB of bytes (or ${CONSOLE_BREAK} for a break)`);
    }
    m.setPendingInput(items as number[]);
  });
  return record;
}
