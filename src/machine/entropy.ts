/**
 * Random bytes from the host for a machine: the device tree's rng-seed and virtio-rng's entropy.
 *
 * Read from /dev/urandom (the kernel's CSPRNG, where node:crypto's generator is seeded from too) where there is
 * one: loading node:crypto cost 6-12 ms of every start of `typevisor run` (measured in the bundle, 2026-11-26), on
 * the path to the first guest instruction. Elsewhere node:crypto is loaded on first use.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The open /dev/urandom, undefined before the first use, null where there is none. */
let urandom: number | null | undefined;

function openUrandom(): number | null {
  try {
    return openSync('/dev/urandom', 'r');
  } catch {
    return null;
  }
}

/** Fills `bytes` with random bytes from /dev/urandom, or node:crypto where there is none. */
export function fillRandom(bytes: Uint8Array): void {
  if (urandom === undefined) urandom = openUrandom();
  if (urandom !== null) {
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(urandom, bytes, done, bytes.length - done, null);
      if (n <= 0) break;
      done += n;
    }
    if (done === bytes.length) return;
    // A short read (not expected of /dev/urandom): node:crypto from now on.
    closeSync(urandom);
    urandom = null;
  }
  const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  crypto.randomFillSync(bytes);
}

/** `length` random bytes. */
export function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  fillRandom(bytes);
  return bytes;
}
