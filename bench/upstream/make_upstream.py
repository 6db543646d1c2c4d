#!/usr/bin/env python3
"""make_upstream.py ROOT BASE_URL NAME:BYTES:COUNT [NAME:BYTES:COUNT ...]
The static npm upstream for the pull-through benchmark, served by nginx from ROOT at BASE_URL
(ends with '/'). For each NAME: versions 1.0.0 .. 1.0.(COUNT-1), each a distinct tarball of
about BYTES bytes, and one packument whose dist.tarball points back at BASE_URL:

  ROOT/NAME/index.json                  packument (nginx: try_files $uri/index.json)
  ROOT/NAME/-/NAME-1.0.K.tgz            a real .tgz: package/blob.bin, then package/package.json

The .tgz is written by hand as gzip with stored (uncompressed) deflate blocks of 65,535 bytes,
and blob.bin is random (AES-CTR keystream from `cryptography` if installed, else os.urandom), so
the file is incompressible and about BYTES long. To keep a 3 x 1 GiB set-up fast on 2 busy cores,
the versions of one package share blob.bin: their files are byte-identical up to the last stored
block that holds only blob.bin, and differ after it (package.json carries the version). That
common part is generated and hashed once; the next versions get it with copy_file_range (a real
copy, not shared pages) and the digests (sha512 for dist.integrity, sha1 for dist.shasum, sha256
for the blob check) continue from copies of the hash states. Every version is thus a distinct
file with distinct digests, and a cache has to fetch each one.
Prints one JSON line per tarball (name, version, bytes) and writes all digests to
ROOT/manifest.json."""
import base64, hashlib, json, os, struct, sys, tarfile, zlib

BLOCK = 65535      # stored deflate block
CHUNK = 1 << 20


def random_source():
    try:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        enc = Cipher(algorithms.AES(os.urandom(16)), modes.CTR(os.urandom(16))).encryptor()
        zeros = bytes(CHUNK)
        return lambda n: enc.update(zeros[:n]) if n <= CHUNK else enc.update(bytes(n))
    except ImportError:
        return os.urandom


class Stream:
    """Digests, CRC and size of a gzip file being written (compressed side) and of its content."""

    def __init__(self):
        self.h = [hashlib.sha512(), hashlib.sha1(), hashlib.sha256()]
        self.crc, self.raw_len, self.out_len = 0, 0, 0

    def copy(self):
        s = Stream()
        s.h = [h.copy() for h in self.h]
        s.crc, s.raw_len, s.out_len = self.crc, self.raw_len, self.out_len
        return s

    def emit(self, f, data):
        f.write(data)
        for h in self.h:
            h.update(data)
        self.out_len += len(data)

    def block(self, f, raw, final=False):
        self.crc = zlib.crc32(raw, self.crc)
        self.raw_len += len(raw)
        self.emit(f, struct.pack("<BHH", 1 if final else 0, len(raw), len(raw) ^ 0xFFFF))
        self.emit(f, raw)


def tar_header(name, size):
    ti = tarfile.TarInfo(name)
    ti.size, ti.mtime, ti.mode = size, 499162500, 0o644
    return ti.tobuf(format=tarfile.USTAR_FORMAT)


def pad512(b):
    return b + bytes(-len(b) % 512)


def plan_payload(nbytes):
    """The largest blob.bin size (multiple of 512) whose .tgz is at most nbytes (min 512)."""
    def tgz_size(payload):
        raw = 512 + payload + 512 + 512 + 1024
        return 10 + raw + 5 * -(-raw // BLOCK) + 8
    p = max(512, nbytes // 512 * 512)
    while p > 512 and tgz_size(p) > nbytes:
        p -= 512
    return p


def make_package(root, base, name, nbytes, count, rand):
    d = os.path.join(root, name, "-")
    os.makedirs(d, exist_ok=True)
    payload = plan_payload(nbytes)
    common_raw = 512 + payload                 # tar header + blob.bin, the same in every version
    n_common_blocks = common_raw // BLOCK      # stored blocks made only of that part
    rows = []
    first_path, prefix_len, prefix_state, leftover = None, 0, None, b""
    for k in range(count):
        version = "1.0.%d" % k
        fname = "%s-%s.tgz" % (name, version)
        path = os.path.join(d, fname)
        pj = json.dumps({"name": name, "version": version, "description": "pull-through bench",
                         "main": "index.js", "license": "MIT"}, indent=2).encode()
        tail_extra = tar_header("package/package.json", len(pj)) + pad512(pj) + bytes(1024)
        with open(path, "wb") as f:
            if k == 0:
                st = Stream()
                st.emit(f, b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")  # gzip header, mtime 0
                buf, pos = tar_header("package/blob.bin", payload), 0
                left = payload
                for _ in range(n_common_blocks):
                    if len(buf) - pos < BLOCK:
                        n = min(CHUNK, left)
                        buf, pos = buf[pos:] + rand(n), 0
                        left -= n
                    st.block(f, memoryview(buf)[pos:pos + BLOCK])
                    pos += BLOCK
                # the rest of blob.bin (less than a block) belongs to the per-version tail
                leftover = buf[pos:] + rand(left)
                f.flush()
                prefix_len, prefix_state, first_path = st.out_len, st.copy(), path
            else:
                st = prefix_state.copy()
                with open(first_path, "rb") as src:
                    done = 0
                    while done < prefix_len:
                        try:
                            n = os.copy_file_range(src.fileno(), f.fileno(), prefix_len - done, done, done)
                        except (AttributeError, OSError):
                            src.seek(done)
                            data = src.read(min(CHUNK, prefix_len - done))
                            f.seek(done)
                            f.write(data)
                            n = len(data)
                        done += n
                f.seek(prefix_len)
            tail = leftover + tail_extra
            for i in range(0, len(tail), BLOCK):
                st.block(f, tail[i:i + BLOCK], final=i + BLOCK >= len(tail))
            st.emit(f, struct.pack("<II", st.crc & 0xFFFFFFFF, st.raw_len & 0xFFFFFFFF))
        h512, h1, h256 = st.h
        integrity = "sha512-" + base64.b64encode(h512.digest()).decode()
        rows.append({"name": name, "version": version, "path": path, "bytes": st.out_len,
                     "sha512": h512.hexdigest(), "sha1": h1.hexdigest(), "sha256": h256.hexdigest(),
                     "integrity": integrity, "tarball": "%s%s/-/%s" % (base, name, fname)})
        print(json.dumps({"name": name, "version": version, "bytes": st.out_len}), flush=True)
    versions = {}
    times = {"created": "2026-01-01T00:00:00.000Z"}
    for k, r in enumerate(rows):
        versions[r["version"]] = {
            "name": name, "version": r["version"], "description": "pull-through bench",
            "main": "index.js", "license": "MIT", "_id": "%s@%s" % (name, r["version"]),
            "dist": {"integrity": r["integrity"], "shasum": r["sha1"], "tarball": r["tarball"]}}
        times[r["version"]] = "2026-01-01T00:%02d:00.000Z" % min(k, 59)
    doc = {"_id": name, "name": name, "dist-tags": {"latest": rows[-1]["version"]},
           "versions": versions, "time": times}
    with open(os.path.join(root, name, "index.json"), "w") as f:
        json.dump(doc, f)
    return rows


def main():
    root, base = sys.argv[1], sys.argv[2]
    if not base.endswith("/"):
        base += "/"
    rand = random_source()
    out = []
    for spec in sys.argv[3:]:
        name, nbytes, count = spec.split(":")
        out += make_package(root, base, name, int(nbytes), int(count), rand)
    with open(os.path.join(root, "manifest.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
