#!/bin/sh
# Instruction-level CPU profile of the WebAssembly Typevisor generates (its WebAssembly interpreter, translated
# blocks) and of everything else, over one boot of the bundled guest to its prompt:
#
#   sh tools/perf-wasm.sh [outdir] [symbol]
#
# Prints the hottest symbols (of all threads: V8 compiles on its own), then writes `outdir`/annotate.txt, the
# machine code of `symbol` (default the WebAssembly interpreter as TurboFan compiles it,
# 'JS:wasm-function[2]-2-turbofan') with each instruction's share of its samples; `outdir` keeps the jitted-*.so
# files `perf annotate` reads for other symbols. Needs Linux perf (Debian: linux-perf) and `npm run build` first.
# perf samples the software clock (-e cpu-clock), which works on VMs without hardware counters; V8 writes the code
# it generates, with names, to a jitdump file (--perf-prof) that `perf inject --jit` merges in. The boot runs with
# the executable's Node options (src/cli/node-flags.ts) and stops after 38 M guest instructions
# (--max-instructions), about where the prompt comes.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-/tmp/typevisor-perf}
symbol=${2:-JS:wasm-function[2]-2-turbofan}
command -v perf >/dev/null || { echo "perf-wasm: perf not found (apt-get install linux-perf)" >&2; exit 1; }
[ -f "$here/dist/bundle/typevisor.cjs" ] || { echo "perf-wasm: run npm run build first" >&2; exit 1; }
mkdir -p "$out"
rm -f "$out"/jit-*.dump "$out"/jitted-*.so "$out"/isolate-*.log "$out"/perf.data "$out"/perf.jit.data
flags=$(head -1 "$here/bin/typevisor.cjs" | sed 's/.* node //')
cd "$out"
# The jitdump goes to the working directory; -k mono gives its timestamps and perf's the same clock.
env -u NODE_EXTRA_CA_CERTS perf record -e cpu-clock -F 20000 -k mono -o perf.data \
  node --perf-prof --no-write-protect-code-memory --interpreted-frames-native-stack $flags \
  "$here/bin/typevisor.cjs" run --max-instructions 38000000 </dev/null >/dev/null || true
perf inject --jit -i perf.data -o perf.jit.data 2>/dev/null
perf report -i perf.jit.data --stdio --sort symbol 2>/dev/null | grep -v '^#' | grep -v '^$' | head -25 | cut -c1-100
perf annotate -i perf.jit.data --stdio -s "$symbol" >annotate.txt 2>/dev/null || true
echo "perf-wasm: $out/annotate.txt has $symbol's instructions with their share of its samples"
