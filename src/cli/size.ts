/** Parses a memory size as users write it for QEMU: "256M", "1G", "512MiB", "1048576" (bytes), "64k". */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (m === null) throw new RangeError(`invalid size "${text}" (expected a number with an optional K, M or G suffix)`);
  const unit = { '': 1, k: 1024, m: 1048576, g: 1073741824, t: 1099511627776 }[m[2]!.toLowerCase()] ?? 1;
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new RangeError(`invalid size "${text}"`);
  return bytes;
}
