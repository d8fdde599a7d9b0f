#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) in build-fuzz/ and runs each in turn for
# the given seconds (default 60), on its seed corpus (tests/fuzz/corpus/<target>, read only) plus a
# scratch corpus (build-fuzz/fuzz-corpus/<target>, where new inputs go). Findings (crash-*,
# timeout-*, oom-*, leak-*) land in build-fuzz/findings/<target>/; each one belongs in the seed
# corpus once fixed. Prints executions, findings, and the coverage (cov: edges, ft: features) and
# size of the corpus it ends with, measured by loading that corpus once (-runs=0).
#
#   tests/fuzz/run.sh [seconds-per-target] [target...]
#
# Needs clang with compiler-rt (Debian 12: apt-get install clang libclang-rt-14-dev). Runs the
# fuzzers under `nice -n 19`, one at a time. FUZZ_KEEP_GOING=1 forks a worker and carries on past
# crashes and timeouts (each is still written to findings/), for long unattended runs.
set -euo pipefail

seconds="${1:-60}"
shift || true
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="$root/build-fuzz"
all_targets=(config watch_list api_response http_headers units watch_edit http_wire)
targets=("${@:-${all_targets[@]}}")

# Longest input per target: whole files for the YAML/JSON parsers, one header line or config
# value for the small parsers.
max_len_of() {
  case "$1" in
    config | watch_list | api_response) echo 16384 ;;
    watch_edit | http_wire) echo 8192 ;;
    http_headers | units) echo 512 ;;
    *) echo 4096 ;;
  esac
}

command -v clang++ >/dev/null || { echo "run.sh: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  "${launcher[@]}" -DFJWATCH_FUZZ=ON -DFJWATCH_TESTS=OFF -DFJWATCH_BENCH=OFF >/dev/null
cmake --build "$build" -j2 --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
summary=()
for t in "${targets[@]}"; do
  seeds="$root/tests/fuzz/corpus/$t"
  scratch="$build/fuzz-corpus/$t"
  findings="$build/findings/$t"
  log="$build/findings/$t.log"
  mkdir -p "$scratch" "$findings"
  args=(-max_total_time="$seconds" -rss_limit_mb=2048 -max_len="$(max_len_of "$t")" -timeout=10
        -print_final_stats=1 -artifact_prefix="$findings/")
  [ "${FUZZ_KEEP_GOING:-0}" = 1 ] && args+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  echo "== $t: ${seconds}s, max_len $(max_len_of "$t") (log: $log)"
  set +e
  (cd "$findings" && nice -n 19 "$build/tests/fuzz/fuzz_$t" "${args[@]}" "$scratch" "$seeds") >"$log" 2>&1
  status=$?
  set -e
  # Executions: the last status line ("#N ..." or, in fork mode, "#N: ...").
  execs="$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)"
  # Coverage of the whole corpus, measured the same way in both modes: load it once, fuzz nothing.
  (cd "$findings" && nice -n 19 "$build/tests/fuzz/fuzz_$t" -runs=0 -rss_limit_mb=2048 \
    -max_len="$(max_len_of "$t")" "$scratch" "$seeds") >"$log.final" 2>&1 || true
  inited="$(grep -E '^#[0-9]+[[:space:]]+INITED' "$log.final" | tail -1 || true)"
  cov="$(grep -oE 'cov: [0-9]+' <<<"$inited" | grep -oE '[0-9]+' || true)"
  ft="$(grep -oE 'ft: [0-9]+' <<<"$inited" | grep -oE '[0-9]+' || true)"
  corp="$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' <<<"$inited" | sed 's/corp: //' || true)"
  found="$(find "$findings" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' -o -name 'slow-unit-*' \) | wc -l)"
  line="$t: exit $status, $execs executions, cov $cov, ft $ft, corpus $corp, findings $found"
  echo "$line"
  summary+=("$line")
done
echo "== summary"
printf '%s\n' "${summary[@]}"
