#!/usr/bin/env bash
# The README's first command: install, build, and run `fjwatch demo`. It builds the fjwatch
# binary only (no tests, no benchmarks): the demo runs within minutes of a fresh clone.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/build.sh" fjwatch
exec "${FJWATCH_BUILD_DIR:-$root/build}/fjwatch" demo "$@"
