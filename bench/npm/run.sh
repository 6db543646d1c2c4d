#!/usr/bin/env bash
# npm registry benchmark (issue B): Arca against Verdaccio (the peer) and nginx serving the same
# packuments and tarballs as static files (the physical limit), in one run, on one seeded corpus.
#
#   bench/npm/run.sh
#
# Steps (all on 127.0.0.1, servers on temp data dirs under $BENCH_DIR, all stopped on exit):
#   1. snapshot the Arca binary ($ARCA, default build/arca) to $BENCH_DIR/bin; machine notes
#   2. corpus: gen_corpus.py (team's generator, seeded): 50 x 20 versions of ~10 KB, bench-many with
#      500 versions, bench-big with one 50 MiB tarball
#   3. Verdaccio (from $VERD_HOME, default .tools/; no uplinks; $VERD_TOKENS default jwt) and Arca
#      (`arca serve --config` with `[server] access_log = false`, domain bench, repository npm,
#      token from GetAuthorizationToken) started; the corpus loaded into both (publish_corpus.py)
#   4. publish rate (each set after `sync` and 2 s of quiet): publish_raw.py (raw PUT, same body as npm): 400 versions on 1 connection,
#      400 on 4 connections, 500 versions into one package; then CLI_VERS (20) `npm publish`
#   5. nginx on a static mirror of Verdaccio's packuments and tarballs (mirror_static.py)
#   6. wrk: for each repetition, case and server (nginx, Arca, Verdaccio in turn) one wrk_case.sh run;
#      Arca and Verdaccio get `Authorization: Bearer` on every request, nginx is anonymous
#   7. Arca: RSS growth over a HUGE_MB (200) MiB publish and download (huge_rss.sh)
#   8. `npm install` / `npm ci` of 40 packages, clean cache, against Arca and Verdaccio (npm_install.sh)
#   9. table.py: one table of figures and ratios against the targets -> $RESULTS_DIR/npm.md
# Knobs: see bench/README.md ("npm registry (issue B)").
source "$(dirname "$0")/lib.sh"
for t in wrk nginx hyperfine curl node npm python3; do need "$t"; done
VERD_BIN=$VERD_HOME/node_modules/.bin/verdaccio
[[ -x $VERD_BIN ]] || { echo "no Verdaccio at $VERD_BIN (scripts/install-npm-tools.sh, or set VERD_HOME)" >&2; exit 2; }
[[ -x $ARCA ]] || { echo "no server binary at $ARCA (set ARCA=...)" >&2; exit 2; }
CLI_VERS=${CLI_VERS:-20}
INSTALL_ROUNDS=${INSTALL_ROUNDS:-2}
RAW_SETS=${RAW_SETS:-"c1 c4 many"}
export CLI_VERS

T_START=$(date +%s)
step() { echo "=== $1 ($(date -u +%T), +$(( $(date +%s) - T_START )) s) $(machine_note)" | tee -a "$RESULTS_DIR/machine.txt"; }

# ---------- 1. scratch, binary snapshot, machine notes
case $BENCH_DIR in /tmp/*) ;; *) echo "BENCH_DIR must be under /tmp" >&2; exit 2;; esac
rm -rf "$BENCH_DIR"; mkdir -p "$BENCH_DIR/bin" "$RESULTS_DIR"; chmod 755 "$BENCH_DIR"
cp "$ARCA" "$BENCH_DIR/bin/arca"
{
  echo "command: $0 $*"
  echo "arca binary: $ARCA ($(stat -c '%y' "$ARCA"), sha256 $(sha256sum "$ARCA" | cut -c1-16)), run from $BENCH_DIR/bin/arca"
  echo "repo HEAD: $(git -C "$REPO_ROOT" log -1 --format='%h %cd' --date=iso 2>/dev/null || echo '?')"
  echo "cpu: nproc=$(nproc) $(lscpu | sed -n 's/^Model name: *//p') mem=$(free -g | awk '/Mem:/{print $2}') GiB"
  echo "tools: $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2) / $(nginx -v 2>&1 | cut -d' ' -f3) / node $(node -v) / npm $(npm -v) / verdaccio $(node -p "require('$VERD_HOME/node_modules/verdaccio/package.json').version") / $(hyperfine --version)"
  echo "uptime: $(uptime)"
  echo "compilers at start: $(pgrep -a cc1plus | awk '{print $NF}' | tr '\n' ' ')"
  echo "settings: WRK -t$WRK_THREADS -c$WRK_CONNS -d$WRK_DURATION x$WRK_REPEATS, cases $WRK_CASES; VERD_TOKENS=$VERD_TOKENS; CLI_VERS=$CLI_VERS; INSTALL_ROUNDS=$INSTALL_ROUNDS"
} > "$RESULTS_DIR/machine.txt"
cat "$RESULTS_DIR/machine.txt"

VERD_PID= ARCA_PID= NGINX_PID=
cleanup() {
  set +e
  [[ -n $NGINX_PID ]] && kill -QUIT "$NGINX_PID" 2>/dev/null
  [[ -n $ARCA_PID ]] && kill -TERM "$ARCA_PID" 2>/dev/null
  [[ -n $VERD_PID ]] && kill -TERM "$VERD_PID" 2>/dev/null
  for p in $NGINX_PID $ARCA_PID $VERD_PID; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
  done
  echo "servers stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

VERD_PORT=$(free_port); NGINX_PORT=$(free_port)
while [[ $NGINX_PORT == "$VERD_PORT" ]]; do NGINX_PORT=$(free_port); done
VERD_URL=http://127.0.0.1:$VERD_PORT
STATIC_URL=http://127.0.0.1:$NGINX_PORT

# ---------- 2. corpus
step corpus
python3 "$NPM_BENCH_SRC/gen_corpus.py"

# ---------- 3. servers
step servers
VD=$BENCH_DIR/verdaccio
mkdir -p "$VD/storage" "$VD/plugins"
if [[ $VERD_TOKENS == jwt ]]; then
  security=$'security:\n  api:\n    jwt:\n      sign:\n        expiresIn: 7d\n  web:\n    sign:\n      expiresIn: 7d'
else
  security='# security: not set -> legacy AES tokens (bcrypt on every authenticated request)'
fi
cat > "$VD/config.yaml" <<YAML
# Verdaccio for local benchmarks: no uplinks, nothing leaves the machine.
storage: $VD/storage
plugins: $VD/plugins
web:
  title: Verdaccio-bench
auth:
  htpasswd:
    file: $VD/htpasswd
    max_users: 100
uplinks: {}
packages:
  '@*/*':
    access: \$all
    publish: \$authenticated
    unpublish: \$authenticated
  '**':
    access: \$all
    publish: \$authenticated
    unpublish: \$authenticated
$security
server:
  keepAliveTimeout: 60
max_body_size: 300mb
listen: 127.0.0.1:$VERD_PORT
log:
  type: file
  path: $VD/verdaccio.log
  level: warn
YAML
"$VERD_BIN" --config "$VD/config.yaml" > "$VD/stdout.log" 2>&1 < /dev/null &
VERD_PID=$!
wait_http "$VERD_URL/-/ping" 60 || { echo "verdaccio did not start" >&2; cat "$VD/stdout.log" >&2; exit 1; }
body=$(printf '{"_id":"org.couchdb.user:bench","name":"bench","password":"bench-password-1","type":"user","roles":[],"date":"%s"}' "$(date -u +%FT%TZ)")
VERD_TOKEN=$(curl -fsS -X PUT -H 'Content-Type: application/json' --data "$body" \
  "$VERD_URL/-/user/org.couchdb.user:bench" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
echo "verdaccio pid $VERD_PID on $VERD_URL ($VERD_TOKENS token)"

AD=$BENCH_DIR/arca
mkdir -p "$AD"
printf '[server]\naccess_log = false\n' > "$AD/arca.toml"
"$BENCH_DIR/bin/arca" serve --config "$AD/arca.toml" --data-dir "$AD/data" --listen 127.0.0.1:0 \
  > "$AD/stdout.log" 2> "$AD/stderr.log" < /dev/null &
ARCA_PID=$!
wait_arca_listening "$ARCA_PID" "$AD/stdout.log" "$AD/stderr.log"
python3 "$NPM_BENCH_SRC/arca_setup.py" "$ARCA_URL" "$AD/data/admin.credentials" "$AD"
ARCA_TOKEN=$(cat "$AD/arca.token"); ARCA_EP=$(cat "$AD/arca.endpoint"); ARCA_REG=${ARCA_EP%/}
probe=$(curl -s -H "Authorization: Bearer $ARCA_TOKEN" "${ARCA_EP}bench-probe")
if [[ $probe == *"not served"* ]]; then echo "this arca binary does not serve npm yet: $probe" >&2; exit 3; fi
echo "arca pid $ARCA_PID on $ARCA_URL, npm endpoint $ARCA_EP"
echo "servers: arca $ARCA_EP verdaccio $VERD_URL/ nginx $STATIC_URL/" >> "$RESULTS_DIR/machine.txt"

step "load corpus"
python3 "$NPM_BENCH_SRC/publish_corpus.py" "verdaccio=$VERD_URL=$VERD_TOKEN" "arca=$ARCA_REG=$ARCA_TOKEN" \
  | tee "$RESULTS_DIR/load_corpus.txt"

# ---------- 4. publish rate
raw() {  # raw LABEL REG TOKEN PID SET
  local label=$1 reg=$2 tok=$3 pid=$4 set=$5 env=()
  case $set in
    c1)   env=(RAW_CONC=1 RAW_PREFIX=bench-raw1-) ;;
    c4)   env=(RAW_CONC=4 RAW_PREFIX=bench-raw4-) ;;
    many) env=(RAW_CONC=1 RAW_PREFIX=bench-rawmany- RAW_SRC=$MANY_PKG RAW_VERS=$N_BIGVERS) ;;
  esac
  start_sampler "$pid" "$RESULTS_DIR/publish_raw-$label-$set.proc.json" 0.2
  env "${env[@]}" RAW_TAG=$set LABEL=$label REGISTRY=$reg TOKEN=$tok python3 "$NPM_BENCH_SRC/publish_raw.py" \
    | tee -a "$RESULTS_DIR/publish_raw.txt"
  stop_sampler
}
for set in $RAW_SETS; do
  # Each set starts on a quiet disk: the corpus load (and the set before) leave writeback that
  # would otherwise land in this set's fsyncs.
  sync; sleep 2
  step "raw publish $set"
  raw verdaccio "$VERD_URL" "$VERD_TOKEN" "$VERD_PID" "$set"
  raw arca "$ARCA_REG" "$ARCA_TOKEN" "$ARCA_PID" "$set"
done
if (( CLI_VERS > 0 )); then
  step "npm CLI publish"
  "$NPM_BENCH_SRC/cli_publish.sh" verdaccio "$VERD_URL/" "$VERD_TOKEN"
  "$NPM_BENCH_SRC/cli_publish.sh" arca "$ARCA_EP" "$ARCA_TOKEN"
fi

# ---------- 5. nginx on a static mirror (of Verdaccio, as in the team baseline)
step "static mirror + nginx"
NGX=$BENCH_DIR/nginx; STATIC_ROOT=$BENCH_DIR/static
REGISTRY=$VERD_URL STATIC_URL=$STATIC_URL TOKEN=$VERD_TOKEN STATIC_ROOT=$STATIC_ROOT python3 "$NPM_BENCH_SRC/mirror_static.py"
chmod -R a+rX "$STATIC_ROOT"
# npm's abbreviated Accept gets the abbreviated document, as a registry would answer it
start_static_nginx "$NGX" "$NGINX_PORT" "$STATIC_ROOT" 'try_files $uri $uri/$packument =404;' \
  '  map $http_accept $packument {
    "~application/vnd\.npm\.install-v1\+json" abbrev.json;
    default index.json;
  }'
echo "nginx pid $NGINX_PID on $STATIC_URL"

# ---------- 6. wrk
for rep in $(seq 1 "$WRK_REPEATS"); do
  for c in $WRK_CASES; do
    step "wrk $c rep $rep"
    "$NPM_BENCH_SRC/wrk_case.sh" nginx "$c" "$STATIC_URL" "$NGINX_PID" "$rep"
    "$NPM_BENCH_SRC/wrk_case.sh" arca "$c" "$ARCA_REG" "$ARCA_PID" "$rep" "$ARCA_TOKEN"
    "$NPM_BENCH_SRC/wrk_case.sh" verdaccio "$c" "$VERD_URL" "$VERD_PID" "$rep" "$VERD_TOKEN"
  done
done

# ---------- 7. big publish / download on Arca
if (( ${HUGE_MB:-200} > 0 )); then
  step "huge publish/download"
  "$NPM_BENCH_SRC/huge_rss.sh" arca "$ARCA_REG" "$ARCA_PID" "$ARCA_TOKEN"
fi

# ---------- 8. npm install
for round in $(seq 1 "$INSTALL_ROUNDS"); do
  step "npm install round $round"
  if (( round % 2 )); then order="arca verdaccio"; else order="verdaccio arca"; fi
  for s in $order; do
    if [[ $s == arca ]]; then "$NPM_BENCH_SRC/npm_install.sh" "arca-r$round" "$ARCA_EP" "$ARCA_TOKEN"
    else "$NPM_BENCH_SRC/npm_install.sh" "verdaccio-r$round" "$VERD_URL/" "$VERD_TOKEN"; fi
  done
done

# ---------- 9. table
step done
cp "$VD/config.yaml" "$RESULTS_DIR/verdaccio.config.yaml"
python3 "$NPM_BENCH_SRC/table.py" "$RESULTS_DIR" | tee "$RESULTS_DIR/npm.md"
echo "results in $RESULTS_DIR (npm.md, wrk.tsv, machine.txt); total $(( $(date +%s) - T_START )) s"
