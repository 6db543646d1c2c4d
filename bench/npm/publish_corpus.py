#!/usr/bin/env python3
"""Load the corpus (corpus/order.tsv) into one or more registries, the way `npm publish` does
(PUT /<name>, JSON document with the base64 tarball in _attachments, dependencies kept). Adapted
from the team's shared/bench/publish_corpus.py: each body is built once and sent to every registry
(only the dist.tarball URL differs), registries one after the other.

usage: publish_corpus.py LABEL=BASE_URL=TOKEN ...   (BASE_URL: registry or repository endpoint,
       no trailing slash). env: BENCH_DIR, PUB_CONC (connections per registry, default 2; the
       versions of one package stay in order on one connection).
Prints one line per registry; exit 1 if any PUT fails. This is set-up, not a measurement."""
import base64, gzip, hashlib, http.client, io, json, os, sys, tarfile, threading, time, urllib.parse

bench = os.environ["BENCH_DIR"]
conc = int(os.environ.get("PUB_CONC", 2))
PLACE = "@@REGISTRY@@"
order = {}
for line in open(os.path.join(bench, "corpus", "order.tsv")):
    name, ver, folder = line.rstrip("\n").split("\t")[:3]
    order.setdefault(name, []).append((ver, folder))


def body(name, ver, folder):
    m = json.load(open(os.path.join(folder, "package.json")))
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=1) as gz, \
            tarfile.open(fileobj=gz, mode="w") as tar:
        for fn in sorted(os.listdir(folder)):
            data = open(os.path.join(folder, fn), "rb").read()
            ti = tarfile.TarInfo("package/" + fn)
            ti.size, ti.mode, ti.mtime = len(data), 0o644, 499162500
            tar.addfile(ti, io.BytesIO(data))
    tgz = buf.getvalue()
    fn = f"{name}-{ver}.tgz"
    v = dict(m, _id=f"{name}@{ver}", dist={
        "integrity": "sha512-" + base64.b64encode(hashlib.sha512(tgz).digest()).decode(),
        "shasum": hashlib.sha1(tgz).hexdigest(), "tarball": f"{PLACE}/{name}/-/{fn}"})
    doc = {"_id": name, "name": name, "description": m.get("description", ""),
           "dist-tags": {"latest": ver}, "versions": {ver: v}, "access": None,
           "_attachments": {fn: {"content_type": "application/octet-stream",
                                 "data": base64.b64encode(tgz).decode(), "length": len(tgz)}}}
    return json.dumps(doc).encode()


t0 = time.perf_counter()
bodies = {n: [(v, body(n, v, f)) for v, f in vs] for n, vs in order.items()}
print(f"built {sum(len(v) for v in bodies.values())} publish bodies in {time.perf_counter() - t0:.1f} s")

failed = 0
for spec in sys.argv[1:]:
    label, reg, token = spec.split("=", 2)
    u = urllib.parse.urlsplit(reg)
    fails, lock, count = [], threading.Lock(), [0]

    def worker(names):
        conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=300)
        for name in names:
            for ver, b in bodies[name]:
                conn.request("PUT", u.path + "/" + urllib.parse.quote(name, safe="@"),
                             body=b.replace(PLACE.encode(), reg.encode(), 1), headers={
                                 "Content-Type": "application/json",
                                 "Authorization": f"Bearer {token}", "npm-command": "publish"})
                r = conn.getresponse()
                text = r.read()
                with lock:
                    count[0] += 1
                    if r.status not in (200, 201):
                        fails.append(f"{name}@{ver}: HTTP {r.status} {text[:200]!r}")
        conn.close()

    names = list(bodies)
    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(names[i::conc],)) for i in range(conc)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    wall = time.perf_counter() - t0
    print(f"{label}: loaded {count[0]} versions in {wall:.1f} s ({count[0] / wall:.1f}/s, {conc} connections), "
          f"{len(fails)} failed")
    for f in fails[:5]:
        print("  " + f)
    failed += len(fails)
sys.exit(1 if failed else 0)
