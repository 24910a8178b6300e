import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The guest images shipped in the package (built by guest/build-all.sh). */
const imagesDir = new URL('../../guest/images/', import.meta.url);

/**
 * `inflated` (the build's copy of the kernel `gz` inflated, tools/bundle.mjs) if it is there and no older than
 * `gz`, else `gz`: a boot then does not inflate the kernel (~25 ms on the thread pool, ~15 of them waited for).
 * A kernel built again after the build is newer, and is used as it is.
 */
export function kernelPath(gz: string, inflated: string): string {
  try {
    if (statSync(inflated).mtimeMs >= statSync(gz).mtimeMs) return inflated;
  } catch {
    // No inflated copy (or no gz): the gz.
  }
  return gz;
}

/** The bundled kernel, and where the build writes it inflated (dist/bundle/, two directories below the repository). */
export const BUNDLED_KERNEL = {
  gz: fileURLToPath(new URL('Image.gz', imagesDir)),
  inflated: fileURLToPath(new URL('../../dist/bundle/Image', import.meta.url)),
} as const;

export const BUNDLED = {
  kernel: kernelPath(BUNDLED_KERNEL.gz, BUNDLED_KERNEL.inflated),
  initrd: fileURLToPath(new URL('initramfs.cpio', imagesDir)),
  firmware: fileURLToPath(new URL('fw_dynamic.bin', imagesDir)),
} as const;

/** The `typevisor` executable, for re-running the CLI. */
export const TYPEVISOR_BIN_PATH = fileURLToPath(new URL('../../bin/typevisor.cjs', import.meta.url));

export const DEFAULT_CMDLINE = 'console=ttyS0';
/** With --console virtio: the virtio console is the guest's hvc0. */
export const VIRTIO_CONSOLE_CMDLINE = 'console=hvc0';
export const DEFAULT_MEMORY = '256M';
