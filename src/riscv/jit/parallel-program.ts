/**
 * Guest programs for the tests of harts running in parallel (parallel.test.ts, parallel-worker.ts): a counting
 * loop that every hart runs on shared counters, and a hart that rewrites code another hart runs. Only tests
 * import this module.
 */
import { A, RAM_BASE, rType } from '../testing.js';

export const COUNT_CODE = RAM_BASE + 0x1000;
/** Counters: a word (AMOADD.W), a doubleword (LR.D/SC.D increments), a doubleword (AMOADD.D), a word (AMOMAXU.W). */
export const COUNTERS = RAM_BASE + 0x9000;
export const WFI = 0x10500073;

const amo = (fn5: number, f3: number, rd: number, rs1: number, rs2: number): number => rType(0x2f, rd, f3, rs1, rs2, fn5 << 2);

/**
 * x10 = COUNTERS, x12 = iterations, x16 = harts: all harts first meet (each adds 1 to the word at COUNTERS + 32
 * and waits for it to reach x16, so that the loops really overlap), then per iteration: amoadd.w +1, an
 * LR.D/SC.D increment (retried until it succeeds), amoadd.d +3, amomaxu.w of the iteration count; then WFI.
 */
export const COUNT_PROGRAM: readonly number[] = [
  A.addi(6, 0, 1), //                0: x6 = 1
  A.addi(7, 0, 3), //                4: x7 = 3
  A.addi(14, 10, 32), //             8: x14 = &arrived
  amo(0x00, 2, 0, 14, 6), //        12: amoadd.w x0, x6, (x14)
  A.lw(15, 14, 0), //               16
  A.blt(15, 16, -4), //             20: wait for the others
  amo(0x00, 2, 0, 10, 6), //        24: amoadd.w x0, x6, (x10)
  A.addi(11, 10, 8), //             28: x11 = &counter2
  amo(0x02, 3, 5, 11, 0), //        32: lr.d x5, (x11)
  A.addi(5, 5, 1), //               36
  amo(0x03, 3, 28, 11, 5), //       40: sc.d x28, x5, (x11)
  A.bne(28, 0, -12), //             44: retry at the lr.d
  A.addi(13, 10, 16), //            48
  amo(0x00, 3, 0, 13, 7), //        52: amoadd.d x0, x7, (x13)
  A.addi(13, 10, 24), //            56
  amo(0x1c, 2, 0, 13, 12), //       60: amomaxu.w x0, x12, (x13)
  A.addi(12, 12, -1), //            64
  A.bne(12, 0, -44), //             68: back to 24
  WFI, //                           72
];

/** Where the code the writer rewrites lives (its own page), and the flag the writer raises afterwards. */
export const FN = RAM_BASE + 0x3000;
export const FLAG = RAM_BASE + 0xa000;
const FENCE_I = 0x0000100f;

/** FN's first version: x10 = 1; ret. The rewrite makes it x10 = 2. */
export const FN_V1: readonly number[] = [A.addi(10, 0, 1), A.jalr(0, 1, 0)];
export const FN_V2_FIRST = A.addi(10, 0, 2);

/**
 * The runner (x8 = FLAG): calls FN and adds its result to x9 until the flag is set, then FENCE.I, calls FN once
 * more and keeps its result in x18; then WFI.
 */
export const RUNNER_PROGRAM: readonly number[] = [
  A.jal(1, FN - (COUNT_CODE + 0)), //     0: call FN
  A.add(9, 9, 10), //                     4
  A.lw(5, 8, 0), //                       8: the flag
  A.beq(5, 0, -12), //                   12
  FENCE_I, //                            16
  A.jal(1, FN - (COUNT_CODE + 20)), //   20: call FN
  A.addi(18, 10, 0), //                  24
  WFI, //                                28
];

/** The writer (x8 = FLAG, x9 = FN, x5 = the new word): stores the new instruction, then the flag; WFI. */
export const WRITER_PROGRAM: readonly number[] = [
  A.sw(5, 9, 0), //     0
  A.addi(6, 0, 1), //   4
  A.sw(6, 8, 0), //     8
  WFI, //              12
];
