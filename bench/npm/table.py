#!/usr/bin/env python3
"""table.py RESULTS_DIR: the npm benchmark's tables (markdown) from the files run.sh leaves there:
the summary against the targets, then the per-run details."""
import csv, glob, json, os, statistics, sys
from collections import OrderedDict

d = sys.argv[1]
mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")
J = lambda p: json.load(open(p)) if os.path.exists(p) else None
out = []
P = out.append

wrk = list(csv.DictReader(open(os.path.join(d, "wrk.tsv")), delimiter="\t")) if os.path.exists(os.path.join(d, "wrk.tsv")) else []
g = OrderedDict()
for r in wrk:
    g.setdefault((r["label"], r["case"]), []).append(r)


def m(label, case, key="rps"):
    rs = g.get((label, case), [])
    return mean([float(r[key]) for r in rs]) if rs else float("nan")


def fmt(x, nd=0):
    if x != x:
        return "–"
    return f"{x:,.{nd}f}"


def verdict(ok):
    return "**met**" if ok else "**missed**"


P("| measure | Arca | Verdaccio | nginx | ratio | target | |")
P("|---|---:|---:|---:|---:|---|---|")
for case, what, tgt in (("pkt20", "packument, 20 versions (full), req/s", 0.5),
                        ("pkt500", "packument, 500 versions (full), req/s", 0.5),
                        ("pkt500corgi", "packument, 500 versions, abbreviated (npm's Accept), req/s", None),
                        ("tgz10k", "10 KB tarball, req/s", 0.6)):
    if (("arca", case)) not in g:
        continue
    a, v, n = m("arca", case), m("verdaccio", case), m("nginx", case)
    ratio = a / n
    P(f"| {what} | {fmt(a)} | {fmt(v)} | {fmt(n)} | {ratio:.2f}× nginx | "
      f"{'≥ %.1f× nginx' % tgt if tgt else '(no target)'} | {verdict(ratio >= tgt) if tgt else ''} |")
if ("arca", "tgz50m") in g:
    a, v, n = m("arca", "tgz50m", "MiB_s"), m("verdaccio", "tgz50m", "MiB_s"), m("nginx", "tgz50m", "MiB_s")
    P(f"| 50 MiB tarball, MiB/s | {fmt(a)} | {fmt(v)} | {fmt(n)} | {a / n:.2f}× nginx | ≥ 0.9× nginx | {verdict(a / n >= 0.9)} |")
for tag, what, tgt in (("c1", "publish rate, raw PUT, 1 connection, publishes/s", 5),
                       ("c4", "publish rate, raw PUT, 4 connections, publishes/s", 5),
                       ("many", "publish rate, raw PUT, 500 versions into one package, publishes/s", None)):
    a, v = J(os.path.join(d, f"publish_raw-arca-{tag}.json")), J(os.path.join(d, f"publish_raw-verdaccio-{tag}.json"))
    if a and v:
        r = a["rate"] / v["rate"]
        P(f"| {what} | {fmt(a['rate'])} | {fmt(v['rate'])} | – | {r:.1f}× Verdaccio | "
          f"{'≥ %d× Verdaccio' % tgt if tgt else '(no target)'} | {verdict(r >= tgt) if tgt else ''} |")
a, v = J(os.path.join(d, "publish_cli-arca.json")), J(os.path.join(d, "publish_cli-verdaccio.json"))
if a and v:
    P(f"| `npm publish` (CLI), median ms per publish | {fmt(a['median_ms'])} | {fmt(v['median_ms'])} | – | "
      f"{a['median_ms'] / v['median_ms']:.2f}× Verdaccio's time | (no target) | |")
arss = [float(r["max_rss_mb"]) for r in wrk if r["label"] == "arca"]
if arss:
    vr = [float(r["max_rss_mb"]) for r in wrk if r["label"] == "verdaccio"]
    nr = [float(r["max_rss_mb"]) for r in wrk if r["label"] == "nginx"]
    P(f"| peak RSS during the wrk suite, MB | {max(arss):.0f} | {max(vr):.0f} | {max(nr):.0f} | – | ≤ 64 MB | {verdict(max(arss) <= 64)} |")
h = J(os.path.join(d, "huge-arca.json"))
if h:
    ok = h["publish_http"] in (200, 201)
    P(f"| RSS growth over one {h['mib']} MiB publish, MB | {h['publish_growth_mb']:.1f} "
      f"({h['publish_rss_before_mb']:.0f} → {h['publish_rss_peak_mb']:.0f}; HTTP {h['publish_http']}, {h['publish_s']:.1f} s) | – | – | – | ≤ 32 MB | "
      f"{verdict(ok and h['publish_growth_mb'] <= 32)} |")
    ok = h["download_http"] == 200
    P(f"| RSS growth over one {h['mib']} MiB download, MB | {h['download_growth_mb']:.1f} "
      f"({h['download_rss_before_mb']:.0f} → {h['download_rss_peak_mb']:.0f}; {h['download_bytes'] / h['download_s'] / 2**20:,.0f} MiB/s) | – | – | – | ≤ 32 MB | "
      f"{verdict(ok and h['download_growth_mb'] <= 32)} |")
inst = {}
for f in sorted(glob.glob(os.path.join(d, "install-*.json"))):
    r = json.load(open(f))["results"][0]
    name = os.path.basename(f)[len("install-"):-len(".json")]
    label, mode = name.rsplit("-", 1)
    server, rnd = label.rsplit("-r", 1)
    inst.setdefault((server, mode), []).append((int(rnd), r))
for mode, what, tgt in (("install", "`npm install` of 40 packages, clean cache, median s", True),
                        ("ci", "`npm ci` (lockfile) of 40 packages, clean cache, median s", False)):
    a, v = inst.get(("arca", mode)), inst.get(("verdaccio", mode))
    if a and v:
        at = statistics.median(t for _, r in a for t in r["times"])
        vt = statistics.median(t for _, r in v for t in r["times"])
        P(f"| {what} (all rounds) | {at:.3f} | {vt:.3f} | – | {at / vt:.2f}× Verdaccio's time | "
          f"{'no slower than Verdaccio' if tgt else '(no target)'} | {verdict(at <= vt * 1.0) if tgt else ''} |")

P("")
P("Ratios are Arca / nginx (reads, mean req/s or MiB/s over the repetitions), Arca / Verdaccio (publish "
  "rate) and Arca / Verdaccio wall time (npm). The team baseline treats differences under about 20% as noise.")

# details: wrk
P("")
P("#### wrk runs")
P("")
P("| server | case | body bytes | req/s (runs) | req/s mean | MiB/s | p50 ms | p99 ms | errors | server CPU ms/req | peak RSS MB | load / cc1plus |")
P("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
for case in OrderedDict((r["case"], 1) for r in wrk):
    for label in ("nginx", "arca", "verdaccio"):
        rs = g.get((label, case))
        if not rs:
            continue
        rps = [float(r["rps"]) for r in rs]
        cpu = 1000 * sum(float(r["cpu_s"]) for r in rs) / max(1, sum(int(r["requests"]) for r in rs))
        P(f"| {label} | {case} | {int(rs[0]['resp_bytes']):,} | {' / '.join(fmt(x) for x in rps)} | {fmt(mean(rps))} | "
          f"{mean([float(r['MiB_s']) for r in rs]):,.1f} | {mean([float(r['p50_ms']) for r in rs]):.2f} | "
          f"{mean([float(r['p99_ms']) for r in rs]):.2f} | {sum(int(r['errors']) for r in rs)} | {cpu:.3f} | "
          f"{max(float(r['max_rss_mb']) for r in rs):.0f} | "
          f"{', '.join(r['load_before'] + '/' + r['cc1plus_before'] + '-' + r['cc1plus_after'] for r in rs)} |")

P("")
P("#### publishing")
P("")
P("| server | what | versions | failed | wall s | publishes/s | median ms | p90 ms | mean ms first 50 → last 50 | server peak RSS MB |")
P("|---|---|---:|---:|---:|---:|---:|---:|---|---:|")
for tag in ("c1", "c4", "many"):
    for label in ("arca", "verdaccio"):
        s = J(os.path.join(d, f"publish_raw-{label}-{tag}.json"))
        p = J(os.path.join(d, f"publish_raw-{label}-{tag}.proc.json"))
        if s:
            P(f"| {label} | raw PUT, {s['conc']} connection(s){', one package' if tag == 'many' else ''} | {s['count']} | {s['failed']} | "
              f"{s['wall_s']:.2f} | {s['rate']:,.1f} | {s['median_ms']:.1f} | {s['p90_ms']:.1f} | "
              f"{s['first50_mean_ms']:.1f} → {s['last50_mean_ms']:.1f} | {p['max_rss_mb'] if p else '–'} |")
for label in ("arca", "verdaccio"):
    s = J(os.path.join(d, f"publish_cli-{label}.json"))
    if s:
        P(f"| {label} | `npm publish <folder>`, serial | {s['count']} | {s['failed']} | {s['total_s']:.1f} | {s['rate']:.2f} | "
          f"{s['median_ms']:.0f} | {s['p90_ms']:.0f} | – | – |")

if inst:
    P("")
    P("#### npm install (hyperfine, clean cache before every run)")
    P("")
    P("| registry | round | command | median s | mean ± sd s | min–max s | runs | client user+sys s | check |")
    P("|---|---:|---|---:|---:|---:|---:|---:|---|")
    for (server, mode), lst in sorted(inst.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        for rnd, r in sorted(lst, key=lambda x: x[0]):
            chk = os.path.join(d, f"install-{server}-r{rnd}-{mode}.check")
            chk = open(chk).read().split(": ", 1)[-1].strip() if os.path.exists(chk) else ""
            P(f"| {server} | {rnd} | {'npm install (no lockfile)' if mode == 'install' else 'npm ci (lockfile)'} | "
              f"{r['median']:.3f} | {r['mean']:.3f} ± {r['stddev']:.3f} | {r['min']:.3f}–{r['max']:.3f} | "
              f"{len(r['times'])} | {r['user'] + r['system']:.2f} | {chk} |")
print("\n".join(out))
