#!/usr/bin/env bash
# Installs what building fjwatch needs (scripts/deps.sh build), then configures and builds it.
#   scripts/build.sh [TARGET...]   the targets to build (default: all, tests and benchmarks too)
#   FJWATCH_BUILD_DIR  build directory (default: build)
#   FJWATCH_SANITIZE   e.g. address,undefined (default: none)
#   FJWATCH_BUILD_TYPE CMake build type (default: RelWithDebInfo)
#   FJWATCH_CCACHE     0 to build without ccache even when it is installed
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${FJWATCH_BUILD_DIR:-$root/build}

"$root/scripts/deps.sh" build
launcher=()
if [ "${FJWATCH_CCACHE:-1}" != 0 ] && command -v ccache >/dev/null; then
  # ccache caches the files built with the precompiled header only with this sloppiness (its
  # manual, "Precompiled headers"); set in the launcher, it holds for a plain `ninja` too.
  sloppiness=pch_defines,time_macros,include_file_mtime,include_file_ctime
  launcher=("-DCMAKE_CXX_COMPILER_LAUNCHER=env;CCACHE_SLOPPINESS=$sloppiness;ccache")
else
  launcher=(-UCMAKE_CXX_COMPILER_LAUNCHER)
fi
cmake -S "$root" -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE="${FJWATCH_BUILD_TYPE:-RelWithDebInfo}" \
  -DFJWATCH_SANITIZE="${FJWATCH_SANITIZE:-}" "${launcher[@]}" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
# Two jobs fit the 2-core machines without swapping on the Beast-heavy files.
cmake --build "$build_dir" -j "${FJWATCH_JOBS:-2}" "${targets[@]}"
