#!/usr/bin/env bash
# Installs the Debian 12 packages fjwatch needs. Idempotent: packages already present are not
# fetched again. Uses apt-get as root, sudo otherwise.
#   scripts/deps.sh build   what building fjwatch needs (scripts/demo.sh)
#   scripts/deps.sh test    that, and what the test suite needs besides (the default)
set -euo pipefail
what=${1:-test}

build=(
  build-essential cmake ninja-build pkg-config git openssl ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-test1.81-dev
  libssl-dev libspdlog-dev libyaml-cpp-dev libsqlite3-dev libsystemd-dev
  python3  # the configure step registers the layers tests, which are Python
  ccache   # every script builds through it when present: a rebuild recompiles nothing unchanged
)
test=(
  prometheus  # for promtool: the tests check /metrics with `promtool check metrics`
  dpkg-dev file  # CPack's .deb (dpkg-shlibdeps finds the dependencies; CPack needs `file`)
  clang-format  # the layers tests: the code's format
  tinyproxy  # the proxy tests run their own (its package's service is not used)
)
case $what in
  build) packages=("${build[@]}") ;;
  test) packages=("${build[@]}" "${test[@]}") ;;
  *) echo "usage: scripts/deps.sh [build|test]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
echo "fjwatch: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
