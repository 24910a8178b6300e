/**
 * Shared definitions of the F/D unit: architectural state, exception flags,
 * rounding modes and the per-instruction flag accumulator.
 */

/** Architectural floating-point state of one hart. */
export interface FpState {
  /** 32 registers of 64 bits, register i at [2*i] (low) and [2*i+1] (high). */
  readonly f: Int32Array;
  /** Accrued exceptions (fflags CSR): NV=16, DZ=8, OF=4, UF=2, NX=1. */
  fflags: number;
  /** Dynamic rounding mode (frm CSR), 0..7. */
  frm: number;
}

/** executeFp result: instruction retired. */
export const FP_OK = 0;
/** executeFp result: illegal instruction (raise an illegal-instruction trap). */
export const FP_ILLEGAL = 1;

/** fflags bits. */
export const FLAG_NV = 16;
export const FLAG_DZ = 8;
export const FLAG_OF = 4;
export const FLAG_UF = 2;
export const FLAG_NX = 1;

/** Rounding modes (rm field / frm). */
export const RM_RNE = 0;
export const RM_RTZ = 1;
export const RM_RDN = 2;
export const RM_RUP = 3;
export const RM_RMM = 4;
export const RM_DYN = 7;

/**
 * Flags raised by the instruction being executed. The executor loads the
 * hart's fflags here before an instruction and stores them back after, so
 * helpers can both raise flags and see which ones are already accrued
 * (an already-set NX lets round-to-nearest paths skip exactness checks).
 */
export const acc = { flags: 0 };
