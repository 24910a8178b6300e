/**
 * Errors about what the user gave us (options, files, snapshots) are reported as one line with exit status 1;
 * anything else is a bug and keeps its stack.
 */
import { ElfError } from '../machine/elf.js';
import { BootError, DeviceSpecError, MachineStateError } from '../machine/errors.js';
import { KernelImageError } from '../machine/linux-image.js';
import { SnapshotError } from '../snapshot/errors.js';
import { VmConfigError } from './vm-config.js';

/** A problem with what the user asked for: reported as one line, exit status 1. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const KNOWN = [BootError, KernelImageError, ElfError, DeviceSpecError, UsageError, SnapshotError, VmConfigError, MachineStateError];

/** Turns the known kinds of input error into a UsageError; returns anything else unchanged. */
export function asUsageError(e: unknown): unknown {
  return KNOWN.some((k) => e instanceof k) ? new UsageError((e as Error).message) : e;
}
