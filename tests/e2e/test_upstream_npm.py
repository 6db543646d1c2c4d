"""Pull-through caching with npm (issue C): a real third-party registry (Verdaccio, no uplinks) is
the upstream of the external connection `public:npmjs`, reached through a fault-injecting proxy.

Chains: app -> store -> public:npmjs, and team -> app -> store (three levels). npm installs
through `app` and `team` pull dependencies transitively; the AWS CLI sees what was retained and
with which origin; the cache keeps builds working when the upstream is down, fails fast for what
was never fetched, picks up new upstream versions after the TTL, feeds concurrent misses from one
upstream request, and stores nothing that failed verification.
"""

import concurrent.futures
import hashlib
import json
import http.client
import os
import tempfile
import time
import urllib.request

from arca_harness import ArcaServer, ArcaTestCase, arca_cli, main
from fault_proxy import proxied
from npm_util import (blob_hashes, corrupt_blobs, create_pull_chain, Http, node_require,
                      npm_versions, NpmLogin, require_npm, SkipsPerTest, write_consumer)
from verdaccio_upstream import VerdaccioUpstream, tarball_path

DOMAIN = 'pull'


class Answer:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        return self.headers.get(name.lower())

TTL = 2  # seconds: metadata and negative TTL of the connection in this test


def config_for(url):
    return ('[external_connections]\n"public:npmjs" = "%s"\n'
            '[external_connection_settings."public:npmjs"]\n'
            'metadata_ttl = "%ds"\nnegative_ttl = "%ds"\ntimeout = "2s"\n') % (url, TTL, TTL)


class UpstreamNpmTest(SkipsPerTest, ArcaTestCase):
    @classmethod
    def setUpFixture(cls):
        require_npm()
        cls.up, cls.proxy = proxied(cls, VerdaccioUpstream('pull-upstream'))
        cls.proxy.gzip_json = True  # packuments gzipped to a client that accepts it, as registries do
        cls.published = {}
        for name, version, deps in (('up-leaf', '1.0.0', None), ('up-leaf', '1.1.0', None),
                                    ('up-mid', '1.0.0', {'up-leaf': '^1.0.0'}),
                                    ('@pub/scoped', '2.0.0', {'up-mid': '1.0.0'})):
            cls.published[(name, version)] = cls.up.publish(name, version, dependencies=deps)
        cls.server = ArcaServer('pull', config=config_for(cls.proxy.url))
        cls.addClassCleanup(cls.server.close)
        cls.server.start()
        cls.ca = cls.server.client()
        cls.ca.create_domain(domain=DOMAIN)
        create_pull_chain(cls.ca, DOMAIN, 'store', 'app', 'team')
        cls.app = NpmLogin(cls.server, DOMAIN, 'app', cls.server.workdir)
        cls.team = NpmLogin(cls.server, DOMAIN, 'team', cls.server.workdir)
        cls.app_http = Http(cls.server.url + cls.app.path, cls.app.token)

    # ------------------------------------------------------------------ helpers
    def install(self, login, deps, check=True):
        d = login.fresh_dir('consumer-')
        write_consumer(d, deps)
        p = login.npm('install', '--no-package-lock', cwd=d, cache=login.fresh_dir('cache-'),
                      check=check, timeout=90)
        return d, p

    def versions(self, repo, name):
        return npm_versions(self.ca, DOMAIN, repo, name)

    def get(self, http, rel, timeout=60):
        status, headers, body = http.request('GET', rel, timeout=timeout)
        return Answer(status, {k.lower(): v for k, v in headers.items()}, body)

    def assert_single_flight(self, fetch, n, tgz, tarball):
        """n concurrent fetch(i) each get the whole tarball, and the upstream saw one GET of it."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
            answers = list(pool.map(fetch, range(n)))
        self.assertEqual(self.proxy.count(tgz), 1, self.proxy.requests)
        for a in answers:
            self.assertEqual(a.status, 200)
            self.assertEqual(a.body, tarball)

    def assert_all_blobs_intact(self):
        self.assertEqual(corrupt_blobs(self.server.data_dir), [])

    # ------------------------------------------------------------------ tests
    def test_a_hanging_upstream_costs_one_timeout_not_one_per_package(self):
        names = ['up-hang%d' % i for i in range(6)]
        for name in names:
            self.up.publish(name, '1.0.0')
            self.assertEqual(self.get(self.app_http, name).status, 200)
        time.sleep(TTL + 0.5)  # past the TTL: every lookup would ask the upstream again
        hang = self.proxy.delay(10)  # every request waits past Arca's 2 s timeout
        try:
            with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
                first = list(pool.map(lambda n: self.get(self.app_http, n), names[:5]))
            for a in first:  # each timed out upstream: the cached document, STALE
                self.assertEqual((a.status, a.header('X-Arca-Cache')), (200, 'STALE'))
            # The connection is down now: nothing else is asked for until its backoff ends.
            self.proxy.clear_log()
            start = time.monotonic()
            stale = self.get(self.app_http, names[5])
            never = self.get(self.app_http, 'up-hang-never-fetched')
            self.assertLess(time.monotonic() - start, 1.5)
            self.assertEqual((stale.status, stale.header('X-Arca-Cache')), (200, 'STALE'))
            self.assertEqual(never.status, 404)
            self.assertIn(b'not answering', never.body)
            self.assertEqual(self.proxy.requests, [])
            metrics = self.server.http('GET', '/metrics').body.decode()
            self.assertRegex(metrics, r'arca_upstream_errors_total\{connection="public:npmjs",'
                                      r'kind="circuit_open"\} [1-9]')
            self.assertIn('arca_upstream_circuit_open{connection="public:npmjs"} 1', metrics)
        finally:
            self.proxy.remove(hang)
        self.up.publish('up-hang-after', '1.0.0')
        time.sleep(TTL + 0.5)  # the backoff (at most the TTL) is over: the next request asks
        after = self.get(self.app_http, 'up-hang-after')
        self.assertEqual((after.status, after.header('X-Arca-Cache')), (200, 'MISS'))
        self.assertIn('arca_upstream_circuit_open{connection="public:npmjs"} 0',
                      self.server.http('GET', '/metrics').body.decode())

    def test_dist_tag_ls_of_an_upstream_package(self):
        # The tags the packument shows, merged along the chain: here only the upstream has them.
        self.up.publish('up-tagged', '1.0.0')
        self.up.publish('up-tagged', '2.0.0-beta.1', dist_tags=['next'])
        p = self.team.npm('dist-tag', 'ls', 'up-tagged')
        self.assertEqual(sorted(p.stdout.split('\n')[:-1]),
                         ['latest: 1.0.0', 'next: 2.0.0-beta.1'], p.stdout)
        self.assertEqual(self.versions('team', 'up-tagged'), {})  # listing retains nothing

    def test_install_pulls_dependencies_through_the_chain(self):
        d, _ = self.install(self.app, {'@pub/scoped': '2.0.0'})
        out = node_require(d, self.app.env, 'up-leaf', 'up-mid', '@pub/scoped')
        self.assertEqual(out, ['up-leaf@1.1.0', 'up-mid@1.0.0', '@pub/scoped@2.0.0'])
        for repo in ('app', 'store'):
            for name, version in (('up-leaf', '1.1.0'), ('up-mid', '1.0.0'), ('@pub/scoped', '2.0.0')):
                v = self.versions(repo, name).get(version)
                self.assertIsNotNone(v, '%s@%s not retained in %s' % (name, version, repo))
                self.assertEqual(v['origin']['originType'], 'EXTERNAL')
                self.assertEqual(v['origin']['domainEntryPoint'],
                                 {'externalConnectionName': 'public:npmjs'})
        # Only what was installed is retained in app (1.0.0 of up-leaf was merely listed).
        self.assertNotIn('1.0.0', self.versions('app', 'up-leaf'))
        pkg = self.ca.describe_package(domain=DOMAIN, repository='app', format='npm',
                                       package='up-mid')['package']
        self.assertEqual(pkg['originConfiguration']['restrictions'],
                         {'publish': 'BLOCK', 'upstream': 'ALLOW'})
        self.assert_all_blobs_intact()

    def test_three_level_chain(self):
        d, _ = self.install(self.team, {'up-leaf': '1.0.0'})
        node_require(d, self.team.env, 'up-leaf')
        self.assertIn('1.0.0', self.versions('team', 'up-leaf'))
        self.assertIn('1.0.0', self.versions('store', 'up-leaf'))
        # Intermediate repositories do not retain (§5.3).
        self.assertNotIn('1.0.0', self.versions('app', 'up-leaf'))

    def test_cache_header_and_metrics(self):
        self.up.publish('up-headers', '1.0.0')
        r1 = self.get(self.app_http, 'up-headers')
        self.assertEqual(r1.status, 200, r1.body)
        self.assertEqual(r1.header('X-Arca-Cache'), 'MISS')
        r2 = self.get(self.app_http, 'up-headers')
        self.assertEqual(r2.header('X-Arca-Cache'), 'HIT')
        t1 = self.get(self.app_http, 'up-headers/-/up-headers-1.0.0.tgz')
        self.assertEqual(t1.status, 200)
        self.assertEqual(t1.header('X-Arca-Cache'), 'MISS')
        t2 = self.get(self.app_http, 'up-headers/-/up-headers-1.0.0.tgz')
        self.assertEqual(t2.header('X-Arca-Cache'), 'HIT')
        self.assertEqual(t1.body, t2.body)
        self.assertEqual(t1.body, self.up.tarball('up-headers', '1.0.0'))
        with urllib.request.urlopen(self.server.url + '/metrics', timeout=10) as r:
            text = r.read().decode()
        self.assertIn('arca_cache_requests_total{repository="pull/app",result="miss"}', text)
        self.assertIn('arca_upstream_requests_total{connection="public:npmjs",class="2xx"}', text)
        self.assertIn('arca_upstream_first_byte_seconds_bucket{connection="public:npmjs"', text)

    def test_new_upstream_version_appears_after_the_ttl(self):
        self.up.publish('up-ttl', '1.0.0')
        first = self.get(self.app_http, 'up-ttl')
        self.assertEqual(first.status, 200, first.body)
        self.up.publish('up-ttl', '1.1.0')
        cached = self.get(self.app_http, 'up-ttl')
        self.assertEqual(cached.header('X-Arca-Cache'), 'HIT')
        self.assertNotIn(b'"1.1.0"', cached.body)  # still within the TTL
        time.sleep(TTL + 0.5)
        fresh = self.get(self.app_http, 'up-ttl')
        self.assertIn(b'"1.1.0"', fresh.body)

    def test_single_flight_for_concurrent_misses(self):
        payload = os.urandom(1 << 20).hex()  # ~2 MiB of text, ~1 MiB gzipped
        pub = self.up.publish('up-big', '1.0.0', files={'blob.txt': payload})
        self.assertEqual(self.get(self.app_http, 'up-big').status, 200)
        tgz = tarball_path('up-big', '1.0.0')
        self.proxy.clear_log()
        self.proxy.delay(1.0, path=tgz, times=1)  # keep the transfer open while requests pile up

        def fetch(_):
            return self.get(self.app_http, 'up-big/-/up-big-1.0.0.tgz', timeout=120)

        self.assert_single_flight(fetch, 100, tgz, pub.tarball)
        self.assertIn(hashlib.sha256(pub.tarball).hexdigest(), blob_hashes(self.server.data_dir))

    def test_single_flight_across_repositories(self):
        # team -> app -> store: misses of one tarball from both calling repositories at once share
        # one upstream GET, and each repository retains the version (reference §5.3).
        pub = self.up.publish('up-shared', '1.0.0', files={'blob.txt': os.urandom(1 << 18).hex()})
        team_http = Http(self.server.url + self.team.path, self.team.token)
        for http in (self.app_http, team_http):
            self.assertEqual(self.get(http, 'up-shared').status, 200)
        tgz = tarball_path('up-shared', '1.0.0')
        self.proxy.clear_log()
        self.proxy.delay(1.0, path=tgz, times=1)

        def fetch(i):
            http = (self.app_http, team_http)[i % 2]
            return self.get(http, 'up-shared/-/up-shared-1.0.0.tgz', timeout=120)

        self.assert_single_flight(fetch, 20, tgz, pub.tarball)
        for repo in ('team', 'app', 'store'):
            v = self.versions(repo, 'up-shared').get('1.0.0')
            self.assertIsNotNone(v, 'up-shared@1.0.0 not retained in %s' % repo)
            self.assertEqual(v['origin']['originType'], 'EXTERNAL')

    def test_packuments_come_compressed_and_a_bad_one_is_never_stored(self):
        self.up.publish('up-gz', '1.0.0')
        before = self.proxy.gzipped
        first = self.get(self.app_http, 'up-gz')
        self.assertEqual(first.status, 200, first.body)
        self.assertGreater(self.proxy.gzipped, before)  # Arca asked for gzip, and read it
        self.assertEqual(set(json.loads(first.body)['versions']), {'1.0.0'})
        # After the TTL the packument changed upstream, but comes corrupt (gzip bytes flipped),
        # then cut short: the document held is served STALE each time, nothing bad is stored.
        self.up.publish('up-gz', '1.1.0')
        time.sleep(TTL + 0.5)
        for inject in (lambda: self.proxy.corrupt(path='/up-gz', times=1),
                       lambda: self.proxy.truncate(path='/up-gz', times=1)):
            inject()
            stale = self.get(self.app_http, 'up-gz')
            self.assertEqual(stale.status, 200, stale.body)
            self.assertEqual(stale.header('X-Arca-Cache'), 'STALE')
            self.assertEqual(set(json.loads(stale.body)['versions']), {'1.0.0'})
            time.sleep(TTL + 0.5)  # past the failure back-off (at most the TTL)
        fresh = self.get(self.app_http, 'up-gz')
        self.assertEqual(fresh.header('X-Arca-Cache'), 'MISS', (fresh.body[:300], self.proxy.requests[-6:]))
        self.assertEqual(set(json.loads(fresh.body)['versions']), {'1.0.0', '1.1.0'})
        # A package never fetched whose packument comes corrupt: a clear error, then it works.
        self.up.publish('up-gz-new', '1.0.0')
        self.proxy.corrupt(path='/up-gz-new', times=1)
        bad = self.get(self.app_http, 'up-gz-new')
        # npm's fail-fast answer when the upstream could not be used (a 5xx is retried for
        # minutes), saying why; not a 4xx that blames the request
        self.assertEqual(bad.status, 404, bad.body)
        self.assertIn(b'could not be asked', bad.body)
        self.assertRegex(bad.body, rb'gzip body is (corrupt|cut short)')  # where the flip fell
        time.sleep(TTL + 0.5)
        good = self.get(self.app_http, 'up-gz-new')
        self.assertEqual(good.status, 200, good.body)

    def test_faults_never_store_a_corrupt_blob(self):
        cases = (('up-reset', lambda p: self.proxy.reset_mid_body(path=p, times=1)),
                 ('up-trunc', lambda p: self.proxy.truncate(path=p, times=1)),
                 ('up-corrupt', lambda p: self.proxy.corrupt(path=p, times=1)),
                 ('up-500', lambda p: self.proxy.status(500, path=p, times=3)))
        for name, inject in cases:
            with self.subTest(name):
                pub = self.up.publish(name, '1.0.0', files={'data.txt': os.urandom(40000).hex()})
                self.assertEqual(self.get(self.app_http, name).status, 200)
                inject(tarball_path(name, '1.0.0'))
                rel = '%s/-/%s-1.0.0.tgz' % (name, name)
                try:
                    bad = self.get(self.app_http, rel)
                    self.assertNotEqual((bad.status, bad.body), (200, pub.tarball))
                except (OSError, http.client.HTTPException):
                    pass  # the connection was cut mid-body: the client cannot take it for whole
                key = hashlib.sha256(pub.tarball).hexdigest()
                self.assertNotIn('1.0.0', self.versions('app', name))
                self.assertNotIn(key, blob_hashes(self.server.data_dir))
                good = self.get(self.app_http, rel)  # the fault is used up: now it comes through
                self.assertEqual(good.status, 200)
                self.assertEqual(good.body, pub.tarball)
        self.assert_all_blobs_intact()

    def test_upstream_outage(self):
        self.install(self.app, {'up-mid': '1.0.0'})  # cached: up-mid and up-leaf
        self.up.stop()
        try:
            time.sleep(TTL + 0.5)  # the cached metadata is now past its TTL
            d, _ = self.install(self.app, {'up-mid': '1.0.0'})  # fresh npm cache
            self.assertEqual(node_require(d, self.app.env, 'up-mid'), ['up-mid@1.0.0'])
            stale = self.get(self.app_http, 'up-mid')
            self.assertEqual(stale.status, 200)
            self.assertEqual(stale.header('X-Arca-Cache'), 'STALE')
            start = time.monotonic()
            _, p = self.install(self.app, {'up-never-fetched': '1.0.0'}, check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertLess(time.monotonic() - start, 20)
            self.assertIn('up-never-fetched', p.stdout + p.stderr)
            self.assertIn('upstream', p.stdout + p.stderr)
        finally:
            self.up.start()


class OfflineConnectionTest(SkipsPerTest, ArcaTestCase):
    """What was fetched survives a restart; with `offline = true` only the cache answers."""

    @classmethod
    def setUpFixture(cls):
        require_npm()
        cls.up, cls.proxy = proxied(cls, VerdaccioUpstream('offline-upstream'))
        cls.up.publish('off-pkg', '1.0.0')
        cls.up.publish('off-other', '1.0.0')
        cls.online = ArcaServer('offline-1', config=config_for(cls.proxy.url))
        cls.addClassCleanup(cls.online.close)
        cls.online.start()
        ca = cls.online.client()
        ca.create_domain(domain=DOMAIN)
        create_pull_chain(ca, DOMAIN, 'store', 'app')

    def install(self, login, deps, check=True):
        d = login.fresh_dir('consumer-')
        write_consumer(d, deps)
        return d, login.npm('install', '--no-package-lock', cwd=d, cache=login.fresh_dir('cache-'),
                            check=check, timeout=90)

    def test_offline_serves_only_the_cache(self):
        login = NpmLogin(self.online, DOMAIN, 'app', self.online.workdir)
        self.install(login, {'off-pkg': '1.0.0'})
        stats = arca_cli('cache', 'stats', '--server', self.online.url, '--domain', DOMAIN,
                         '--repository', 'app').stdout
        self.assertIn('repository pull/app:', stats)
        self.assertIn('arca_cache_requests_total{repository="pull/app",result="miss"}', stats)
        self.assertIn('connection="public:npmjs"', stats)
        self.online.stop()

        offline = ArcaServer('offline-2', data_dir=self.online.data_dir,
                             config=config_for(self.proxy.url) + 'offline = true\n')
        self.addCleanup(offline.close)
        offline.start()
        self.proxy.clear_log()
        login = NpmLogin(offline, DOMAIN, 'app', offline.workdir)
        time.sleep(TTL + 0.5)  # what was cached is past its TTL: offline serves it anyway
        d, _ = self.install(login, {'off-pkg': '1.0.0'})
        self.assertEqual(node_require(d, login.env, 'off-pkg'), ['off-pkg@1.0.0'])
        start = time.monotonic()
        _, p = self.install(login, {'off-other': '1.0.0'}, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertLess(time.monotonic() - start, 20)
        self.assertIn('offline', p.stdout + p.stderr)
        self.assertEqual(self.proxy.requests, [], 'an offline connection made upstream requests')


if __name__ == '__main__':
    main()
