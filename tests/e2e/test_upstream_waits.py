"""Answers that wait on an upstream hold none of the server's blocking threads (issue C): with
one blocking thread and an upstream that takes its time over a packument, other requests (the
control plane, a local package, the same slow package from another client) are answered at once,
and the slow packument arrives when the upstream answers. Verdaccio is the upstream, behind a
fault-injecting proxy that delays one package.
"""

import concurrent.futures
import json
import re
import time

from arca_harness import ArcaServer, ArcaTestCase, main
from fault_proxy import proxied
from npm_util import create_pull_chain, Http, NpmLogin, require_npm, SkipsPerTest
from verdaccio_upstream import VerdaccioUpstream

DOMAIN = 'waits'
DELAY = 3.0  # seconds the upstream takes over the slow packument


class UpstreamWaitsTest(SkipsPerTest, ArcaTestCase):
    @classmethod
    def setUpFixture(cls):
        require_npm()
        cls.up, cls.proxy = proxied(cls, VerdaccioUpstream('waits-upstream'))
        cls.published = {name: cls.up.publish(name, '1.0.0')
                         for name in ('slow-pkg', 'quick-pkg', 'tar-first')}
        config = ('[server]\nblocking_threads = 1\n'
                  '[external_connections]\n"public:npmjs" = "%s"\n' % cls.proxy.url)
        cls.server = ArcaServer('waits', config=config)
        cls.addClassCleanup(cls.server.close)
        cls.server.start()
        cls.ca = cls.server.client()
        cls.ca.create_domain(domain=DOMAIN)
        create_pull_chain(cls.ca, DOMAIN, 'store')
        cls.ca.create_repository(domain=DOMAIN, repository='local')
        cls.store = NpmLogin(cls.server, DOMAIN, 'store', cls.server.workdir)
        cls.local = NpmLogin(cls.server, DOMAIN, 'local', cls.server.workdir)

    def test_a_slow_upstream_holds_no_blocking_thread(self):
        self.proxy.delay(DELAY, path='/slow-pkg')
        store = Http(self.server.url + self.store.path, self.store.token)
        local = Http(self.server.url + self.local.path, self.local.token)
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            slow = [pool.submit(store.request, 'GET', 'slow-pkg', timeout=30) for _ in range(2)]
            deadline = time.monotonic() + 10
            while self.proxy.count('/slow-pkg') == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            self.assertEqual(self.proxy.count('/slow-pkg'), 1, 'one upstream request for both')
            started = time.monotonic()
            # While the upstream thinks: the control plane, a local package, another package of
            # the same connection; each needs the store (a blocking thread) or the upstream.
            repos = self.ca.list_repositories_in_domain(domain=DOMAIN)['repositories']
            status, _, body = local.request('GET', 'not-here', timeout=30)
            quick_status, quick_headers, quick = store.request('GET', 'quick-pkg', timeout=30)
            elapsed = time.monotonic() - started
            self.assertLess(elapsed, DELAY / 2, 'waited for the slow upstream')
            self.assertEqual(sorted(r['name'] for r in repos), ['local', 'store'])
            self.assertEqual(status, 404, body)
            self.assertEqual(quick_status, 200, quick)
            self.assertEqual(json.loads(quick)['name'], 'quick-pkg')
            self.assertEqual(quick_headers.get('X-Arca-Cache'), 'MISS')
            for f in slow:
                status, headers, body = f.result(timeout=30)
                self.assertEqual(status, 200, body)
                self.assertEqual(json.loads(body)['versions']['1.0.0']['name'], 'slow-pkg')
        self.assertGreaterEqual(time.monotonic() - started, DELAY / 2)
        self.assertEqual(self.proxy.count('/slow-pkg'), 1)

    def test_a_tarball_asked_first_waits_on_no_blocking_thread(self):
        # As `npm ci` with a lockfile does: the tarball before any packument, so resolving the
        # version fetches the upstream packument first, and that takes its time.
        self.proxy.delay(DELAY, path=re.compile(r'^/tar-first$'))
        store = Http(self.server.url + self.store.path, self.store.token)
        local = Http(self.server.url + self.local.path, self.local.token)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            tarball = pool.submit(store.request, 'GET', 'tar-first/-/tar-first-1.0.0.tgz',
                                  headers={'Accept': '*/*'}, timeout=30)
            deadline = time.monotonic() + 10
            while self.proxy.count(re.compile(r'^/tar-first$')) == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            started = time.monotonic()
            domains = self.ca.list_domains()['domains']
            status, _, body = local.request('GET', 'not-here-either', timeout=30)
            self.assertLess(time.monotonic() - started, DELAY / 2, 'waited for the slow upstream')
            self.assertIn(DOMAIN, [d['name'] for d in domains])
            self.assertEqual(status, 404, body)
            status, headers, body = tarball.result(timeout=30)
        self.assertEqual(status, 200, body[:300])
        self.assertEqual(body, self.published['tar-first'].tarball)
        self.assertEqual(headers.get('X-Arca-Cache'), 'MISS')


if __name__ == '__main__':
    main()
