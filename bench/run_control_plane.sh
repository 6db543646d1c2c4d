#!/usr/bin/env bash
# Issue A control-plane benchmarks in one go: startup.sh, token_bench.sh, presigned_wrk.sh,
# then one table of measured figures vs targets ($RESULTS_DIR/control_plane.md).
#   bench/run_control_plane.sh            (about 3 min with the defaults)
# SNAPSHOT=1 (default) copies $ARCA and $TOKEN_BENCH to $BENCH_DIR/bin first, so a rebuild of
#   build/ by someone else cannot swap the binary in the middle of the run.
# WAIT_QUIET=1 (default) waits (up to QUIET_TIMEOUT s, default 900) before each step until no
#   compiler (cc1plus) is running, because the load generator and the server share the 2 cores.
source "$(dirname "$0")/lib.sh"
SNAPSHOT=${SNAPSHOT:-1} WAIT_QUIET=${WAIT_QUIET:-1} QUIET_TIMEOUT=${QUIET_TIMEOUT:-900}
if [[ $SNAPSHOT == 1 ]]; then
  mkdir -p "$BENCH_DIR/bin"
  cp "$ARCA" "$BENCH_DIR/bin/arca"; ARCA=$BENCH_DIR/bin/arca
  if [[ -x $TOKEN_BENCH ]]; then cp "$TOKEN_BENCH" "$BENCH_DIR/bin/token_bench"; TOKEN_BENCH=$BENCH_DIR/bin/token_bench; fi
fi
export ARCA TOKEN_BENCH BENCH_DIR RESULTS_DIR
notes=$RESULTS_DIR/machine.txt
{
  echo "commit $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'); arca $(stat -c '%y' "$ARCA" | cut -d. -f1)"
  echo "cpu: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "mem: $(free -g | awk '/^Mem:/{print $2}') GiB; kernel $(uname -r)"
} > "$notes"

wait_quiet() {
  [[ $WAIT_QUIET == 1 ]] || return 0
  local t=0
  while pgrep -x cc1plus >/dev/null && (( t < QUIET_TIMEOUT )); do sleep 5; t=$((t + 5)); done
  (( t > 0 )) && echo "waited ${t}s for compiles to finish" | tee -a "$notes"
  return 0
}
step() { wait_quiet; echo "$1 start: $(machine_note)" >> "$notes"; "$BENCH_SRC/$1"; echo "$1 end:   $(machine_note)" >> "$notes"; }

step startup.sh
step token_bench.sh
step presigned_wrk.sh

python3 - "$RESULTS_DIR" <<'PY' | tee "$RESULTS_DIR/control_plane.md"
import json, os, sys
d = sys.argv[1]
st = json.load(open(os.path.join(d, "startup.json")))
tb = json.load(open(os.path.join(d, "token_bench.json")))
pw = json.load(open(os.path.join(d, "presigned.json")))
rows = []
c = st["cold"]
rows.append(("startup, empty data dir -> first /healthz 200 (min / median / p90)",
             f"{c['ms_min']:.0f} / {c['ms_median']:.0f} / {c['ms_p90']:.0f} ms", "< 500 ms", c["ms_p90"] < 500))
if "restart" in st:
    r = st["restart"]
    rows.append(("restart on existing data dir -> first 200 (min / median / p90)",
                 f"{r['ms_min']:.0f} / {r['ms_median']:.0f} / {r['ms_p90']:.0f} ms", "-", None))
rows.append((f"idle RSS {st['idle_s']:.0f} s after first 200 (median / max)",
             f"{c['idle_rss_mb_median']:.1f} / {c['idle_rss_mb_max']:.1f} MB", "<= 20 MB", c["idle_rss_mb_max"] <= 20))
for k in ("BM_TokenVerify/threads:1", "BM_TokenVerify/threads:2", "BM_SigV4VerifyPresigned/threads:1"):
    if k in tb:
        tgt = "< 5 us" if k.startswith("BM_TokenVerify") else "-"
        ok = tb[k]["real_us"] < 5 if tgt != "-" else None
        rows.append((f"{k} (median, wall / CPU)", f"{tb[k]['real_us']:.2f} / {tb[k]['cpu_us']:.2f} us", tgt, ok))
for mode, what in (("log", "access log on (stderr -> file)"), ("nolog", "access_log = false")):
    for cn in ("16", "64"):
        k = f"{mode}.c{cn}"
        if k in pw:
            v = pw[k]
            runs = " / ".join(f"{x:,.0f}" for x in v["rps"])
            rows.append((f"presigned DescribeRepository, wrk -t2 -c{cn}, {what}: req/s ({runs}), p50 / p99",
                         f"**{v['rps_mean']:,.0f}** req/s, {v['p50_ms']:.2f} / {v['p99_ms']:.2f} ms, "
                         f"{v['cpu_us_per_req']:.0f} us server CPU/req, errors {v['errors']}",
                         ">= 10,000 req/s", v["rps_mean"] >= 10000))
rss = max(v["max_rss_mb"] for v in pw.values())
rows.append(("server RSS max under load (0.2 s samples, all wrk runs)", f"{rss:.1f} MB", "-", None))
print("| figure | measured | target | met |\n|---|---|---|---|")
for name, val, tgt, ok in rows:
    print(f"| {name} | {val} | {tgt} | {'-' if ok is None else ('yes' if ok else '**no**')} |")
PY
echo; cat "$notes"
