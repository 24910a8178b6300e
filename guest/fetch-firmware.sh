#!/usr/bin/env bash
# Copy OpenSBI's generic-platform firmware (Debian package `opensbi`) into guest/images/.
# fw_dynamic: the previous boot stage (QEMU's or Typevisor's reset code) passes a struct
# fw_dynamic_info in a2 telling OpenSBI where the next stage (the kernel) is and in which mode to
# start it; a0 = hartid, a1 = device tree address.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

START=$(now)
apt_install opensbi
FW_DIR=/usr/lib/riscv64-linux-gnu/opensbi/generic
mkdir -p "$IMAGES_DIR"
[ -f "$FW_DIR/fw_dynamic.bin" ] || die "$FW_DIR/fw_dynamic.bin not found (package opensbi $(pkg_version opensbi))"
install -m 644 "$FW_DIR/fw_dynamic.bin" "$IMAGES_DIR/fw_dynamic.bin"
if [ -f "$FW_DIR/fw_dynamic.elf" ]; then
  install -m 644 "$FW_DIR/fw_dynamic.elf" "$IMAGES_DIR/fw_dynamic.elf"
fi
cat > "$IMAGES_DIR/firmware.build-info" <<INFO
package=opensbi
version=$(pkg_version opensbi)
source=$FW_DIR
build_seconds=$(elapsed "$START")
INFO
log "opensbi $(pkg_version opensbi): copied $(cd "$IMAGES_DIR" && ls fw_dynamic.* | tr '\n' ' ')"
