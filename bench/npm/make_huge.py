#!/usr/bin/env python3
"""make_huge.py OUT_DIR NAME VERSION MB REGISTRY
Writes OUT_DIR/NAME-VERSION.tgz (npm tarball: package/package.json + package/data.bin with MB MiB
of seeded random bytes, gzip level 0 so it is quick to make) and OUT_DIR/NAME-VERSION.put.json,
the `npm publish` document for it (dist.tarball under REGISTRY, the base URL without trailing /).
Both are streamed to disk, never held in memory."""
import base64, hashlib, io, json, os, random, sys, tarfile, gzip

out, name, ver, mb, reg = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5].rstrip("/")
size = mb * 1024 * 1024
tgz_path = os.path.join(out, f"{name}-{ver}.tgz")
manifest = {"name": name, "version": ver, "description": f"{mb} MiB package for the RSS check",
            "main": "index.js", "license": "MIT"}
rng = random.Random(20261128)


class RandFile(io.RawIOBase):
    def __init__(self, n):
        self.left = n

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), self.left, 1 << 20)
        if n <= 0:
            return 0
        b[:n] = rng.randbytes(n)
        self.left -= n
        return n


with open(tgz_path, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0, compresslevel=0) as gz, \
        tarfile.open(fileobj=gz, mode="w") as tar:
    pj = json.dumps(manifest, indent=2).encode()
    ti = tarfile.TarInfo("package/package.json"); ti.size, ti.mode, ti.mtime = len(pj), 0o644, 499162500
    tar.addfile(ti, io.BytesIO(pj))
    ti = tarfile.TarInfo("package/data.bin"); ti.size, ti.mode, ti.mtime = size, 0o644, 499162500
    tar.addfile(ti, io.BufferedReader(RandFile(size)))

sha1, sha512, n = hashlib.sha1(), hashlib.sha512(), 0
with open(tgz_path, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        sha1.update(chunk); sha512.update(chunk); n += len(chunk)
fn = f"{name}-{ver}.tgz"
v = dict(manifest, _id=f"{name}@{ver}", dist={
    "integrity": "sha512-" + base64.b64encode(sha512.digest()).decode(), "shasum": sha1.hexdigest(),
    "tarball": f"{reg}/{name}/-/{fn}"})
doc = {"_id": name, "name": name, "description": manifest["description"], "dist-tags": {"latest": ver},
       "versions": {ver: v}, "access": None,
       "_attachments": {fn: {"content_type": "application/octet-stream", "data": "@@DATA@@", "length": n}}}
head, tail = json.dumps(doc).split("@@DATA@@")
with open(os.path.join(out, f"{name}-{ver}.put.json"), "wb") as o, open(tgz_path, "rb") as f:
    o.write(head.encode())
    for chunk in iter(lambda: f.read(3 << 20), b""):  # multiple of 3: no padding inside
        o.write(base64.b64encode(chunk))
    o.write(tail.encode())
print(f"{fn}: {n} bytes; publish document {os.path.getsize(os.path.join(out, f'{name}-{ver}.put.json'))} bytes")
