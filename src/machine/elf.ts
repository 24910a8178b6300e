/**
 * A loader for the statically linked RISC-V ELF64 executables run in bare-metal mode. The file is untrusted:
 * every offset and size is checked against the file before use, and anything that is not a little-endian
 * RV64 executable is refused with a message that says what is wrong.
 */

export interface ElfSegment {
  /** Guest-physical load address. */
  readonly paddr: number;
  /** Bytes to copy from the file. */
  readonly data: Uint8Array;
  /** Total size in memory (the rest is zero-filled). */
  readonly memSize: number;
}

export interface ElfImage {
  readonly entry: number;
  readonly segments: readonly ElfSegment[];
  /** Symbols from .symtab by name (functions and objects), as addresses. */
  readonly symbols: ReadonlyMap<string, number>;
}

export class ElfError extends Error {
  override readonly name = 'ElfError';
}

const EM_RISCV = 243;
const ET_EXEC = 2;
const PT_LOAD = 1;
const SHT_SYMTAB = 2;

function u64(dv: DataView, off: number): number {
  const v = dv.getBigUint64(off, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`value 0x${v.toString(16)} at offset ${off} is too large`);
  return Number(v);
}

/** Parses an ELF64 RISC-V executable. */
export function parseElf(file: Uint8Array): ElfImage {
  if (file.length < 64) throw new ElfError(`file is ${file.length} bytes, too short for an ELF header`);
  if (file[0] !== 0x7f || file[1] !== 0x45 || file[2] !== 0x4c || file[3] !== 0x46) {
    throw new ElfError('not an ELF file (bad magic)');
  }
  if (file[4] !== 2) throw new ElfError('not a 64-bit ELF file (RV64 expected)');
  if (file[5] !== 1) throw new ElfError('not a little-endian ELF file');
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const type = dv.getUint16(16, true);
  const machine = dv.getUint16(18, true);
  if (machine !== EM_RISCV) throw new ElfError(`ELF machine is ${machine}, not RISC-V (${EM_RISCV})`);
  if (type !== ET_EXEC) throw new ElfError(`ELF type is ${type}, not a statically linked executable (${ET_EXEC})`);
  const entry = u64(dv, 24);
  const phoff = u64(dv, 32);
  const shoff = u64(dv, 40);
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  const shentsize = dv.getUint16(58, true);
  const shnum = dv.getUint16(60, true);
  if (phnum === 0) throw new ElfError('ELF file has no program headers');
  if (phentsize < 56 || phoff + phnum * phentsize > file.length) {
    throw new ElfError('ELF program headers lie outside the file');
  }
  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (dv.getUint32(o, true) !== PT_LOAD) continue;
    const offset = u64(dv, o + 8);
    const paddr = u64(dv, o + 24);
    const filesz = u64(dv, o + 32);
    const memsz = u64(dv, o + 40);
    if (filesz > memsz) throw new ElfError(`segment ${i}: file size ${filesz} exceeds memory size ${memsz}`);
    if (offset + filesz > file.length) throw new ElfError(`segment ${i} extends past the end of the file`);
    segments.push({ paddr, data: file.subarray(offset, offset + filesz), memSize: memsz });
  }
  if (segments.length === 0) throw new ElfError('ELF file has no loadable segments');
  return { entry, segments, symbols: readSymbols(file, dv, shoff, shentsize, shnum) };
}

function readSymbols(file: Uint8Array, dv: DataView, shoff: number, shentsize: number, shnum: number): Map<string, number> {
  const symbols = new Map<string, number>();
  if (shnum === 0 || shentsize < 64 || shoff + shnum * shentsize > file.length) return symbols;
  const decoder = new TextDecoder();
  for (let i = 0; i < shnum; i++) {
    const sh = shoff + i * shentsize;
    if (dv.getUint32(sh + 4, true) !== SHT_SYMTAB) continue;
    const off = u64(dv, sh + 24);
    const size = u64(dv, sh + 32);
    const link = dv.getUint32(sh + 40, true);
    const entsize = u64(dv, sh + 56);
    if (link >= shnum || entsize < 24 || off + size > file.length) continue;
    const strSh = shoff + link * shentsize;
    const strOff = u64(dv, strSh + 24);
    const strSize = u64(dv, strSh + 32);
    if (strOff + strSize > file.length) continue;
    for (let s = off; s + entsize <= off + size; s += entsize) {
      const nameOff = dv.getUint32(s, true);
      if (nameOff === 0 || nameOff >= strSize) continue;
      let end = strOff + nameOff;
      while (end < strOff + strSize && file[end] !== 0) end++;
      const name = decoder.decode(file.subarray(strOff + nameOff, end));
      const value = dv.getBigUint64(s + 8, true);
      if (value <= BigInt(Number.MAX_SAFE_INTEGER)) symbols.set(name, Number(value));
    }
  }
  return symbols;
}
