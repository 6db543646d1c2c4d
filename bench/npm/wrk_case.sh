#!/usr/bin/env bash
# One wrk run of one read case against one server (adapted from the team's shared/bench/wrk_suite.sh,
# whose loop over cases is in run.sh here so that servers alternate within a case).
#   wrk_case.sh LABEL CASE BASE_URL SERVER_PID REP [TOKEN]
# CASE: pkt20 pkt500 pkt500corgi pkt500gzip tgz10k tgz50m. BASE_URL: registry root or repository
# endpoint, no trailing slash. With TOKEN, every request carries `Authorization: Bearer TOKEN`
# (what npm sends to a registry it has a token for). The server's RSS and CPU (process tree)
# are sampled every 0.2 s during the run.
# Appends one row to $RESULTS_DIR/wrk.tsv; raw output in $RESULTS_DIR/wrk/LABEL/CASE.REP.txt.
source "$(dirname "$0")/lib.sh"
label=$1 case=$2 base=${3%/} spid=$4 rep=$5 tok=${6:-}
P20=${PKG_PREFIX}00
JSON='application/json'
CORGI='application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*'
case $case in
  pkt20)       path=/$P20;                          hdrs=("Accept: $JSON");;
  pkt500)      path=/$MANY_PKG;                     hdrs=("Accept: $JSON");;
  pkt500corgi) path=/$MANY_PKG;                     hdrs=("Accept: $CORGI");;
  pkt500gzip)  path=/$MANY_PKG;                     hdrs=("Accept: $JSON" "Accept-Encoding: gzip");;
  tgz10k)      path=/$P20/-/$P20-1.0.0.tgz;         hdrs=("Accept: */*");;
  tgz50m)      path=/$BIG_PKG/-/$BIG_PKG-1.0.0.tgz; hdrs=("Accept: */*");;
  *) echo "unknown case $case"; exit 2;;
esac
[[ -n $tok ]] && hdrs+=("Authorization: Bearer $tok")
url=$base$path
hargs=(); for h in "${hdrs[@]}"; do hargs+=(-H "$h"); done

LUA=$BENCH_HELPERS_DIR/wrk_report.lua  # one JSON line per run (WRKJSON)
mkdir -p "$RESULTS_DIR/wrk/$label"
tsv=$RESULTS_DIR/wrk.tsv
[[ -f $tsv ]] || printf 'label\tcase\trep\trps\tMiB_s\tp50_ms\tp99_ms\tmean_ms\terrors\trequests\tcpu_s\tmax_rss_mb\tresp_bytes\tload_before\tcc1plus_before\tcc1plus_after\tcmd\n' > "$tsv"

# check + warm-up: status and body size of one response
read -r code size < <(curl -s -o /dev/null -w '%{http_code} %{size_download}\n' "${hargs[@]}" "$url")
if [[ $code != 200 ]]; then echo "$label $case: HTTP $code for $url" >&2; exit 1; fi
raw=$RESULTS_DIR/wrk/$label/$case.$rep.txt
samp=$RESULTS_DIR/wrk/$label/$case.$rep.proc.json
load0=$(cut -d' ' -f1 /proc/loadavg); cc0=$(pgrep -c cc1plus || true)
start_sampler "$spid" "$samp" 0.2
wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$WRK_DURATION" --timeout 60s --latency \
    -s "$LUA" "${hargs[@]}" "$url" > "$raw" 2>&1 || true
stop_sampler
cc1=$(pgrep -c cc1plus || true)
cmdline="wrk -t$WRK_THREADS -c$WRK_CONNS -d$WRK_DURATION --timeout 60s --latency -s wrk_report.lua"
for h in "${hdrs[@]}"; do
  [[ $h == Authorization:* ]] && h='Authorization: Bearer $TOKEN'
  cmdline+=" -H '$h'"
done
cmdline+=" $url"
python3 - "$raw" "$samp" "$label" "$case" "$rep" "$size" "$load0" "${cc0:-0}" "${cc1:-0}" "$cmdline" >> "$tsv" <<'PY'
import json, sys
raw, samp, label, case, rep, size, load0, cc0, cc1, cmd = sys.argv[1:]
j = next(json.loads(l.split(" ", 1)[1]) for l in open(raw) if l.startswith("WRKJSON "))
p = json.load(open(samp))
secs = j["duration_us"] / 1e6
errs = j["err_connect"] + j["err_read"] + j["err_write"] + j["err_status"] + j["err_timeout"]
ms = lambda us: f"{us / 1000:.2f}"
print("\t".join([label, case, rep, f"{j['requests'] / secs:.1f}", f"{j['bytes'] / secs / 2**20:.1f}",
                 ms(j["p50"]), ms(j["p99"]), ms(j["lat_mean"]), str(errs), str(j["requests"]),
                 str(p["cpu_s"]), str(p["max_rss_mb"]), size, load0, cc0, cc1, cmd]))
PY
tail -1 "$tsv" | cut -f1-16 | tr '\t' ' '
