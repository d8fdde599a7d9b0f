#!/usr/bin/env bash
# Requests and detection latency in real time: three copies of fjwatch-sim serve the same N
# searches (same workload, same seed), and three daemons watch them at once:
#   (a) fjwatch with its default cadence, progress counts visible;
#   (b) the same, with the counts hidden (totalProfilesMatched stays 0 until done);
#   (c) a fixed 5 s poller: fjwatch with interval 5s, multiplier 1, max_interval 5s, jitter 0.
# Latency is from the instant the sim's script turned a session done (its --report) to the
# daemon's session.done log line; requests are the polls the sim counted per session. It runs
# until every daemon has logged every done.
# Workloads (fjwatch-sim --workload):
#   realistic  20 s..10 min, median 60 s, counts climbing from the start (about 10 minutes)
#   lagged     log-normal, median 60 s, 20 s..300 s, counts still for 10-30% of the search
#              before they climb (about 5 minutes)
# Usage: bench/cadence.sh [N] [SEED] [build-dir] [WORKLOAD]
set -euo pipefail
n=${1:-500}
seed=${2:-1}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${3:-$root/build}
workload=${4:-realistic}
source "$root/bench/lib.sh"
cmake --build "$build" -j "${FJWATCH_JOBS:-2}" --target fjwatch fjwatch-sim >/dev/null
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
unset JOURNAL_STREAM  # keep the timestamps on the daemons' log lines

names=(visible hidden fixed)
declare -A sim_pid fjwatch_pid
start_sim() {  # name, extra flags...
  local name=$1 dir=$tmp/$1
  shift
  mkdir -p "$dir"
  "$build/fjwatch-sim" --cert-dir "$dir" --sessions "$n" --workload "$workload" --seed "$seed" \
    --watchlist-out "$dir/watchlist.yaml" --report "$dir/report.csv" "$@" \
    > "$dir/sim.out" 2> "$dir/sim.err" &
  sim_pid[$name]=$!
}
start_sim visible
start_sim hidden --hide-progress
start_sim fixed

poll_default="{}"
poll_fixed="{ interval: 5s, multiplier: 1, max_interval: 5s, jitter: 0 }"
for name in "${names[@]}"; do
  dir=$tmp/$name
  url=$(sim_url "$dir/sim.out" "$dir/sim.err")
  poll=$poll_default
  [ "$name" = fixed ] && poll=$poll_fixed
  write_config "$dir/fjwatch.yaml" "$url" 2000/s "$poll"
done
for name in "${names[@]}"; do
  dir=$tmp/$name
  FJ_API_KEY=fjk_sim_key "$build/fjwatch" run -c "$dir/fjwatch.yaml" 2> "$dir/fjwatch.log" &
  fjwatch_pid[$name]=$!
done

# Every done logged by every daemon, or 15 minutes.
dones() { grep -c ' session.done ' "$tmp/$1/fjwatch.log" || true; }
for _ in $(seq 900); do
  all=1
  for name in "${names[@]}"; do [ "$(dones "$name")" -ge "$n" ] || all=0; done
  [ $all = 1 ] && break
  sleep 1
done
for name in "${names[@]}"; do kill -TERM "${fjwatch_pid[$name]}"; done
for name in "${names[@]}"; do wait "${fjwatch_pid[$name]}" || true; done
for name in "${names[@]}"; do kill -TERM "${sim_pid[$name]}"; done
for name in "${names[@]}"; do wait "${sim_pid[$name]}" || true; done

# Per configuration: requests, dones detected, and latencies (ms) sorted.
measure() {  # name -> "requests dones p50_ms p99_ms max_ms"
  local dir=$tmp/$1
  grep ' session.done ' "$dir/fjwatch.log" |
    sed -E 's/^([0-9-]+)T([0-9:.]+)Z .* session=([0-9a-f]+) .*/\3 \1 \2/' > "$dir/detected"
  awk -F, -v detected="$dir/detected" '
    # Unix milliseconds of a UTC date (Y-M-D) and time (H:M:S.mmm).
    function unix_ms(date, time,   d, t, y, m, era, yoe, doy, doe, days) {
      split(date, d, "-"); split(time, t, ":")
      y = d[1] - (d[2] <= 2); m = d[2] + (d[2] > 2 ? -3 : 9)
      era = int(y / 400); yoe = y - era * 400
      doy = int((153 * m + 2) / 5) + d[3] - 1
      doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
      days = era * 146097 + doe - 719468
      return ((days * 24 + t[1]) * 60 + t[2]) * 60000 + int(t[3] * 1000 + 0.5)
    }
    BEGIN { while ((getline line < detected) > 0) { split(line, f, " "); seen[f[1]] = unix_ms(f[2], f[3]) } }
    NR > 1 { requests += $5; if ($1 in seen && $3 != "") print seen[$1] - $3 > "/dev/stderr" }
    END { print requests }' "$dir/report.csv" 2> "$dir/latencies" > "$dir/requests"
  sort -n "$dir/latencies" -o "$dir/latencies"
  local count
  count=$(wc -l < "$dir/latencies")
  pick() { sed -n "$(( ($1 * count + 99) / 100 ))p" "$dir/latencies"; }  # nearest rank
  echo "$(cat "$dir/requests") $count $(pick 50) $(pick 99) $(tail -1 "$dir/latencies")"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), workload: $workload, sessions: $n, seed: $seed, build: $build"
read -r req_c done_c p50_c p99_c max_c <<< "$(measure fixed)"
printf '%-34s %9s %6s %9s %8s %8s %8s %8s\n' configuration requests dones req/done "vs (c)" \
  "p50 s" "p99 s" "max s"
ok=1
for name in "${names[@]}"; do
  read -r req dn p50 p99 max <<< "$(measure "$name")"
  case $name in
    visible) label="(a) fjwatch, progress visible" ;;
    hidden) label="(b) fjwatch, progress hidden" ;;
    fixed) label="(c) fixed 5 s poller" ;;
  esac
  [ "$dn" -eq "$n" ] || ok=0
  awk -v l="$label" -v r="$req" -v d="$dn" -v rc="$req_c" -v dc="$done_c" -v a="$p50" \
    -v b="$p99" -v c="$max" 'BEGIN { printf "%-34s %9d %6d %9.2f %8.3f %8.2f %8.2f %8.2f\n",
      l, r, d, r / d, (r / d) / (rc / dc), a / 1000, b / 1000, c / 1000 }'
done
[ $ok = 1 ] || { echo "not every done was detected" >&2; exit 1; }
