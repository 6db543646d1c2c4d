#!/usr/bin/env python3
# Same as the team baseline's shared/bench/sample_proc.py, except that OUT_JSON.ready is created
# once the signal handlers are installed (callers wait for it before starting the load).
"""Sample RSS and CPU time of a process and all its descendants until SIGTERM/SIGINT.
usage: sample_proc.py ROOT_PID OUT_JSON [interval_s]
Writes {"max_rss_mb", "mean_rss_mb", "start_rss_mb", "cpu_s", "samples"} to OUT_JSON."""
import json, os, signal, sys, time

root, out = int(sys.argv[1]), sys.argv[2]
interval = float(sys.argv[3]) if len(sys.argv) > 3 else 0.2
tck = os.sysconf("SC_CLK_TCK")
stop = False


def on_sig(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_sig)
signal.signal(signal.SIGINT, on_sig)
open(out + ".ready", "w").close()


def tree():
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    s = f.read()
                ppid = int(s[s.rindex(")") + 2:].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError):
                pass
    todo, seen = [root], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo.extend(kids.get(p, []))
    return seen


def sample():
    rss_kb, cpu = 0, 0
    for p in tree():
        try:
            with open(f"/proc/{p}/stat") as f:
                s = f.read()
            fields = s[s.rindex(")") + 2:].split()
            cpu += int(fields[11]) + int(fields[12])  # utime + stime
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss_kb += int(line.split()[1])
        except OSError:
            pass
    return rss_kb, cpu


first_rss, cpu0 = sample()
rss = [first_rss]
cpu1 = cpu0
while not stop:
    time.sleep(interval)
    r, c = sample()
    if r:
        rss.append(r)
        cpu1 = c
with open(out, "w") as f:
    json.dump({"max_rss_mb": round(max(rss) / 1024, 1), "mean_rss_mb": round(sum(rss) / len(rss) / 1024, 1),
               "start_rss_mb": round(first_rss / 1024, 1), "cpu_s": round((cpu1 - cpu0) / tck, 2),
               "samples": len(rss)}, f)
