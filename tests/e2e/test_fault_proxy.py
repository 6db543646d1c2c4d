"""Self-test of fault_proxy.FaultProxy in front of a real Verdaccio (verdaccio_upstream): plain
forwarding with tarball URLs rewritten to the proxy, keep-alive, the request log, and every fault
(delay, status, reset / truncate / stall mid-body, corrupt, drop) as a raw-socket, http.client or
urllib client observes it, with `times`, path patterns, methods and clear().
"""

import gzip
import hashlib
import http.client
import json
import os
import re
import socket
import threading
import time
import unittest
import urllib.error
import urllib.request

from arca_harness import main
from fault_proxy import FaultProxy, proxied
from npm_util import SkipsPerTest, publish_doc, quote_name, sri512
from verdaccio_upstream import VerdaccioUpstream, build_tarball

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
BIG_TGZ = '/fp-big/-/fp-big-1.0.0.tgz'


def raw_get(port, path, extra=b'', timeout=10, method=b'GET'):
    """Sends one request on a fresh socket and reads until EOF, reset or timeout.
    Returns (status, headers, body, error, seconds until the first byte, total seconds)."""
    s = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    t0 = time.monotonic()
    first = None
    data = b''
    error = None
    try:
        s.sendall(b'%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n' % (method, path.encode(), extra))
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            if first is None:
                first = time.monotonic() - t0
            data += chunk
    except OSError as e:        # ConnectionResetError, socket.timeout
        error = e
    finally:
        s.close()
    head, _, body = data.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    status = int(lines[0].split()[1]) if data else None
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(':', 1) for ln in lines[1:] if ':' in ln)}
    return status, headers, body, error, first, time.monotonic() - t0


def get(url, headers=None, timeout=15):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with OPENER.open(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class FaultProxyTest(SkipsPerTest, unittest.TestCase):
    @classmethod
    def setUpFixture(cls):
        cls.up, cls.proxy = proxied(cls, VerdaccioUpstream('verdaccio-fault-proxy'))
        cls.small = cls.up.publish('fp-small', '1.0.0')
        cls.big = cls.up.publish('fp-big', '1.0.0', files={'blob.bin': os.urandom(256 * 1024)})
        cls.scoped = cls.up.publish('@corp/fp', '1.0.0', readme='# fp\n' + 'words ' * 2000)

    def setUp(self):
        super().setUp()
        self.proxy.clear()
        self.proxy.clear_log()
        self.proxy.gzip_json = False
        self.url = self.proxy.url
        self.port = self.proxy.port

    # ------------------------------------------------------------------ forwarding
    def test_forwards_and_rewrites_tarball_urls_to_the_proxy(self):
        status, headers, body = get(self.url + 'fp-small', {'Accept': 'application/json'})
        self.assertEqual(status, 200, body)
        self.assertEqual(int(headers['Content-Length']), len(body))
        self.assertNotIn(self.up.url.encode(), body)
        doc = json.loads(body)
        dist = doc['versions']['1.0.0']['dist']
        self.assertEqual(dist['tarball'], self.url + 'fp-small/-/fp-small-1.0.0.tgz')
        self.assertEqual(dist['integrity'], self.small.integrity)
        status, _, tgz = get(dist['tarball'])
        self.assertEqual((status, tgz), (200, self.small.tarball))

        doc = json.loads(get(self.url + quote_name('@corp/fp'))[2])
        tarball = doc['versions']['1.0.0']['dist']['tarball']
        self.assertEqual(tarball, self.url + '@corp/fp/-/fp-1.0.0.tgz')
        self.assertEqual(sri512(get(tarball)[2]), self.scoped.integrity)
        # the abbreviated document (application/vnd.npm.install-v1+json) is rewritten too
        status, headers, body = get(self.url + 'fp-small',
                                    {'Accept': 'application/vnd.npm.install-v1+json'})
        self.assertIn('install-v1+json', headers['Content-Type'])
        self.assertIn((self.url + 'fp-small/-/').encode(), body)

        self.assertEqual(self.proxy.requests[:2], [('GET', '/fp-small'), ('GET', '/fp-small/-/fp-small-1.0.0.tgz')])
        self.assertEqual(self.proxy.count('/fp-small'), 3)
        self.assertEqual(self.proxy.count(re.compile(r'\.tgz$')), 2)
        self.assertEqual(self.proxy.count('@corp', method='GET'), 2)
        self.assertEqual(self.proxy.count('@corp', method='PUT'), 0)
        # upstream errors pass through unchanged
        status, _, body = get(self.url + 'fp-missing')
        self.assertEqual((status, json.loads(body)), (404, {'error': 'no such package available'}))

    def test_keep_alive_and_head(self):
        before = self.proxy.connections
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=10)
        try:
            for path in ('/fp-small', BIG_TGZ, '/fp-missing', '/fp-small/-/fp-small-1.0.0.tgz'):
                conn.request('GET', path)
                r = conn.getresponse()
                body = r.read()
                self.assertEqual(int(r.getheader('Content-Length')), len(body))
                self.assertFalse(r.will_close)
            self.assertEqual(body, self.small.tarball)
            conn.request('HEAD', BIG_TGZ)
            r = conn.getresponse()
            self.assertEqual((r.status, r.read()), (200, b''))
            self.assertEqual(int(r.getheader('Content-Length')), len(self.big.tarball))
            conn.request('GET', '/fp-small')
            self.assertEqual(conn.getresponse().read(), get(self.url + 'fp-small')[2])
        finally:
            conn.close()
        self.assertEqual(self.proxy.connections - before, 2)   # ours, then get()'s own
        self.assertEqual(self.proxy.count('HEAD'), 0)
        self.assertIn(('HEAD', BIG_TGZ), self.proxy.requests)

    def test_request_bodies_are_forwarded(self):
        tgz = build_tarball('fp-via-proxy', '1.0.0')
        doc = publish_doc('fp-via-proxy', '1.0.0', tgz, registry=self.url)
        req = urllib.request.Request(self.url + 'fp-via-proxy', data=json.dumps(doc).encode(), method='PUT',
                                     headers={'Content-Type': 'application/json',
                                              'Authorization': 'Bearer ' + self.up.token})
        with OPENER.open(req, timeout=15) as r:
            self.assertEqual(r.status, 201)
        self.assertEqual(self.up.tarball('fp-via-proxy', '1.0.0'), tgz)
        self.assertEqual(self.proxy.requests, [('PUT', '/fp-via-proxy')])

    def test_gzip_json(self):
        self.proxy.gzip_json = True
        status, headers, body = get(self.url + quote_name('@corp/fp'), {'Accept-Encoding': 'gzip'})
        self.assertEqual((status, headers['Content-Encoding']), (200, 'gzip'))
        self.assertEqual(int(headers['Content-Length']), len(body))
        doc = json.loads(gzip.decompress(body))
        self.assertTrue(doc['versions']['1.0.0']['dist']['tarball'].startswith(self.url))
        status, headers, body = get(self.url + quote_name('@corp/fp'))       # no Accept-Encoding
        self.assertIsNone(headers['Content-Encoding'])
        self.assertEqual(json.loads(body)['name'], '@corp/fp')
        status, headers, body = get(self.url + BIG_TGZ[1:], {'Accept-Encoding': 'gzip'})
        self.assertIsNone(headers['Content-Encoding'])                       # tarballs as they are
        self.assertEqual(body, self.big.tarball)

    def test_upstream_down_gives_502_and_comes_back(self):
        self.up.stop()
        try:
            status, headers, body = get(self.url + 'fp-small')
            self.assertEqual(status, 502)
            self.assertIn('unreachable', json.loads(body)['error'])
        finally:
            self.up.start()
        self.assertEqual(get(self.url + 'fp-small')[0], 200)

    # ------------------------------------------------------------------ faults
    def test_delay(self):
        fault = self.proxy.delay(1.0, path='/fp-small', times=1)
        t0 = time.monotonic()
        self.assertEqual(get(self.url + 'fp-small')[0], 200)
        self.assertGreaterEqual(time.monotonic() - t0, 1.0)
        t0 = time.monotonic()
        self.assertEqual(get(self.url + 'fp-small')[0], 200)
        self.assertLess(time.monotonic() - t0, 0.9)
        self.assertEqual((fault.hits, fault.remaining), (1, 0))

    def test_status_limited_times_and_keep_alive_after_it(self):
        fault = self.proxy.status(500, path=re.compile(r'\.tgz$'), times=2)
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=10)
        try:
            seen = []
            for _ in range(3):
                conn.request('GET', BIG_TGZ)
                r = conn.getresponse()
                body = r.read()
                seen.append(r.status)
            self.assertEqual(seen, [500, 500, 200])
            self.assertEqual(body, self.big.tarball)
            conn.request('GET', '/fp-small')        # not a .tgz: never faulted
            self.assertEqual(conn.getresponse().status, 200)
        finally:
            conn.close()
        self.assertEqual(fault.hits, 2)
        self.assertEqual(self.proxy.count(BIG_TGZ), 3)

    def test_status_everywhere_with_headers_is_not_forwarded(self):
        self.proxy.status(503, headers={'Retry-After': '2'})
        status, headers, body = get(self.url + 'fp-never-forwarded')
        self.assertEqual((status, headers['Retry-After']), (503, '2'))
        self.assertEqual(json.loads(body), {'error': 'fault proxy: injected 503'})
        self.assertEqual(get(self.url + BIG_TGZ[1:])[0], 503)
        self.proxy.clear()
        self.assertEqual(get(self.url + BIG_TGZ[1:])[0], 200)
        time.sleep(0.3)     # Verdaccio's log is written asynchronously
        with open(self.up.log_path) as f:
            self.assertNotIn('fp-never-forwarded', f.read())

    def test_first_matching_fault_wins_and_method_filter(self):
        specific = self.proxy.status(404, path='fp-small', times=1)
        self.proxy.status(429, method='HEAD')
        everything = self.proxy.status(500, method='GET')
        self.assertEqual(get(self.url + 'fp-small')[0], 404)
        self.assertEqual(get(self.url + 'fp-small')[0], 500)     # `specific` is used up
        status, _, _, _, _, _ = raw_get(self.port, '/fp-small', method=b'HEAD',
                                        extra=b'Connection: close\r\n')
        self.assertEqual(status, 429)
        self.proxy.remove(everything)
        self.assertEqual(get(self.url + 'fp-small')[0], 200)
        self.assertEqual((specific.hits, everything.hits), (1, 1))

    def test_reset_mid_body(self):
        self.proxy.reset_mid_body(1000, path=BIG_TGZ, times=1)
        status, headers, body, error, _, _ = raw_get(self.port, BIG_TGZ)
        self.assertEqual(status, 200)
        self.assertEqual(int(headers['content-length']), len(self.big.tarball))
        self.assertEqual(body, self.big.tarball[:1000])
        self.assertIsInstance(error, ConnectionResetError)
        # urllib notices too; the fault is used up afterwards
        self.proxy.reset_mid_body(path=BIG_TGZ, times=1)        # default: half the body
        with self.assertRaises((http.client.IncompleteRead, ConnectionResetError)):
            get(self.url + BIG_TGZ[1:])
        self.assertEqual(get(self.url + BIG_TGZ[1:])[2], self.big.tarball)

    def test_truncate(self):
        self.proxy.truncate(1000, path=BIG_TGZ, times=1)
        status, headers, body, error, _, _ = raw_get(self.port, BIG_TGZ)
        self.assertIsNone(error)                                   # a clean EOF, not a reset
        self.assertEqual(int(headers['content-length']), len(self.big.tarball))
        self.assertEqual(body, self.big.tarball[:1000])
        # after_bytes larger than the body still cuts it (one byte short)
        self.proxy.truncate(10 ** 9, path='/fp-small', times=1)
        status, headers, body, error, _, _ = raw_get(self.port, '/fp-small')
        self.assertEqual(len(body), int(headers['content-length']) - 1)
        self.proxy.truncate(path='/fp-small', times=1)
        with self.assertRaises(http.client.IncompleteRead):
            get(self.url + 'fp-small')

    def test_corrupt(self):
        self.proxy.corrupt(path=BIG_TGZ, times=1)
        status, headers, body = get(self.url + BIG_TGZ[1:])
        self.assertEqual((status, len(body)), (200, len(self.big.tarball)))
        self.assertNotEqual(sri512(body), self.big.integrity)
        diff = [i for i in range(len(body)) if body[i] != self.big.tarball[i]]
        self.assertEqual(diff, [len(body) // 2])
        self.proxy.corrupt(at=0, nbytes=4, path='/fp-small/-/', times=1)
        body = get(self.url + 'fp-small/-/fp-small-1.0.0.tgz')[2]
        self.assertEqual(bytes(b ^ 0xFF for b in body[:4]), self.small.tarball[:4])
        self.assertEqual(body[4:], self.small.tarball[4:])
        self.assertEqual(get(self.url + BIG_TGZ[1:])[2], self.big.tarball)

    def test_stall_mid_body(self):
        self.proxy.stall_mid_body(50000, 1.5, path=BIG_TGZ, times=1)
        status, headers, body, error, first, total = raw_get(self.port, BIG_TGZ,
                                                             extra=b'Connection: close\r\n')
        self.assertIsNone(error)
        self.assertEqual(body, self.big.tarball)                   # complete after the pause
        self.assertLess(first, 1.0)
        self.assertGreaterEqual(total, 1.5)
        # a client with a shorter read timeout gives up in the middle of the body
        self.proxy.stall_mid_body(50000, 3, path=BIG_TGZ, times=1)
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=0.5)
        try:
            conn.request('GET', BIG_TGZ)
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            with self.assertRaises(socket.timeout):
                r.read()
        finally:
            conn.close()

    def test_drop(self):
        self.proxy.drop(path='/fp-small', times=1)
        status, _, body, error, _, _ = raw_get(self.port, '/fp-small')
        self.assertEqual((status, body, error), (None, b'', None))     # EOF, no answer
        self.proxy.drop(path='/fp-small', times=1)
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=10)
        try:
            conn.request('GET', '/fp-small')
            with self.assertRaises(http.client.RemoteDisconnected):
                conn.getresponse()
        finally:
            conn.close()
        self.proxy.drop(reset=True, path='/fp-small', times=1)
        status, _, body, error, _, _ = raw_get(self.port, '/fp-small')
        self.assertEqual((status, body), (None, b''))
        self.assertIsInstance(error, ConnectionResetError)
        self.assertEqual(get(self.url + 'fp-small')[0], 200)
        self.assertEqual(self.proxy.count('/fp-small'), 4)

    def test_close_ends_a_stall(self):
        with FaultProxy(self.up.url) as proxy:
            proxy.stall_mid_body(1000, 60, path=BIG_TGZ)
            result = {}

            def client():
                result['r'] = raw_get(proxy.port, BIG_TGZ, timeout=30)
            t = threading.Thread(target=client)
            t.start()
            deadline = time.monotonic() + 5
            while proxy.count(BIG_TGZ) == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
        t0 = time.monotonic()
        t.join(10)
        self.assertLess(time.monotonic() - t0, 5)
        status, _, body, _, _, total = result['r']
        self.assertEqual((status, body), (200, self.big.tarball[:1000]))
        self.assertLess(total, 10)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(('127.0.0.1', proxy.port), timeout=2).close()


if __name__ == '__main__':
    main()
