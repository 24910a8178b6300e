/**
 * Runs the bare-metal ISA test programs (test-programs/bin/*.elf, built by test-programs/build.sh and
 * checked against QEMU `-M spike` by test-programs/check-qemu.sh) on Typevisor's bare-metal mode.
 *
 * Pending: move this file to src/machine/isa-programs.test.ts once src/machine/baremetal.ts exports
 * runBareMetal(elf, { memBytes?, maxInstructions? }) → { exitCode, output, instructions }.
 *
 * A failing program prints "FAIL <program>: check N (line L): ..." through the HTIF console and exits
 * with N: the assertion messages below include that output, and the line is in test-programs/isa/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { runBareMetal } from './baremetal.js';

/** From dist/machine/ (where this file runs once compiled) to the committed ELFs. */
const BIN_DIR = new URL('../../test-programs/bin/', import.meta.url);

/** The programs assume QEMU spike's RAM size: 128 MiB at 0x8000_0000 (traps.elf checks where it ends). */
const MEM_BYTES = 128 * 1024 * 1024;

/**
 * Generous budget: the longest program needs a few hundred thousand instructions when time advances
 * normally; the bounded waits of a broken program (e.g. a timer that never fires) end well before it
 * with a failure message, or at this limit.
 */
const MAX_INSTRUCTIONS = 100_000_000;

interface Program {
  /** File name in test-programs/bin. */
  readonly file: string;
  /** What it covers: the test's name. */
  readonly covers: string;
  readonly exitCode?: number;
  readonly output?: string;
}

const PROGRAMS: readonly Program[] = [
  {
    file: 'hello.elf',
    covers: 'HTIF console putchar and exit 0',
    output: 'hello from bare metal\n',
  },
  { file: 'exit3.elf', covers: 'the HTIF exit code becomes the exit status (3)', exitCode: 3 },
  {
    file: 'rv64i.elf',
    covers:
      'RV64I: arithmetic, W forms and sign extension, shifts by 0/31/32/63, slt/sltu, lui/auipc, ' +
      'branches, jal/jalr, loads/stores of every width, x0, fence.i on modified code',
  },
  {
    file: 'rv64m.elf',
    covers: 'RV64M: mul/mulh/mulhsu/mulhu/mulw, div/rem and W forms incl. division by zero and overflow',
  },
  {
    file: 'rv64a.elf',
    covers: 'RV64A: lr/sc success and failure, every AMO .w/.d, signed vs unsigned min/max, misaligned atomics trap',
  },
  {
    file: 'rv64c.elf',
    covers: 'RV64C: every compressed form incl. c.fld/c.fsd, 32-bit instructions at 2-byte alignment and across a page',
  },
  {
    file: 'misaligned.elf',
    covers: 'misaligned loads and stores of every width (incl. FP) across a page boundary, without traps',
  },
  {
    file: 'zicsr.elf',
    covers:
      'Zicsr: csrrw/s/c and immediate forms, read-only CSRs, misa/mhartid, mstatus/sstatus across traps, ' +
      'delegation registers, sie/sip views, fflags/frm/fcsr, CSR privilege',
  },
  {
    file: 'traps.elf',
    covers:
      'traps: ecall from M/S/U, ebreak, illegal instructions (mtval = bits), access faults, mret/sret, ' +
      'TSR/TW/TVM, medeleg delegation to S, vectored mtvec',
  },
  {
    file: 'interrupts.elf',
    covers:
      'interrupts: CLINT timer and msip, WFI with MIE off, priority, M interrupts in lower modes, ' +
      'vectored mtvec, delegated STIP/SSIP taken in S',
  },
  {
    file: 'vm-sv39.elf',
    covers:
      'Sv39: 4K/2M/1G pages, page faults with stval, A/D set by hardware, SUM/MXR, U/S, sfence.vma, ' +
      'satp switch, MPRV, cross-page accesses, delegated page faults',
  },
  { file: 'vm-sv48.elf', covers: 'Sv48: the Sv39 program with a 4-level walk and a 512 GiB terapage' },
  {
    file: 'pmp.elf',
    covers: 'PMP: NAPOT/TOR/NA4 regions deny S/U (causes 1/5/7), M unaffected unless locked, locked entries',
  },
  {
    file: 'fpu.elf',
    covers: 'F/D sanity: FS off traps, FS dirty, NaN-boxing, arithmetic, conversions with rounding modes, fclass, fflags',
  },
  {
    file: 'counters.elf',
    covers: 'counters: cycle/instret/time increase, mcycle/minstret writable, mcounteren/scounteren gating',
  },
];

for (const program of PROGRAMS) {
  test(`${program.file}: ${program.covers}`, { timeout: 300_000 }, async () => {
    const elf = new Uint8Array(await readFile(new URL(program.file, BIN_DIR)));
    const result = await runBareMetal(elf, { memBytes: MEM_BYTES, maxInstructions: MAX_INSTRUCTIONS });
    const expectedCode = program.exitCode ?? 0;
    assert.equal(
      result.exitCode,
      expectedCode,
      `${program.file} exited with ${result.exitCode} (expected ${expectedCode}) after ` +
        `${result.instructions} instructions; output:\n${result.output}`,
    );
    assert.equal(result.output, program.output ?? '', `${program.file} printed unexpected output`);
  });
}

test('every program in test-programs/bin is run by this file', async () => {
  const files = (await readdir(fileURLToPath(BIN_DIR))).filter((name) => name.endsWith('.elf')).sort();
  const listed = PROGRAMS.map((program) => program.file).sort();
  assert.deepEqual(files, listed);
});
