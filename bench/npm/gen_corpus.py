#!/usr/bin/env python3
"""Generate a synthetic npm corpus as publishable package folders.

Layout: $BENCH_DIR/corpus/<name>/<version>/{package.json,index.js,README.md,data.txt|data.bin}

  * N_PKGS regular packages (PKG_PREFIX00..), N_VERS versions each, tarball ~10 KB
    (incompressible base64 payload), each depends on the next package (^1.0.0)
  * MANY_PKG with N_BIGVERS versions (large packument), tarball ~2 KB
  * BIG_PKG 1.0.0 with a ~50 MB random payload (BIG_MB)

Content is seeded, so the corpus is the same on every run. A manifest listing
publish order is written to corpus/order.tsv (name, version, folder).
"""
import base64, json, os, random, shutil, sys

bench = os.environ["BENCH_DIR"]
n_pkgs = int(os.environ.get("N_PKGS", 50))
n_vers = int(os.environ.get("N_VERS", 20))
n_many = int(os.environ.get("N_BIGVERS", 500))
prefix = os.environ.get("PKG_PREFIX", "bench-pkg-")
many = os.environ.get("MANY_PKG", "bench-many")
big = os.environ.get("BIG_PKG", "bench-big")
big_mb = int(os.environ.get("BIG_MB", 50))
payload = int(os.environ.get("PAYLOAD_BYTES", 9500))  # random bytes before base64

root = os.path.join(bench, "corpus")
if os.path.isdir(root):
    shutil.rmtree(root)
os.makedirs(root)
rng = random.Random(20261124)


def reg_version(i):  # 1.0.0 1.0.1 ... 1.3.4 for 20 versions
    return f"1.{i // 5}.{i % 5}"


def many_version(i):  # 0.0.0 .. 4.9.9 for 500
    return f"{i // 100}.{(i // 10) % 10}.{i % 10}"


def manifest(name, version, deps, desc):
    return {
        "name": name,
        "version": version,
        "description": desc,
        "main": "index.js",
        "scripts": {"test": "node -e \"require('./index.js')\""},
        "keywords": ["benchmark", "synthetic", "registry", name.split("-")[-1]],
        "author": "Bench Author <bench@example.invalid>",
        "license": "MIT",
        "repository": {"type": "git", "url": f"git+https://example.invalid/bench/{name}.git"},
        "homepage": f"https://example.invalid/bench/{name}#readme",
        "bugs": {"url": f"https://example.invalid/bench/{name}/issues"},
        "engines": {"node": ">=14"},
        "files": ["index.js", "data.txt", "data.bin", "README.md"],
        "dependencies": deps,
    }


def write_pkg(name, version, deps, payload_bytes, binary=False):
    d = os.path.join(root, name, version)
    os.makedirs(d)
    m = manifest(name, version, deps, f"Synthetic package {name} for registry benchmarks")
    with open(os.path.join(d, "package.json"), "w") as f:
        json.dump(m, f, indent=2)
    with open(os.path.join(d, "index.js"), "w") as f:
        f.write(f"module.exports = {{ name: {json.dumps(name)}, version: {json.dumps(version)} }};\n")
    with open(os.path.join(d, "README.md"), "w") as f:
        f.write(f"# {name}\n\nSynthetic package used to benchmark npm registries. Version {version}.\n")
    if binary:
        with open(os.path.join(d, "data.bin"), "wb") as f:
            left = payload_bytes
            while left > 0:
                n = min(left, 1 << 20)
                f.write(rng.randbytes(n))
                left -= n
    elif payload_bytes:
        with open(os.path.join(d, "data.txt"), "w") as f:
            f.write(base64.encodebytes(rng.randbytes(payload_bytes)).decode())
    return d


order = []
for p in range(n_pkgs):
    name = f"{prefix}{p:02d}"
    deps = {}
    if p + 1 < n_pkgs:
        deps[f"{prefix}{p + 1:02d}"] = "^1.0.0"
    for v in range(n_vers):
        ver = reg_version(v)
        order.append((name, ver, write_pkg(name, ver, deps, payload)))
for v in range(n_many):
    ver = many_version(v)
    order.append((many, ver, write_pkg(many, ver, {}, 1500)))
order.append((big, "1.0.0", write_pkg(big, "1.0.0", {}, big_mb * 1024 * 1024, binary=True)))

with open(os.path.join(root, "order.tsv"), "w") as f:
    for name, ver, d in order:
        f.write(f"{name}\t{ver}\t{d}\n")
print(f"corpus: {len(order)} package versions in {root}")
