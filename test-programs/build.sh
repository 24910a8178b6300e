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

ASFLAGS=(-march=rv64gc -mabi=lp64d -mcmodel=medany -fno-pic -ffreestanding -Wa,--fatal-warnings -Icommon -Iisa)
LDFLAGS=(-march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static -no-pie -T common/link.ld
         -Wl,--no-relax -Wl,--build-id=none)

# Objects get fixed names (the linker records them as file symbols), so the ELFs are reproducible.
mkdir -p bin build
"$CC" "${ASFLAGS[@]}" -c common/runtime.S -o build/runtime.o
status=0
for src in isa/*.S; do
  name="$(basename "$src" .S)"
  if "$CC" "${ASFLAGS[@]}" -c "$src" -o "build/$name.o" &&
     "$CC" "${LDFLAGS[@]}" "build/$name.o" build/runtime.o -o "bin/$name.elf"; then
    echo "built bin/$name.elf"
  else
    echo "FAILED to build $src" >&2
    status=1
  fi
done
exit $status
