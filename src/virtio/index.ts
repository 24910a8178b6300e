/**
 * The virtio device models and their virtio-mmio transport, for the machine to wire up:
 *
 *   const memory = ArrayGuestMemory.fromRam(m.ram, (o, n) => m.hart.decode.written(o, n));
 *   const blk = new VirtioBlk({ backend: new FileBlockBackend('disk.img', { readOnly: false }), serial: 'vda' });
 *   const t = new VirtioMmioTransport({ device: blk, memory, irq: m.plic.irqLine(VIRT.virtioIrqBase + i) });
 *   m.bus.map(VIRT.virtioBase + i * VIRT.virtioStride, VIRTIO_MMIO_WINDOW, t);   // and slot i in the device tree
 */
export { ArrayGuestMemory, type GuestMemory, type RamLike, type RamWriteObserver } from './guest-memory.js';
export { VIRTIO_F, VIRTIO_ID, VIRTIO_STATUS, featureBit, type VirtioDevice, type VirtioDeviceContext } from './device.js';
export { Virtqueue, DescriptorChain, type QueueFault, type VirtqueueState } from './queue.js';
export {
  VirtioMmioTransport,
  VIRTIO_MMIO_WINDOW,
  VIRTIO_MMIO_REG,
  type VirtioMmioConfig,
  type VirtioMmioState,
} from './mmio-transport.js';
export { VirtioBlk, MemoryBlockBackend, type BlockBackend, type VirtioBlkConfig, type VirtioBlkStats } from './blk.js';
export { FileBlockBackend, type FileBlockBackendOptions } from './blk-file-backend.js';
export { VirtioRng, type VirtioRngConfig } from './rng.js';
export { VirtioConsole, type VirtioConsoleConfig } from './console.js';
