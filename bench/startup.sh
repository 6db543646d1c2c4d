#!/usr/bin/env bash
# Start-up time and idle memory of `arca serve` (issue A targets: first 200 < 0.5 s, idle RSS <= 20 MB).
#   bench/startup.sh            (STARTUP_RUNS=20, IDLE_S=2, POLL_MS=5)
# Each run: new empty data dir -> spawn arca on a free port chosen beforehand -> GET /healthz
# every POLL_MS until 200 (time from just before fork/exec to the first 200) -> sleep IDLE_S ->
# VmRSS from /proc/PID/status -> SIGTERM. A second, shorter series (RESTART_RUNS, default 5)
# restarts on the data dir left by a run, to show the cost of the first-start bootstrap.
# Results: $RESULTS_DIR/startup.json (summary) and startup.runs.tsv (one row per run).
source "$(dirname "$0")/lib.sh"
STARTUP_RUNS=${STARTUP_RUNS:-20} IDLE_S=${IDLE_S:-2} POLL_MS=${POLL_MS:-5} RESTART_RUNS=${RESTART_RUNS:-5}
export ARCA BENCH_DIR RESULTS_DIR STARTUP_RUNS IDLE_S POLL_MS RESTART_RUNS
echo "startup: $(machine_note)"
python3 - <<'PY'
import http.client, json, os, shutil, signal, socket, statistics, subprocess, tempfile, time

arca, bench, results = os.environ["ARCA"], os.environ["BENCH_DIR"], os.environ["RESULTS_DIR"]
runs, idle, poll = int(os.environ["STARTUP_RUNS"]), float(os.environ["IDLE_S"]), int(os.environ["POLL_MS"]) / 1000
restarts = int(os.environ["RESTART_RUNS"])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthz(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        c.request("GET", "/healthz")
        return c.getresponse().status
    except OSError:
        return None
    finally:
        c.close()


def vm(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])


def one(data, label):
    port = free_port()
    out = open(os.path.join(data + ".out"), "w")
    err = open(os.path.join(data + ".err"), "w")
    t0 = time.perf_counter_ns()
    p = subprocess.Popen([arca, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{port}"],
                         stdout=out, stderr=err)
    polls = 0
    while True:
        polls += 1
        if healthz(port) == 200:
            break
        if p.poll() is not None:
            raise SystemExit(f"arca exited with {p.returncode}; see {data}.err")
        if time.perf_counter_ns() - t0 > 10e9:
            raise SystemExit("no 200 from /healthz within 10 s")
        time.sleep(poll)
    t_ms = (time.perf_counter_ns() - t0) / 1e6
    rss_first = vm(p.pid, "VmRSS")
    time.sleep(idle)
    rss_kb, hwm_kb, threads = vm(p.pid, "VmRSS"), vm(p.pid, "VmHWM"), vm(p.pid, "Threads")
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=10)
    out.close(); err.close()
    return {"kind": label, "ms": round(t_ms, 2), "polls": polls, "rss_at_200_mb": round(rss_first / 1024, 2),
            "idle_rss_mb": round(rss_kb / 1024, 2), "hwm_mb": round(hwm_kb / 1024, 2), "threads": threads,
            "exit": rc}


work = tempfile.mkdtemp(prefix="startup.", dir=bench)
rows = []
for i in range(runs):
    rows.append(one(os.path.join(work, f"d{i}"), "cold"))
for i in range(restarts):
    rows.append(one(os.path.join(work, "d0"), "restart"))  # data dir written by cold run 0


def q(xs, p):  # nearest-rank percentile
    xs = sorted(xs)
    return xs[max(0, min(len(xs) - 1, -(-len(xs) * p // 100) - 1))]


summary = {}
for kind in ("cold", "restart"):
    r = [x for x in rows if x["kind"] == kind]
    if not r:
        continue
    ms, rss = [x["ms"] for x in r], [x["idle_rss_mb"] for x in r]
    summary[kind] = {"runs": len(r), "ms_min": min(ms), "ms_median": round(statistics.median(ms), 2),
                     "ms_p90": q(ms, 90), "ms_max": max(ms), "idle_rss_mb_median": round(statistics.median(rss), 2),
                     "idle_rss_mb_max": max(rss), "hwm_mb_max": max(x["hwm_mb"] for x in r),
                     "threads": r[0]["threads"], "nonzero_exits": sum(x["exit"] != 0 for x in r)}
with open(os.path.join(results, "startup.runs.tsv"), "w") as f:
    keys = list(rows[0])
    f.write("\t".join(keys) + "\n")
    for x in rows:
        f.write("\t".join(str(x[k]) for k in keys) + "\n")
summary["idle_s"], summary["poll_ms"] = idle, poll * 1000
with open(os.path.join(results, "startup.json"), "w") as f:
    json.dump(summary, f, indent=1)
for kind, s in summary.items():
    if isinstance(s, dict):
        print(f"startup {kind:7s} runs={s['runs']} first-200 ms min/median/p90/max = "
              f"{s['ms_min']}/{s['ms_median']}/{s['ms_p90']}/{s['ms_max']}  idle RSS MB median/max = "
              f"{s['idle_rss_mb_median']}/{s['idle_rss_mb_max']}  (VmHWM max {s['hwm_mb_max']}, "
              f"threads {s['threads']}, non-zero exits {s['nonzero_exits']})")
shutil.rmtree(work)
PY
