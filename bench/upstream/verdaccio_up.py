#!/usr/bin/env python3
"""verdaccio_up.py OUT_DIR N SMALL_BYTES MID_BYTES
Runs Verdaccio (the pinned one of the tests, via tests/e2e/verdaccio_upstream.py: no uplinks,
127.0.0.1, a free port) as the third-party upstream of bench/upstream/run.sh step (a''), and
publishes into it over its own HTTP API:
  vsmall  N versions 1.0.0.. whose tarballs hold SMALL_BYTES random (incompressible) bytes
  vmid    N versions likewise with MID_BYTES
  vpk<i>  N packages (i = 0..N-1) of one small version each: packument misses
Then writes OUT_DIR/url (Verdaccio's URL, trailing slash) and OUT_DIR/ready, and keeps Verdaccio
running until this process gets SIGTERM or SIGINT (Verdaccio is killed and its work dir removed
then). Exits 2 when Verdaccio is not installed (scripts/install-npm-tools.sh)."""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "e2e"))
from verdaccio_upstream import VerdaccioUpstream  # noqa: E402


def main():
    out, n, small, mid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    up = VerdaccioUpstream("bench-verdaccio")
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    try:
        up.start()
    except unittest.SkipTest as e:
        print("verdaccio_up.py: %s" % e, file=sys.stderr)
        sys.exit(2)
    try:
        for i in range(n):
            up.publish("vsmall", "1.0.%d" % i, files={"data.bin": os.urandom(small)})
            up.publish("vmid", "1.0.%d" % i, files={"data.bin": os.urandom(mid)})
            up.publish("vpk%d" % i, "1.0.0")
        with open(os.path.join(out, "url"), "w") as f:
            f.write(up.url)
        open(os.path.join(out, "ready"), "w").close()
        print("verdaccio on %s: vsmall, vmid (%d versions each), vpk0..vpk%d" % (up.url, n, n - 1), flush=True)
        while not stop:
            time.sleep(0.2)
    finally:
        up.close()


if __name__ == "__main__":
    main()
