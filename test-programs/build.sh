#!/usr/bin/env bash
# Builds every test-programs/isa/*.S into test-programs/bin/<name>.elf.
# Needs a RISC-V cross toolchain: riscv64-unknown-elf-gcc (apt-get install gcc-riscv64-unknown-elf)
# or riscv64-linux-gnu-gcc (apt-get install gcc-riscv64-linux-gnu). CC=... overrides.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

if [[ -z "${CC:-}" ]]; then
  for c in riscv64-unknown-elf-gcc riscv64-linux-gnu-gcc; do
    if command -v "$c" >/dev/null 2>&1; then CC="$c"; break; fi
  done
fi
if [[ -z "${CC:-}" ]]; then
  echo "build.sh: no RISC-V cross compiler found (apt-get install gcc-riscv64-unknown-elf)" >&2
  exit 1
fi

CFLAGS=(-march=rv64gc -mabi=lp64d -mcmodel=medany -nostdlib -nostartfiles -ffreestanding -static
        -Wa,--fatal-warnings -Icommon -T common/link.ld -Wl,--no-relax -Wl,--build-id=none)

mkdir -p bin
status=0
for src in isa/*.S; do
  name="$(basename "$src" .S)"
  if "$CC" "${CFLAGS[@]}" "$src" common/runtime.S -o "bin/$name.elf"; then
    echo "built bin/$name.elf"
  else
    echo "FAILED to build $src" >&2
    status=1
  fi
done
exit $status
