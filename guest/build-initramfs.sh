#!/usr/bin/env bash
# Build the Typevisor guest initramfs: a static busybox (Debian's busybox source, cross-compiled
# with riscv64-linux-gnu-gcc against glibc), the SMP test programs of guest/smp-tests/ (static,
# in /usr/bin) and the files in guest/rootfs/ (/init, /etc/profile, ...). Output:
# guest/images/initramfs.cpio (newc, reproducible: sorted entries, fixed mtimes, owner root).
# Not compressed: Linux unpacked the gzip -9 one in ~43 M instructions, half of a boot's (2.2 MiB
# instead of 1.4 MiB to store).
#
# Usage: guest/build-initramfs.sh          (build dir: guest/build/, gitignored)
# Env:   JOBS=N to override make -j$(nproc); SOURCE_DATE_EPOCH to change the fixed mtime.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

START=$(now)
apt_install gcc-riscv64-linux-gnu binutils-riscv64-linux-gnu libc6-dev-riscv64-cross \
  dpkg-dev cpio gzip make gcc libc6-dev xz-utils bzip2 patch
JOBS="${JOBS:-$(nproc)}"
BB_WORK="$BUILD_DIR/busybox"
STAGE="$BUILD_DIR/initramfs-root"
mkdir -p "$BUILD_DIR" "$IMAGES_DIR" "$BB_WORK"

# --- 1. Busybox source: `apt-get source busybox`, from a deb-src entry in a temporary sources
# file. The temporary file, the package lists and apt's cache are kept in a private directory
# (apt -o Dir::...) that is deleted afterwards, so the system's apt sources and lists are never
# modified.
find_src_dir() { find "$BB_WORK" -maxdepth 1 -type d -name 'busybox-*' | sort | tail -1; }
BB_SRC=$(find_src_dir)
if [ -z "$BB_SRC" ] || [ ! -f "$BB_SRC/.typevisor-source-version" ]; then
  rm -rf "$BB_WORK"; mkdir -p "$BB_WORK"
  APT_TMP=$(mktemp -d "$BUILD_DIR/apt-src.XXXXXX")
  trap 'rm -rf "$APT_TMP"' EXIT
  mkdir -p "$APT_TMP/lists/partial" "$APT_TMP/cache/archives/partial"
  # Same archive(s) and suites the system already uses for binary packages, as deb-src.
  system_uris() {
    { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources || true; } | awk '{ for (i = 2; i <= NF; i++) print $i }'
    { grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list || true; } |
      sed 's/\[[^]]*\]//' | awk '{ print $2 }'
  }
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  main_uris=$(system_uris | { grep -E '/debian/?$' || true; } | sort -u)
  security_uris=$(system_uris | { grep -E '/debian-security/?$' || true; } | sort -u)
  [ -n "$main_uris" ] || main_uris=http://deb.debian.org/debian
  {
    for u in $main_uris; do
      echo "deb-src [signed-by=$keyring] $u $codename main"
      echo "deb-src [signed-by=$keyring] $u $codename-updates main"
    done
    for u in $security_uris; do
      echo "deb-src [signed-by=$keyring] $u $codename-security main"
    done
  } > "$APT_TMP/typevisor-src.list"
  APT_OPTS=(-o Dir::Etc::sourcelist="$APT_TMP/typevisor-src.list" -o Dir::Etc::sourceparts=/nonexistent
            -o Dir::State::Lists="$APT_TMP/lists" -o Dir::Cache="$APT_TMP/cache" -o APT::Sandbox::User=root)
  log "apt-get source busybox (temporary deb-src list: $(wc -l < "$APT_TMP/typevisor-src.list") entries)"
  apt-get "${APT_OPTS[@]}" -qq update
  BB_SRC_VERSION=$(apt-cache "${APT_OPTS[@]}" showsrc busybox | awk '/^Version:/ { print $2 }' | sort -V | tail -1)
  (cd "$BB_WORK" && apt-get "${APT_OPTS[@]}" -qq source "busybox=$BB_SRC_VERSION" > "$BUILD_DIR/apt-source.log" 2>&1) || { tail -20 "$BUILD_DIR/apt-source.log"; die "apt-get source busybox failed"; }
  rm -rf "$APT_TMP"; trap - EXIT
  BB_SRC=$(find_src_dir)
  [ -n "$BB_SRC" ] || die "apt-get source busybox produced no source tree"
  echo "$BB_SRC_VERSION" > "$BB_SRC/.typevisor-source-version"
fi
BB_SRC_VERSION=$(cat "$BB_SRC/.typevisor-source-version")
log "busybox source: Debian busybox $BB_SRC_VERSION ($BB_SRC)"

# --- 2. Configure and build busybox, statically linked.
cd "$BB_SRC"
BBMAKE=(make CROSS_COMPILE="$CROSS_COMPILE" -j"$JOBS")
"${BBMAKE[@]}" -s defconfig >/dev/null
set_opt() { # set_opt NAME y|n
  sed -i -e "/^CONFIG_$1=/d" -e "/^# CONFIG_$1 is not set/d" .config
  if [ "$2" = n ]; then echo "# CONFIG_$1 is not set" >> .config; else echo "CONFIG_$1=$2" >> .config; fi
}
set_opt STATIC y
# Fails to build against Linux >= 6.x uapi headers (CBQ qdisc definitions were removed).
set_opt TC n
"${BBMAKE[@]}" -s oldconfig </dev/null >/dev/null
# Applets the guest (and the tests of the emulator) rely on: fail if any is missing.
required="ASH ASH_JOB_CONTROL SH_IS_ASH MOUNT SLEEP UNAME CAT ECHO SHA256SUM GZIP DD WGET UDHCPC IP
  IFCONFIG POWEROFF REBOOT HALT NPROC SEQ TIME CTTYHACK SETSID DATE HEAD GREP AWK HWCLOCK FREE TOP PS
  VI NC HTTPD HOSTNAME LS STATIC FEATURE_EDITING FEATURE_EDITING_FANCY_PROMPT USE_BB_PWD_GRP"
for o in $required; do
  grep -q "^CONFIG_$o=y" .config || die "busybox config: CONFIG_$o is not enabled"
done
log "building busybox (static, -j$JOBS)"
"${BBMAKE[@]}" -s busybox >/dev/null 2> "$BUILD_DIR/busybox-build.log" || {
  tail -40 "$BUILD_DIR/busybox-build.log"; die "busybox build failed"; }
file busybox | grep -q 'statically linked' || die "busybox is not statically linked"
cp .config "$IMAGES_DIR/busybox.config"

# --- 3. Stage the root filesystem.
rm -rf "$STAGE"; mkdir -p "$STAGE"
"${BBMAKE[@]}" -s install CONFIG_PREFIX="$STAGE" >/dev/null
rm -f "$STAGE/linuxrc"
mkdir -p "$STAGE"/{dev,proc,sys,tmp,run,root,mnt,etc,var,usr/share}
chmod 1777 "$STAGE/tmp"; chmod 700 "$STAGE/root"
ln -s ../run "$STAGE/var/run"; mkdir -p "$STAGE/var/tmp" "$STAGE/var/log"
cp -a "$GUEST_DIR/rootfs/." "$STAGE/"
# The SMP test programs (guest/smp-tests/): one static binary and its two names, in /usr/bin.
"$GUEST_DIR/smp-tests/build.sh" "$BUILD_DIR/smp-tests"
mkdir -p "$STAGE/usr/bin"
cp -a "$BUILD_DIR/smp-tests/smp-tests" "$BUILD_DIR/smp-tests/smp-counters" "$BUILD_DIR/smp-tests/smp-litmus" "$STAGE/usr/bin/"
chmod 755 "$STAGE/init"
chmod 600 "$STAGE/etc/shadow"
# /dev/console must exist before devtmpfs is mounted: the kernel opens it for init's stdio.
mknod -m 600 "$STAGE/dev/console" c 5 1
find "$STAGE" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

# --- 4. Pack: newc cpio, sorted, owner root:root, fixed mtimes, no inode/device numbers.
(cd "$STAGE" && find . -mindepth 1 -printf '%P\n' | sort |
  cpio --quiet -o -H newc -R 0:0 --reproducible) > "$IMAGES_DIR/initramfs.cpio.tmp"
mv "$IMAGES_DIR/initramfs.cpio.tmp" "$IMAGES_DIR/initramfs.cpio"
rm -f "$IMAGES_DIR/initramfs.cpio.gz" # the compressed one this script wrote before 2026-11-26

SECS=$(elapsed "$START")
measure_cpu
cat > "$IMAGES_DIR/initramfs.build-info" <<INFO
package=busybox (source)
version=$BB_SRC_VERSION
compiler=$(${CROSS_COMPILE}gcc --version | head -1)
libc=libc6-dev-riscv64-cross $(pkg_version libc6-dev-riscv64-cross)
busybox_bytes=$(stat -c %s "$BB_SRC/busybox")
smp_tests_bytes=$(stat -c %s "$BUILD_DIR/smp-tests/smp-tests")
applet_links=$(find "$STAGE" -type l -lname '*busybox' | wc -l)
entries=$(cd "$STAGE" && find . -mindepth 1 | wc -l)
jobs=$JOBS
build_seconds=$SECS
cpu_seconds=$CPU_SECS
INFO
log "busybox: $(stat -c %s "$BB_SRC/busybox") bytes; initramfs.cpio: $(stat -c %s "$IMAGES_DIR/initramfs.cpio") bytes"
log "initramfs build took ${SECS}s (wall clock; ${CPU_SECS}s of CPU time)"
