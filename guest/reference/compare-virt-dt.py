#!/usr/bin/env python3
"""Compare Typevisor's virt device tree with the one QEMU generates, for 1..N harts.

Usage: guest/reference/compare-virt-dt.py [HARTS...]     (default: 1 2 4 8; run `npm run build` first)

For each hart count it dumps QEMU's tree (`-M virt,dumpdtb=...`, the hart reduced to RV64GC as in
qemu-virt-rv64gc-256M.dts) and writes Typevisor's with dist/machine/virt-dt.js, then compares /cpus
(every node and property) and the CLINT and PLIC nodes with fdtget (package device-tree-compiler).
Phandles are compared by the path of the node they name, since the two number them differently.
Devices Typevisor does not model (PCIe, flash, fw-cfg, RTC, PMU, platform bus) are not compared.
Prints each difference; known ones (mmu-type: Typevisor offers sv39 by default, QEMU sv48; riscv,ndev:
Typevisor's PLIC has 95 sources, QEMU 7.2's 96) are marked "expected". Exit status 1 on any other.
"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CPU = 'rv64,h=false,sstc=false,Zihintpause=false,zba=false,zbb=false,zbc=false,zbs=false'
EXPECTED = {'mmu-type', 'riscv,ndev'}

GEN = """
import { writeFileSync } from 'node:fs';
const { generateVirtDtb } = await import(process.argv[1]);
writeFileSync(process.argv[3], generateVirtDtb({
  harts: Number(process.argv[2]), ramBase: 0x80000000, ramSize: 256 * 1024 * 1024,
  isa: 'rv64imafdc_zicsr_zifencei', mmuType: 'riscv,sv39', bootargs: 'console=ttyS0', timebaseFrequency: 10000000,
}));
"""


def fdtget(*args):
    r = subprocess.run(['fdtget', *args], capture_output=True, text=True)
    return r.stdout.split() if r.returncode == 0 else []


def nodes(f, path):
    out = [path]
    for c in fdtget('-l', f, path):
        out += nodes(f, path.rstrip('/') + '/' + c)
    return out


def describe(f):
    phandles = {}
    for n in nodes(f, '/'):
        v = fdtget('-t', 'u', f, n, 'phandle')
        if v:
            phandles[int(v[0])] = n
    out = {}
    for n in nodes(f, '/cpus') + ['/soc/clint@2000000', '/soc/plic@c000000']:
        out[(n, '(children)')] = fdtget('-l', f, n)
        for p in fdtget('-p', f, n):
            if p == 'phandle':
                continue
            if p in ('interrupts-extended', 'cpu'):
                c = [int(x) for x in fdtget('-t', 'u', f, n, p)]
                step = 2 if p == 'interrupts-extended' else 1
                out[(n, p)] = [(phandles.get(c[i]), *c[i + 1:i + step]) for i in range(0, len(c), step)]
            else:
                out[(n, p)] = ' '.join(fdtget('-t', 'bx', f, n, p))
    return out


def main():
    counts = [int(a) for a in sys.argv[1:]] or [1, 2, 4, 8]
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for n in counts:
            ours, qemu = os.path.join(tmp, f'tv{n}.dtb'), os.path.join(tmp, f'qemu{n}.dtb')
            subprocess.run(['node', '--input-type=module', '-e', GEN, os.path.join(ROOT, 'dist/machine/virt-dt.js'),
                            str(n), ours], check=True)
            subprocess.run(['qemu-system-riscv64', '-M', f'virt,dumpdtb={qemu}', '-cpu', CPU, '-m', '256M',
                            '-smp', str(n), '-nographic'], check=True, capture_output=True)
            a, b = describe(ours), describe(qemu)
            diffs = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
            print(f'{n} hart(s): {len(a)} node/property entries compared, {len(diffs)} differ')
            for k in diffs:
                known = k[1] in EXPECTED
                bad += not known
                print(f'  {"expected" if known else "DIFFERS"} {k[0]} {k[1]}: typevisor {a.get(k)!r}, qemu {b.get(k)!r}')
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
