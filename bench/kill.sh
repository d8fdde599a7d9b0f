#!/usr/bin/env bash
# Durability under repeated kill -9: runs the fault test faults_kill (see
# tests/faults/test_kill.cpp) with KILLS kills (default 200; the suite runs 20) and
# prints its figures: kills, seed, events, API and webhook requests, ids accepted, webhooks
# accepted again (duplicates), journal lines, the database's integrity_check, the time taken.
# Builds the test in build-bench (optimised) unless a build dir is given. FJWATCH_SEED repeats
# a run's plan. Usage: bench/kill.sh [KILLS] [build-dir]
set -euo pipefail
kills=${1:-200}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${2:-$root/build-bench}
source "$root/bench/lib.sh"
ensure_build "$build"
cmake --build "$build" -j "${FJWATCH_JOBS:-2}" --target faults_kill fjwatch
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), load: $(cut -d' ' -f1-3 /proc/loadavg)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
FJWATCH_KILLS=$kills "$build/tests/faults_kill" --log_level=message --color_output=no \
  > "$log" 2>&1 || status=$?
# The test's own messages (seed first, figures last); on a failure, everything it printed.
if [ "$status" -ne 0 ]; then cat "$log"; exit "$status"; fi
grep -E '^(seed|kills) ' "$log"
