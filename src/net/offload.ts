/**
 * Checksum offload help for the network device: a guest that negotiated VIRTIO_NET_F_CSUM sends TCP/UDP
 * packets whose checksum field holds only the pseudo-header sum, with `csum_start`/`csum_offset` in the
 * virtio-net header (flag NEEDS_CSUM). The user network verifies checksums, so the device completes them first.
 */
import { checksum, put16 } from './bytes.js';

/**
 * Completes a partial checksum in place: the one's-complement checksum of frame[csumStart..] is stored at
 * frame[csumStart + csumOffset]. Returns false (frame untouched) when the offsets fall outside the frame.
 */
export function completeChecksum(frame: Uint8Array, csumStart: number, csumOffset: number): boolean {
  if (!Number.isInteger(csumStart) || !Number.isInteger(csumOffset) || csumStart < 0 || csumOffset < 0) return false;
  const at = csumStart + csumOffset;
  if (at + 2 > frame.length || csumStart >= frame.length) return false;
  let c = checksum(frame, csumStart, frame.length);
  // UDP transmits a computed zero as all ones; for TCP both encodings verify the same.
  if (c === 0) c = 0xffff;
  put16(frame, at, c);
  return true;
}
