#!/usr/bin/env bash
# `npm publish <folder>` with the real npm CLI, serially: CLI_VERS (default 20) versions of a copy of
# bench-pkg-00 renamed bench-cli-LABEL (no dependencies). Each call is timed; npm start-up and
# packing (about 0.5 s in the baseline) are inside the figure.
#   cli_publish.sh LABEL REGISTRY_URL TOKEN
# Writes $RESULTS_DIR/publish_cli-LABEL.json.
source "$(dirname "$0")/lib.sh"
label=$1 url=$2 tok=$3
[[ $url == */ ]] || url=$url/
CLI_VERS=${CLI_VERS:-20}
name=bench-cli-$label
src=$CORPUS_DIR/${PKG_PREFIX}00
dir=$BENCH_DIR/cli-$label
rm -rf "$dir"; mkdir -p "$dir"
rc=$BENCH_DIR/npmrc-publish-$label
write_npmrc "$rc" "$url" "$tok"
echo "cache=$BENCH_DIR/npm-cache-publish-$label" >> "$rc"
tsv=$RESULTS_DIR/publish_cli-$label.tsv; : > "$tsv"
for v in $(ls "$src" | sort -t. -k1,1n -k2,2n -k3,3n | head -n "$CLI_VERS"); do
  cp -r "$src/$v" "$dir/$v"
  python3 - "$dir/$v/package.json" "$name" <<'PY'
import json, sys
p, name = sys.argv[1], sys.argv[2]
m = json.load(open(p)); m["name"] = name; m["dependencies"] = {}
json.dump(m, open(p, "w"), indent=2)
PY
  t0=$(date +%s%N); rcode=0
  npm publish "$dir/$v" --userconfig "$rc" --loglevel error > /dev/null 2>> "$dir/errors.log" || rcode=$?
  t1=$(date +%s%N)
  printf '%s\t%s\t%d\t%d\n' "$name" "$v" $(( (t1 - t0) / 1000000 )) "$rcode" >> "$tsv"
done
python3 - "$tsv" "$label" > "$RESULTS_DIR/publish_cli-$label.json" <<'PY'
import json, statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]) if l.strip()]
ms = sorted(float(r[2]) for r in rows)
print(json.dumps({"label": sys.argv[2], "count": len(rows), "failed": sum(1 for r in rows if r[3].strip() != "0"),
                  "total_s": round(sum(ms) / 1000, 2), "rate": round(len(ms) / (sum(ms) / 1000), 2),
                  "median_ms": statistics.median(ms), "p90_ms": ms[int(0.9 * (len(ms) - 1))]}))
PY
cat "$RESULTS_DIR/publish_cli-$label.json"
