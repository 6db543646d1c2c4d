"""Bad npm publish requests, sent raw (urllib, Bearer token) as npm would build them: tarballs that
are not gzip, base64 garbage, integrity/shasum/length mismatches, a body naming another package,
invalid names, large and malformed documents, and 20 concurrent publishes of one version.

After every refused publish: nothing is listed without its asset (boto3) and no blob of the refused
tarball is left in the data dir's blob store unless a stored version references it.
"""

import base64
import concurrent.futures
import hashlib
import json
import os
import threading

from arca_harness import ArcaServer, ArcaTestCase, main
from npm_util import (blob_hashes, error_text, Http, make_tarball, npm_inventory, publish_doc,
                      sha256, SkipsPerTest, sri512)

DOMAIN = 'npm-bad'
REPO = 'bad'
MiB = 1 << 20


class NpmBadInputTest(SkipsPerTest, ArcaTestCase):
    @classmethod
    def setUpFixture(cls):
        cls.server = ArcaServer('npm-bad-input')
        cls.addClassCleanup(cls.server.close)
        cls.server.start()
        cls.ca = cls.server.client()
        cls.ca.create_domain(domain=DOMAIN)
        cls.ca.create_repository(domain=DOMAIN, repository=REPO)
        cls.token = cls.ca.get_authorization_token(domain=DOMAIN)['authorizationToken']
        cls.endpoint = cls.ca.get_repository_endpoint(domain=DOMAIN, repository=REPO,
                                                      format='npm')['repositoryEndpoint']
        cls.http = Http(cls.endpoint, cls.token)

    # ------------------------------------------------------------------ helpers
    def publish(self, name, doc, **kw):
        return self.http.publish(name, doc, **kw)

    def doc(self, name, version='1.0.0', tgz=None, **kw):
        tgz = tgz if tgz is not None else make_tarball(name, version)
        return tgz, publish_doc(name, version, tgz, registry=self.endpoint, **kw)

    def assert_refused(self, name, body, tgz=None, statuses=(400,), contains=None, what=''):
        st, hdrs, resp = self.publish(name, body)
        self.assertIn(st, statuses, '%s: expected %s, got %s %s' % (what or name, statuses, st, resp[:500]))
        msg = error_text(resp)
        self.assertTrue(msg.strip(), '%s: refusal without a message' % what)
        ctype = {k.lower(): v for k, v in hdrs.items()}.get('content-type', '')
        self.assertIn('json', ctype, '%s: error body should be JSON for npm: %r' % (what, resp[:200]))
        self.assertIn('error', json.loads(resp), '%s: npm reads {"error": ...}: %r' % (what, resp[:200]))
        if contains:
            self.assertIn(contains.lower(), msg.lower(), what)
        self.assertEqual(self.server.healthz().status, 200)
        self.assert_store_consistent(rejected=[tgz] if tgz else [], what=what)
        return st, msg

    def assert_store_consistent(self, rejected=(), what='', race_losers=()):
        inv = npm_inventory(self.ca, DOMAIN, REPO)
        referenced = set()
        for key, (status, hashes) in inv.items():
            referenced.update(hashes)
            if status in ('Published', 'Unlisted', 'Archived'):
                self.assertEqual(len(hashes), 1, '%s: %s (%s) is listed with assets %s' % (what, key, status, hashes))
        on_disk = blob_hashes(self.server.data_dir)
        for h in referenced:
            self.assertIn(h, on_disk, '%s: the blob of a stored version is missing: %s' % (what, h))
        for tgz in rejected:
            h = sha256(tgz)
            if h not in referenced:
                self.assertNotIn(h, on_disk, '%s: the refused tarball was left in the blob store (%s)' % (what, h))
        leaked = [sha256(t) for t in race_losers if sha256(t) in on_disk and sha256(t) not in referenced]
        return leaked

    def assert_absent(self, name):
        st, _ = self.http.packument(name)
        self.assertEqual(st, 404, '%s should not exist' % name)

    # ------------------------------------------------------------------ auth
    def test_publish_needs_the_token(self):
        tgz, doc = self.doc('auth-pkg')
        st, hdrs, _ = self.publish('auth-pkg', doc, token=False)
        self.assertEqual(st, 401)
        st, _, _ = self.publish('auth-pkg', doc, headers={'Authorization': 'Bearer not-a-token'})
        self.assertIn(st, (401, 403))
        self.assert_absent('auth-pkg')
        self.assert_store_consistent([tgz], 'unauthenticated publish')

    # ------------------------------------------------------------------ the attachment
    def test_tarball_not_gzip(self):
        data = b'this is not a gzip stream, just text\n' * 50
        tgz, doc = self.doc('bad-nogzip', tgz=data)
        self.assert_refused('bad-nogzip', doc, tgz, what='tarball not gzip')
        self.assert_absent('bad-nogzip')

    def test_base64_garbage(self):
        tgz, doc = self.doc('bad-base64', data='!!!! this is %%% not base64 @@@@' * 10)
        self.assert_refused('bad-base64', doc, tgz, what='base64 garbage')
        tgz, doc = self.doc('bad-base64', data=base64.b64encode(make_tarball('bad-base64', '1.0.0')).decode()[:-3])
        self.assert_refused('bad-base64', doc, tgz, what='truncated base64')
        _, doc = self.doc('bad-base64')
        doc['_attachments']['bad-base64-1.0.0.tgz']['data'] = 12345
        self.assert_refused('bad-base64', doc, what='attachment data not a string')
        self.assert_absent('bad-base64')

    def test_integrity_shasum_length_mismatch(self):
        other = make_tarball('bad-integrity', '9.9.9')
        tgz, doc = self.doc('bad-integrity', integrity=sri512(other))
        self.assert_refused('bad-integrity', doc, tgz, what='integrity mismatch')
        tgz, doc = self.doc('bad-integrity', integrity='sha512-' + 'A' * 86 + '==')
        self.assert_refused('bad-integrity', doc, tgz, what='integrity of zero bytes')
        tgz, doc = self.doc('bad-integrity', shasum=hashlib.sha1(other).hexdigest())
        self.assert_refused('bad-integrity', doc, tgz, what='shasum mismatch')
        tgz, doc = self.doc('bad-integrity')
        doc['_attachments']['bad-integrity-1.0.0.tgz']['length'] = len(tgz) + 1
        self.assert_refused('bad-integrity', doc, tgz, what='length mismatch')
        self.assert_absent('bad-integrity')
        # the same tarball with correct metadata is then accepted
        tgz, doc = self.doc('bad-integrity')
        st, _, body = self.publish('bad-integrity', doc)
        self.assertEqual(st, 201, body)
        self.assert_store_consistent(what='good publish')

    def test_name_in_body_differs_from_url(self):
        tgz, doc = self.doc('bad-name-b')
        self.assert_refused('bad-name-a', doc, tgz, what='body name != URL name')
        tgz, doc = self.doc('bad-name-a', version_name='bad-name-b')
        self.assert_refused('bad-name-a', doc, tgz, what='version manifest name != URL name')
        tgz, doc = self.doc('@corp/one')
        self.assert_refused('@corp/two', doc, tgz, what='scoped body name != URL name')
        self.assert_absent('bad-name-a')
        self.assert_absent('bad-name-b')

    def test_version_document_shape(self):
        tgz, doc = self.doc('bad-shape')
        doc['versions']['1.0.1'] = dict(doc['versions']['1.0.0'], version='1.0.1')
        self.assert_refused('bad-shape', doc, tgz, what='two versions in one publish')
        tgz, doc = self.doc('bad-shape', version='not-semver')
        self.assert_refused('bad-shape', doc, tgz, what='version is not SemVer')
        tgz, doc = self.doc('bad-shape')
        doc['_attachments']['second-1.0.0.tgz'] = dict(doc['_attachments']['bad-shape-1.0.0.tgz'])
        self.assert_refused('bad-shape', doc, tgz, what='two attachments')
        self.assert_refused('bad-shape', b'[1, 2, 3]', what='document is not an object')
        self.assert_refused('bad-shape', b'', what='empty body')
        self.assert_absent('bad-shape')

    def test_invalid_names(self):
        cases = [('UpperCase', 'upper case'), ('x' * 215, 'longer than 214'), ('.leading-dot', 'leading dot'),
                 ('_leading-underscore', 'leading underscore'), ('@Corp/lib', 'upper-case scope'),
                 ('has space', 'space'), ('@corp/.dot', 'scoped leading dot')]
        for name, what in cases:
            tgz, doc = self.doc(name)
            self.assert_refused(name, doc, tgz, statuses=(400,), what='invalid name: ' + what)
        # the longest valid name is fine
        name = 'n' * 214
        tgz, doc = self.doc(name)
        st, _, body = self.publish(name, doc)
        self.assertEqual(st, 201, body[:300])
        self.assertEqual(self.http.packument(name)[1]['name'], name)

    # ------------------------------------------------------------------ size
    def test_large_readme_is_fine(self):
        readme = ('# big\n' + 'readme line with some text 0123456789\n' * (3 * MiB // 38))[:3 * MiB]
        tgz, doc = self.doc('big-readme', readme=readme)
        st, _, body = self.publish('big-readme', doc, timeout=120)
        self.assertEqual(st, 201, body[:300])
        r = self.ca.get_package_version_readme(domain=DOMAIN, repository=REPO, format='npm', package='big-readme',
                                               packageVersion='1.0.0')
        self.assertEqual(len(r['readme']), len(readme))
        self.assertEqual(r['readme'], readme)
        self.assert_store_consistent(what='3 MiB readme')

    def test_oversized_metadata_refused(self):
        readme = 'x' * (20 * MiB)
        tgz, doc = self.doc('huge-readme', readme=readme)
        self.assert_refused('huge-readme', doc, tgz, statuses=(400, 413), what='20 MiB readme')
        self.assert_absent('huge-readme')

    def test_malformed_huge_json_refused(self):
        name = 'bad-json'
        tgz = make_tarball(name, '1.0.0')
        doc = json.dumps(publish_doc(name, '1.0.0', tgz, registry=self.endpoint, readme='r' * (6 * MiB)))
        cases = [
            (doc[:-100].encode(), 'truncated 6 MiB document'),
            (doc.replace('"versions"', '"versions" "oops"', 1).encode(), '6 MiB document with a syntax error'),
            (b'{"name": "bad-json", "versions": ' + b'[' * 200000, 'nesting 200000 deep'),
            (b'{"name": "bad-json", "readme": "' + b'\xff\xfe' * (2 * MiB) + b'"}', 'invalid UTF-8'),
            (os.urandom(4 * MiB), '4 MiB of random bytes'),
            (b'{"_attachments": {"bad-json-1.0.0.tgz": {"data": "' + b'QUFB' * (2 * MiB), 'unterminated attachment'),
        ]
        for body, what in cases:
            self.assert_refused(name, body, tgz, statuses=(400, 413), what=what)
        self.assert_absent(name)
        # still serving: a good publish goes through
        _, good = self.doc(name)
        st, _, body = self.publish(name, good)
        self.assertEqual(st, 201, body)

    def test_publish_over_existing_version(self):
        name = 'over-pkg'
        tgz, doc = self.doc(name)
        st, _, body = self.publish(name, doc)
        self.assertEqual(st, 201, body)
        other = make_tarball(name, '1.0.0', nonce='other')
        _, doc2 = self.doc(name, tgz=other)
        st, msg = self.assert_refused(name, doc2, other, statuses=(403,), contains='cannot publish over',
                                      what='publish over an existing version')
        # the same bytes again are refused too (npm has exactly one asset per version)
        self.assert_refused(name, doc, statuses=(403,), contains='cannot publish over', what='identical re-publish')
        st, _, body = self.http.request('GET', '%s/-/%s-1.0.0.tgz' % (name, name))
        self.assertEqual((st, body), (200, tgz))

    # ------------------------------------------------------------------ concurrency
    def test_concurrent_publishes_of_one_version(self):
        name = 'race-pkg'
        n = 20
        tarballs = [make_tarball(name, '1.0.0', nonce=i) for i in range(n)]
        bodies = [json.dumps(publish_doc(name, '1.0.0', t, registry=self.endpoint)).encode() for t in tarballs]
        barrier = threading.Barrier(n)

        def go(i):
            barrier.wait(10)
            return self.publish(name, bodies[i], timeout=60)

        with concurrent.futures.ThreadPoolExecutor(n) as ex:
            results = list(ex.map(go, range(n)))
        statuses = [r[0] for r in results]
        winners = [i for i, r in enumerate(results) if r[0] == 201]
        self.assertEqual(len(winners), 1, 'exactly one publish wins: %s' % statuses)
        for i, (st, _, body) in enumerate(results):
            if i in winners:
                continue
            self.assertEqual(st, 403, 'loser %d: %s %s' % (i, st, body[:300]))
            self.assertIn('cannot publish over', error_text(body).lower())
        w = winners[0]
        inv = npm_inventory(self.ca, DOMAIN, REPO)
        self.assertEqual(inv[(None, name, '1.0.0')], ('Published', [sha256(tarballs[w])]))
        st, pk = self.http.packument(name)
        self.assertEqual(pk['versions']['1.0.0']['dist']['integrity'], sri512(tarballs[w]))
        st, _, body = self.http.request('GET', '%s/-/%s-1.0.0.tgz' % (name, name))
        self.assertEqual((st, body), (200, tarballs[w]))
        leaked = self.assert_store_consistent(what='concurrent publishes',
                                              race_losers=[t for i, t in enumerate(tarballs) if i != w])
        # A refused publish reclaims the bytes it committed: no race loser leaves a blob behind.
        self.assertEqual(leaked, [], '%d of %d race losers left an unreferenced tarball blob in data-dir/blobs'
                         % (len(leaked), n - 1))

    def test_concurrent_publishes_of_distinct_versions(self):
        name = '@race/many'
        n = 20
        versions = ['1.0.%d' % i for i in range(n)]
        bodies = {v: json.dumps(publish_doc(name, v, make_tarball(name, v), registry=self.endpoint)).encode()
                  for v in versions}
        barrier = threading.Barrier(n)

        def go(v):
            barrier.wait(10)
            return self.publish(name, bodies[v], timeout=60)

        with concurrent.futures.ThreadPoolExecutor(n) as ex:
            results = list(ex.map(go, versions))
        self.assertEqual([r[0] for r in results], [201] * n, [(r[0], r[2][:200]) for r in results if r[0] != 201])
        st, pk = self.http.packument(name)
        self.assertEqual(st, 200)
        self.assertEqual(sorted(pk['versions']), sorted(versions))
        self.assertIn(pk['dist-tags']['latest'], versions)
        vs = self.ca.list_package_versions(domain=DOMAIN, repository=REPO, format='npm', namespace='race',
                                           package='many', maxResults=100)['versions']
        self.assertEqual(sorted(v['version'] for v in vs), sorted(versions))
        self.assert_store_consistent(what='concurrent distinct versions')


if __name__ == '__main__':
    main()
