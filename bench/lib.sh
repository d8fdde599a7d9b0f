# Shared by the benchmark scripts. Source it.

# Configures BUILD_DIR as an optimised build (installing what it needs first) unless it is
# configured already.
ensure_build() {  # BUILD_DIR
  [ -f "$1/CMakeCache.txt" ] && return 0
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  "$root/scripts/deps.sh"
  cmake -S "$root" -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
}

# Waits up to 10 s for fjwatch-sim's first stdout line (in FILE) and prints its URL; fails
# with the sim's stderr (ERR_FILE) when it does not come.
sim_url() {  # FILE ERR_FILE
  local url=""
  for _ in $(seq 100); do grep -q '^listening on' "$1" && break; sleep 0.1; done
  url=$(sed -n 's/^listening on //p' "$1" | head -1)
  [ -n "$url" ] || { echo "fjwatch-sim did not start" >&2; cat "$2" >&2; return 1; }
  echo "$url"
}

# Writes a fjwatch config for a sim at URL, its CA in ca.pem and its watch list in
# watchlist.yaml beside the config, with one log action that writes each event id.
write_config() {  # FILE URL RATE POLL (a YAML flow map)
  cat > "$1" <<YAML
api: { base_url: "$2", ca_file: ca.pem, rate: $3, max_in_flight: 8 }
poll: $4
watchlist: watchlist.yaml
state_dir: state
control: ""
actions:
  - { name: journal, type: log, template: "{event_id}" }
YAML
}

# Detection latency, split in two, from fjwatch's log (LOG) and the sim's --report (REPORT):
# the scripted done -> the first answer that said so (the poll gap), and that answer -> the
# daemon's session.done line (fjwatch's own delay: the group commit's window and transaction).
# Prints two lines, "p50 .. ms, p99 .. ms, max .. ms" each.
percentiles() { sort -g | awk '{v[NR] = $1} END {i50 = int((NR + 1) * 0.50); i99 = int(NR * 0.99 + 0.5);
  if (i99 < 1) i99 = 1; if (i50 < 1) i50 = 1; printf "p50 %d ms, p99 %d ms, max %d ms", v[i50], v[i99], v[NR]}'; }
detection_split() {  # LOG REPORT
  local work split
  work=$(mktemp -d)
  grep ' session.done ' "$1" | awk '{print $1}' > "$work/times"
  grep ' session.done ' "$1" | grep -o 'session=[0-9a-f]*' | cut -d= -f2 > "$work/ids"
  TZ=UTC date -f "$work/times" +%s%3N | paste -d, "$work/ids" - > "$work/logged.csv"
  split=$(awk -F, 'NR == FNR {logged[$1] = $2; next}
                   FNR > 1 && ($1 in logged) && $4 != "" {print $4 - $3, logged[$1] - $4}' \
    "$work/logged.csv" "$2")
  rm -rf "$work"
  echo "scripted done -> first answer saying done (the poll gap): $(awk '{print $1}' <<< "$split" | percentiles)"
  echo "first answer saying done -> session.done logged (fjwatch):  $(awk '{print $2}' <<< "$split" | percentiles)"
}
