#!/usr/bin/env bash
# Build the Typevisor guest kernel: Linux 6.1 from Debian's linux-source-6.1, RV64, configured
# from allnoconfig + guest/kernel.config. Output: guest/images/Image.gz (gzip -9 -n of
# arch/riscv/boot/Image; the emulator gunzips it when loading).
#
# Usage: guest/build-kernel.sh            (build dir: guest/build/, gitignored)
# Env:   JOBS=N to override make -j$(nproc)
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

START=$(now)
apt_install gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu linux-source-6.1 bc flex bison \
  libssl-dev libelf-dev cpio xz-utils make gcc libc6-dev

KVER_PKG=$(pkg_version linux-source-6.1)
TARBALL=/usr/src/linux-source-6.1.tar.xz
SRC="$BUILD_DIR/linux-source-6.1"
FRAGMENT="$GUEST_DIR/kernel.config"
JOBS="${JOBS:-$(nproc)}"
KMAKE=(make -C "$SRC" ARCH=riscv CROSS_COMPILE="$CROSS_COMPILE" -j"$JOBS"
       KBUILD_BUILD_USER=typevisor KBUILD_BUILD_HOST=typevisor KBUILD_BUILD_VERSION=1
       KBUILD_BUILD_TIMESTAMP="$(date -u -d "@$SOURCE_DATE_EPOCH" '+%Y-%m-%d %H:%M:%S UTC')")

mkdir -p "$BUILD_DIR" "$IMAGES_DIR"

# Extract the source (again) if it is missing or from another package version.
if [ ! -f "$SRC/.typevisor-extracted" ] || [ "$(cat "$SRC/.typevisor-extracted")" != "$KVER_PKG" ]; then
  log "extracting $TARBALL (linux-source-6.1 $KVER_PKG)"
  rm -rf "$SRC"
  tar -C "$BUILD_DIR" -xf "$TARBALL"
  echo "$KVER_PKG" > "$SRC/.typevisor-extracted"
fi

# Apply guest/kernel-patches/*.patch in order, each once (a marker file records it).
for p in "$GUEST_DIR"/kernel-patches/*.patch; do
  [ -e "$p" ] || continue
  marker="$SRC/.typevisor-patch-$(basename "$p")"
  if [ ! -f "$marker" ]; then
    log "applying $(basename "$p")"
    patch -d "$SRC" -p1 --forward --quiet < "$p"
    touch "$marker"
  fi
done

# Configure: allnoconfig, merge the fragment, olddefconfig.
log "configuring: allnoconfig + $(basename "$FRAGMENT")"
"${KMAKE[@]}" -s allnoconfig
(cd "$SRC" && ARCH=riscv CROSS_COMPILE="$CROSS_COMPILE" \
  scripts/kconfig/merge_config.sh -m -O "$SRC" "$SRC/.config" "$FRAGMENT" >/dev/null)
"${KMAKE[@]}" -s olddefconfig

# Check every option of the fragment ended up as requested.
mismatches=0
while IFS= read -r line; do
  if [[ "$line" =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
    opt=${BASH_REMATCH[1]}; want=${BASH_REMATCH[2]}
  elif [[ "$line" =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
    opt=${BASH_REMATCH[1]}; want=n
  else
    continue
  fi
  got=$(grep -E "^$opt=" "$SRC/.config" | head -1 | cut -d= -f2- || true)
  [ -z "$got" ] && got=n
  if [ "$got" != "$want" ]; then
    echo "config mismatch: $opt: requested $want, got $got" >&2
    mismatches=$((mismatches + 1))
  fi
done < "$FRAGMENT"
[ "$mismatches" -eq 0 ] || die "$mismatches option(s) of $FRAGMENT not set as requested"
log "config OK: every option of $(basename "$FRAGMENT") is set as requested"

# Build.
log "building Image with -j$JOBS"
"${KMAKE[@]}" -s Image

gzip -9 -n -c "$SRC/arch/riscv/boot/Image" > "$IMAGES_DIR/Image.gz.tmp"
mv "$IMAGES_DIR/Image.gz.tmp" "$IMAGES_DIR/Image.gz"
cp "$SRC/.config" "$IMAGES_DIR/kernel.config.full"

SECS=$(elapsed "$START")
measure_cpu
cat > "$IMAGES_DIR/kernel.build-info" <<INFO
package=linux-source-6.1
version=$KVER_PKG
kernelrelease=$("${KMAKE[@]}" -s kernelrelease)
compiler=$(${CROSS_COMPILE}gcc --version | head -1)
binutils=$(${CROSS_COMPILE}ld --version | head -1)
jobs=$JOBS
build_seconds=$SECS
cpu_seconds=$CPU_SECS
patches=$(cd "$GUEST_DIR/kernel-patches" 2>/dev/null && ls *.patch 2>/dev/null | tr '\n' ' ')
INFO
log "Image: $(stat -c %s "$SRC/arch/riscv/boot/Image") bytes, Image.gz: $(stat -c %s "$IMAGES_DIR/Image.gz") bytes"
log "kernel build took ${SECS}s (wall clock; ${CPU_SECS}s of CPU time)"
