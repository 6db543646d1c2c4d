#!/usr/bin/env bash
# RSS growth of a server while one big package is published and then downloaded.
#   huge_rss.sh LABEL BASE_URL SERVER_PID TOKEN
# Makes a HUGE_MB (default 200) MiB tarball and its `npm publish` document on disk (make_huge.py),
# then, each with the server's RSS sampled every 0.05 s:
#   publish:  curl -X PUT -T <document> <BASE_URL>/bench-huge          (one request, streamed from disk)
#   download: curl -o /dev/null <BASE_URL>/bench-huge/-/bench-huge-1.0.0.tgz
# Growth = peak RSS during the request - RSS sampled just before it.
# Writes $RESULTS_DIR/huge-LABEL.json.
source "$(dirname "$0")/lib.sh"
label=$1 base=${2%/} spid=$3 tok=$4
HUGE_MB=${HUGE_MB:-200}
name=bench-huge ver=1.0.0
dir=$BENCH_DIR/huge-$label
rm -rf "$dir"; mkdir -p "$dir"
python3 "$NPM_BENCH_SRC/make_huge.py" "$dir" "$name" "$ver" "$HUGE_MB" "$base"
doc=$dir/$name-$ver.put.json
sync; sleep 1
start_sampler "$spid" "$dir/publish.proc.json" 0.05
read -r pcode ptime < <(curl -sS -X PUT -T "$doc" -H 'Expect:' -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $tok" -H 'npm-command: publish' -o "$dir/publish.resp" \
  -w '%{http_code} %{time_total}\n' "$base/$name")
sleep 0.3; stop_sampler
start_sampler "$spid" "$dir/download.proc.json" 0.05
read -r dcode dsize dtime < <(curl -sS -H "Authorization: Bearer $tok" -o /dev/null \
  -w '%{http_code} %{size_download} %{time_total}\n' "$base/$name/-/$name-$ver.tgz")
sleep 0.3; stop_sampler
python3 - "$dir" "$label" "$pcode" "$ptime" "$dcode" "$dsize" "$dtime" "$HUGE_MB" > "$RESULTS_DIR/huge-$label.json" <<'PY'
import json, os, sys
d, label, pcode, ptime, dcode, dsize, dtime, mb = sys.argv[1:]
p = json.load(open(os.path.join(d, "publish.proc.json")))
g = json.load(open(os.path.join(d, "download.proc.json")))
tgz = os.path.getsize(os.path.join(d, "bench-huge-1.0.0.tgz"))
doc = os.path.getsize(os.path.join(d, "bench-huge-1.0.0.put.json"))
print(json.dumps({"label": label, "mib": int(mb), "tarball_bytes": tgz, "document_bytes": doc,
    "publish_http": int(pcode), "publish_s": float(ptime), "publish_rss_before_mb": p["start_rss_mb"],
    "publish_rss_peak_mb": p["max_rss_mb"], "publish_growth_mb": round(p["max_rss_mb"] - p["start_rss_mb"], 1),
    "download_http": int(dcode), "download_bytes": int(dsize), "download_s": float(dtime),
    "download_rss_before_mb": g["start_rss_mb"], "download_rss_peak_mb": g["max_rss_mb"],
    "download_growth_mb": round(g["max_rss_mb"] - g["start_rss_mb"], 1)}))
PY
cat "$RESULTS_DIR/huge-$label.json"; echo
rm -f "$dir"/*.put.json "$dir"/*.tgz
