#!/usr/bin/env bash
# Webhook deliveries per second: builds fjwatch-bench-deliver (an optimised build in
# build-bench unless a build dir is given) and runs it. The program prefills an outbox with N
# signed deliveries through the real daemon, then times `fjwatch run` draining it to a loopback
# TLS receiver, against a baseline of the same POSTs sent straight over one connection.
# Usage: bench/deliver.sh [N] [RUNS] [build-dir]
set -euo pipefail
n=${1:-5000}
runs=${2:-5}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${3:-$root/build-bench}
source "$root/bench/lib.sh"
ensure_build "$build"
cmake --build "$build" -j "${FJWATCH_JOBS:-2}" --target fjwatch-bench-deliver fjwatch
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/fjwatch-bench-deliver" --events "$n" --runs "$runs"
