/**
 * The VM configuration a snapshot carries: firmware 'builtin' (the machine's own SBI) survives the round trip,
 * and a record naming a relative firmware path is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseVmConfigRecord, vmConfigRecord, type VmConfig } from './vm-config.js';

const base: VmConfig = {
  kernel: '/images/Image.gz',
  initrd: '/images/initramfs.cpio',
  firmware: 'builtin',
  append: 'console=ttyS0',
  mmu: 'sv39',
  memBytes: 256 * 1048576,
  cpus: 1,
  console: 'uart',
  rng: true,
  disks: [],
  nets: [],
};

const record = (cfg: Partial<VmConfig>): Record<string, unknown> => vmConfigRecord({ ...base, ...cfg }, []) as Record<string, unknown>;

test("firmware 'builtin', a firmware file and 'none' round-trip", () => {
  for (const firmware of ['builtin', '/images/fw_dynamic.bin', 'none']) {
    assert.deepEqual(parseVmConfigRecord(record({ firmware })).config, { ...base, firmware });
  }
  assert.equal(parseVmConfigRecord(record({ cpus: 4 })).config.cpus, 4);
});

test('a relative firmware path is refused', () => {
  assert.throws(() => parseVmConfigRecord(record({ firmware: 'fw_dynamic.bin' })), /firmware must be an absolute path/);
});
