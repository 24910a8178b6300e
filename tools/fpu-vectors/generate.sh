#!/usr/bin/env bash
# Regenerates the committed RISC-V F/D reference vectors by running every
# instruction on QEMU's RISC-V implementation (user mode).
#
# Needs (Debian): qemu-user gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
#
#   tools/fpu-vectors/generate.sh                 # committed file
#   tools/fpu-vectors/generate.sh OUT SEED PER_RM PER_OP
#                                                  # e.g. a big local file:
#   tools/fpu-vectors/generate.sh /tmp/big.bin 7 3000 10000
#   FPU_VECTORS=/tmp/big.bin node --test dist/riscv/fpu/vectors.test.js
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/src/riscv/fpu/vectors/fpu-vectors.bin.gz}"
seed="${2:-1}"
per_rm="${3:-80}"
per_op="${4:-300}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
riscv64-linux-gnu-gcc -O1 -static -Wall -Wextra -o "$tmp/fpugen" "$here/fpugen.c"
qemu-riscv64 "$tmp/fpugen" "$seed" "$per_rm" "$per_op" > "$tmp/vectors.bin"
mkdir -p "$(dirname "$out")"
case "$out" in
  *.gz) gzip -9 -n -c "$tmp/vectors.bin" > "$out" ;;
  *) cp "$tmp/vectors.bin" "$out" ;;
esac
echo "wrote $out ($(wc -c < "$out") bytes) with $(qemu-riscv64 --version | head -1)"
