#!/usr/bin/env bash
# Load test of the SigV4 front door: one presigned DescribeRepository GET replayed by wrk
# (issue A target: >= 10,000 req/s on the 2-core machine).
#   bench/presigned_wrk.sh [MODE...]      MODE: log (default server: JSON access log on stderr,
#                                         redirected to a file) and/or nolog ([server]
#                                         access_log = false via --config); default both.
# Per mode: new data dir -> arca serve -> presign.py --setup (CreateDomain, CreateRepository,
# presigned URL) -> curl must answer 200 -> for each of WRK_CONNS_LIST (16 64), WRK_REPEATS
# times: wrk -t$WRK_THREADS -cN -d$WRK_DURATION with a done() hook while sample_proc.py samples
# the server's RSS and CPU every 0.2 s.
# SERVER_TOML (optional): extra lines for the [server] table of both modes, e.g.
#   SERVER_TOML=$'io_threads = 1\nblocking_threads = 2' (use another RESULTS_DIR for such runs).
# Results: $RESULTS_DIR/presigned/MODE.cN.REP.txt (raw wrk), presigned.tsv (one row per run),
# presigned.json (per mode x connections: means over the repeats, max RSS).
source "$(dirname "$0")/lib.sh"
SERVER_TOML=${SERVER_TOML:-}
need wrk; need curl
modes=("$@"); [[ ${#modes[@]} -eq 0 ]] && modes=(log nolog)
out=$RESULTS_DIR/presigned; mkdir -p "$out"
work=$(mktemp -d "$BENCH_DIR/presigned.XXXXXX")
trap 'stop_arca; rm -rf "$work"' EXIT
echo "presigned: $(machine_note)${SERVER_TOML:+ SERVER_TOML: ${SERVER_TOML//$'\n'/; }}"

LUA=$BENCH_HELPERS_DIR/wrk_report.lua  # one JSON line per run (WRKJSON)

tsv=$RESULTS_DIR/presigned.tsv
printf 'mode\tconns\trep\trps\tp50_ms\tp90_ms\tp99_ms\tmean_ms\terrors\trequests\tcpu_s\tcpu_us_per_req\tmax_rss_mb\tlog_bytes_per_req\tload1\tcc1plus_start_end\tmachine_idle_pct\n' > "$tsv"

for mode in "${modes[@]}"; do
  cfg=
  case $mode in
    log) [[ -n $SERVER_TOML ]] && { cfg=$work/log.toml; printf '[server]\n%s\n' "$SERVER_TOML" > "$cfg"; };;
    nolog) cfg=$work/nolog.toml; printf '[server]\naccess_log = false\n%s\n' "$SERVER_TOML" > "$cfg";;
    *) echo "unknown mode $mode" >&2; exit 2;;
  esac
  data=$work/data-$mode
  start_arca "$data" "$work/arca-$mode" "$cfg"
  url=$(python3 "$BENCH_SRC/presign.py" "$ARCA_URL" "$data/admin.credentials" --setup)
  code=$(curl -s -o "$out/$mode.body.json" -w '%{http_code}' "$url")
  if [[ $code != 200 ]]; then echo "$mode: HTTP $code for the presigned URL" >&2; cat "$out/$mode.body.json" >&2; exit 1; fi
  echo "$mode: pid $ARCA_PID, $(wc -c < "$out/$mode.body.json")-byte 200 for GET ${url%%&X-Amz-Signature=*}&X-Amz-Signature=..."
  for c in $WRK_CONNS_LIST; do
    for rep in $(seq 1 "$WRK_REPEATS"); do
      raw=$out/$mode.c$c.$rep.txt samp=$out/$mode.c$c.$rep.proc.json
      log0=$(stat -c %s "$work/arca-$mode.err")
      load=$(cut -d' ' -f1 /proc/loadavg); cc0=$(pgrep -c cc1plus || true)
      rm -f "$samp" "$samp.ready"
      python3 "$BENCH_SRC/sample_proc.py" "$ARCA_PID" "$samp" 0.2 & sp=$!
      for _ in $(seq 1 500); do [[ -e $samp.ready ]] && break; sleep 0.01; done
      read -r -a st0 < /proc/stat
      wrk -t"$WRK_THREADS" -c"$c" -d"$WRK_DURATION" --timeout 10s --latency -s "$LUA" "$url" > "$raw" 2>&1
      read -r -a st1 < /proc/stat
      kill "$sp"; wait "$sp" || true; rm -f "$samp.ready"
      # whole-machine idle share during the run (cpu line: user nice system idle iowait ...)
      tot=0; for i in 1 2 3 4 5 6 7 8; do tot=$((tot + st1[i] - st0[i])); done
      idle=$(( (100 * (st1[4] - st0[4] + st1[5] - st0[5])) / (tot > 0 ? tot : 1) ))
      log1=$(stat -c %s "$work/arca-$mode.err"); cc1=$(pgrep -c cc1plus || true)
      python3 - "$raw" "$samp" "$mode" "$c" "$rep" "$((log1 - log0))" "$load" "${cc0:-0}/${cc1:-0}" "$idle" >> "$tsv" <<'PY'
import json, sys
raw, samp, mode, c, rep, logb, load, cc, idle = sys.argv[1:]
j = next(json.loads(l.split(" ", 1)[1]) for l in open(raw) if l.startswith("WRKJSON "))
p = json.load(open(samp))
secs, n = j["duration_us"] / 1e6, j["requests"]
errs = sum(j[k] for k in ("err_connect", "err_read", "err_write", "err_status", "err_timeout"))
ms = lambda us: f"{us / 1000:.2f}"
print("\t".join([mode, c, rep, f"{n / secs:.0f}", ms(j["p50"]), ms(j["p90"]), ms(j["p99"]), ms(j["lat_mean"]),
                 str(errs), str(n), str(p["cpu_s"]), f"{p['cpu_s'] * 1e6 / max(n, 1):.1f}", str(p["max_rss_mb"]),
                 f"{int(logb) / max(n, 1):.0f}", load, cc, idle]))
PY
      tail -1 "$tsv" | awk -F'\t' '{printf "  %-5s c%-3s #%s  %7s req/s  p50 %s ms  p99 %s ms  errors %s  server CPU %s us/req  RSS max %s MB  log %s B/req  (load %s, cc1plus %s, machine idle %s%%)\n",$1,$2,$3,$4,$5,$7,$9,$12,$13,$14,$15,$16,$17}'
    done
  done
  grep VmRSS /proc/"$ARCA_PID"/status | sed "s/^/  $mode after load: /"
  stop_arca
done

python3 - "$tsv" "$RESULTS_DIR/presigned.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
summary = {}
for r in rows:
    summary.setdefault(f"{r['mode']}.c{r['conns']}", []).append(r)
mean = lambda xs: round(sum(xs) / len(xs), 2)
out = {}
for key, rs in summary.items():
    out[key] = {"runs": len(rs), "rps": [float(r["rps"]) for r in rs], "rps_mean": mean([float(r["rps"]) for r in rs]),
                "p50_ms": mean([float(r["p50_ms"]) for r in rs]), "p99_ms": mean([float(r["p99_ms"]) for r in rs]),
                "errors": sum(int(r["errors"]) for r in rs), "cpu_us_per_req": mean([float(r["cpu_us_per_req"]) for r in rs]),
                "max_rss_mb": max(float(r["max_rss_mb"]) for r in rs),
                "log_bytes_per_req": mean([float(r["log_bytes_per_req"]) for r in rs]),
                "busy_runs": sum(r["cc1plus_start_end"] != "0/0" for r in rs),
                "machine_idle_pct": mean([float(r["machine_idle_pct"]) for r in rs])}
json.dump(out, open(sys.argv[2], "w"), indent=1)
PY
