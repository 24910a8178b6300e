/** Snapshot building blocks: the container format, the sparse RAM file, atomic writes and CRC-32. */
export { SnapshotError } from './errors.js';
export { crc32 } from './crc32.js';
export {
  decodeSnapshot,
  encodeSnapshot,
  isSectionName,
  MAX_SECTION_BYTES,
  MAX_SECTIONS,
  MAX_TOTAL_BYTES,
  SNAPSHOT_FORMAT_VERSION,
  SNAPSHOT_MAGIC,
} from './container.js';
export { loadRam, PAGE_SIZE, parseRamFile, RAM_MAGIC, saveRam, type RamFileIndex } from './ram-file.js';
export { writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';
