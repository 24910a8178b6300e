import { fileURLToPath } from 'node:url';

/** The guest images shipped in the package (built by guest/build-all.sh). */
const imagesDir = new URL('../../guest/images/', import.meta.url);

export const BUNDLED = {
  kernel: fileURLToPath(new URL('Image.gz', imagesDir)),
  initrd: fileURLToPath(new URL('initramfs.cpio', imagesDir)),
  firmware: fileURLToPath(new URL('fw_dynamic.bin', imagesDir)),
} as const;

/** The `typevisor` executable, for re-running the CLI. */
export const TYPEVISOR_BIN_PATH = fileURLToPath(new URL('../../bin/typevisor.cjs', import.meta.url));

export const DEFAULT_CMDLINE = 'console=ttyS0';
/** With --console virtio: the virtio console is the guest's hvc0. */
export const VIRTIO_CONSOLE_CMDLINE = 'console=hvc0';
export const DEFAULT_MEMORY = '256M';
