#!/usr/bin/env bash
# The README's first command: install, build, and run `fjwatch demo`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/build.sh"
exec "${FJWATCH_BUILD_DIR:-$root/build}/fjwatch" demo "$@"
