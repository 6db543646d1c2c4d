#!/usr/bin/env python3
"""table.py RESULTS_DIR [--doc docs/performance.md]
The pull-through benchmark's table (markdown) from RESULTS_DIR (ttfb.tsv, rss-*.json, wrk.tsv,
machine.txt), printed. Rows whose measurements are missing (e.g. no `proxy` kind, or no
`*-delayed` kinds when run.sh ran with UPSTREAM_DELAY_MS=0, no `*-verdaccio` kinds with
VERDACCIO=0) are left out, so older results render. With --doc, the generated block of the section
"## Pull-through cache (issue C)" (between the BEGIN/END markers) is replaced, or the section
is appended when missing; text of the section outside the markers is kept."""
import csv, glob, json, os, re, statistics, sys

SECTION = "## Pull-through cache (issue C)"
BEGIN = "<!-- bench/upstream/run.sh: generated, begin -->"
END = "<!-- bench/upstream/run.sh: generated, end -->"
MiB = 2 ** 20


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def fms(s):
    return "%.2f ms" % (s * 1000) if s < 1 else "%.3f s" % s


def yes(ok):
    return "yes" if ok else "**no**"


def main():
    res = sys.argv[1]
    doc = sys.argv[sys.argv.index("--doc") + 1] if "--doc" in sys.argv else None
    rows = list(csv.DictReader(open(os.path.join(res, "ttfb.tsv")), delimiter="\t"))
    machine = open(os.path.join(res, "machine.txt")).read()

    def pick(kind, name):
        return [r for r in rows if r["kind"] == kind and r["name"] == name]

    sizes = {}
    for r in rows:
        if r["kind"] in ("direct", "direct-delayed", "direct-verdaccio"):
            sizes[r["name"]] = int(r["bytes"])
    def human(n):
        for unit, k in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KB", 1000)):
            if n >= k * 0.9:
                return "%g %s" % (round(n / k, 1), unit)
        return "%d B" % n
    label = {name: human(b) for name, b in sizes.items()}
    out = []
    out.append("| measure | target | Arca | reference | ratio | met |")
    out.append("|---|---|---|---|---|---|")
    delay = re.search(r"UPSTREAM_DELAY_MS=([\d.]+)", machine)
    delay = delay.group(1) if delay else "?"

    def ttfb(rs):
        return [float(r["ttfb_s"]) for r in rs]

    def miss_row(title, d, m, reference, extra_ref="", ideal=None):
        """One (a)-style row: misses m against direct GETs d (target 1.2x, median and min). With
        ideal = (label, median s, min s), a second, stricter comparison in the ratio and met cells."""
        bad = [r for r in m if r["x_arca_cache"] != "MISS"]
        td, tm, dmin, mmin = med(ttfb(d)), med(ttfb(m)), min(ttfb(d)), min(ttfb(m))
        ratio = tm / td
        ups = [float(r["upstream_fb_s"]) for r in m if r.get("upstream_fb_s")]
        own = [float(r["ttfb_s"]) - float(r["upstream_fb_s"]) for r in m if r.get("upstream_fb_s")]
        up = ("; upstream's first byte as Arca's client saw it %s, Arca's own part %s (min %s)"
              % (fms(med(ups)), fms(med(own)), fms(min(own)))) if ups else ""
        strict = met2 = ""
        if ideal:
            r2 = max(tm / ideal[1], mmin / ideal[2])
            extra_ref += "; %s %s (min %s)" % (ideal[0], fms(ideal[1]), fms(ideal[2]))
            strict = "; vs %s: %.2f× (mins: %.2f×)" % (ideal[0], tm / ideal[1], mmin / ideal[2])
            met2 = "; vs %s: %s" % (ideal[0], yes(r2 <= 1.2))
        return ("| %s, median of %d%s | ≤ 1.2× direct (median and min) "
                "| %s (min %s%s) | %s %s (min %s)%s | **%.2f×** (mins: %.2f×%s) | %s%s |"
                % (title, len(m), "" if not bad else " (%d not MISS!)" % len(bad), fms(tm), fms(mmin), up,
                   reference, fms(td), fms(dmin), extra_ref, ratio, mmin / dmin, strict,
                   yes(max(ratio, mmin / dmin) <= 1.2), met2))

    # (a) miss TTFB, with the reference reverse proxy (one nginx hop, no cache) next to it
    for name in ("small", "mid", "big"):
        d, m, p = pick("direct", name), pick("miss", name), pick("proxy", name)
        if not d or not m:
            continue
        proxy = ("; nginx reverse proxy (no cache) %s = %.2f× direct (min %s = %.2f×)"
                 % (fms(med(ttfb(p))), med(ttfb(p)) / med(ttfb(d)), fms(min(ttfb(p))),
                    min(ttfb(p)) / min(ttfb(d)))) if p else ""
        out.append(miss_row("(a) miss time to first byte, %s tarball (%s bytes)" % (label[name], format(sizes[name], ",")),
                            d, m, "nginx direct", proxy))
    # (a') the same against an emulated remote upstream (delay_proxy.py holds back each first byte).
    # The relay's own cost on a new connection (curl's) lands in the measured reference only, while
    # Arca reuses its upstream connections; so also against the ideal: (a)'s nginx direct + D.
    for name in ("dsmall", "dmid"):
        d, m, d0 = pick("direct-delayed", name), pick("miss-delayed", name), pick("direct", name[1:])
        if not d or not m:
            continue
        ideal = ("nginx direct + %s ms" % delay, med(ttfb(d0)) + float(delay) / 1000,
                 min(ttfb(d0)) + float(delay) / 1000) if d0 and delay != "?" else None
        out.append(miss_row("(a') miss time to first byte, upstream with +%s ms first byte (emulated), %s tarball (%s bytes)"
                            % (delay, label[name], format(sizes[name], ",")),
                            d, m, "nginx direct via the +%s ms delay proxy" % delay, ideal=ideal))
    # (a'') the real third-party upstream of the tests: Verdaccio (Node) answers in a few ms
    for name in ("vsmall", "vmid"):
        d, m = pick("direct-verdaccio", name), pick("miss-verdaccio", name)
        if d and m:
            out.append(miss_row("(a'') miss time to first byte, Verdaccio as the upstream, %s tarball (%s bytes)"
                                % (label[name], format(sizes[name], ",")), d, m, "Verdaccio direct"))
    d = [r for r in rows if r["kind"] == "pkt-direct-verdaccio"]
    m = [r for r in rows if r["kind"] == "pkt-miss-verdaccio" and r["name"].startswith("vpk")]
    if d and m:
        out.append(miss_row("(a'') packument miss time to first byte, Verdaccio as the upstream, "
                            "one-version packages", d, m, "Verdaccio direct"))
    for name in ("small", "mid", "big"):
        d, m = pick("direct", name), pick("miss", name)
        if not d or not m:
            continue
        td, tm = med([float(r["total_s"]) for r in d]), med([float(r["total_s"]) for r in m])
        gap = med([float(r["total_s"]) - float(r["ttfb_s"]) for r in m])
        out.append("| miss time to last byte, %s (median; last byte released after verify + commit) | – "
                   "| %s (first → last byte %s) | nginx direct %s | %.2f× | – |"
                   % (label[name], fms(tm), fms(gap), fms(td), tm / td))
    # a packument of thousands of versions (popular packages have them): the miss is the whole
    # document fetched, parsed, stored and rendered before the first byte
    def many(kind):
        return [r for r in rows if r["kind"] == kind and r["name"].startswith("many")]
    d, g, m, h = many("pkt-direct"), many("pkt-direct-gzip"), many("pkt-miss"), many("pkt-hit")
    if d and m:
        n = re.search(r"N_MANY=(\d+)", machine)
        gz = ("; with gzip, as npm asks, %s (min %s; %s compressed)"
              % (fms(med(ttfb(g))), fms(min(ttfb(g))), human(int(g[0]["bytes"])))) if g else ""
        out.append(miss_row("(a) packument miss time to first byte, %s versions (%s)"
                            % (n.group(1) if n else "?", human(int(d[0]["bytes"]))),
                            d, m, "nginx direct", extra_ref=gz))
        if h:
            out.append("| packument HIT of the same, time to first byte (median of %d) | – | %s | nginx direct %s "
                       "| %.2f× | – |" % (len(h), fms(med(ttfb(h))), fms(med(ttfb(d))),
                                          med(ttfb(h)) / med(ttfb(d))))
    for name in ("small",):
        d, m, h = pick("pkt-direct", name), pick("pkt-miss", name), pick("pkt-hit", name)
        if d and m and h:
            out.append("| packument of `%s` (%d versions): first GET (MISS) / second (HIT), time to first byte "
                       "| – | %s / %s | nginx direct %s | %.2f× / %.2f× | – |"
                       % (name, len(pick("direct", name)), fms(float(m[0]["ttfb_s"])),
                          fms(float(h[0]["ttfb_s"])), fms(float(d[0]["ttfb_s"])),
                          float(m[0]["ttfb_s"]) / float(d[0]["ttfb_s"]),
                          float(h[0]["ttfb_s"]) / float(d[0]["ttfb_s"])))
    # (b) RSS and throughput over 1 GiB
    miss_rss = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(res, "rss-miss-*.json")))]
    hit_rss = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(res, "rss-hit-*.json")))]
    if miss_rss:
        growth = [p["max_rss_mb"] - p["start_rss_mb"] for p in miss_rss]
        first = miss_rss[0]
        out.append("| (b) RSS growth over one %s miss (VmRSS every 0.1 s; worst of %d) | ≤ 32 MB "
                   "| **%.1f MB** (first miss: %.1f → peak %.1f MB; all peaks %s MB; %s samples) | – | – | %s |"
                   % (label.get("big", "?"), len(miss_rss), max(growth), first["start_rss_mb"], first["max_rss_mb"],
                      ", ".join("%.1f" % p["max_rss_mb"] for p in miss_rss),
                      "/".join(str(p["samples"]) for p in miss_rss), yes(max(growth) <= 32)))
    if hit_rss:
        growth = [p["max_rss_mb"] - p["start_rss_mb"] for p in hit_rss]
        out.append("| RSS growth over one %s HIT (worst of %d) | – | %.1f MB (peak %.1f MB) | – | – | – |"
                   % (label.get("big", "?"), len(hit_rss), max(growth), max(p["max_rss_mb"] for p in hit_rss)))
    if miss_rss and hit_rss and "big" in sizes:
        gib = sizes["big"] / 2 ** 30
        out.append("| Arca CPU (user+sys, all threads) per GiB: miss · HIT (median) | – | %.2f s · %.2f s | – | – | – |"
                   % (med([p["cpu_s"] for p in miss_rss]) / gib, med([p["cpu_s"] for p in hit_rss]) / gib))
    d, m, h = pick("direct", "big"), pick("miss", "big"), pick("hit", "big")
    if d and m and h:
        mbps = lambda rs: med([int(r["bytes"]) / float(r["total_s"]) / MiB for r in rs])
        md, mm, mh = mbps(d), mbps(m), mbps(h)
        out.append("| (b) %s throughput, MiB/s (median): miss · later HIT | – | %.0f · %.0f | nginx direct %.0f "
                   "| %.2f× · %.2f× | – |" % (label["big"], mm, mh, md, mm / md, mh / md))
        out.append("| %s HIT time to first byte (median) | – | %s | nginx direct %s | %.2f× | – |"
                   % (label["big"], fms(med([float(r["ttfb_s"]) for r in h])), fms(med([float(r["ttfb_s"]) for r in d])),
                      med([float(r["ttfb_s"]) for r in h]) / med([float(r["ttfb_s"]) for r in d])))
    # (c) wrk
    wpath = os.path.join(res, "wrk.tsv")
    if os.path.exists(wpath):
        w = list(csv.DictReader(open(wpath), delimiter="\t"))
        for name in ("small", "mid"):
            p = [r for r in w if r["label"] == "pull-hit" and r["case"] == name]
            l = [r for r in w if r["label"] == "local" and r["case"] == name]
            if not p or not l:
                continue
            key = "rps" if name == "small" else "MiB_s"
            unit = "req/s" if name == "small" else "MiB/s"
            mean = lambda rs: statistics.mean(float(r[key]) for r in rs)
            errs = sum(int(r["errors"]) for r in p + l)
            ratio = mean(p) / mean(l)
            out.append("| (c) cached HIT via `pull` vs local publish in `local`, %s tarball, %s (mean of %d wrk runs; "
                       "runs %s vs %s)%s | as fast (≥ 0.9×, noise ~20%%) | %s | local %s | **%.2f×** | %s |"
                       % (label[name], unit, len(p), " / ".join(r[key] for r in p), " / ".join(r[key] for r in l),
                          "" if not errs else ", %d errors" % errs, format(round(mean(p)), ","),
                          format(round(mean(l)), ","), ratio, yes(ratio >= 0.9)))
    table = "\n".join(out)

    def field(prefix):
        for line in machine.splitlines():
            if line.startswith(prefix):
                return line[len(prefix):].strip()
        return "?"
    has = lambda kind: any(r["kind"] == kind for r in rows)

    def span(xs):
        return "?" if not xs else ("%g" % xs[0] if min(xs) == max(xs) else "%g–%g" % (min(xs), max(xs)))
    steps = [l for l in machine.splitlines() if l.startswith("=== ")]
    loads = [re.search(r"load=([\d.]+ [\d.]+ [\d.]+) cc1plus=(\d+)", l) for l in steps]
    loads = [m for m in loads if m]
    conditions = [
        "Measured %s (run took %s)." % (field("date:"), steps[-1].split("(+")[1].split(")")[0] if steps else "?"),
        "",
        "```",
        "bench/upstream/run.sh",
        "```",
        "",
        "- Settings: %s." % field("settings:"),
        "- Arca: %s; `[server] access_log = false`; connection `public:npmjs` → nginx on 127.0.0.1, "
        "`metadata_ttl = \"10m\"`." % field("arca binary:").replace(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + "/", ""),
        "- Repo: %s. Tools: %s." % (field("repo HEAD:"), field("tools:")),
    ] + ([
        "- Reference reverse proxy: a second nginx with `proxy_pass` to the static one, HTTP/1.1, upstream "
        "`keepalive 16`, no cache, timed on each `small` and `mid` tarball between the direct GET and Arca's "
        "miss: what one proxy hop costs on this machine, with nothing cached, hashed or stored.",
    ] if has("proxy") else []) + ([
        "- (a'): `bench/upstream/delay_proxy.py`, a TCP relay in front of the same nginx, passes on the first "
        "bytes of each response %s ms late (the rest at once). A second Arca with the same config has "
        "`public:npmjs` → that relay; packages `dsmall` and `dmid` have the sizes and counts of `small` and "
        "`mid`, and their tarball URLs go through the relay too. \"direct\" there is curl via the relay, on a "
        "new connection as in (a); Arca reuses its connections to the relay, so the stricter comparison "
        "with (a)'s nginx direct + %s ms is given as well." % (delay, delay),
    ] if has("miss-delayed") else []) + ([
        "- (a''): the pinned Verdaccio of the tests (`bench/upstream/verdaccio_up.py`: no uplinks, packages "
        "published over its own API) as the upstream of a third Arca with the same config: `vsmall` and "
        "`vmid` have the sizes and counts of `small` and `mid`; `vpk0`.. are one-version packages, each "
        "packument fetched once directly and once through Arca (a miss). \"direct\" is curl on a new "
        "connection; Arca keeps its connections to Verdaccio.",
    ] if has("miss-verdaccio") else []) + [
        "- Machine: %s. Load average (`uptime`, 1/5/15 min) at start %s, at end %s. Over the %d steps the 1-min load "
        "average was %s and other sessions' compilers (`cc1plus`) numbered %s. Waited %s for "
        "`bench/npm/run.sh`."
        % (field("cpu:"), field("uptime at start:").split("load average: ")[-1],
           field("uptime at end:").split("load average: ")[-1], len(loads),
           span([float(m.group(1).split()[0]) for m in loads]),
           span([int(m.group(2)) for m in loads]), field("waited for bench/npm/run.sh:")),
    ]
    block = "\n".join(conditions) + "\n\n" + table + "\n"
    print(block)
    if doc:
        text = open(doc).read()
        gen = BEGIN + "\n" + block + END
        if SECTION not in text:
            text = text.rstrip("\n") + "\n\n" + SECTION + "\n\n" + gen + "\n"
        elif BEGIN in text and END in text:
            a, b = text.index(BEGIN), text.index(END) + len(END)
            text = text[:a] + gen + text[b:]
        else:
            i = text.index(SECTION) + len(SECTION)
            text = text[:i] + "\n\n" + gen + text[i:]
        open(doc, "w").write(text)
        print("updated %s (%s)" % (doc, SECTION))


if __name__ == "__main__":
    main()
