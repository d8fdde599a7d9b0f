#!/usr/bin/env bash
# Installs what fjwatch needs (scripts/deps.sh), then configures and builds it.
#   FJWATCH_BUILD_DIR  build directory (default: build)
#   FJWATCH_SANITIZE   e.g. address,undefined (default: none)
#   FJWATCH_BUILD_TYPE CMake build type (default: RelWithDebInfo)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${FJWATCH_BUILD_DIR:-$root/build}

"$root/scripts/deps.sh"
cmake -S "$root" -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE="${FJWATCH_BUILD_TYPE:-RelWithDebInfo}" \
  -DFJWATCH_SANITIZE="${FJWATCH_SANITIZE:-}" >/dev/null
# Two jobs fit the 2-core machines without swapping on the Beast-heavy files.
cmake --build "$build_dir" -j "${FJWATCH_JOBS:-2}"
