#!/usr/bin/env bash
# Settings and helpers for the npm registry benchmarks (sourced by bench/npm/*.sh, not run).
# Every value can be overridden from the environment.
set -euo pipefail

NPM_BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$NPM_BENCH_SRC/../.." && pwd)
ARCA=${ARCA:-$REPO_ROOT/build/arca}
VERD_HOME=${VERD_HOME:-$REPO_ROOT/.tools}      # verdaccio at $VERD_HOME/node_modules/.bin/verdaccio
VERD_TOKENS=${VERD_TOKENS:-jwt}                # jwt | legacy (Verdaccio's default, bcrypt per request)
BENCH_DIR=${BENCH_DIR:-/tmp/arcabench-npm}
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/results}
CORPUS_DIR=$BENCH_DIR/corpus
SAMPLER=$NPM_BENCH_SRC/../sample_proc.py       # team sampler + OUT_JSON.ready
export BENCH_DIR RESULTS_DIR

# corpus shape (gen_corpus.py reads the same variables)
export N_PKGS=${N_PKGS:-50} N_VERS=${N_VERS:-20} N_BIGVERS=${N_BIGVERS:-500} BIG_MB=${BIG_MB:-50}
export PKG_PREFIX=${PKG_PREFIX:-bench-pkg-} MANY_PKG=${MANY_PKG:-bench-many} BIG_PKG=${BIG_PKG:-bench-big}

# wrk
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-64}
WRK_DURATION=${WRK_DURATION:-10s}
WRK_REPEATS=${WRK_REPEATS:-2}
WRK_CASES=${WRK_CASES:-"pkt20 pkt500 pkt500corgi tgz10k tgz50m"}

need() { command -v "$1" >/dev/null || { echo "missing tool: $1" >&2; exit 2; }; }

# one line describing the machine's load, for the results
machine_note() {
  echo "$(date -u +%FT%TZ) load=$(cut -d' ' -f1-3 /proc/loadavg) cc1plus=$(pgrep -c cc1plus || true)"
}

# a free loopback port (5 digits, from the ephemeral range, so every URL has the same length)
free_port() {
  python3 -c 'import socket
while True:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    if p >= 10000: print(p); break'
}

# wait until URL answers (any HTTP status), up to $2 seconds
wait_http() {
  local url=$1 secs=${2:-20} i
  for i in $(seq 1 $((secs * 10))); do
    curl -s -o /dev/null --max-time 1 "$url" && return 0
    sleep 0.1
  done
  return 1
}

# start the sampler for PID, writing OUT, and wait until it samples; sets SAMPLER_PID
start_sampler() {
  local pid=$1 out=$2 interval=${3:-0.2} i
  rm -f "$out" "$out.ready"
  python3 "$SAMPLER" "$pid" "$out" "$interval" & SAMPLER_PID=$!
  for i in $(seq 1 200); do [[ -f $out.ready ]] && return 0; sleep 0.01; done
}
stop_sampler() { kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; }

# npmrc for a registry URL (ends with /) with a bearer token, cache and no audit/fund
write_npmrc() {
  local file=$1 url=$2 tok=${3:-} key
  key=${url#http://}; key=//${key%/}/
  {
    echo "registry=$url"
    echo "audit=false"
    echo "fund=false"
    echo "update-notifier=false"
    if [[ -n $tok ]]; then echo "$key:_authToken=$tok"; fi
  } > "$file"
}
