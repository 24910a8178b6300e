// Shared by the benchmarks: how to start each engine on the same guest, and small statistics helpers.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLED, BUNDLED_KERNEL } from '../dist/cli/bundled.js';

export const IMAGES = fileURLToPath(new URL('../guest/images/', import.meta.url));
export const QEMU = 'qemu-system-riscv64';

/** Whether QEMU is installed; if not, the benchmark says how to get it and runs Typevisor alone. */
export function qemuVersion() {
  try {
    return execFileSync(QEMU, ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    return undefined;
  }
}

/**
 * QEMU 7.2 does not inflate a gzip'd RISC-V Image: it boots the copy the build inflated, the file Typevisor's
 * run command boots by default (src/cli/bundled.ts; every bench script runs `npm run build` first).
 */
function qemuKernel() {
  if (BUNDLED.kernel !== BUNDLED_KERNEL.inflated) throw new Error(`${BUNDLED_KERNEL.inflated} is missing or older than ${BUNDLED_KERNEL.gz}: npm run build`);
  return BUNDLED.kernel;
}

/** Typevisor's engines to run: ENGINES=interp or ENGINES=jit for one of them (and QEMU), else both. */
export function wanted(engine) {
  const only = process.env.ENGINES;
  return only === undefined || only === '' || only === engine;
}

/**
 * [command, args] for each engine, booting the same kernel, initramfs and command line: Typevisor's interpreter
 * ('typevisor', unless ENGINES=jit), its translator ('typevisor-jit', unless ENGINES=interp) and QEMU. Typevisor
 * boots as its users do by default (no firmware: its own SBI), QEMU through OpenSBI.
 */
export function engines(memory = '256M') {
  const list = [];
  if (wanted('interp')) list.push({ name: 'typevisor', command: process.execPath, args: ['run', '--memory', memory, '--engine', 'interp'] });
  if (wanted('jit')) {
    list.push({ name: 'typevisor-jit', command: process.execPath, args: ['run', '--memory', memory, '--engine', 'jit'] });
  }
  if (qemuVersion() !== undefined) {
    list.push({
      name: 'qemu-tcg',
      command: QEMU,
      args: [
        '-M', 'virt', '-m', memory, '-nographic', '-no-reboot',
        '-bios', join(IMAGES, 'fw_dynamic.bin'),
        '-kernel', qemuKernel(),
        '-initrd', join(IMAGES, 'initramfs.cpio'),
        '-append', 'console=ttyS0',
      ],
    });
  }
  return list;
}

/**
 * With BENCH_JSON set (bench/all.mjs), writes the benchmark's rows there: { row, typevisor, qemu, unit, ratio },
 * ratio being Typevisor's time over QEMU's (below 1: Typevisor faster), `paired` the median of the runs' own
 * ratios where the runs were made in turns.
 */
export function report(rows) {
  const file = process.env.BENCH_JSON;
  if (file) writeFileSync(file, JSON.stringify(rows));
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function machineLine() {
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown CPU';
  return `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpu}, ${execFileSync('nproc', { encoding: 'utf8' }).trim()} cores`;
}
