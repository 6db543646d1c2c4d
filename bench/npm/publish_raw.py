#!/usr/bin/env python3
"""Server-side publish rate (team baseline's shared/bench/publish_raw.py, adapted): the same
PUT /<name> request that `npm publish` sends (JSON document with the base64 tarball in
_attachments), from one keep-alive connection per worker, all bodies built before the clock
starts. Uses the regular corpus folders renamed RAW_PREFIX00.. so nothing collides.

Adapted for Arca: REGISTRY may be a repository endpoint with a path
(http://127.0.0.1:PORT/npm/d/bench-OWNER/npm, no trailing slash); the request path is
<path>/<name> and TOKEN goes in `Authorization: Bearer`. Same for Verdaccio (path empty).

env: REGISTRY, TOKEN, BENCH_DIR, RESULTS_DIR, LABEL (file names), RAW_PKGS (20), RAW_VERS (20),
     RAW_PREFIX (bench-raw-), RAW_CONC (1), RAW_TAG, RAW_SRC (comma list of corpus packages to
     copy instead of the regular ones, e.g. RAW_SRC=bench-many RAW_VERS=500)
Writes RESULTS_DIR/publish_raw-LABEL[-TAG].tsv (name version millis rc bytes) and .json."""
import base64, gzip, hashlib, http.client, io, json, os, statistics, sys, tarfile, threading, time, urllib.parse

bench = os.environ["BENCH_DIR"]
reg = os.environ["REGISTRY"].rstrip("/")
token = os.environ["TOKEN"]
label = os.environ.get("LABEL", "server")
n_pkgs = int(os.environ.get("RAW_PKGS", 20))
n_vers = int(os.environ.get("RAW_VERS", 20))
prefix = os.environ.get("RAW_PREFIX", "bench-raw-")
src_prefix = os.environ.get("PKG_PREFIX", "bench-pkg-")
conc = int(os.environ.get("RAW_CONC", 1))
results = os.environ.get("RESULTS_DIR", os.path.join(bench, "results"))
u = urllib.parse.urlsplit(reg)


def tarball(folder, manifest):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for fn in sorted(os.listdir(folder)):
            data = json.dumps(manifest, indent=2).encode() if fn == "package.json" else open(os.path.join(folder, fn), "rb").read()
            ti = tarfile.TarInfo("package/" + fn)
            ti.size, ti.mode, ti.mtime = len(data), 0o644, 499162500
            tar.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def body(name, folder):
    m = json.load(open(os.path.join(folder, "package.json")))
    m["name"] = name
    m["dependencies"] = {}
    ver = m["version"]
    tgz = tarball(folder, m)
    fn = f"{name}-{ver}.tgz"
    v = dict(m, _id=f"{name}@{ver}", dist={
        "integrity": "sha512-" + base64.b64encode(hashlib.sha512(tgz).digest()).decode(),
        "shasum": hashlib.sha1(tgz).hexdigest(),
        "tarball": f"{reg}/{name}/-/{fn}"})
    doc = {"_id": name, "name": name, "description": m.get("description", ""),
           "dist-tags": {"latest": ver}, "versions": {ver: v}, "access": None,
           "_attachments": {fn: {"content_type": "application/octet-stream",
                                 "data": base64.b64encode(tgz).decode(), "length": len(tgz)}}}
    return ver, json.dumps(doc).encode()


jobs = {}  # name -> [(version, body)]
srcs = os.environ.get("RAW_SRC", "")
srcs = srcs.split(",") if srcs else [f"{src_prefix}{p:02d}" for p in range(n_pkgs)]
for p, src_name in enumerate(srcs):
    name = f"{prefix}{p:02d}"
    src = os.path.join(bench, "corpus", src_name)
    vers = sorted(os.listdir(src), key=lambda s: tuple(int(x) for x in s.split(".")))[:n_vers]
    jobs[name] = [body(name, os.path.join(src, v)) for v in vers]

rows, lock, first_err = [], threading.Lock(), []


def worker(names):
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=120)
    for name in names:
        for ver, b in jobs[name]:
            t0 = time.perf_counter()
            conn.request("PUT", u.path + "/" + urllib.parse.quote(name, safe="@"), body=b, headers={
                "Content-Type": "application/json", "Authorization": f"Bearer {token}",
                "npm-command": "publish", "Accept": "application/json"})
            r = conn.getresponse()
            text = r.read()
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                ok = r.status in (200, 201)
                rows.append((name, ver, ms, 0 if ok else r.status, len(b)))
                if not ok and not first_err:
                    first_err.append(f"{name}@{ver}: HTTP {r.status} {text[:200]!r}")
    conn.close()


names = list(jobs)
groups = [names[i::conc] for i in range(conc)]
t0 = time.perf_counter()
threads = [threading.Thread(target=worker, args=(g,)) for g in groups]
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.perf_counter() - t0
os.makedirs(results, exist_ok=True)
tag = os.environ.get("RAW_TAG", "")
out = os.path.join(results, f"publish_raw-{label}{'-' + tag if tag else ''}")
with open(out + ".tsv", "w") as f:
    for r in rows:
        f.write(f"{r[0]}\t{r[1]}\t{r[2]:.2f}\t{r[3]}\t{r[4]}\n")
ms = sorted(r[2] for r in rows)
failed = sum(1 for r in rows if r[3])
summary = {"label": label, "tag": tag, "count": len(rows), "failed": failed, "wall_s": round(wall, 3),
           "rate": round(len(rows) / wall, 1), "conc": conc, "median_ms": round(statistics.median(ms), 2),
           "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 2),
           "first50_mean_ms": round(statistics.mean(r[2] for r in rows[:50]), 2),
           "last50_mean_ms": round(statistics.mean(r[2] for r in rows[-50:]), 2),
           "mean_body_kib": round(sum(r[4] for r in rows) / len(rows) / 1024, 1)}
json.dump(summary, open(out + ".json", "w"))
print(f"{label} raw PUT publish{' ' + tag if tag else ''}: {len(rows)} versions, {failed} failed, wall {wall:.2f} s, "
      f"{summary['rate']} publishes/s, concurrency {conc}, median {summary['median_ms']} ms, "
      f"p90 {summary['p90_ms']} ms, mean body {summary['mean_body_kib']} KiB")
if first_err:
    print("  first failure: " + first_err[0])
sys.exit(1 if failed else 0)
