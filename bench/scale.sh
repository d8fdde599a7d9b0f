#!/usr/bin/env bash
# Polls per CPU-second, memory per session, TLS handshakes, time to READY and time to apply a
# one-line watch list edit, at several watch list sizes. For each size N (0 is the empty daemon):
# fjwatch-sim serves N sessions that stay `processing`; `fjwatch run` is asked for 100,000 polls a
# second in all (the ceiling a tuned load generator reaches against such a server): each session
# every N/100,000 s, but not more often than poll.interval's minimum of 100 ms. That is more than
# the two of them can do on a small machine, so fjwatch is kept busy, over max_in_flight 8
# keep-alive TLS connections. The simulator's rate limit is set far above what is asked, so its
# RateLimit budget never spaces the polls. INTERVAL_MS overrides the cadence (1000 gives a daemon
# that is not busy at 10k). After READY and a warm-up, a measurement window reads fjwatch's own
# counters (/metrics) and its CPU time (/proc) at both ends.
# Usage: bench/scale.sh [N...]   (default: 0 1000 10000 100000)
#   RUNS=3 WINDOW=15 IN_FLIGHT=8 PIPELINE= BUILD=build-bench INTERVAL_MS=
#   BASE=path/to/other/fjwatch: also measures that binary, its runs alternating with this build's
#   against the same simulator, and prints its row and the ratio of polls per CPU-second.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD:-$root/build-bench}
runs=${RUNS:-3}
window=${WINDOW:-15}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(0 1000 10000 100000)
source "$root/bench/lib.sh"
ensure_build "$build"
cmake --build "$build" -j "${FJWATCH_JOBS:-2}" --target fjwatch fjwatch-sim >/dev/null
tick=$(getconf CLK_TCK)

now() { date +%s.%N; }
# user+sys seconds of a process.
cpu_of() { awk -v t="$tick" '{print ($14 + $15) / t}' "/proc/$1/stat"; }
kib_of() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
# Sum of a metric's samples from fjwatch's control endpoint.
metric() {
  exec 3<>"/dev/tcp/127.0.0.1/$1"
  printf 'GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n' >&3
  awk -v m="$2" '$1 ~ "^"m"({|$)" {s += $2} END {printf "%.0f\n", s}' <&3
  exec 3<&-
}
# Waits (bounded) until `file` holds a line matching `pattern`; prints the time it was seen.
wait_line() {
  local file=$1 pattern=$2 bound=$3 start
  start=$(now)
  until grep -q -- "$pattern" "$file" 2>/dev/null; do
    if awk -v s="$start" -v n="$(now)" -v b="$bound" 'BEGIN {exit !(n - s > b)}'; then
      echo "timed out waiting for '$pattern' in $file" >&2; return 1
    fi
    sleep 0.005
  done
  now
}
# Like wait_line, but reads `file` only past byte `offset`, and prints the instant the daemon
# wrote the line (its own millisecond timestamp), not when this loop noticed it.
wait_logged_after() {
  local file=$1 offset=$2 pattern=$3 bound=$4 start line
  start=$(now)
  until line=$(tail -c +"$((offset + 1))" "$file" | grep -m1 -- "$pattern"); do
    if awk -v s="$start" -v n="$(now)" -v b="$bound" 'BEGIN {exit !(n - s > b)}'; then
      echo "timed out waiting for '$pattern' in $file" >&2; return 1
    fi
    sleep 0.005
  done
  date -d "${line%% *}" +%s.%N
}
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# Each session's poll interval at size N, in ms.
cadence_ms() { echo "${INTERVAL_MS:-$(($1 / 100 > 100 ? $1 / 100 : 100))}"; }

one_run() {  # N FJWATCH -> "ready_s polls_per_cpu_s polls_per_s rss_kib hwm_kib handshakes edit_ms"
  local n=$1 tmp port sim_pid pid t0 t_ready p0 c0 h0 t1 p1 c1 h1 t_edit t_seen
  local interval_ms
  interval_ms=$(cadence_ms "$n")
  tmp=$(mktemp -d)
  port=$((20000 + RANDOM % 20000))
  "$build/fjwatch-sim" --cert-dir "$tmp" --sessions "$n" --done-after 24h --rate-limit 1000000000 \
    --watchlist-out "$tmp/watchlist.yaml" > "$tmp/sim.out" 2> "$tmp/sim.err" &
  sim_pid=$!
  wait_line "$tmp/sim.out" '^listening on' 60 >/dev/null
  [ "$n" -gt 0 ] || printf 'sessions:\n' > "$tmp/watchlist.yaml"  # a block list, to append to
  cat > "$tmp/fjwatch.yaml" <<YAML
api:
  base_url: $(sed -n 's/^listening on //p' "$tmp/sim.out")
  ca_file: ca.pem
  rate: 1000000/s
  max_in_flight: ${IN_FLIGHT:-8}
$([ -z "${PIPELINE:-}" ] || echo "  pipeline: $PIPELINE")
poll: { interval: ${interval_ms}ms, max_interval: ${interval_ms}ms, multiplier: 1, jitter: 0 }
watchlist: watchlist.yaml
state_dir: state
control: 127.0.0.1:$port
log: { level: info }
actions:
  - { name: journal, type: log }
YAML
  t0=$(now)
  FJ_API_KEY=fjk_sim_key "$2" run -c "$tmp/fjwatch.yaml" 2> "$tmp/fjwatch.log" &
  pid=$!
  t_ready=$(wait_line "$tmp/fjwatch.log" ' daemon.ready ' 120)
  sleep 3  # warm-up: connections open, the first round of polls under way
  p0=$(metric "$port" fjwatch_polls_total); c0=$(cpu_of "$pid"); h0=$(metric "$port" fjwatch_api_connections_opened_total); t1=$(now)
  sleep "$window"
  p1=$(metric "$port" fjwatch_polls_total); c1=$(cpu_of "$pid"); h1=$(metric "$port" fjwatch_api_connections_opened_total)
  local t2 rss hwm
  t2=$(now); rss=$(kib_of "$pid" VmRSS); hwm=$(kib_of "$pid" VmHWM)
  # A one-line edit: one more session at the end of the list.
  local offset
  offset=$(stat -c %s "$tmp/fjwatch.log")
  t_edit=$(now)
  echo "  - 0000000000000000ffffffff" >> "$tmp/watchlist.yaml"
  t_seen=$(wait_logged_after "$tmp/fjwatch.log" "$offset" ' watchlist.loaded .*added=1 ' 30)
  kill -TERM "$pid" "$sim_pid"; wait "$pid" "$sim_pid" 2>/dev/null || true
  awk -v t0="$t0" -v tr="$t_ready" -v p0="$p0" -v p1="$p1" -v c0="$c0" -v c1="$c1" -v t1="$t1" \
      -v t2="$t2" -v rss="$rss" -v hwm="$hwm" -v h0="$h0" -v h1="$h1" -v te="$t_edit" -v ts="$t_seen" \
      'BEGIN {cpu = c1 - c0; per_cpu = cpu > 0 ? (p1 - p0) / cpu : 0
              printf "%.3f %.0f %.0f %d %d %d %.0f\n", tr - t0, per_cpu, (p1 - p0) / (t2 - t1), rss,
                     hwm, h1, (ts - te) * 1000}'
  rm -rf "$tmp"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -r)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), load: $(cut -d' ' -f1-3 /proc/loadavg), runs: $runs, window: ${window}s"
printf '| sessions | cadence ms | READY s | polls/CPU-s | polls/s | RSS MiB | peak RSS MiB | TLS handshakes | edit applied ms |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
column() {  # K RESULT... -> the median of column K
  local k=$1
  shift
  printf '%s\n' "$@" | awk -v k="$k" '{print $k}' | median
}
row() {  # LABEL N RESULT... -> one table row of the medians
  local label=$1 n=$2 k med=()
  shift 2
  for k in 1 2 3 4 5 6 7; do med+=("$(column "$k" "$@")"); done
  printf '| %s | %s | %.2f | %.0f | %.0f | %.1f | %.1f | %.0f | %.0f |\n' "$label" "$(cadence_ms "$n")" \
    "${med[0]}" "${med[1]}" "${med[2]}" "$(awk -v k="${med[3]}" 'BEGIN {print k / 1024}')" \
    "$(awk -v k="${med[4]}" 'BEGIN {print k / 1024}')" "${med[5]}" "${med[6]}"
}

ratios=""
for n in "${sizes[@]}"; do
  results=() base=()
  for _ in $(seq "$runs"); do
    results+=("$(one_run "$n" "$build/fjwatch")")
    [ -z "${BASE:-}" ] || base+=("$(one_run "$n" "$BASE")")
  done
  row "$n" "$n" "${results[@]}"
  [ -n "${BASE:-}" ] || continue
  row "$n (base)" "$n" "${base[@]}"
  ratios+=$(awk -v n="$n" -v a="$(column 2 "${results[@]}")" -v b="$(column 2 "${base[@]}")" \
    'BEGIN {if (b > 0) printf "%s sessions: %.2fx the base'"'"'s polls per CPU-second\\n", n, a / b}')
done
[ -z "$ratios" ] || printf '\n%b' "$ratios"
