/**
 * RISC-V F and D extensions (IEEE-754 single and double) as a pure module.
 *
 * executeFp runs one OP-FP / FMADD / FMSUB / FNMSUB / FNMADD instruction
 * against a hart's FP register file, integer register file and fflags/frm.
 * FLW/FLD/FSW/FSD stay in the CPU core.
 */
export {
  type FpState,
  FP_OK,
  FP_ILLEGAL,
  FLAG_NV,
  FLAG_DZ,
  FLAG_OF,
  FLAG_UF,
  FLAG_NX,
  RM_RNE,
  RM_RTZ,
  RM_RDN,
  RM_RUP,
  RM_RMM,
  RM_DYN,
} from './state.js';
export { executeFp } from './execute.js';
