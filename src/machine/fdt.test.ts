import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FDT_MAGIC,
  bytes,
  empty,
  node,
  prop,
  ref,
  str,
  strs,
  u32,
  u64,
  writeFdt,
  type FdtNode,
} from './fdt.js';

// ---------------------------------------------------------------- a small, independent DTB reader

interface ParsedNode {
  name: string;
  props: Map<string, Uint8Array>;
  children: ParsedNode[];
}

interface Parsed {
  header: {
    magic: number;
    totalsize: number;
    offStruct: number;
    offStrings: number;
    offRsv: number;
    version: number;
    lastComp: number;
    bootCpuid: number;
    sizeStrings: number;
    sizeStruct: number;
  };
  reserve: Array<[bigint, bigint]>;
  root: ParsedNode;
  /** Every property-name offset used, for the deduplication check. */
  nameOffsets: number[];
}

function parse(blob: Uint8Array): Parsed {
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const h = (i: number): number => dv.getUint32(i * 4);
  const header = {
    magic: h(0),
    totalsize: h(1),
    offStruct: h(2),
    offStrings: h(3),
    offRsv: h(4),
    version: h(5),
    lastComp: h(6),
    bootCpuid: h(7),
    sizeStrings: h(8),
    sizeStruct: h(9),
  };
  const reserve: Array<[bigint, bigint]> = [];
  for (let o = header.offRsv; ; o += 16) {
    const a = dv.getBigUint64(o);
    const s = dv.getBigUint64(o + 8);
    if (a === 0n && s === 0n) break;
    reserve.push([a, s]);
  }
  const cstr = (o: number): string => {
    let e = o;
    while (blob[e] !== 0) e++;
    return new TextDecoder().decode(blob.subarray(o, e));
  };
  const nameOffsets: number[] = [];
  let p = header.offStruct;
  const token = (): number => {
    const t = dv.getUint32(p);
    p += 4;
    return t;
  };
  const align = (): void => {
    p = (p + 3) & ~3;
  };
  const readNode = (): ParsedNode => {
    const name = cstr(p);
    p += new TextEncoder().encode(name).length + 1;
    align();
    const n: ParsedNode = { name, props: new Map(), children: [] };
    for (;;) {
      const t = token();
      if (t === 3) {
        const len = token();
        const nameoff = token();
        nameOffsets.push(nameoff);
        const pname = cstr(header.offStrings + nameoff);
        assert.ok(!n.props.has(pname), `duplicate property ${pname}`);
        n.props.set(pname, blob.slice(p, p + len));
        p += len;
        align();
      } else if (t === 1) {
        n.children.push(readNode());
      } else if (t === 2) {
        return n;
      } else if (t !== 4) {
        throw new Error(`unexpected token ${t} at ${p - 4}`);
      }
    }
  };
  assert.equal(token(), 1, 'structure block starts with FDT_BEGIN_NODE');
  const root = readNode();
  assert.equal(token(), 9, 'structure block ends with FDT_END');
  assert.equal(p, header.offStruct + header.sizeStruct, 'size_dt_struct covers the tokens exactly');
  return { header, reserve, root, nameOffsets };
}

const cells = (b: Uint8Array): number[] => {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  for (let i = 0; i < b.length; i += 4) out.push(dv.getUint32(i));
  return out;
};
const text = (b: Uint8Array): string[] => new TextDecoder().decode(b).split('\0').slice(0, -1);
const child = (n: ParsedNode, name: string): ParsedNode => {
  const c = n.children.find((x) => x.name === name);
  assert.ok(c, `node ${name}`);
  return c;
};
const propOf = (n: ParsedNode, name: string): Uint8Array => {
  const v = n.props.get(name);
  assert.ok(v, `property ${name} of ${n.name || '/'}`);
  return v;
};

// ---------------------------------------------------------------- tests

test('header: magic, version 17, last compatible 16, block offsets and sizes', () => {
  const blob = writeFdt(node('', [prop('model', str('x'))]), { bootCpuid: 3 });
  const { header } = parse(blob);
  assert.equal(header.magic, FDT_MAGIC);
  assert.equal(header.version, 17);
  assert.equal(header.lastComp, 16);
  assert.equal(header.bootCpuid, 3);
  assert.equal(header.totalsize, blob.length);
  assert.equal(header.offRsv, 40);
  assert.equal(header.offRsv % 8, 0);
  assert.equal(header.offStruct % 4, 0);
  assert.equal(header.offStrings, header.offStruct + header.sizeStruct);
  assert.equal(header.totalsize, header.offStrings + header.sizeStrings);
});

test('every kind of value round-trips', () => {
  const blob = writeFdt(
    node(
      '',
      [
        prop('e', empty()),
        prop('c', u32(1, 0xffff_ffff, 0)),
        prop('q', u64(0x8000_0000, 2 ** 40 + 5, 0xffff_ffff_ffff_ffffn)),
        prop('s', str('hello')),
        prop('l', strs('a', 'bc', '')),
        prop('b', bytes(new Uint8Array([1, 2, 3]))),
      ],
      [node('child@1f', [prop('x', str('é'))])],
    ),
  );
  const { root } = parse(blob);
  assert.equal(propOf(root, 'e').length, 0);
  assert.deepEqual(cells(propOf(root, 'c')), [1, 0xffff_ffff, 0]);
  assert.deepEqual(cells(propOf(root, 'q')), [0, 0x8000_0000, 0x100, 5, 0xffff_ffff, 0xffff_ffff]);
  assert.deepEqual(text(propOf(root, 's')), ['hello']);
  assert.deepEqual(text(propOf(root, 'l')), ['a', 'bc', '']);
  assert.deepEqual([...propOf(root, 'b')], [1, 2, 3]);
  assert.deepEqual(text(propOf(child(root, 'child@1f'), 'x')), ['é']);
});

test('property names are stored once in the strings block', () => {
  const blob = writeFdt(
    node('', [prop('compatible', str('a'))], [
      node('n1', [prop('compatible', str('b')), prop('reg', u32(1))]),
      node('n2', [prop('reg', u32(2)), prop('compatible', str('c'))]),
    ]),
  );
  const { header, nameOffsets } = parse(blob);
  assert.equal(nameOffsets.length, 5);
  assert.equal(new Set(nameOffsets).size, 2);
  assert.equal(header.sizeStrings, 'compatible\0reg\0'.length);
});

test('phandles: explicit numbers, labels resolved to the lowest free number, unreferenced labels get none', () => {
  const tree: FdtNode = node('', [], [
    node('a', [], [], { label: 'a', phandle: 1 }),
    node('b', [], [], { label: 'b' }),
    node('c', [], [], { label: 'c' }),
    node('d', [], [], { label: 'd', phandle: 7 }),
    node('user', [prop('refs', u32(ref('b'), 9, ref('a'), ref('d')))]),
  ]);
  const { root } = parse(writeFdt(tree));
  assert.deepEqual(cells(propOf(child(root, 'a'), 'phandle')), [1]);
  assert.deepEqual(cells(propOf(child(root, 'b'), 'phandle')), [2]);
  assert.equal(child(root, 'c').props.has('phandle'), false);
  assert.deepEqual(cells(propOf(child(root, 'd'), 'phandle')), [7]);
  assert.deepEqual(cells(propOf(child(root, 'user'), 'refs')), [2, 9, 1, 7]);
});

test('memory reservation block and extra space', () => {
  const blob = writeFdt(node(''), {
    memReserve: [
      { address: 0x8000_0000, size: 0x20_0000 },
      { address: 0x1_0000_0000n, size: 4096 },
    ],
    extraSpace: 1024,
  });
  const { reserve, header } = parse(blob);
  assert.deepEqual(reserve, [
    [0x8000_0000n, 0x20_0000n],
    [0x1_0000_0000n, 4096n],
  ]);
  assert.equal(header.totalsize, blob.length);
  assert.equal(header.totalsize, header.offStrings + header.sizeStrings + 1024);
});

test('node and property layout is 4-byte aligned whatever the lengths', () => {
  const names = ['a', 'ab', 'abc', 'abcd', 'abcde'];
  const tree = node(
    '',
    names.map((n) => prop(n, str(n))),
    names.map((n) => node(n, [prop('v', bytes(new Uint8Array(n.length)))])),
  );
  const { root } = parse(writeFdt(tree));
  for (const n of names) {
    assert.deepEqual(text(propOf(root, n)), [n]);
    assert.equal(propOf(child(root, n), 'v').length, n.length);
  }
});

test('invalid trees are rejected with the offending path', () => {
  const bad: Array<[FdtNode, RegExp]> = [
    [node('x'), /root node must have an empty name/],
    [node('', [], [node('bad name')]), /\/bad name: invalid node name/],
    [node('', [], [node('a'), node('a')]), /\/a: duplicate node name/],
    [node('', [prop('p', u32(1)), prop('p', u32(2))]), /\/:p: duplicate property/],
    [node('', [prop('bad prop', u32(1))]), /invalid property name/],
    [node('', [prop('p', u32(2 ** 32))]), /not a u32/],
    [node('', [prop('p', u32(-1))]), /not a u32/],
    [node('', [prop('p', u64(2 ** 60))]), /use a bigint/],
    [node('', [prop('p', u64(1n << 64n))]), /not a u64/],
    [node('', [prop('p', str('a\0b'))]), /NUL/],
    [node('', [prop('p', u32(ref('nope')))]), /unknown label "nope"/],
    [node('', [prop('phandle', u32(1))]), /phandle field/],
    [node('', [], [node('a', [], [], { label: 'x' }), node('b', [], [], { label: 'x' })]), /label "x" is used twice/],
    [node('', [], [node('a', [], [], { phandle: 3 }), node('b', [], [], { phandle: 3 })]), /phandle 3 is also used/],
    [node('', [], [node('a', [], [], { phandle: 0 })]), /phandle 0/],
  ];
  for (const [tree, re] of bad) assert.throws(() => writeFdt(tree), re);
  assert.throws(() => writeFdt(node(''), { extraSpace: -1 }), /extraSpace/);
});
