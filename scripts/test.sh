#!/usr/bin/env bash
# The README's second command: install, build, and run the whole test suite through ctest.
#   FJWATCH_SANITIZE=address,undefined scripts/test.sh   runs it under ASan+UBSan instead
#   FJWATCH_SANITIZE=thread scripts/test.sh              or under TSan
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -n "${FJWATCH_SANITIZE:-}" ] && [ -z "${FJWATCH_BUILD_DIR:-}" ]; then
  export FJWATCH_BUILD_DIR="$root/build-$(echo "$FJWATCH_SANITIZE" | tr ',' '-')"
fi
build_dir=${FJWATCH_BUILD_DIR:-$root/build}
"$root/scripts/deps.sh" test
"$root/scripts/build.sh"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
ctest --test-dir "$build_dir" -j "${FJWATCH_JOBS:-2}" --output-on-failure "$@"
