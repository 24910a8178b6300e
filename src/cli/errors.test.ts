/**
 * Bad input gets one clear line on stderr and a non-zero exit status, never a stack trace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TYPEVISOR_BIN } from '../testing/guest-console.js';

const dir = mkdtempSync(join(tmpdir(), 'typevisor-errors-'));
const file = (name: string, bytes: Uint8Array | string): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const hello = fileURLToPath(new URL('../../test-programs/bin/hello.elf', import.meta.url));

function typevisor(...args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [TYPEVISOR_BIN, ...args], { encoding: 'utf8', input: '', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

function assertOneLineError(r: { status: number | null; stderr: string }, pattern: RegExp, status = 1): void {
  assert.equal(r.status, status, `exit status; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${r.stderr}`);
  assert.match(lines[0]!, /^typevisor: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('a missing kernel is named in a one-line error', () => {
  assertOneLineError(typevisor('run', '--kernel', join(dir, 'nope')), /cannot read kernel '.*nope': no such file/);
});

test('a missing initrd and a directory given as one are named in a one-line error', () => {
  assertOneLineError(typevisor('run', '--initrd', join(dir, 'nope')), /cannot read initrd '.*nope': no such file/);
  assertOneLineError(typevisor('run', '--initrd', dir), /cannot read initrd '.*': is a directory/);
});

test('a corrupt kernel (not a RISC-V Image) is refused', () => {
  assertOneLineError(typevisor('run', '--kernel', file('junk', 'x'.repeat(4096))), /not a RISC-V Linux Image/);
});

test('a truncated gzip kernel is refused', () => {
  const gz = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3);
  assertOneLineError(typevisor('run', '--kernel', file('bad.gz', gz)), /cannot be inflated/);
});

test('a corrupt initrd is refused', () => {
  assertOneLineError(typevisor('run', '--initrd', file('initrd', 'not an archive')), /initrd is neither a cpio archive/);
});

test('a missing firmware is named, and an ELF given as firmware is explained', () => {
  assertOneLineError(typevisor('run', '--firmware', join(dir, 'fw')), /cannot read firmware/);
  assertOneLineError(typevisor('run', '--firmware', hello), /firmware is an ELF file/);
});

test('bare-metal mode refuses a non-RISC-V ELF and a non-ELF file', () => {
  const x86 = new Uint8Array(64);
  x86.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  x86[16] = 2;
  x86[18] = 62; // EM_X86_64
  assertOneLineError(typevisor('run', '--firmware', 'none', '--kernel', file('x86.elf', x86)), /not RISC-V/);
  assertOneLineError(typevisor('run', '--firmware', 'none', '--kernel', file('text', 'hello world '.repeat(20))), /not an ELF file/);
});

test('memory too small for the images says how much is needed', () => {
  const big = new Uint8Array(20 * 1048576);
  big.set([0x1f, 0x8b]);
  assertOneLineError(typevisor('run', '--memory', '16M', '--initrd', file('big.gz', big)), /too small.*need at least/);
});

test('invalid memory sizes are refused', () => {
  assertOneLineError(typevisor('run', '--memory', 'lots'), /--memory: invalid size/);
  assertOneLineError(typevisor('run', '--memory', '64G'), /outside the supported range/);
});

test('unknown options are a usage error with status 2', () => {
  assertOneLineError(typevisor('run', '--frobnicate'), /unknown option '--frobnicate'/, 2);
  assertOneLineError(typevisor('launch'), /unknown command 'launch'/, 2);
});

test('run --help lists every option with its default', () => {
  const r = typevisor('run', '--help');
  assert.equal(r.status, 0);
  for (const opt of ['--kernel', '--initrd', '--firmware', '--append', '--memory', '--mmu']) assert.match(r.stdout, new RegExp(opt));
  assert.match(r.stdout, /default: "256M"/);
  assert.match(r.stdout, /default: "console=ttyS0"/);
});

test('bare-metal mode: HTIF output reaches stdout and the exit code becomes the status', () => {
  const ok = typevisor('run', '--firmware', 'none', '--kernel', hello);
  assert.equal(ok.status, 0);
  assert.equal(ok.stdout, 'hello from bare metal\n');
  const three = fileURLToPath(new URL('../../test-programs/bin/exit3.elf', import.meta.url));
  assert.equal(typevisor('run', '--firmware', 'none', '--kernel', three).status, 3);
});

test('a kernel command line longer than Linux accepts is refused', () => {
  assertOneLineError(typevisor('run', '--append', 'x'.repeat(1024)), /--append: .* at most 1023/);
});
