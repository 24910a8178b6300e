/**
 * The RISC-V Linux kernel `Image` header (Documentation/riscv/boot-image-header.rst): where the kernel wants to
 * be loaded and how much memory it occupies. Accepts a gzip-compressed Image too, as the bundled one is.
 */
import { lazyZlib } from '../lib/lazy-zlib.js';

export interface KernelImage {
  readonly data: Uint8Array;
  /** Offset from the start of RAM at which the image must be placed. */
  readonly textOffset: number;
  /** Memory the kernel occupies from its load address (at least the file size). */
  readonly imageSize: number;
}

export class KernelImageError extends Error {
  override readonly name = 'KernelImageError';
}

const MAX_IMAGE = 512 * 1024 * 1024;
/** Output chunk for inflating: large, so a kernel inflates in one pass (the 16 KiB default costs a round trip
 * to the main thread per chunk, ~60 ms for a 5 MiB kernel). */
const INFLATE_CHUNK = 8 * 1024 * 1024;

export function isGzip(file: Uint8Array): boolean {
  return file.length >= 2 && file[0] === 0x1f && file[1] === 0x8b;
}

/** A plain Uint8Array over a Buffer's bytes, without copying them. */
function asBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function inflateError(e: unknown): KernelImageError {
  return new KernelImageError(`kernel is gzip-compressed but cannot be inflated: ${(e as Error).message}`);
}

/**
 * Inflates a gzip-compressed kernel on libuv's thread pool, so it overlaps other start-up work; anything else
 * is returned as it is.
 */
export function inflateKernel(file: Uint8Array): Promise<Uint8Array> {
  if (!isGzip(file)) return Promise.resolve(file);
  return new Promise((resolve, reject) => {
    // A view of zlib's output rather than a copy: copying the inflated kernel (4.7 MiB) cost 2 ms at start-up.
    lazyZlib().gunzip(file, { maxOutputLength: MAX_IMAGE, chunkSize: INFLATE_CHUNK }, (e, out) => (e ? reject(inflateError(e)) : resolve(asBytes(out))));
  });
}

/** Bytes of an Image's header: what parseKernelHeader reads. */
export const KERNEL_HEADER_BYTES = 64;

/**
 * Where an uncompressed Image of `size` bytes wants to be loaded and how much memory it occupies, from its
 * first bytes (`head`: KERNEL_HEADER_BYTES of them, fewer only if the file is shorter).
 */
export function parseKernelHeader(head: Uint8Array, size: number): { textOffset: number; imageSize: number } {
  if (size < KERNEL_HEADER_BYTES || head.length < KERNEL_HEADER_BYTES) {
    throw new KernelImageError(`kernel is ${size} bytes, too short for a RISC-V Image`);
  }
  const magic = String.fromCharCode(...head.subarray(48, 53));
  const magic2 = String.fromCharCode(...head.subarray(56, 60));
  if (magic !== 'RISCV' && magic2 !== 'RSC\x05') {
    throw new KernelImageError('kernel is not a RISC-V Linux Image (no "RISCV" magic in its header)');
  }
  const dv = new DataView(head.buffer, head.byteOffset, KERNEL_HEADER_BYTES);
  const textOffset = Number(dv.getBigUint64(8, true));
  const imageSize = Number(dv.getBigUint64(16, true));
  if (textOffset % 4096 !== 0 || textOffset > 64 * 1024 * 1024) {
    throw new KernelImageError(`kernel header has an implausible text_offset 0x${textOffset.toString(16)}`);
  }
  if (imageSize > MAX_IMAGE) throw new KernelImageError(`kernel header claims an image size of ${imageSize} bytes`);
  return { textOffset, imageSize: Math.max(imageSize, size) };
}

/** Parses (and if gzip-compressed, inflates) a RISC-V Linux Image. */
export function parseKernelImage(file: Uint8Array): KernelImage {
  let data = file;
  if (isGzip(file)) {
    try {
      data = asBytes(lazyZlib().gunzipSync(file, { maxOutputLength: MAX_IMAGE, chunkSize: INFLATE_CHUNK }));
    } catch (e) {
      throw inflateError(e);
    }
  }
  return { data, ...parseKernelHeader(data, data.length) };
}
