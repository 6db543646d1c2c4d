"""Every npm-registry client of the set-up script through a cold pull-through chain (issue C).

The upstream is a real third-party registry (Verdaccio, no uplinks) behind the external connection
`public:npmjs`, reached through the counting proxy. Each client gets its own chain
`<client> -> <client>-store -> public:npmjs` and its own packages (`<client>-leaf` 1.0.0 and
1.1.0, `<client>-mid` needing ^1.0.0 of it, `@<client>/top` needing the mid), so everything it
asks for is a miss:

  * npm ci from a lockfile made against the upstream itself, its URLs moved to Arca (what a team
    does when it moves a project to its registry): npm asks for each tarball before, and without,
    its packument, so Arca resolves each version from the upstream packument on its own;
  * pnpm 10, yarn 1 and yarn 4 resolve (pnpm: abbreviated packuments) and install cold, then
    install again from their lockfile with an empty client cache, now from Arca's cache.

After each: the packages work, both repositories of the chain list the installed versions with
origin EXTERNAL, the upstream was asked for each tarball once, and every stored blob is intact.
"""

import hashlib
import json
import os
import re
import shutil
import tempfile

from arca_harness import ArcaServer, ArcaTestCase, main
from fault_proxy import proxied
from npm_util import (blob_hashes, client_env, corrupt_blobs, create_pull_chain, node_require, NPM,
                      npm_versions, NpmLogin, pnpm_install, require_npm, run, SkipsPerTest,
                      write_consumer, yarn1_install, yarn4_install)
from verdaccio_upstream import VerdaccioUpstream, tarball_path

DOMAIN = 'clients'
CLIENTS = ('npmci', 'pnpm', 'yarnone', 'yarnfour')
MAX_ASSET_KIB = 64  # the connection's max_asset_size; every package above is far smaller


def packages(client):
    """(name, version, dependencies) published upstream for `client`, dependencies first."""
    leaf, mid, top = client + '-leaf', client + '-mid', '@%s/top' % client
    return ((leaf, '1.0.0', None), (leaf, '1.1.0', None), (mid, '1.0.0', {leaf: '^1.0.0'}),
            (top, '2.0.0', {mid: '1.0.0'}))


def installed(client):
    """What node_require answers for the leaf, the mid and the top after installing the top."""
    return ['%s-leaf@1.1.0' % client, '%s-mid@1.0.0' % client, '@%s/top@2.0.0' % client]


class UpstreamClientsTest(SkipsPerTest, ArcaTestCase):
    @classmethod
    def setUpFixture(cls):
        require_npm()
        cls.up, cls.proxy = proxied(cls, VerdaccioUpstream('clients-upstream'))
        cls.published = {(name, version): cls.up.publish(name, version, dependencies=deps)
                         for client in CLIENTS for name, version, deps in packages(client)}
        cls.server = ArcaServer('clients', config=(
            '[external_connections]\n"public:npmjs" = "%s"\n'
            '[external_connection_settings."public:npmjs"]\nmax_asset_size = "%dKiB"\n')
            % (cls.proxy.url, MAX_ASSET_KIB))
        cls.addClassCleanup(cls.server.close)
        cls.server.start()
        cls.ca = cls.server.client()
        cls.ca.create_domain(domain=DOMAIN)
        cls.logins = {}
        for client in CLIENTS + ('capped',):
            create_pull_chain(cls.ca, DOMAIN, client + '-store', client)
            cls.logins[client] = NpmLogin(cls.server, DOMAIN, client, cls.server.workdir)

    # ------------------------------------------------------------------ helpers
    def consumer(self, client):
        login = self.logins[client]
        return login, write_consumer(login.fresh_dir('app-'), {'@%s/top' % client: '2.0.0'})

    def assert_pulled_through(self, client):
        """The installed versions are in both repositories of the chain with origin EXTERNAL, each
        tarball came from the upstream once, and the stored blobs are intact."""
        for name, version in (('%s-leaf' % client, '1.1.0'), ('%s-mid' % client, '1.0.0'),
                              ('@%s/top' % client, '2.0.0')):
            for repo in (client, client + '-store'):
                v = npm_versions(self.ca, DOMAIN, repo, name).get(version)
                self.assertIsNotNone(v, '%s@%s not retained in %s' % (name, version, repo))
                self.assertEqual(v['origin']['originType'], 'EXTERNAL')
            self.assertEqual(self.proxy.count('/' + tarball_path(name, version)), 1,
                             'upstream GETs of %s@%s' % (name, version))
        self.assertEqual(self.proxy.count('/' + tarball_path('%s-leaf' % client, '1.0.0')), 0,
                         'a version that was only listed was fetched')
        self.assertEqual(corrupt_blobs(self.server.data_dir), [])

    # ------------------------------------------------------------------ tests
    def test_npm_ci_from_a_lockfile_asks_for_tarballs_first(self):
        login, app = self.consumer('npmci')
        # The lockfile as npm writes it against the upstream registry itself (anonymous reads).
        home = tempfile.mkdtemp(prefix='npm-upstream-home-', dir=self.server.workdir)
        run([NPM, 'install', '--package-lock-only', '--registry', self.up.url], app,
            client_env(home))
        lock_path = os.path.join(app, 'package-lock.json')
        with open(lock_path) as f:
            lock = f.read()
        self.assertIn(self.up.url, lock)
        # ... moved to the Arca repository, as a team moving the project to its registry does.
        with open(lock_path, 'w') as f:
            f.write(lock.replace(self.up.url, login.registry))
        resolved = [p.get('resolved', '') for p in json.loads(lock)['packages'].values()]
        self.assertEqual(len([r for r in resolved if r]), 3, resolved)
        self.proxy.clear_log()
        login.npm('ci', cwd=app, cache=login.fresh_dir('cache-'), timeout=90)
        self.assertEqual(node_require(app, login.env, 'npmci-leaf', 'npmci-mid', '@npmci/top'),
                         installed('npmci'))
        self.assert_pulled_through('npmci')
        # Arca read each upstream packument once, to find the version npm asked a tarball of.
        for name in ('npmci-leaf', 'npmci-mid', '@npmci/top'):
            asked = [t for _, t in self.proxy.requests
                     if t.lower() == '/' + name.replace('/', '%2f')]
            self.assertEqual(len(asked), 1, (name, self.proxy.requests))

    def test_pnpm_install_through_a_cold_chain(self):
        login, app = self.consumer('pnpm')

        def assert_installed():
            # pnpm links only direct dependencies into node_modules; the others are in .pnpm.
            self.assertEqual(node_require(app, login.env, '@pnpm/top'), ['@pnpm/top@2.0.0'])
            self.assertLessEqual({'pnpm-leaf@1.1.0', 'pnpm-mid@1.0.0', '@pnpm+top@2.0.0'},
                                 set(os.listdir(os.path.join(app, 'node_modules', '.pnpm'))))

        pnpm_install(login, app, login.fresh_dir('pnpm-store-'))
        assert_installed()
        with open(os.path.join(app, 'pnpm-lock.yaml')) as f:
            self.assertIn(self.published[('@pnpm/top', '2.0.0')].integrity, f.read())
        shutil.rmtree(os.path.join(app, 'node_modules'))
        pnpm_install(login, app, login.fresh_dir('pnpm-store-'), frozen=True)
        assert_installed()
        self.assert_pulled_through('pnpm')

    def test_yarn1_install_through_a_cold_chain(self):
        login, app = self.consumer('yarnone')
        yarn1_install(login, app, login.fresh_dir('cache-'))
        names = ('yarnone-leaf', 'yarnone-mid', '@yarnone/top')
        self.assertEqual(node_require(app, login.env, *names), installed('yarnone'))
        with open(os.path.join(app, 'yarn.lock')) as f:
            self.assertIn(login.registry, f.read())
        shutil.rmtree(os.path.join(app, 'node_modules'))
        yarn1_install(login, app, login.fresh_dir('cache-'), frozen=True)
        self.assertEqual(node_require(app, login.env, *names), installed('yarnone'))
        self.assert_pulled_through('yarnone')

    def test_yarn4_install_through_a_cold_chain(self):
        login, app = self.consumer('yarnfour')
        env = yarn4_install(login, app, login.fresh_dir('cache-'))
        names = ('yarnfour-leaf', 'yarnfour-mid', '@yarnfour/top')
        self.assertEqual(node_require(app, env, *names), installed('yarnfour'))
        with open(os.path.join(app, 'yarn.lock')) as f:
            self.assertTrue(re.search(r'"@yarnfour/top@npm:2\.0\.0"', f.read()))
        shutil.rmtree(os.path.join(app, 'node_modules'))
        yarn4_install(login, app, login.fresh_dir('cache-'), immutable=True)
        self.assertEqual(node_require(app, env, *names), installed('yarnfour'))
        self.assert_pulled_through('yarnfour')

    def test_an_artifact_over_the_size_cap_fails_fast_and_is_not_stored(self):
        big = self.up.publish('capped-big', '1.0.0',
                              files={'blob.bin': os.urandom((MAX_ASSET_KIB + 16) * 1024)})
        login = self.logins['capped']
        app = write_consumer(login.fresh_dir('app-'), {'capped-big': '1.0.0'})
        p = login.npm('install', '--no-package-lock', cwd=app, cache=login.fresh_dir('cache-'),
                      check=False, timeout=60)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        out = p.stdout + p.stderr
        self.assertIn('413', out)
        self.assertIn('%d-byte limit' % (MAX_ASSET_KIB * 1024), out)
        # The packument was fine (metadata has its own bound); the tarball was not taken.
        self.assertEqual(npm_versions(self.ca, DOMAIN, 'capped-store', 'capped-big'), {})
        self.assertNotIn(hashlib.sha256(big.tarball).hexdigest(),
                         blob_hashes(self.server.data_dir))


if __name__ == '__main__':
    main()
