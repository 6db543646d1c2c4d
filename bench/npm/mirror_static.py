#!/usr/bin/env python3
"""Copy the benchmark packages of a registry into a static file tree that nginx
can serve as a read-only npm 'registry':

  STATIC_ROOT/<name>/index.json    full packument      (Accept: application/json)
  STATIC_ROOT/<name>/abbrev.json   abbreviated packument (Accept: vnd.npm.install-v1+json)
  STATIC_ROOT/<name>/-/<file>.tgz  tarballs

Tarball URLs inside the documents are rewritten from REGISTRY to STATIC_URL.
usage: mirror_static.py   (reads BENCH_DIR, REGISTRY, STATIC_URL, TOKEN, STATIC_ROOT)"""
import json, os, urllib.request

bench = os.environ["BENCH_DIR"]
reg = os.environ.get("REGISTRY", "http://127.0.0.1:4873").rstrip("/")
static = os.environ.get("STATIC_URL", "http://127.0.0.1:8080").rstrip("/")
token = os.environ.get("TOKEN", "")
root = os.environ.get("STATIC_ROOT", os.path.join(bench, "static"))
CORGI = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"

names = []
for line in open(os.path.join(bench, "corpus", "order.tsv")):
    n = line.split("\t")[0]
    if n not in names:
        names.append(n)


def get(url, accept):
    req = urllib.request.Request(url, headers={"Accept": accept})
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req) as r:
        return r.read()


ntgz = nbytes = 0
for name in names:
    d = os.path.join(root, name)
    os.makedirs(os.path.join(d, "-"), exist_ok=True)
    full = get(f"{reg}/{name}", "application/json")
    abbrev = get(f"{reg}/{name}", CORGI)
    for fn, body in (("index.json", full), ("abbrev.json", abbrev)):
        with open(os.path.join(d, fn), "wb") as f:
            f.write(body.replace(reg.encode() + b"/", static.encode() + b"/"))
    doc = json.loads(full)
    for v in doc["versions"].values():
        url = v["dist"]["tarball"]
        fn = os.path.join(d, "-", url.rsplit("/", 1)[1])
        if not os.path.exists(fn):
            data = get(url, "*/*")
            with open(fn, "wb") as f:
                f.write(data)
            ntgz += 1
            nbytes += len(data)
print(f"static tree: {len(names)} packages, {ntgz} tarballs ({nbytes / 2**20:.1f} MiB) in {root}")
