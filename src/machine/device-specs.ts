/**
 * The --disk syntax, parsed without loading the devices themselves: checking a command line needs only this.
 */
import { DeviceSpecError } from './errors.js';

export interface DiskSpec {
  readonly path: string;
  readonly readOnly: boolean;
  /** Answer to the guest's GET_ID (/sys/block/vdX/serial). */
  readonly serial?: string;
}

/** Parses `path[,readonly][,serial=ID]`, the --disk syntax (close to QEMU's -drive). */
export function parseDiskSpec(text: string): DiskSpec {
  const parts = text.split(',');
  const path = parts[0] ?? '';
  if (path === '') throw new DeviceSpecError(`--disk ${text}: expected a file name first`);
  let readOnly = false;
  let serial: string | undefined;
  for (const p of parts.slice(1)) {
    if (p === 'readonly' || p === 'readonly=on' || p === 'ro') readOnly = true;
    else if (p === 'readonly=off') readOnly = false;
    else if (p.startsWith('serial=')) {
      serial = p.slice(7);
      if (!/^[\x20-\x7e]{1,20}$/.test(serial)) {
        throw new DeviceSpecError(`--disk ${text}: serial must be 1 to 20 printable ASCII characters`);
      }
    } else throw new DeviceSpecError(`--disk ${text}: unknown option '${p}' (expected readonly or serial=ID)`);
  }
  return { path, readOnly, ...(serial !== undefined ? { serial } : {}) };
}

