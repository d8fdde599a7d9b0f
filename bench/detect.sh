#!/usr/bin/env bash
# Detection end to end: fjwatch-sim serves N sessions over TLS that turn done within a few
# seconds; `fjwatch run` watches all of them. Passes when every done is logged exactly once.
# Prints the wall time to the last detection, fjwatch's CPU time and peak RSS, and detection
# latency split in two: from the instant the sim's script turned a session done to the first
# answer that said so (the poll gap: when the next poll came), and from that answer to the
# daemon's session.done log line (fjwatch's own delay), p50/p99/max of each.
# Usage: bench/detect.sh [N] [build-dir]
set -euo pipefail
n=${1:-1000}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${2:-$root/build}
source "$root/bench/lib.sh"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

"$build/fjwatch-sim" --cert-dir "$tmp" --sessions "$n" --done-after 5s \
  --watchlist-out "$tmp/watchlist.yaml" --report "$tmp/report.csv" > "$tmp/sim.out" 2> "$tmp/sim.err" &
sim_pid=$!
url=$(sim_url "$tmp/sim.out" "$tmp/sim.err")
write_config "$tmp/fjwatch.yaml" "$url" 5000/s "{ interval: 500ms, max_interval: 2s }"

start=$(date +%s.%N)
FJ_API_KEY=fjk_sim_key /usr/bin/time -f '%U %S %M' -o "$tmp/time" \
  "$build/fjwatch" run -c "$tmp/fjwatch.yaml" 2> "$tmp/fjwatch.log" &
pid=$!
for _ in $(seq 1200); do
  [ "$(grep -c ' action.log ' "$tmp/fjwatch.log" || true)" -ge "$n" ] && break
  sleep 0.1
done
end=$(date +%s.%N)
kill -TERM "$(pgrep -P "$pid" fjwatch || echo "$pid")" 2>/dev/null || true
wait "$pid" || true

lines=$(grep -c ' action.log ' "$tmp/fjwatch.log" || true)
unique=$(grep ' action.log ' "$tmp/fjwatch.log" | grep -o 'event_id=[^ ]*' | sort -u | wc -l)
read -r user sys rss < "$tmp/time"
printf 'sessions=%s logged=%s unique=%s seconds=%.1f cpu_user=%ss cpu_sys=%ss peak_rss_kb=%s\n' \
  "$n" "$lines" "$unique" "$(echo "$end - $start" | bc)" "$user" "$sys" "$rss"
kill -TERM "$sim_pid" && wait "$sim_pid" || true  # the sim writes its report at exit

detection_split "$tmp/fjwatch.log" "$tmp/report.csv"
[ "$lines" -eq "$n" ] && [ "$unique" -eq "$n" ]
