#!/usr/bin/env bash
# `cmake --install` into a temporary DESTDIR lays out exactly the expected files, and the unit's
# ExecStart follows the install prefix.
#   check_install.sh BUILD_DIR UNIT_DIR
# UNIT_DIR is where the build puts the unit: absolute (systemd's own, from pkg-config) or
# relative to the prefix.
set -euo pipefail
build=$1
unit_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

for prefix in /usr /opt/fj; do
  case $unit_dir in
    /*) unitdir=${unit_dir#/} ;;
    *) unitdir=${prefix#/}/$unit_dir ;;
  esac
  dest="$work/root${prefix//\//_}"
  DESTDIR=$dest cmake --install "$build" --prefix "$prefix" >"$work/log" 2>&1 ||
    { cat "$work/log"; fail "cmake --install --prefix $prefix"; }
  root="$dest$prefix"
  expected=$(printf '%s\n' \
    "$root/bin/fjwatch" \
    "$dest/$unitdir/fjwatch.service" \
    "$root/share/doc/fjwatch/README.md" \
    "$root/share/doc/fjwatch/README.systemd.md" \
    "$root/share/doc/fjwatch/fjwatch.example.yaml" \
    "$root/share/doc/fjwatch/watchlist.example.yaml" \
    "$root/share/fjwatch/fjwatch.example.yaml" \
    "$root/share/fjwatch/watchlist.example.yaml" | sort)
  actual=$(find "$dest" -type f | sort)
  [ "$actual" = "$expected" ] ||
    fail "prefix $prefix: files differ from the expected layout:$(diff <(echo "$expected") <(echo "$actual"))"
  [ -x "$root/bin/fjwatch" ] || fail "bin/fjwatch is not executable"
  "$root/bin/fjwatch" version | grep -q '^fjwatch ' || fail "installed fjwatch does not run"
  grep -qx "ExecStart=$prefix/bin/fjwatch run -c /etc/fjwatch/fjwatch.yaml" "$dest/$unitdir/fjwatch.service" ||
    fail "prefix $prefix: ExecStart is $(grep ExecStart "$dest/$unitdir/fjwatch.service")"
  cmp -s "$root/share/fjwatch/fjwatch.example.yaml" "$(dirname "$0")/../../config/fjwatch.example.yaml" ||
    fail "the installed example config differs from config/fjwatch.example.yaml"
  echo "prefix $prefix: $(echo "$actual" | wc -l) files as expected"
done
