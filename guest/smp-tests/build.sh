#!/usr/bin/env bash
# Cross-compile the SMP guest tests (static RV64GC Linux binaries, glibc + pthreads).
#
# Usage: guest/smp-tests/build.sh [OUTDIR]     (default OUTDIR: guest/build/smp-tests, gitignored)
# Output: OUTDIR/smp-tests, one binary holding both tests (multicall.c), and the links smp-counters and
# smp-litmus to it. guest/build-initramfs.sh runs this and installs all three in /usr/bin of the initramfs.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

apt_install gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu libc6-dev-riscv64-cross
SRC="$GUEST_DIR/smp-tests"
OUT="${1:-$BUILD_DIR/smp-tests}"
mkdir -p "$OUT"
# -march=rv64gc: the A extension for lr/sc and the AMOs; static so the busybox initramfs needs no libc.
# -ffile-prefix-map keeps the build path out of the binaries; -s strips them (the initramfs stays small).
CFLAGS=(-O2 -Wall -Wextra -Werror -march=rv64gc -mabi=lp64d -static -pthread -s
        -Wl,--build-id=none)
(cd "$SRC" && "${CROSS_COMPILE}gcc" "${CFLAGS[@]}" -o "$OUT/smp-tests" multicall.c smp-counters.c smp-litmus.c)
file "$OUT/smp-tests" | grep -q 'statically linked' || die "smp-tests is not statically linked"
for t in smp-counters smp-litmus; do ln -sf smp-tests "$OUT/$t"; done
log "smp-tests: $(stat -c %s "$OUT/smp-tests") bytes ($(gzip -9c "$OUT/smp-tests" | wc -c) gzip'd)"
