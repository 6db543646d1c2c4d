#!/usr/bin/env bash
# Real client (team baseline's shared/bench/npm_install_bench.sh, adapted): `npm install` of a project
# depending on N_DEPS (40) corpus packages (the dependency chain pulls in all 50), clean npm cache
# before every run, with hyperfine (RUNS measured runs after 1 warm-up).
#   npm_install.sh LABEL REGISTRY_URL [TOKEN]
# REGISTRY_URL ends with '/' (for Arca: the repository endpoint). With TOKEN the npmrc carries
# //host:port/path/:_authToken, so npm sends the bearer token on every request.
#   mode install: no lockfile;  prepare: npm cache clean --force; rm -rf node_modules package-lock.json
#   mode ci:      lockfile made once; prepare: npm cache clean --force; rm -rf node_modules; restore lockfile
# Results: $RESULTS_DIR/install-LABEL-{install,ci}.json (hyperfine export) and .check
source "$(dirname "$0")/lib.sh"
label=$1 url=$2 tok=${3:-}
[[ $url == */ ]] || url=$url/
N_DEPS=${N_DEPS:-40}
RUNS=${RUNS:-5}
MODES=${MODES:-install ci}
proj=$BENCH_DIR/proj-$label
cache=$BENCH_DIR/npm-cache-$label
rc=$BENCH_DIR/npmrc-install-$label
rm -rf "$proj"; mkdir -p "$proj"
write_npmrc "$rc" "$url" "$tok"
{ echo "cache=$cache"; echo "loglevel=error"; echo "omit-lockfile-registry-resolved=false"; } >> "$rc"
export npm_config_userconfig=$rc    # ignore the machine's own ~/.npmrc
python3 - "$proj" "$N_DEPS" "$PKG_PREFIX" <<'PY'
import json, sys
proj, n, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
deps = {f"{prefix}{i:02d}": "^1.0.0" for i in range(n)}
json.dump({"name": "bench-consumer", "version": "1.0.0", "private": True, "dependencies": deps},
          open(f"{proj}/package.json", "w"), indent=2)
PY
cd "$proj"
for mode in $MODES; do
  if [[ $mode == install ]]; then
    prep="npm cache clean --force; rm -rf node_modules package-lock.json"
    cmd="npm install --no-audit --no-fund"
  else
    rm -rf node_modules package-lock.json
    npm install --no-audit --no-fund > /dev/null
    cp package-lock.json package-lock.keep
    prep="npm cache clean --force; rm -rf node_modules; cp package-lock.keep package-lock.json"
    cmd="npm ci --no-audit --no-fund"
  fi
  hyperfine --style basic --runs "$RUNS" --warmup 1 --prepare "$prep" \
    --export-json "$RESULTS_DIR/install-$label-$mode.json" --command-name "$label $mode" "$cmd"
  n=$(find node_modules -maxdepth 1 -name "${PKG_PREFIX}*" | wc -l)
  echo "$label $mode: $n packages in node_modules" | tee "$RESULTS_DIR/install-$label-$mode.check"
done
