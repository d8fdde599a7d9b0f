#!/usr/bin/env bash
# Retention under load. fjwatch-bench-fill makes a database of EVENTS (1,000,000) session.done
# events of old sessions, ~1.9 KB each with one delivered delivery, spread over the last 100 days
# (bench/fill_db.cpp). Each round copies it and runs `fjwatch run` against fjwatch-sim serving
# SESSIONS (10,000) sessions that turn done DONE_AFTER (90s, give or take 20%) after start, polled
# over TLS, and waits until every done is logged:
#   keep:  retention 0 (nothing pruned): the baseline;
#   prune: retention.events and .sessions 10d: the pass that starts a minute after start deletes
#          90% of the events while the sessions are being polled and turn done.
# For each: detection latency split in two (the poll gap; fjwatch's own delay from the answer to
# the committed session.done), delivery latency (session.done to the log action's line), the
# retention.pruned line (rows, time, longest transaction, bytes
# given back), the file's size before and after, and fjwatch's CPU time.
# Usage: bench/retention.sh   EVENTS= SESSIONS= DONE_AFTER= RUNS=1 BUILD=build-bench
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD:-$root/build-bench}
events=${EVENTS:-1000000}
sessions=${SESSIONS:-10000}
done_after=${DONE_AFTER:-90s}
runs=${RUNS:-1}
source "$root/bench/lib.sh"
ensure_build "$build"
cmake --build "$build" -j "${FJWATCH_JOBS:-2}" --target fjwatch fjwatch-sim fjwatch-bench-fill \
  >/dev/null
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
# Delivery latency: each session.done line to its event's action.log line (the outbox woken by
# the commit, reading the due row from the database, running the action).
delivery_latency() {  # LOG
  local work=$(mktemp -d)
  grep ' session.done ' "$1" | awk '{print $1}' > "$work/t1"
  grep ' session.done ' "$1" | grep -o 'session=[0-9a-f]*' | cut -d= -f2 > "$work/i1"
  grep ' action.log ' "$1" | awk '{print $1}' > "$work/t2"
  grep ' action.log ' "$1" | grep -o 'event_id=fjw_[0-9a-f]*' | cut -d_ -f2 > "$work/i2"
  TZ=UTC date -f "$work/t1" +%s%3N | paste -d, "$work/i1" - > "$work/done.csv"
  TZ=UTC date -f "$work/t2" +%s%3N | paste -d, "$work/i2" - > "$work/sent.csv"
  echo "session.done logged -> the log action ran:               $(awk -F, 'NR == FNR {d[$1] = $2; next}
    ($1 in d) {print $2 - d[$1]}' "$work/done.csv" "$work/sent.csv" | percentiles)"
  rm -rf "$work"
}
db_bytes() { stat -c %s "$1/state/fjwatch.db"; }

echo "filling $events events..."
t0=$(date +%s.%N)
"$build/fjwatch-bench-fill" "$tmp/template/state" "$events" 100
printf 'filled in %.1f s\n' "$(echo "$(date +%s.%N) - $t0" | bc)"

one_round() {  # MODE (keep | prune) RUN
  local mode=$1 dir="$tmp/$1-$2" keep sim_pid pid url
  mkdir -p "$dir"
  cp -r "$tmp/template/state" "$dir/state"
  local before
  before=$(db_bytes "$dir")
  "$build/fjwatch-sim" --cert-dir "$dir" --sessions "$sessions" --done-after "$done_after" \
    --rate-limit 1000000000 --watchlist-out "$dir/watchlist.yaml" --report "$dir/report.csv" \
    > "$dir/sim.out" 2> "$dir/sim.err" &
  sim_pid=$!
  url=$(sim_url "$dir/sim.out" "$dir/sim.err")
  write_config "$dir/fjwatch.yaml" "$url" 5000/s "{ interval: 1s, max_interval: 5s }"
  keep=0
  [ "$mode" = prune ] && keep=10d
  printf 'retention: { events: %s, sessions: %s }\n' "$keep" "$keep" >> "$dir/fjwatch.yaml"
  FJ_API_KEY=fjk_sim_key /usr/bin/time -f '%U %S %M' -o "$dir/time" \
    "$build/fjwatch" run -c "$dir/fjwatch.yaml" 2> "$dir/fjwatch.log" &
  pid=$!
  # Every done logged, and in the prune round the pass finished (bounded: 10 minutes).
  for _ in $(seq 6000); do
    if [ "$(grep -c ' session.done ' "$dir/fjwatch.log" || true)" -ge "$sessions" ] &&
       { [ "$mode" = keep ] || grep -q ' retention.pruned ' "$dir/fjwatch.log"; }; then
      break
    fi
    sleep 0.1
  done
  kill -TERM "$(pgrep -P "$pid" fjwatch || echo "$pid")" 2>/dev/null || true
  wait "$pid" || true
  kill -TERM "$sim_pid" && wait "$sim_pid" || true  # the sim writes its report at exit
  local logged user sys rss
  logged=$(grep -c ' session.done ' "$dir/fjwatch.log" || true)
  read -r user sys rss < "$dir/time"
  echo "== $mode (run $2): $logged of $sessions dones logged; fjwatch cpu ${user}s user + ${sys}s sys, peak RSS ${rss} KiB"
  detection_split "$dir/fjwatch.log" "$dir/report.csv"
  delivery_latency "$dir/fjwatch.log"
  grep ' retention.pruned ' "$dir/fjwatch.log" | sed 's/^/  /' || true
  echo "database file: $(mib "$before") before, $(mib "$(db_bytes "$dir")") after"
  rm -rf "$dir/state"
  [ "$logged" -eq "$sessions" ]
}

for run in $(seq "$runs"); do
  one_round keep "$run"
  one_round prune "$run"
done
