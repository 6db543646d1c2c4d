#!/usr/bin/env bash
# Settings and helpers for the npm registry benchmarks (sourced by bench/npm/*.sh, not run).
# Every value can be overridden from the environment.
set -euo pipefail

NPM_BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$NPM_BENCH_SRC/../helpers.sh"
REPO_ROOT=$(cd "$NPM_BENCH_SRC/../.." && pwd)
ARCA=${ARCA:-$REPO_ROOT/build/arca}
VERD_HOME=${VERD_HOME:-$REPO_ROOT/.tools}      # verdaccio at $VERD_HOME/node_modules/.bin/verdaccio
VERD_TOKENS=${VERD_TOKENS:-jwt}                # jwt | legacy (Verdaccio's default, bcrypt per request)
BENCH_DIR=${BENCH_DIR:-/tmp/arcabench-npm}
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/results}
CORPUS_DIR=$BENCH_DIR/corpus
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
