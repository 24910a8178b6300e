# Shared helpers for the guest build scripts (sourced, not executed).

GUEST_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$GUEST_DIR/build"
IMAGES_DIR="$GUEST_DIR/images"
CROSS_COMPILE=riscv64-linux-gnu-
export LC_ALL=C

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Make sure we can write to /var/lib/dpkg etc.
need_root() { [ "$(id -u)" = 0 ] || die "must run as root (apt-get install)"; }

# apt_install PKG...: install the packages that are missing, quietly. Idempotent. Waits for the
# dpkg lock if another apt/dpkg process is running.
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  need_root
  log "apt-get install ${missing[*]}"
  if [ ! -d /var/lib/apt/lists ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]; then
    apt-get -o DPkg::Lock::Timeout=600 -qq update >/dev/null
  fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    # The package lists may be stale: refresh and try once more.
    apt-get -o DPkg::Lock::Timeout=600 -qq update >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

pkg_version() { dpkg-query -W -f='${Version}' "$1"; }

# Seconds since the epoch, with fractions.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# Reproducible file timestamps (SOURCE_DATE_EPOCH can override): 2024-01-01T00:00:00Z.
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1704067200}"
export SOURCE_DATE_EPOCH

# measure_cpu: set CPU_SECS to the CPU seconds (user + sys) used so far by this script's finished
# child processes (make, gcc, ...). Must run in the script's own shell, not inside $(...).
measure_cpu() {
  local f
  f=$(mktemp)
  times > "$f"
  CPU_SECS=$(tail -1 "$f" | awk '{
    t = 0
    for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] }
    printf "%.1f", t }')
  rm -f "$f"
}
