#!/usr/bin/env bash
# Soak test (not a CI test): builds fjwatch-bench-soak (an optimised build in build-bench unless
# a build dir is given) and runs it at low priority. For DURATION the real `fjwatch run` watches
# sessions that keep being added (10,000 over the run by default) on the simulated API with 10%
# of requests faulted, delivers each event to a log action and to a webhook receiver that goes
# down every few minutes, and is killed with kill -9 about every 3 minutes and restarted on the
# same state. Then it runs without faults to quiescence (usually well under a minute; at most
# --drain-limit, 15m) and reports lost events (must be 0), duplicates, RSS and open descriptors
# over time, and PRAGMA integrity_check. Exits non-zero when an event was lost or a check failed.
#
# Usage: bench/soak.sh DURATION [build-dir] [driver options]
#        bench/soak.sh smoke [build-dir]      2 minutes, 1,000 sessions, kills and outages ~40 s
#   DURATION like 10m or 1h. Driver options (see fjwatch-bench-soak --help):
#   --sessions N (10000), --kill-every DUR (3m), --faults F (0.10), --outage-every DUR (4m),
#   --outage-for DUR (40s), --fetch-more F (0.2), --sample-every DUR (5s), --seed N, --out DIR.
# Output: the report on stdout and in <out>/report.md, samples in <out>/samples.csv, the
# daemon's log in <out>/daemon.log; <out> defaults to <build-dir>/soak-<date>.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 64; }
duration=$1
shift
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build-bench
if [ $# -ge 1 ] && [ "${1#-}" = "$1" ]; then build=$1; shift; fi
preset=()
if [ "$duration" = smoke ]; then
  duration=2m
  preset=(--sessions 1000 --kill-every 40s --outage-every 45s --outage-for 15s --sample-every 2s)
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  "$root/scripts/deps.sh"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
nice cmake --build "$build" -j "${FJWATCH_JOBS:-2}" --target fjwatch-bench-soak fjwatch >/dev/null
out=$build/soak-$(date -u +%Y%m%dT%H%M%SZ)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), load: $(cut -d' ' -f1-3 /proc/loadavg), output: $out"
exec nice -n 10 "$build/fjwatch-bench-soak" --duration "$duration" --out "$out" "${preset[@]}" "$@"
