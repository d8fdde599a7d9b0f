#!/usr/bin/env bash
# CPack builds the .deb from BUILD_DIR; dpkg-deb shows its control fields, maintainer scripts and
# contents as Debian 12 needs them. Exits 77 (ctest: skipped) without cpack/dpkg-deb/dpkg-shlibdeps.
#   check_deb.sh BUILD_DIR
set -euo pipefail
build=$1
for tool in cpack dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "SKIPPED: $tool not found (Debian packages: cmake, dpkg-dev)"; exit 77; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work" >"$work/log" 2>&1 || { cat "$work/log"; fail cpack; }
deb=$(ls "$work"/fjwatch_*_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { cat "$work/log"; fail "no fjwatch_*.deb in cpack's output"; }
echo "built $(basename "$deb")"

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = fjwatch ] || fail "Package: $(field Package)"
[ -n "$(field Version)" ] || fail "no Version"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture: $(field Architecture)"
depends=$(field Depends)
for lib in ca-certificates libc6 libssl3 libsystemd0 libsqlite3-0 libyaml-cpp0.7 libboost-json1.81.0 'libspdlog1.10'; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
echo "Depends: $depends"

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
unit=$(grep -E '^\./(usr/)?lib/systemd/system/fjwatch\.service$' <<<"$contents") ||
  fail "the package has no unit in /lib/systemd/system or /usr/lib/systemd/system"
for path in ./usr/bin/fjwatch \
            ./usr/share/doc/fjwatch/README.md ./usr/share/doc/fjwatch/README.systemd.md \
            ./usr/share/doc/fjwatch/fjwatch.example.yaml ./usr/share/fjwatch/fjwatch.example.yaml \
            ./usr/share/fjwatch/watchlist.example.yaml; do
  grep -qx "$path" <<<"$contents" || fail "the package lacks $path"
done
! grep -q 'fjwatch-sim' <<<"$contents" || fail "the test tool fjwatch-sim is in the package"
! grep -q '^\./etc/' <<<"$contents" || fail "files under /etc are shipped; postinst creates them when absent"

mkdir "$work/control"
dpkg-deb -e "$deb" "$work/control"
for script in postinst prerm postrm; do
  [ -x "$work/control/$script" ] || fail "no executable $script"
  sh -n "$work/control/$script" || fail "$script does not parse"
done
grep -qF '[ ! -e "$root/etc/fjwatch/fjwatch.yaml" ]' "$work/control/postinst" ||
  fail "postinst may overwrite the config"

mkdir "$work/root"
dpkg-deb -x "$deb" "$work/root"
grep -qx 'ExecStart=/usr/bin/fjwatch run -c /etc/fjwatch/fjwatch.yaml' "$work/root/$unit" ||
  fail "the packaged unit's ExecStart is not /usr/bin/fjwatch"
echo "contents, scripts and unit as expected"
