#!/usr/bin/env bash
# Installs the Debian 12 packages fjwatch builds and tests with. Idempotent: packages already
# present are not fetched again. Uses apt-get as root, sudo otherwise.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git openssl ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-test1.81-dev
  libssl-dev libspdlog-dev libyaml-cpp-dev libsqlite3-dev libsystemd-dev
  prometheus  # for promtool: the tests check /metrics with `promtool check metrics`
  dpkg-dev file  # CPack's .deb (dpkg-shlibdeps finds the dependencies; CPack needs `file`)
  python3 clang-format  # the layers tests: includes, cited files, the code's format
)

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
