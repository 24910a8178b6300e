/**
 * The part of the WebAssembly JavaScript API that Typevisor uses (guest RAM in a WebAssembly.Memory, the
 * translator's modules). TypeScript declares it only in its DOM library, which this Node project does not load.
 */
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    /** A shared memory (its buffer is a SharedArrayBuffer; needs `maximum`). */
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  type ImportValue = Memory | Table | ((...args: never[]) => unknown);
  type Imports = Record<string, Record<string, ImportValue>>;
  type ExportValue = Memory | Table | ((...args: never[]) => unknown);
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Record<string, ExportValue>;
  }
  interface TableDescriptor {
    element: 'anyfunc';
    initial: number;
    maximum?: number;
  }
  class Table {
    constructor(descriptor: TableDescriptor);
    readonly length: number;
    get(index: number): unknown;
    set(index: number, value: unknown): void;
    grow(delta: number): number;
  }
  function validate(bytes: Uint8Array): boolean;
  function compile(bytes: Uint8Array): Promise<Module>;
}
