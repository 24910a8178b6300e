/**
 * How many instructions a hart runs between the machine's checks of the clock and devices (a burst). The timer
 * interrupt is noticed at a burst's end, so a burst should take little host time; each end costs the clock
 * reads, the timer update and the engine's own set-up, so it should not be too short either. The interpreter
 * runs ~100–240 M instructions/s and the translator's loops up to ~5,000 M: a fixed 16,384 was ~160 µs of the
 * interpreter's time and ~3 µs of a translated loop's, whose run then spent ~8% of its time between bursts
 * (bench:mips, 4 runs each: median ~4,900 MIPS with 16,384, ~5,300 with 262,144). So the burst follows the
 * speed of the code: as many instructions as ran in BURST_MS at the last burst's rate, within the bounds. After
 * the hart idles (WFI) it starts again from the minimum: an interrupt handler is mostly cold code.
 */

/** The shortest burst (and the first): what a slow engine runs, whatever its rate. */
export const MIN_BURST = 16_384;
/**
 * The longest: ~0.05 ms of the fastest code (~5,000 M instructions/s). It bounds the latency when the code turns
 * slow within a burst: 262,144 instructions of the interpreter take 1–2.5 ms (1 M measured no faster).
 */
export const MAX_BURST = 1 << 18;
/** Host milliseconds a burst aims at: the timer interrupt's latency, beyond the interpreter's minimum. */
export const BURST_MS = 0.05;

/** The next burst after one that ran `ran` instructions in `ms` host milliseconds. */
export function nextBurst(ran: number, ms: number): number {
  if (!(ms > 0)) return MAX_BURST;
  return Math.max(MIN_BURST, Math.min(MAX_BURST, Math.floor((ran * BURST_MS) / ms)));
}
