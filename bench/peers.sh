#!/usr/bin/env bash
# fjwatch against a plain Node.js poller, on the same static server. nginx (TLS 1.3 only,
# RSA-2048 certificate from a CA made here, keep-alive, one worker, its default static-file ETag)
# serves N sessions, each the documented example response (bench/peers/session.json) with its
# own id, at /api/v1/wl/sourcing-session/<id>. Every session is polled once a second (N polls/s
# offered) over 16 connections, by each poller in turn, for a warm-up then DURATION seconds:
#   (a) fjwatch run: interval = max_interval = max_blind_interval = 1s, multiplier 1, jitter 0,
#       max_in_flight 16, rate 50000/s, after_done: watch (the example session is done; watch
#       keeps polling it every max_interval), one log action; its polls carry If-None-Match;
#   (b) bench/peers/node-poller.mjs: one undici Agent with 16 connections, async loops that GET
#       every session once a second (no If-None-Match), each body read and parsed.
# Measured over the window, as a user would: polls served = the lines nginx's access log gained
# (and how many were 304), CPU = the poller's utime+stime from /proc/PID/stat, RSS = its VmRSS
# at the end. Prints polls per CPU-second for each and fjwatch's ratio to node's.
# Usage: bench/peers.sh [N] [DURATION] [WARMUP]   (defaults: 10000 60 10)
#   BUILD=build-dir (default build; not rebuilt here)
#   PEERS=fjwatch or PEERS=node runs only that poller (default: both)
#   PIPELINE=K sets api.pipeline for fjwatch (default: fjwatch's own default)
set -euo pipefail
n=${1:-10000}
duration=${2:-60}
warmup=${3:-10}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD:-$root/build}
peers_dir=$root/bench/peers
export PATH=$PATH:/usr/sbin
[ -x "$build/fjwatch" ] || { echo "no fjwatch in $build (scripts/build.sh builds it)" >&2; exit 1; }
command -v node >/dev/null || { echo "node (20 or later) is needed" >&2; exit 1; }

# nginx and openssl, installed only when missing.
missing=()
for p in nginx openssl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
  echo "peers: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -d "$peers_dir/node_modules" ] || (cd "$peers_dir" && npm ci --no-audit --no-fund --loglevel=error >&2)

tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
chmod 755 "$tmp"  # nginx's worker runs as nobody when started as root
unset JOURNAL_STREAM  # keep the timestamps on fjwatch's log lines
tick=$(getconf CLK_TCK)
now() { date +%s.%N; }
cpu_of() { awk -v t="$tick" '{print ($14 + $15) / t}' "/proc/$1/stat"; }
rss_of() { awk '$1 == "VmRSS:" {print $2}' "/proc/$1/status"; }

# Certificates: a CA, and a server certificate for 127.0.0.1 signed by it.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=peers-bench-ca \
  -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
  -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
  > "$tmp/server.ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
  -days 2 -extfile "$tmp/server.ext" -out "$tmp/server.pem" 2>/dev/null

# The sessions: ids, one JSON file each, and fjwatch's watch list.
seq "$n" | awk '{printf "69f45196c8bbf1ce%08x\n", $1}' > "$tmp/ids"
mkdir -p "$tmp/www/api/v1/wl/sourcing-session" "$tmp/state"
awk -v dir="$tmp/www/api/v1/wl/sourcing-session" '
  NR == FNR { doc = doc $0 "\n"; next }
  { f = dir "/" $1; s = doc; sub(/69f45196c8bbf1ce65b5bcd6/, $1, s); printf "%s", s > f; close(f) }
' "$peers_dir/session.json" "$tmp/ids"
{ echo "sessions:"; sed 's/^/  - /' "$tmp/ids"; } > "$tmp/watchlist.yaml"

port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
  console.log(s.address().port); s.close(); })')
mkdir -p "$tmp/nginx"
cat > "$tmp/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
  default_type application/json;
  log_format polls '\$msec \$status \$body_bytes_sent \$connection';
  access_log $tmp/nginx/access.log polls;
  client_body_temp_path $tmp/nginx/client_body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  keepalive_timeout 75s;
  keepalive_requests 1000000;  # no reconnects in the window (nginx's default closes after 1000)
  server {
    listen 127.0.0.1:$port ssl;
    ssl_protocols TLSv1.3;
    ssl_certificate $tmp/server.pem;
    ssl_certificate_key $tmp/server.key;
    root $tmp/www;
  }
}
CONF
nginx -p "$tmp/nginx" -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
log=$tmp/nginx/access.log
url=https://127.0.0.1:$port
for _ in $(seq 100); do
  curl -sf --cacert "$tmp/ca.pem" -o /dev/null "$url/api/v1/wl/sourcing-session/$(head -1 "$tmp/ids")" \
    && break
  kill -0 "$nginx_pid" 2>/dev/null || { cat "$tmp/nginx/error.log" >&2; exit 1; }
  sleep 0.1
done

cat > "$tmp/fjwatch.yaml" <<YAML
api:
  base_url: $url
  ca_file: ca.pem
  max_in_flight: 16
  rate: 50000/s
${PIPELINE:+  pipeline: $PIPELINE}
poll:
  interval: 1s
  max_interval: 1s
  max_blind_interval: 1s
  multiplier: 1
  jitter: 0
  after_done: watch
watchlist: watchlist.yaml
state_dir: state
control: ""
actions:
  - name: journal
    type: log
YAML
export FJ_API_KEY=fjk_peers_bench
"$build/fjwatch" check -c "$tmp/fjwatch.yaml" >/dev/null

# Warm-up, then the window: prints "polls 304s others seconds cpu_s rss_kib".
measure() {  # PID
  local o0 o1 c0 c1 t0 t1 rss
  sleep "$warmup"
  o0=$(stat -c %s "$log"); c0=$(cpu_of "$1"); t0=$(now)
  sleep "$duration"
  o1=$(stat -c %s "$log"); c1=$(cpu_of "$1"); t1=$(now); rss=$(rss_of "$1")
  tail -c +"$((o0 + 1))" "$log" | head -c "$((o1 - o0))" |
    awk -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v r="$rss" \
      '{p++; if ($2 == 304) m++; else if ($2 != 200) o++}
       END {printf "%d %d %d %.3f %.3f %d\n", p, m, o, t1 - t0, c1 - c0, r}'
}
stop() { kill -TERM "$1"; wait "$1" 2>/dev/null || true; }

peers=${PEERS:-both}
fj="0 0 0 1 0 0"
nd="0 0 0 1 0 0"
if [ "$peers" != node ]; then
  "$build/fjwatch" run -c "$tmp/fjwatch.yaml" 2> "$tmp/fjwatch.log" &
  fj_pid=$!
  for _ in $(seq 600); do grep -q ' daemon.ready ' "$tmp/fjwatch.log" && break; sleep 0.1; done
  grep -q ' daemon.ready ' "$tmp/fjwatch.log" || { cat "$tmp/fjwatch.log" >&2; exit 1; }
  fj=$(measure "$fj_pid")
  stop "$fj_pid"
fi
if [ "$peers" != fjwatch ]; then
  node "$peers_dir/node-poller.mjs" "$url" "$tmp/ca.pem" "$tmp/ids" 16 1000 2> "$tmp/node.log" &
  node_pid=$!
  nd=$(measure "$node_pid")
  stop "$node_pid"
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), sessions: $n ($n polls/s offered), window: ${duration}s after ${warmup}s, $(nginx -v 2>&1 | sed 's/.*: //'), node $(node --version), undici $(node -p 'require(process.argv[1]).version' "$peers_dir/node_modules/undici/package.json")"
printf '%-8s %9s %8s %7s %12s %7s %6s %7s\n' poller polls polls/s "CPU s" polls/CPU-s "RSS MB" "304s" other
row() {  # LABEL "polls 304s others seconds cpu_s rss_kib"
  read -r p m o s c r <<< "$2"
  awk -v l="$1" -v p="$p" -v m="$m" -v o="$o" -v s="$s" -v c="$c" -v r="$r" 'BEGIN {
    printf "%-8s %9d %8.0f %7.2f %12.0f %7.1f %5.1f%% %7d\n", l, p, p / s, c, (c > 0 ? p / c : 0),
      r / 1024, (p > 0 ? 100 * m / p : 0), o }'
}
row fjwatch "$fj"
row node "$nd"
read -r fp _ _ _ fc _ <<< "$fj"
read -r np _ _ _ nc _ <<< "$nd"
awk -v a="$fp" -v b="$fc" -v c="$np" -v d="$nc" 'BEGIN {
  if (b > 0 && c > 0 && d > 0) printf "fjwatch/node polls per CPU-second: %.2fx\n", (a / b) / (c / d) }'
warnings=$(grep -scE ' (warn|error) ' "$tmp/fjwatch.log" || true)
[ "${warnings:-0}" -eq 0 ] || { echo "fjwatch logged $warnings warnings or errors, the first:" >&2
  grep -m3 -E ' (warn|error) ' "$tmp/fjwatch.log" >&2; }
[ ! -s "$tmp/node.log" ] || sed 's/^/node: /' "$tmp/node.log" | tail -6 >&2
