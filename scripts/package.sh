#!/usr/bin/env bash
# Builds the Debian package: an optimised build in build-release/ (RelWithDebInfo, -O2; CPack
# strips the binary), then CPack. Prints the .deb's path.
#   scripts/package.sh            ->  build-release/fjwatch_<version>_<arch>.deb
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${FJWATCH_BUILD_DIR:-$root/build-release}
"$root/scripts/deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFJWATCH_TESTS=OFF \
  -DFJWATCH_BENCH=OFF >/dev/null
cmake --build "$build" -j "${FJWATCH_JOBS:-2}" --target fjwatch
(cd "$build" && cpack -G DEB >/dev/null)
ls "$build"/fjwatch_*.deb
