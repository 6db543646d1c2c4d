"""Self-test of verdaccio_upstream.VerdaccioUpstream, the npm upstream of the pull-through tests:
packages published over Verdaccio's HTTP API (plain and scoped, with files, dependencies and
dist-tags) come back as packuments and tarballs with the promised integrity, anonymously, from a
Verdaccio that has no uplinks; stop() makes the port refuse connections and start() brings the
same data back on the same URL. Talks to Verdaccio directly with urllib.
"""

import hashlib
import io
import json
import os
import tarfile
import unittest
import urllib.error
import urllib.request

from arca_harness import main
from npm_util import SkipsPerTest, quote_name, sri512
from verdaccio_upstream import VerdaccioUpstream, tarball_path

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(url, headers=None, timeout=15):
    """(status, headers, body) of an anonymous GET; HTTP errors are returned, not raised."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with OPENER.open(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def tar_members(tgz):
    with tarfile.open(fileobj=io.BytesIO(tgz), mode='r:gz') as tf:
        return {m.name: tf.extractfile(m).read() for m in tf.getmembers()}


class VerdaccioUpstreamTest(SkipsPerTest, unittest.TestCase):
    @classmethod
    def setUpFixture(cls):
        cls.up = VerdaccioUpstream('verdaccio-selftest')
        cls.addClassCleanup(cls.up.close)
        cls.up.start()
        cls.plain = cls.up.publish('vu-plain', '1.0.0', files={'README.md': '# vu-plain\n',
                                                              'lib/data.bin': os.urandom(4096)},
                                   dependencies={'@corp/x': '^1.0.0'})
        cls.scoped1 = cls.up.publish('@corp/x', '1.0.0')
        cls.scoped2 = cls.up.publish('@corp/x', '1.1.0-beta.1', dist_tags=['next'])

    def check_version(self, doc, pub):
        v = doc['versions'][pub.version]
        self.assertEqual(v['name'], pub.name)
        self.assertEqual(v['dist']['integrity'], pub.integrity)
        self.assertEqual(v['dist']['shasum'], pub.shasum)
        self.assertEqual(v['dist']['tarball'], pub.tarball_url)
        status, headers, body = get(v['dist']['tarball'])
        self.assertEqual(status, 200)
        self.assertEqual(body, pub.tarball)
        self.assertEqual(sri512(body), pub.integrity)
        self.assertEqual(hashlib.sha1(body).hexdigest(), pub.shasum)
        self.assertEqual(int(headers['Content-Length']), len(body))

    def test_plain_package_round_trip(self):
        pub = self.plain
        self.assertEqual(pub.integrity, sri512(pub.tarball))
        self.assertEqual(pub.tarball_url, self.up.url + 'vu-plain/-/vu-plain-1.0.0.tgz')
        status, headers, body = get(self.up.url + 'vu-plain', {'Accept': 'application/json'})
        self.assertEqual(status, 200, body)
        self.assertIn('application/json', headers['Content-Type'])
        doc = json.loads(body)
        self.assertEqual(doc, self.up.packument('vu-plain'))
        self.assertEqual(doc['name'], 'vu-plain')
        self.assertEqual(doc['dist-tags'], {'latest': '1.0.0'})
        self.assertEqual(doc['versions']['1.0.0']['dependencies'], {'@corp/x': '^1.0.0'})
        self.check_version(doc, pub)
        files = tar_members(pub.tarball)
        self.assertEqual(sorted(files), ['package/README.md', 'package/index.js',
                                         'package/lib/data.bin', 'package/package.json'])
        pj = json.loads(files['package/package.json'])
        self.assertEqual((pj['name'], pj['version'], pj['dependencies']),
                         ('vu-plain', '1.0.0', {'@corp/x': '^1.0.0'}))

    def test_scoped_package_round_trip(self):
        # the tarball URL keeps the scope's literal slash and names the file after the bare name
        self.assertEqual(self.scoped1.tarball_url, self.up.url + '@corp/x/-/x-1.0.0.tgz')
        status, _, body = get(self.up.url + quote_name('@corp/x'))      # '@corp%2fx', as npm asks
        self.assertEqual(status, 200, body)
        doc = json.loads(body)
        self.assertEqual(doc['dist-tags'], {'latest': '1.0.0', 'next': '1.1.0-beta.1'})
        self.assertEqual(sorted(doc['versions']), ['1.0.0', '1.1.0-beta.1'])
        self.check_version(doc, self.scoped1)
        self.check_version(doc, self.scoped2)
        self.assertEqual(get(self.up.url + '@corp/x')[2], body)          # unencoded slash too
        self.assertEqual(get(self.up.url + '@corp%2fx/-/x-1.0.0.tgz')[2], self.scoped1.tarball)
        self.assertEqual(self.up.tarball('@corp/x', '1.1.0-beta.1'), self.scoped2.tarball)

    def test_abbreviated_packument(self):
        doc = self.up.packument('@corp/x', abbreviated=True)
        self.assertEqual(doc['dist-tags']['next'], '1.1.0-beta.1')
        self.assertEqual(doc['versions']['1.0.0']['dist']['integrity'], self.scoped1.integrity)
        self.assertNotIn('readme', doc)
        status, headers, _ = get(self.up.url + 'vu-plain',
                                 {'Accept': 'application/vnd.npm.install-v1+json'})
        self.assertEqual(status, 200)
        self.assertIn('application/vnd.npm.install-v1+json', headers['Content-Type'])

    def test_dist_tags_and_unpublish(self):
        self.up.publish('vu-tags', '1.0.0')
        self.up.publish('vu-tags', '2.0.0', dist_tags={'latest': '1.0.0', 'beta': '2.0.0'})
        self.assertEqual(self.up.packument('vu-tags')['dist-tags'], {'latest': '1.0.0', 'beta': '2.0.0'})
        self.up.set_dist_tag('vu-tags', 'latest', '2.0.0')
        self.assertEqual(self.up.packument('vu-tags')['dist-tags']['latest'], '2.0.0')
        with self.assertRaisesRegex(AssertionError, '409'):
            self.up.publish('vu-tags', '2.0.0')
        self.up.unpublish('vu-tags')
        self.assertIsNone(self.up.packument('vu-tags'))
        self.assertIsNone(self.up.tarball('vu-tags', '1.0.0'))

    def test_no_uplinks_and_anonymous_reads_only(self):
        # nothing but what was published: a well-known name is simply not there
        status, _, body = get(self.up.url + 'lodash', {'Accept': 'application/json'})
        self.assertEqual((status, json.loads(body)), (404, {'error': 'no such package available'}))
        status, _, body = get(self.up.url + tarball_path('vu-plain', '9.9.9'))
        self.assertEqual(status, 404)
        self.assertIn(b'no such file available', body)
        with open(self.up.config_path) as f:
            self.assertIn('uplinks: {}', f.read())
        # publishing needs the token
        doc = {'name': 'vu-anon', 'versions': {}, 'dist-tags': {}}
        status, _, _ = self.up.request('PUT', 'vu-anon', doc, auth=False)
        self.assertIn(status, (401, 403))
        self.assertTrue(os.path.getsize(self.up.log_path) > 0)

    def test_stop_refuses_connections_and_start_keeps_data(self):
        url = self.up.url
        self.up.stop()
        self.assertFalse(self.up.running())
        with self.assertRaises(urllib.error.URLError) as cm:
            OPENER.open(url + 'vu-plain', timeout=5)
        self.assertIsInstance(cm.exception.reason, ConnectionRefusedError)
        self.up.start()
        self.assertEqual(self.up.url, url)
        self.check_version(self.up.packument('vu-plain'), self.plain)
        self.check_version(self.up.packument('@corp/x'), self.scoped2)
        pub = self.up.publish('vu-after-restart', '1.0.0')      # the refreshed token works
        self.check_version(self.up.packument('vu-after-restart'), pub)


if __name__ == '__main__':
    main()
