#!/usr/bin/env bash
# Shared settings and helpers for Arca's control-plane benchmarks (sourced, not run).
# Every value can be overridden from the environment.
#
#   ARCA          server binary (default: <repo>/build/arca)
#   TOKEN_BENCH   google-benchmark binary for bench/token_bench.cc (default: <repo>/build/token_bench)
#   BENCH_DIR     scratch folder (data dirs, logs); default /tmp/arcabench
#   RESULTS_DIR   where raw outputs and the JSON summaries go; default $BENCH_DIR/results
set -euo pipefail

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$BENCH_SRC/helpers.sh"
REPO_ROOT=$(cd "$BENCH_SRC/.." && pwd)
ARCA=${ARCA:-$REPO_ROOT/build/arca}
TOKEN_BENCH=${TOKEN_BENCH:-$REPO_ROOT/build/token_bench}
BENCH_DIR=${BENCH_DIR:-/tmp/arcabench}
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/results}
mkdir -p "$BENCH_DIR" "$RESULTS_DIR"

# wrk settings
WRK_THREADS=${WRK_THREADS:-2}
WRK_DURATION=${WRK_DURATION:-15s}
WRK_REPEATS=${WRK_REPEATS:-2}
WRK_CONNS_LIST=${WRK_CONNS_LIST:-"16 64"}

# start_arca DATA_DIR LOG_PREFIX [CONFIG_FILE]
# Starts `arca serve` on a free loopback port; stdout -> LOG_PREFIX.out, stderr (access log)
# -> LOG_PREFIX.err. Sets ARCA_PID, ARCA_PORT, ARCA_URL once the listening line appears.
start_arca() {
  local data=$1 prefix=$2 cfg=${3:-}
  local args=(serve --data-dir "$data" --listen 127.0.0.1:0)
  [[ -n $cfg ]] && args+=(--config "$cfg")
  [[ -x $ARCA ]] || { echo "no server binary at $ARCA (set ARCA=...)" >&2; exit 2; }
  "$ARCA" "${args[@]}" > "$prefix.out" 2> "$prefix.err" &
  ARCA_PID=$!
  wait_arca_listening "$ARCA_PID" "$prefix.out" "$prefix.err"
  ARCA_PORT=${ARCA_URL##*:}
}

# stop_arca: SIGTERM the server started by start_arca and wait for it.
stop_arca() {
  if [[ -n ${ARCA_PID:-} ]] && kill -0 "$ARCA_PID" 2>/dev/null; then
    kill -TERM "$ARCA_PID"
    wait "$ARCA_PID" 2>/dev/null || true
  fi
  ARCA_PID=
}
