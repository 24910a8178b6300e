/**
 * The machine layer's input errors, in a module of their own with no imports: the CLI tells them apart
 * (cli/usage-error.ts) without loading the machine and its CPU, which only a command that boots one needs.
 * Each is re-exported from the module that throws it.
 */

/** Firmware, kernel, initrd or memory size that cannot make a bootable guest (machine/boot.ts). */
export class BootError extends Error {
  override readonly name = 'BootError';
}

/** A --disk or --net specification that cannot be attached (machine/devices.ts). */
export class DeviceSpecError extends Error {
  override readonly name = 'DeviceSpecError';
}

/** A saved machine state that cannot be restored (machine/machine-state.ts). */
export class MachineStateError extends Error {
  override readonly name = 'MachineStateError';
}
