#!/usr/bin/env bash
# Runs every test-programs/bin/*.elf on QEMU's spike machine (the reference for Typevisor's
# bare-metal mode) and prints a table. Exits non-zero if any program does not give its expected
# exit status and output.
#   QEMU=qemu-system-riscv64  QEMU_CPU=rv64  TIMEOUT=20  ./check-qemu.sh [name...]
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
QEMU="${QEMU:-qemu-system-riscv64}"
TIMEOUT="${TIMEOUT:-20}"
cpu_args=()
if [[ -n "${QEMU_CPU:-}" ]]; then cpu_args=(-cpu "$QEMU_CPU"); fi

expected_code() {
  case "$1" in
    exit3) echo 3 ;;
    *) echo 0 ;;
  esac
}
expected_output() {
  case "$1" in
    hello) printf 'hello from bare metal\n' ;;
    *) printf '' ;;
  esac
}

if [[ $# -gt 0 ]]; then names=("$@"); else
  names=()
  for f in "$here"/bin/*.elf; do names+=("$(basename "$f" .elf)"); done
fi

printf '%-16s %-9s %-9s %-8s %s\n' program expected exit result output
failed=0
for name in "${names[@]}"; do
  elf="$here/bin/$name.elf"
  out="$(timeout "$TIMEOUT" "$QEMU" -M spike -m 128M "${cpu_args[@]}" -bios none -nographic \
          -monitor none -serial stdio -kernel "$elf" 2>&1 </dev/null; echo "rc=$?")"
  code="${out##*rc=}"
  out="${out%rc=*}"
  want="$(expected_code "$name")"
  want_out="$(expected_output "$name"; echo x)"; want_out="${want_out%x}"
  result=pass
  if [[ "$code" != "$want" || "$out" != "$want_out" ]]; then result=FAIL; failed=$((failed + 1)); fi
  [[ "$code" == 124 ]] && code="timeout"
  shown="$(printf '%s' "$out" | tr '\n' '|' | cut -c1-120)"
  printf '%-16s %-9s %-9s %-8s %s\n' "$name" "$want" "$code" "$result" "$shown"
done
echo "${#names[@]} programs, $((${#names[@]} - failed)) passed, $failed failed"
[[ $failed -eq 0 ]]
