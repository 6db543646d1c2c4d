#!/usr/bin/env bash
# Runs the google-benchmark binary built from bench/token_bench.cc and records the median of
# TOKEN_REPS repetitions (default 5) of each benchmark; BM_TokenVerify is the issue A figure
# (target < 5 us). The binary is $TOKEN_BENCH (default build/token_bench); if it is missing it is
# built in build-bench/ (never in build/, which others use).
# Results: $RESULTS_DIR/token_bench.raw.json (google-benchmark JSON), token_bench.json (medians).
source "$(dirname "$0")/lib.sh"
TOKEN_REPS=${TOKEN_REPS:-5}
if [[ ! -x $TOKEN_BENCH ]]; then
  TOKEN_BENCH=$REPO_ROOT/build-bench/token_bench
  if [[ ! -x $TOKEN_BENCH ]]; then
    echo "building token_bench in $REPO_ROOT/build-bench" >&2
    cmake -S "$REPO_ROOT" -B "$REPO_ROOT/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$REPO_ROOT/build-bench" --target token_bench -j1
  fi
fi
echo "token_bench: $(machine_note) binary=$TOKEN_BENCH"
"$TOKEN_BENCH" --benchmark_repetitions="$TOKEN_REPS" --benchmark_report_aggregates_only=true \
  --benchmark_out="$RESULTS_DIR/token_bench.raw.json" --benchmark_out_format=json \
  --benchmark_time_unit=us | grep -E '^BM_|^Benchmark|^-+$' | grep -v -E '_(mean|stddev)' || true
python3 - "$RESULTS_DIR/token_bench.raw.json" "$RESULTS_DIR/token_bench.json" <<'PY'
import json, sys
raw = json.load(open(sys.argv[1]))
def us(b):
    t, unit = b["real_time"], b["time_unit"]
    return t * {"ns": 1e-3, "us": 1, "ms": 1e3, "s": 1e6}[unit]
out = {"build_type": raw["context"].get("library_build_type"), "cpu_mhz": raw["context"].get("mhz_per_cpu")}
agg = any(b.get("aggregate_name") == "median" for b in raw["benchmarks"])
for b in raw["benchmarks"]:
    if (b.get("aggregate_name") == "median") if agg else (b.get("run_type") == "iteration"):
        out[b["run_name"]] = {"real_us": round(us(b), 3),
                              "cpu_us": round(b["cpu_time"] * us(b) / b["real_time"], 3) if b["real_time"] else None}
json.dump(out, open(sys.argv[2], "w"), indent=1)
print(json.dumps(out))
PY
