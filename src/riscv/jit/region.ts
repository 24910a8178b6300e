/**
 * Regions: a block compiled together with the other hot blocks of its page that lie on a cycle through it, so
 * that a loop whose body is more than one trace (a loop nest, or a loop entered in its middle, whose trace then
 * leaves for the rest of its body each round) runs inside one WebAssembly function. Without them each round went
 * through the hub twice or more: busybox's scans of its variable and builtin tables (an inner loop over a
 * string's bytes inside an outer loop over the strings) made a quarter of the shell loop's 1,160 block exits per
 * iteration.
 */
import { branchOffset, jalOffset, type BlockInsn } from './scan.js';

/** Blocks in a region, the block itself included. */
export const REGION_MAX_TRACES = 6;
/** Instructions in a region's traces, all told. */
export const REGION_MAX_INSNS = 160;

/**
 * The pcs a trace's exits go to directly: the side of each conditional branch the trace does not follow, the
 * targets of its last instruction when that is a branch or a jump, and the next pc when it was cut short. Not the
 * targets of indirect jumps.
 */
export function exitTargets(insns: readonly BlockInsn[]): number[] {
  const out: number[] = [];
  const n = insns.length;
  insns.forEach(({ pc, insn, len, taken }, k) => {
    const op = insn & 0x7f;
    if (op === 0x63) {
      const target = pc + branchOffset(insn);
      out.push(taken ? pc + len : target);
      if (k === n - 1) out.push(taken ? target : pc + len);
    } else if (op === 0x6f && k === n - 1) out.push(pc + jalOffset(insn));
  });
  const last = insns[n - 1]!;
  const lastOp = last.insn & 0x7f;
  if (lastOp !== 0x63 && lastOp !== 0x6f && lastOp !== 0x67) out.push(last.pc + last.len);
  return out;
}

/**
 * The other traces of the region of the block whose trace is `first`: the traces `traceAt` gives (the hot blocks
 * on the block's page, scanned; undefined for any other pc) that the block's exits reach, directly or through
 * each other, and that reach the block again the same way, in the order found. Empty when the block is on no
 * such cycle (a block that loops to its own start needs no region). At most REGION_MAX_TRACES traces and
 * REGION_MAX_INSNS instructions in all: blocks found beyond those are left out.
 */
export function loopRegion(first: readonly BlockInsn[], traceAt: (pc: number) => readonly BlockInsn[] | undefined): BlockInsn[][] {
  const start = first[0]!.pc;
  const found = new Map<number, { insns: readonly BlockInsn[]; targets: number[] }>();
  found.set(start, { insns: first, targets: exitTargets(first) });
  let size = first.length;
  const queue = [start];
  for (let q = 0; q < queue.length && found.size < REGION_MAX_TRACES; q++) {
    for (const t of found.get(queue[q]!)!.targets) {
      if (found.has(t) || found.size >= REGION_MAX_TRACES) continue;
      const insns = traceAt(t);
      if (insns === undefined || insns.length === 0 || size + insns.length > REGION_MAX_INSNS) continue;
      found.set(t, { insns, targets: exitTargets(insns) });
      size += insns.length;
      queue.push(t);
    }
  }
  // Those that reach the block again.
  const back = new Set([start]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pc, { targets }] of found) {
      if (!back.has(pc) && targets.some((t) => back.has(t))) {
        back.add(pc);
        grew = true;
      }
    }
  }
  const out: BlockInsn[][] = [];
  for (const [pc, { insns }] of found) if (pc !== start && back.has(pc)) out.push([...insns]);
  return out;
}
