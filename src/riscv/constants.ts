/**
 * Numbers from the RISC-V privileged specification (20211203), named as the specification names them.
 */

/** Privilege levels. */
export const PRIV_U = 0;
export const PRIV_S = 1;
export const PRIV_M = 3;

/** Synchronous exception causes (mcause/scause with the interrupt bit clear). */
export const CAUSE = {
  INSTRUCTION_ADDRESS_MISALIGNED: 0,
  INSTRUCTION_ACCESS_FAULT: 1,
  ILLEGAL_INSTRUCTION: 2,
  BREAKPOINT: 3,
  LOAD_ADDRESS_MISALIGNED: 4,
  LOAD_ACCESS_FAULT: 5,
  STORE_ADDRESS_MISALIGNED: 6,
  STORE_ACCESS_FAULT: 7,
  ECALL_FROM_U: 8,
  ECALL_FROM_S: 9,
  ECALL_FROM_M: 11,
  INSTRUCTION_PAGE_FAULT: 12,
  LOAD_PAGE_FAULT: 13,
  STORE_PAGE_FAULT: 15,
} as const;

/** Interrupt numbers (bit positions in mip/mie, and the cause code with the interrupt bit set). */
export const IRQ = {
  SSI: 1,
  MSI: 3,
  STI: 5,
  MTI: 7,
  SEI: 9,
  MEI: 11,
} as const;

export const MIP_SSIP = 1 << IRQ.SSI;
export const MIP_MSIP = 1 << IRQ.MSI;
export const MIP_STIP = 1 << IRQ.STI;
export const MIP_MTIP = 1 << IRQ.MTI;
export const MIP_SEIP = 1 << IRQ.SEI;
export const MIP_MEIP = 1 << IRQ.MEI;
/** Interrupts that exist on this hart. */
export const MIP_ALL = MIP_SSIP | MIP_MSIP | MIP_STIP | MIP_MTIP | MIP_SEIP | MIP_MEIP;
/** Supervisor-level interrupts (visible in sip/sie when delegated). */
export const MIP_S_MASK = MIP_SSIP | MIP_STIP | MIP_SEIP;
/** Order in which simultaneously pending interrupts are taken (privileged spec 3.1.9). */
export const IRQ_PRIORITY: readonly number[] = [IRQ.MEI, IRQ.MSI, IRQ.MTI, IRQ.SEI, IRQ.SSI, IRQ.STI];

/** mstatus fields (low 32 bits; the high half holds the constant UXL/SXL and the computed SD bit). */
export const MSTATUS_SIE = 1 << 1;
export const MSTATUS_MIE = 1 << 3;
export const MSTATUS_SPIE = 1 << 5;
export const MSTATUS_MPIE = 1 << 7;
export const MSTATUS_SPP = 1 << 8;
export const MSTATUS_MPP_SHIFT = 11;
export const MSTATUS_MPP = 3 << MSTATUS_MPP_SHIFT;
export const MSTATUS_FS_SHIFT = 13;
export const MSTATUS_FS = 3 << MSTATUS_FS_SHIFT;
export const MSTATUS_MPRV = 1 << 17;
export const MSTATUS_SUM = 1 << 18;
export const MSTATUS_MXR = 1 << 19;
export const MSTATUS_TVM = 1 << 20;
export const MSTATUS_TW = 1 << 21;
export const MSTATUS_TSR = 1 << 22;
/** Writable mstatus bits (no big-endian, no vector, no XS). */
export const MSTATUS_WRITABLE =
  MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP | MSTATUS_FS |
  MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR;
/** The bits of mstatus that sstatus shows. */
export const SSTATUS_MASK = MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR;
/** mstatus high half: UXL = SXL = 2 (64-bit). */
export const MSTATUS_HI_XL = 0x0000_000a;
/** sstatus high half: UXL = 2. */
export const SSTATUS_HI_XL = 0x0000_0002;

/** misa: MXL=2 (RV64) with extensions A, C, D, F, I, M, S, U. */
export const MISA_EXTENSIONS =
  (1 << 0) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20);
export const MISA_HI = 0x8000_0000 | 0;

/** Exceptions medeleg can delegate (all but ecall from M). */
export const MEDELEG_WRITABLE = 0xb3ff & ~(1 << 11);
/** Interrupts mideleg can delegate (the supervisor ones). */
export const MIDELEG_WRITABLE = MIP_S_MASK;

/** CSR addresses. */
export const CSR = {
  fflags: 0x001,
  frm: 0x002,
  fcsr: 0x003,
  cycle: 0xc00,
  time: 0xc01,
  instret: 0xc02,
  sstatus: 0x100,
  sie: 0x104,
  stvec: 0x105,
  scounteren: 0x106,
  senvcfg: 0x10a,
  sscratch: 0x140,
  sepc: 0x141,
  scause: 0x142,
  stval: 0x143,
  sip: 0x144,
  stimecmp: 0x14d,
  satp: 0x180,
  mvendorid: 0xf11,
  marchid: 0xf12,
  mimpid: 0xf13,
  mhartid: 0xf14,
  mconfigptr: 0xf15,
  mstatus: 0x300,
  misa: 0x301,
  medeleg: 0x302,
  mideleg: 0x303,
  mie: 0x304,
  mtvec: 0x305,
  mcounteren: 0x306,
  menvcfg: 0x30a,
  mcountinhibit: 0x320,
  mscratch: 0x340,
  mepc: 0x341,
  mcause: 0x342,
  mtval: 0x343,
  mip: 0x344,
  pmpcfg0: 0x3a0,
  pmpaddr0: 0x3b0,
  mcycle: 0xb00,
  minstret: 0xb02,
  tselect: 0x7a0,
  tdata1: 0x7a1,
} as const;

/** satp MODE values. */
export const SATP_MODE_BARE = 0;
export const SATP_MODE_SV39 = 8;
export const SATP_MODE_SV48 = 9;

/** Page-table entry bits. */
export const PTE_V = 1 << 0;
export const PTE_R = 1 << 1;
export const PTE_W = 1 << 2;
export const PTE_X = 1 << 3;
export const PTE_U = 1 << 4;
export const PTE_G = 1 << 5;
export const PTE_A = 1 << 6;
export const PTE_D = 1 << 7;
