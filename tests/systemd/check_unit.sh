#!/usr/bin/env bash
# Checks the shipped unit file: `systemd-analyze verify` says nothing at all, and
# `systemd-analyze security --offline=true` rates its exposure at most 2.0.
#   check_unit.sh UNIT_FILE BINARY
# verify needs ExecStart's binary to exist: a copy of the unit points at BINARY instead.
# Exits 77 (ctest: skipped) when systemd-analyze is not installed.
set -euo pipefail
unit=$1
binary=$2
max_exposure=2.0

if ! command -v systemd-analyze >/dev/null; then
  echo "SKIPPED: systemd-analyze not found (Debian package: systemd)"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copy="$work/fjwatch.service"
sed "s#^ExecStart=/usr/bin/fjwatch #ExecStart=$binary #" "$unit" >"$copy"
grep -q "^ExecStart=$binary " "$copy" || { echo "FAIL: no ExecStart=/usr/bin/fjwatch in $unit"; exit 1; }

cd "$work"
verify=$(systemd-analyze verify "$copy" 2>&1) || { echo "FAIL: verify:"; echo "$verify"; exit 1; }
if [ -n "$verify" ]; then
  echo "FAIL: verify printed warnings:"
  echo "$verify"
  exit 1
fi
echo "verify: clean"

report=$(systemd-analyze security --offline=true "$copy" 2>&1) || true
level=$(sed -n 's/.*Overall exposure level for fjwatch.service: \([0-9.]*\).*/\1/p' <<<"$report")
if [ -z "$level" ]; then
  echo "FAIL: no exposure level in:"
  echo "$report"
  exit 1
fi
echo "security: exposure $level (at most $max_exposure)"
awk -v l="$level" -v m="$max_exposure" 'BEGIN { exit !(l <= m) }' || {
  echo "FAIL: exposure $level is over $max_exposure:"
  grep '✗' <<<"$report"
  exit 1
}
