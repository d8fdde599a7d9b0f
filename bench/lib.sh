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
