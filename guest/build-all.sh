#!/usr/bin/env bash
# Rebuild every guest artifact in guest/images/ and its MANIFEST.md, then (unless --no-check)
# boot them in QEMU and record the result.
#
# Usage: guest/build-all.sh [--clean] [--no-check | --check-only]
#   --clean       delete guest/build/ first (a from-scratch build: ~5-10 minutes on 2 cores)
#   --no-check    do not run the QEMU smoke test (guest/qemu-smoke.py)
#   --check-only  build nothing: only run the QEMU check on the committed images and rewrite MANIFEST.md
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

clean=0; check=1; build=1
for a in "$@"; do
  case "$a" in
    --clean) clean=1 ;;
    --no-check) check=0 ;;
    --check-only) build=0 ;;
    *) die "unknown option $a (use --clean, --no-check, --check-only)" ;;
  esac
done

START=$(now)
if [ "$build" = 1 ]; then
  [ "$clean" = 1 ] && rm -rf "$BUILD_DIR"
  "$GUEST_DIR/fetch-firmware.sh"
  "$GUEST_DIR/build-initramfs.sh"
  "$GUEST_DIR/build-kernel.sh"
fi

rm -f "$IMAGES_DIR/qemu-check.txt"
if [ "$check" = 1 ]; then
  apt_install qemu-system-misc python3
  mkdir -p "$BUILD_DIR"
  out="$BUILD_DIR/qemu-check.txt"
  : > "$out"
  status=0
  # QEMU's default hart, with earlycon, with 2 harts, and a hart reduced to plain RV64GC (no H,
  # Sstc, Zihintpause, Zb*): the last is the closest to what Typevisor provides.
  for args in "" "--append=console=ttyS0 earlycon=sbi" "--smp=2" \
      "--cpu=rv64,h=false,sstc=false,Zihintpause=false,zba=false,zbb=false,zbc=false,zbs=false"; do
    "$GUEST_DIR/qemu-smoke.py" ${args:+"$args"} 2>&1 | sed "s|$GUEST_DIR/images/|guest/images/|g; s|/tmp/typevisor-qemu-[^/ ]*/|<tmp>/|g" >> "$out" || status=1
    echo >> "$out"
  done
  cat "$out"
  [ "$status" = 0 ] || die "QEMU check failed (see above)"
  cp "$out" "$IMAGES_DIR/qemu-check.txt"
fi
"$GUEST_DIR/write-manifest.sh"
log "done in $(elapsed "$START")s"
