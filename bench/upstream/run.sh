#!/usr/bin/env bash
# Pull-through cache benchmark (issue C): an npm repository with the external connection
# `public:npmjs` pointing at a static upstream (nginx on 127.0.0.1), against that upstream direct
# and against a repository holding the same bytes as a local publish. One command:
#
#   bench/upstream/run.sh
#
# Steps (all on 127.0.0.1; scratch under $BENCH_DIR; servers stopped and the big files deleted on exit):
#   0. wait while bench/npm/run.sh is running (20-s sleeps, up to WAIT_MAX=900 s): 2 cores
#   1. upstream: make_upstream.py writes packuments `small` (10 KB), `mid` (5 MiB) and `big` (1 GiB)
#      with N_SMALL / N_SMALL / N_BIG distinct versions 1.0.0.. (random, incompressible .tgz with
#      the right dist.integrity and shasum); nginx serves them (same settings as bench/npm).
#      A second nginx is the reference reverse proxy: `proxy_pass` to the first with upstream
#      keep-alive (16), HTTP/1.1, no cache: the floor of one proxy hop on this machine, to read
#      the 1.2x target against when the upstream itself answers in about 1 ms (loopback).
#   2. Arca (copy of $ARCA) on a new data dir, config: [external_connections] "public:npmjs" =
#      nginx, metadata_ttl 10m, access_log off; domain bench, repository `pull` associated with
#      public:npmjs, repository `local`; a token (arca_setup.py) (start_arca)
#   3. packuments: nginx direct, then through Arca (MISS), then again (HIT); also N_MANY_PKGS
#      packages many0.. of N_MANY versions each (512-byte tarballs: a packument of about 1.3 MB,
#      as popular packages have), each fetched directly (`pkt-direct`, and with gzip as npm asks:
#      `pkt-direct-gzip`; nginx compresses JSON on the fly), then through Arca (MISS, then HIT)
#   4. (a) miss time to first byte: for each version of `small` and `mid`: curl direct from nginx,
#      then through the reference reverse proxy (kind `proxy`), then through `pull` (a miss: each
#      version is fetched once); curl -w %{time_starttransfer}, full body read. For `big`: direct,
#      then the miss, which is also (b): Arca's VmRSS sampled every 0.1 s (../sample_proc.py).
#      Then every `big` version again through Arca (HIT), RSS sampled as well.
#   5. (c) wrk (bench/npm settings: -t2 -c64 -d10s, 2 repetitions, Bearer token) on version 1.0.0 of
#      `small` and `mid`: cached in `pull` vs the same bytes published to `local` (publish_local.py),
#      alternating which goes first
#   6. (a') emulated remote upstream (skipped when UPSTREAM_DELAY_MS is 0 or empty): delay_proxy.py
#      relays to the same nginx, and each response's first byte comes UPSTREAM_DELAY_MS after the
#      request reached it (its own connect and nginx's answer fall inside that time).
#      make_upstream.py writes `dsmall` and `dmid` (sizes and counts of small and mid) under
#      static/delayed/, with tarball URLs through the delay proxy; a second Arca (start_arca, same
#      config, "public:npmjs" = the delay proxy + /delayed/); each packument once through it, then
#      for each version: curl via the delay proxy (kind `direct-delayed`), then the miss through
#      the second Arca (kind `miss-delayed`). Real registries answer in >= 10 ms; this shows what
#      Arca's fixed per-miss cost weighs against such an upstream.
#   7. (a'') Verdaccio as the upstream (skipped when VERDACCIO=0): the pinned Verdaccio of the tests
#      (verdaccio_up.py: no uplinks, packages published over its API: `vsmall` and `vmid` with the
#      sizes and counts of small and mid, and N_SMALL one-version packages vpk<i>); a third Arca
#      (start_arca, "public:npmjs" = Verdaccio). Each tarball: curl from Verdaccio (kind
#      `direct-verdaccio`), then the miss (kind `miss-verdaccio`); each vpk<i> packument likewise
#      (`pkt-direct-verdaccio`, `pkt-miss-verdaccio`). The real third-party registry of the tests.
#   8. table.py: the table -> $RESULTS_DIR/upstream.md; with UPDATE_DOC=1 (default) also the
#      section "## Pull-through cache (issue C)" of docs/performance.md
# Knobs (environment): ARCA, BENCH_DIR (under /tmp, wiped at start), RESULTS_DIR, N_SMALL (15),
# N_BIG (3), N_MANY (3000), N_MANY_PKGS (3), SMALL_BYTES, MID_BYTES, BIG_BYTES, WRK_THREADS/WRK_CONNS/WRK_DURATION/WRK_REPEATS
# (2/64/10s/2), WRK_CASES ("small mid"), UPSTREAM_DELAY_MS (10; 0 or empty: no step 6), VERDACCIO
# (1; 0: no step 7), WAIT_OTHER
# (1), WAIT_MAX (900), UPDATE_DOC (1), KEEP (0: delete the static tree and Arca's data dirs on exit),
# PERF (0; 1: `perf record -g` of Arca during the first 1 GiB miss -> $RESULTS_DIR/perf-miss.data,
# perf-miss.txt (top symbols), perf-miss-dso.txt).
set -euo pipefail
UP_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$UP_SRC/../.." && pwd)
ARCA=${ARCA:-$REPO_ROOT/build/arca}
BENCH_DIR=${BENCH_DIR:-/tmp/arcabench-upstream}
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/results}
N_SMALL=${N_SMALL:-15}
N_BIG=${N_BIG:-3}
N_MANY=${N_MANY:-3000}
N_MANY_PKGS=${N_MANY_PKGS:-3}
SMALL_BYTES=${SMALL_BYTES:-10240}
MID_BYTES=${MID_BYTES:-5242880}
BIG_BYTES=${BIG_BYTES:-1073741824}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-64}
WRK_DURATION=${WRK_DURATION:-10s}
WRK_REPEATS=${WRK_REPEATS:-2}
WRK_CASES=${WRK_CASES:-"small mid"}
UPSTREAM_DELAY_MS=${UPSTREAM_DELAY_MS-10}  # `-`, not `:-`: an empty value disables step 6
VERDACCIO=${VERDACCIO:-1}
WAIT_OTHER=${WAIT_OTHER:-1}
WAIT_MAX=${WAIT_MAX:-900}
UPDATE_DOC=${UPDATE_DOC:-1}
KEEP=${KEEP:-0}
PERF=${PERF:-0}
export BENCH_DIR RESULTS_DIR

# shellcheck source=SCRIPTDIR/../helpers.sh
source "$UP_SRC/../helpers.sh"
for t in nginx wrk curl python3; do need "$t"; done
[[ ${PERF:-0} == 1 ]] && need perf
python3 -c 'import boto3' || { echo "missing python module boto3" >&2; exit 2; }
[[ -x $ARCA ]] || { echo "no server binary at $ARCA (set ARCA=...)" >&2; exit 2; }
case $BENCH_DIR in /tmp/?*) ;; *) echo "BENCH_DIR must be under /tmp" >&2; exit 2;; esac
[[ -z $UPSTREAM_DELAY_MS || $UPSTREAM_DELAY_MS =~ ^[0-9]+(\.[0-9]+)?$ ]] \
  || { echo "UPSTREAM_DELAY_MS must be a number of milliseconds" >&2; exit 2; }

T_START=$(date +%s)
step() { echo "=== $1 (+$(( $(date +%s) - T_START )) s) $(machine_note)" | tee -a "$RESULTS_DIR/machine.txt"; }


# ---------- 0. wait for the other benchmark (the machine has 2 cores)
waited=0
if [[ $WAIT_OTHER == 1 ]]; then
  while pgrep -f 'bench/npm/run.sh' >/dev/null && (( waited < WAIT_MAX )); do
    (( waited == 0 )) && echo "bench/npm/run.sh is running; waiting (up to $WAIT_MAX s)"
    sleep 20; waited=$((waited + 20))
  done
  pgrep -f 'bench/npm/run.sh' >/dev/null && echo "WARNING: bench/npm/run.sh still running after $WAIT_MAX s; measuring anyway"
fi

# ---------- 1. scratch, binary snapshot, machine notes
rm -rf "$BENCH_DIR"; mkdir -p "$BENCH_DIR/bin" "$RESULTS_DIR"; chmod 755 "$BENCH_DIR"
cp "$ARCA" "$BENCH_DIR/bin/arca"
STATIC_ROOT=$BENCH_DIR/static NGX=$BENCH_DIR/nginx AD=$BENCH_DIR/arca
NGX_PROXY=$BENCH_DIR/nginx-proxy AD2=$BENCH_DIR/arca-delayed AD3=$BENCH_DIR/arca-verdaccio
# every server started, for cleanup: nginx (static upstream, reference proxy), Arca (one per
# phase), the delay proxy. NGINX_PID is whichever nginx start_static_nginx started last.
NGINX_PID='' NGINX_PIDS=() ARCA_PID='' ARCA_PIDS=() DELAY_PID=''
cleanup() {
  set +e
  stop_sampler
  [[ -n ${PERF_PID:-} ]] && kill -INT "$PERF_PID" 2>/dev/null
  for p in $NGINX_PID "${NGINX_PIDS[@]}"; do kill -QUIT "$p" 2>/dev/null; done
  for p in "${ARCA_PIDS[@]}" $DELAY_PID ${VERD_PID:-}; do kill -TERM "$p" 2>/dev/null; done
  for p in $NGINX_PID "${NGINX_PIDS[@]}" "${ARCA_PIDS[@]}" $DELAY_PID ${VERD_PID:-}; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
  done
  if [[ $KEEP != 1 ]]; then rm -rf "$STATIC_ROOT" "$AD/data" "$AD2/data" "$AD3/data" "${BENCH_DIR:?}/bin"; fi
  echo "servers stopped$([[ $KEEP != 1 ]] && echo ', static tree and Arca data deleted')"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

NGINX_PORT=$(free_port)
STATIC_URL=http://127.0.0.1:$NGINX_PORT
{
  echo "command: $0 $*"
  echo "date: $(date -u '+%F %T UTC')"
  echo "waited for bench/npm/run.sh: ${waited} s"
  echo "arca binary: $ARCA ($(stat -c '%y' "$ARCA" | cut -d. -f1), sha256 $(sha256sum "$ARCA" | cut -c1-16)), run from a copy"
  echo "repo HEAD: $(git -C "$REPO_ROOT" log -1 --format='%h %cd' --date=iso 2>/dev/null || echo '?'), $(git -C "$REPO_ROOT" status --porcelain --untracked-files=no 2>/dev/null | wc -l) tracked files modified in the working tree"
  echo "cpu: nproc=$(nproc) $(lscpu | sed -n 's/^Model name: *//p') mem=$(free -g | awk '/Mem:/{print $2}') GiB"
  echo "tools: $(curl --version | head -1 | cut -d' ' -f1-2) / nginx $(nginx -v 2>&1 | cut -d/ -f2) / $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo "settings: N_SMALL=$N_SMALL N_BIG=$N_BIG N_MANY=$N_MANY N_MANY_PKGS=$N_MANY_PKGS sizes $SMALL_BYTES/$MID_BYTES/$BIG_BYTES; wrk -t$WRK_THREADS -c$WRK_CONNS -d$WRK_DURATION x$WRK_REPEATS cases $WRK_CASES; UPSTREAM_DELAY_MS=${UPSTREAM_DELAY_MS:-0} VERDACCIO=$VERDACCIO"
  echo "uptime at start: $(uptime)"
} > "$RESULTS_DIR/machine.txt"
cat "$RESULTS_DIR/machine.txt"

# ---------- 1b. the static upstream
step "upstream files"
python3 "$UP_SRC/make_upstream.py" "$STATIC_ROOT" "$STATIC_URL/" \
  "small:$SMALL_BYTES:$N_SMALL" "mid:$MID_BYTES:$N_SMALL" "big:$BIG_BYTES:$N_BIG" \
  $(for k in $(seq 0 $((N_MANY_PKGS - 1))); do echo "many$k:512:$N_MANY"; done) \
  > "$RESULTS_DIR/upstream_files.jsonl"
chmod -R a+rX "$STATIC_ROOT"
# shellcheck disable=SC2016  # $uri is nginx's, not the shell's
start_static_nginx "$NGX" "$NGINX_PORT" "$STATIC_ROOT" 'try_files $uri $uri/index.json =404;'
NGINX_PIDS+=("$NGINX_PID")
echo "nginx pid $NGINX_PID on $STATIC_URL (static upstream)"
# the reference reverse proxy: a second nginx in front of the first, with upstream keep-alive and
# no cache, so the table can show what one proxy hop costs on this machine
PROXY_PORT=$(free_port)
PROXY_URL=http://127.0.0.1:$PROXY_PORT
start_static_nginx "$NGX_PROXY" "$PROXY_PORT" "$STATIC_ROOT" \
  'proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection "";' \
  "upstream up { server 127.0.0.1:$NGINX_PORT; keepalive 16; }"
NGINX_PIDS+=("$NGINX_PID")
echo "nginx pid $NGINX_PID on $PROXY_URL (reference reverse proxy, no cache)"
NGINX_PID=${NGINX_PIDS[0]}  # start_static_nginx set it to the proxy's; it is the static upstream's

# ---------- 2. Arca
# start_arca DIR UPSTREAM_URL: Arca (the copy in $BENCH_DIR/bin) on a new data dir DIR/data and
# a free port, config DIR/arca.toml (copied to $RESULTS_DIR/<DIR's name>.toml): access log off,
# [external_connections] "public:npmjs" = UPSTREAM_URL, metadata_ttl 10m. Then arca_setup.py:
# domain bench, repositories `pull` (with public:npmjs) and `local`, a token. Sets ARCA_PID (also
# added to ARCA_PIDS for cleanup), ARCA_URL, TOKEN, PULL and LOCAL: the Arca that get() and
# upfb() talk to from then on.
start_arca() {
  local dir=$1 upstream=$2
  mkdir -p "$dir"
  cat > "$dir/arca.toml" <<TOML
[server]
access_log = false
[external_connections]
"public:npmjs" = "$upstream"
[external_connection_settings."public:npmjs"]
metadata_ttl = "10m"
TOML
  "$BENCH_DIR/bin/arca" serve --config "$dir/arca.toml" --data-dir "$dir/data" --listen 127.0.0.1:0 \
    > "$dir/stdout.log" 2> "$dir/stderr.log" < /dev/null &
  ARCA_PID=$!
  ARCA_PIDS+=("$ARCA_PID")
  wait_arca_listening "$ARCA_PID" "$dir/stdout.log" "$dir/stderr.log"
  python3 "$UP_SRC/arca_setup.py" "$ARCA_URL" "$dir/data/admin.credentials" "$dir"
  TOKEN=$(cat "$dir/arca.token"); PULL=$(cat "$dir/pull.endpoint"); LOCAL=$(cat "$dir/local.endpoint")
  cp "$dir/arca.toml" "$RESULTS_DIR/$(basename "$dir").toml"
  echo "arca pid $ARCA_PID on $ARCA_URL; pull $PULL; local $LOCAL"
}
step "arca"
start_arca "$AD" "$STATIC_URL/"

# Arca's own view of the upstream: "sum count" of arca_upstream_first_byte_seconds (from /metrics)
upfb() {
  curl -s "$ARCA_URL/metrics" | awk '/^arca_upstream_first_byte_seconds_sum\{connection="public:npmjs"/{s=$2}
    /^arca_upstream_first_byte_seconds_count\{connection="public:npmjs"/{c=$2} END{print s+0, c+0}'
}
# one GET: KIND NAME VERSION URL [auth|gzip] -> a row in ttfb.tsv (for misses, i.e. KIND containing
# "miss", with the upstream's time to first byte as Arca measured it: the /metrics histogram sum
# before and after)
TSV=$RESULTS_DIR/ttfb.tsv
printf 'kind\tname\tversion\thttp\tttfb_s\ttotal_s\tbytes\tx_arca_cache\tload1\tupstream_fb_s\n' > "$TSV"
get() {
  local kind=$1 name=$2 ver=$3 url=$4 auth=${5:-} args=(-sS -o /dev/null -H 'Accept: */*')
  case $auth in
    auth) args+=(-H "Authorization: Bearer $TOKEN") ;;
    gzip) args+=(-H 'Accept-Encoding: gzip') ;;  # size_download is then the compressed size
  esac
  local out m0=() m1=() up=
  [[ $kind == *miss* ]] && read -r -a m0 < <(upfb)
  out=$(curl "${args[@]}" -w '%{http_code}\t%{time_starttransfer}\t%{time_total}\t%{size_download}\t%header{x-arca-cache}' "$url")
  if [[ $kind == *miss* ]]; then
    read -r -a m1 < <(upfb)
    up=$(python3 -c "import sys; s0,c0,s1,c1=map(float,sys.argv[1:]); print('%.6f' % ((s1-s0)/(c1-c0)) if c1>c0 else '')" \
      "${m0[0]}" "${m0[1]}" "${m1[0]}" "${m1[1]}")
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$name" "$ver" "$out" "$(cut -d' ' -f1 /proc/loadavg)" "$up" >> "$TSV"
  local code=${out%%$'\t'*}
  [[ $code == 200 ]] || { echo "HTTP $code for $kind $url" >&2; exit 1; }
}
tgz() { echo "$1/-/$1-$2.tgz"; }
# check_blobs MANIFEST DATA_DIR: the cached blobs must be the upstream's bytes (every tarball of
# make_upstream.py's MANIFEST is in DATA_DIR/blobs by sha256, but those of many<k>, whose
# packuments only are fetched); exits 1 when one is missing
check_blobs() {
  python3 - "$1" "$2" <<'PY'
import json, os, sys
want = {r["sha256"] for r in json.load(open(sys.argv[1])) if not r["name"].startswith("many")}
have = set()
for dp, _, fs in os.walk(os.path.join(sys.argv[2], "blobs")):
    have.update(f for f in fs if len(f) == 64)
missing = want - have
print("cached blobs: %d of %d upstream tarballs present by sha256" % (len(want) - len(missing), len(want)))
sys.exit(1 if missing else 0)
PY
}

# timed_misses SUFFIX DIRECT_BASE NAME...: for each package its packument once through Arca (kind
# pkt-miss-SUFFIX), then for each version 1.0.0.. a GET from DIRECT_BASE (direct-SUFFIX) and the
# miss through Arca (miss-SUFFIX): steps (a') and (a'')
timed_misses() {
  local suffix=$1 base=$2 name k
  shift 2
  for name in "$@"; do
    step "$suffix misses $name"
    get "pkt-miss-$suffix" "$name" - "$PULL$name" auth
    for k in $(seq 0 $((N_SMALL - 1))); do
      get "direct-$suffix" "$name" "1.0.$k" "$base$(tgz "$name" "1.0.$k")"
      get "miss-$suffix" "$name" "1.0.$k" "$PULL$(tgz "$name" "1.0.$k")" auth
    done
  done
}

# ---------- 3. packuments
step "packuments"
for name in small mid big $(for k in $(seq 0 $((N_MANY_PKGS - 1))); do echo "many$k"; done); do
  get pkt-direct "$name" - "$STATIC_URL/$name"
  [[ $name == many* ]] && get pkt-direct-gzip "$name" - "$STATIC_URL/$name" gzip
  get pkt-miss "$name" - "$PULL$name" auth
  get pkt-hit "$name" - "$PULL$name" auth
done

# ---------- 4. (a) miss time to first byte, (b) 1 GiB pass-through RSS
for name in small mid; do
  step "misses $name"
  for k in $(seq 0 $((N_SMALL - 1))); do
    get direct "$name" "1.0.$k" "$STATIC_URL/$(tgz "$name" "1.0.$k")"
    get proxy "$name" "1.0.$k" "$PROXY_URL/$(tgz "$name" "1.0.$k")"
    get miss "$name" "1.0.$k" "$PULL$(tgz "$name" "1.0.$k")" auth
  done
done
step "misses big"
sync
PERF_PID=
for k in $(seq 0 $((N_BIG - 1))); do
  get direct big "1.0.$k" "$STATIC_URL/$(tgz big "1.0.$k")"
  if [[ $PERF == 1 && $k == 0 ]]; then
    perf record -q -F 499 -g -p "$ARCA_PID" -o "$RESULTS_DIR/perf-miss.data" > /dev/null 2>&1 & PERF_PID=$!
    sleep 0.5
  fi
  start_sampler "$ARCA_PID" "$RESULTS_DIR/rss-miss-1.0.$k.json" 0.1
  get miss big "1.0.$k" "$PULL$(tgz big "1.0.$k")" auth
  sleep 0.3; stop_sampler
  if [[ -n $PERF_PID ]]; then
    kill -INT "$PERF_PID"; wait "$PERF_PID" 2>/dev/null || true; PERF_PID=
    perf report -i "$RESULTS_DIR/perf-miss.data" --no-children -g none --sort dso,sym --stdio 2>/dev/null \
      | grep '%' | head -60 > "$RESULTS_DIR/perf-miss.txt" || true
    perf report -i "$RESULTS_DIR/perf-miss.data" --no-children -g none --sort dso --stdio 2>/dev/null \
      | grep '%' | head -20 > "$RESULTS_DIR/perf-miss-dso.txt" || true
  fi
done
step "hits big"
for k in $(seq 0 $((N_BIG - 1))); do
  start_sampler "$ARCA_PID" "$RESULTS_DIR/rss-hit-1.0.$k.json" 0.1
  get hit big "1.0.$k" "$PULL$(tgz big "1.0.$k")" auth
  sleep 0.3; stop_sampler
done
for name in small mid; do get hit "$name" 1.0.0 "$PULL$(tgz "$name" 1.0.0)" auth; done
check_blobs "$STATIC_ROOT/manifest.json" "$AD/data"

# ---------- 5. (c) cached hit vs local hit under wrk
step "publish local copies"
for name in $WRK_CASES; do
  python3 "$UP_SRC/publish_local.py" "$LOCAL" "$TOKEN" "$STATIC_ROOT/$(tgz "$name" 1.0.0)" "$name" 1.0.0
  get local "$name" 1.0.0 "$LOCAL$(tgz "$name" 1.0.0)" auth
done
LUA=$BENCH_HELPERS_DIR/wrk_report.lua  # one JSON line per run (WRKJSON)
WTSV=$RESULTS_DIR/wrk.tsv
printf 'label\tcase\trep\trps\tMiB_s\tp50_ms\tp99_ms\terrors\trequests\tcpu_s\tmax_rss_mb\tload1\tcc1plus\n' > "$WTSV"
mkdir -p "$RESULTS_DIR/wrk"
wrk_one() {  # LABEL CASE REP URL
  local label=$1 case=$2 rep=$3 url=$4 raw=$RESULTS_DIR/wrk/$1-$2.$3.txt samp=$RESULTS_DIR/wrk/$1-$2.$3.proc.json
  local load0 cc0
  load0=$(cut -d' ' -f1 /proc/loadavg); cc0=$(pgrep -c cc1plus || true)
  start_sampler "$ARCA_PID" "$samp" 0.2
  wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$WRK_DURATION" --timeout 60s --latency -s "$LUA" \
      -H 'Accept: */*' -H "Authorization: Bearer $TOKEN" "$url" > "$raw" 2>&1 || true
  stop_sampler
  python3 - "$raw" "$samp" "$label" "$case" "$rep" "$load0" "${cc0:-0}" >> "$WTSV" <<'PY'
import json, sys
raw, samp, label, case, rep, load0, cc0 = sys.argv[1:]
j = next(json.loads(l.split(" ", 1)[1]) for l in open(raw) if l.startswith("WRKJSON "))
p = json.load(open(samp))
s = j["duration_us"] / 1e6
print("\t".join([label, case, rep, "%.1f" % (j["requests"] / s), "%.1f" % (j["bytes"] / s / 2**20),
                 "%.2f" % (j["p50"] / 1000), "%.2f" % (j["p99"] / 1000), str(sum(j[k] for k in ("err_connect", "err_read", "err_write", "err_status", "err_timeout"))),
                 str(j["requests"]), str(p["cpu_s"]), str(p["max_rss_mb"]), load0, cc0]))
PY
  tail -1 "$WTSV" | tr '\t' ' '
}
for rep in $(seq 1 "$WRK_REPEATS"); do
  for name in $WRK_CASES; do
    step "wrk $name rep $rep"
    if (( rep % 2 )); then order="pull local"; else order="local pull"; fi
    for r in $order; do
      if [[ $r == pull ]]; then wrk_one pull-hit "$name" "$rep" "$PULL$(tgz "$name" 1.0.0)"
      else wrk_one local "$name" "$rep" "$LOCAL$(tgz "$name" 1.0.0)"; fi
    done
  done
done

# ---------- 6. (a') the misses again, against an emulated remote upstream
if [[ -n $UPSTREAM_DELAY_MS && $UPSTREAM_DELAY_MS != 0 ]]; then
  step "delayed upstream: +$UPSTREAM_DELAY_MS ms first byte"
  DELAY_PORT=$(free_port)
  DELAY_URL=http://127.0.0.1:$DELAY_PORT
  python3 "$UP_SRC/delay_proxy.py" "$DELAY_PORT" "127.0.0.1:$NGINX_PORT" "$UPSTREAM_DELAY_MS" \
    > "$BENCH_DIR/delay_proxy.log" 2>&1 < /dev/null &
  DELAY_PID=$!
  wait_http "$DELAY_URL/" 20 || { echo "delay_proxy.py did not start" >&2; cat "$BENCH_DIR/delay_proxy.log" >&2; exit 1; }
  # its own packages under static/delayed/ (served by the same nginx), whose dist.tarball URLs go
  # through the delay proxy as well: Arca fetches tarballs from the URL in the packument
  python3 "$UP_SRC/make_upstream.py" "$STATIC_ROOT/delayed" "$DELAY_URL/delayed/" \
    "dsmall:$SMALL_BYTES:$N_SMALL" "dmid:$MID_BYTES:$N_SMALL" >> "$RESULTS_DIR/upstream_files.jsonl"
  chmod -R a+rX "$STATIC_ROOT/delayed"
  start_arca "$AD2" "$DELAY_URL/delayed/"  # from here on get() and upfb() talk to this Arca
  timed_misses delayed "$DELAY_URL/delayed/" dsmall dmid
  check_blobs "$STATIC_ROOT/delayed/manifest.json" "$AD2/data"
fi

# ---------- 7. (a'') Verdaccio as the upstream
if [[ $VERDACCIO == 1 ]]; then
  step "verdaccio upstream"
  VD=$BENCH_DIR/verdaccio; mkdir -p "$VD"
  python3 "$UP_SRC/verdaccio_up.py" "$VD" "$N_SMALL" "$SMALL_BYTES" "$MID_BYTES" > "$VD/stdout.log" 2>&1 < /dev/null &
  VERD_PID=$!
  for _ in $(seq 1 1800); do
    [[ -f $VD/ready ]] && break
    kill -0 "$VERD_PID" 2>/dev/null || { echo "verdaccio_up.py exited:" >&2; cat "$VD/stdout.log" >&2; exit 1; }
    sleep 0.1
  done
  [[ -f $VD/ready ]] || { echo "verdaccio_up.py: not ready after 180 s" >&2; cat "$VD/stdout.log" >&2; exit 1; }
  VERD_URL=$(cat "$VD/url")
  cat "$VD/stdout.log"
  start_arca "$AD3" "$VERD_URL"  # from here on get() and upfb() talk to this Arca
  timed_misses verdaccio "$VERD_URL" vsmall vmid
  step "verdaccio packument misses"
  for k in $(seq 0 $((N_SMALL - 1))); do
    get pkt-direct-verdaccio "vpk$k" - "${VERD_URL}vpk$k"
    get pkt-miss-verdaccio "vpk$k" - "${PULL}vpk$k" auth
  done
fi

# ---------- 8. table (+ docs/performance.md)
step "done"
echo "uptime at end: $(uptime)" >> "$RESULTS_DIR/machine.txt"
args=("$RESULTS_DIR")
[[ $UPDATE_DOC == 1 ]] && args+=(--doc "$REPO_ROOT/docs/performance.md")
python3 "$UP_SRC/table.py" "${args[@]}" | tee "$RESULTS_DIR/upstream.md"
echo "results in $RESULTS_DIR (upstream.md, ttfb.tsv, wrk.tsv, rss-*.json, machine.txt); total $(( $(date +%s) - T_START )) s"
