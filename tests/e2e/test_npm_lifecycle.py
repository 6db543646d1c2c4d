"""Package version statuses as the npm client sees them: Unlisted (hidden from `npm view`, still
installable from a lockfile), Archived (downloads refused), back to Published, Disposed (assets
gone), DeletePackageVersions (gone, may be re-published), and CopyPackageVersions to a second
repository (installable there, dist-tags come along). Driven by boto3 and the real npm client.
"""

import json
import os
import shutil
import tempfile

from botocore.exceptions import ClientError

from arca_harness import ArcaServer, ArcaTestCase, main
from npm_util import (blob_hashes, Http, node_require, npm_inventory, npm_pack, NpmLogin,
                      require_npm, sha256, SkipsPerTest, sri512, write_consumer,
                      write_package)

DOMAIN = 'npm-life'
REPO = 'life'
REPO2 = 'life-copy'


class NpmLifecycleTest(SkipsPerTest, ArcaTestCase):
    @classmethod
    def setUpFixture(cls):
        require_npm()
        cls.server = ArcaServer('npm-lifecycle')
        cls.addClassCleanup(cls.server.close)
        cls.server.start()
        cls.ca = cls.server.client()
        cls.owner = cls.ca.create_domain(domain=DOMAIN)['domain']['owner']
        cls.ca.create_repository(domain=DOMAIN, repository=REPO)
        cls.ca.create_repository(domain=DOMAIN, repository=REPO2)
        cls.login = NpmLogin(cls.server, DOMAIN, REPO, cls.server.workdir)
        cls.http = Http(cls.server.url + cls.login.path, cls.login.token)
        cls.pkgroot = tempfile.mkdtemp(prefix='pkgs-', dir=cls.server.workdir)

    # ------------------------------------------------------------------ helpers
    def publish(self, name, version, *args, login=None, **kw):
        login = login or self.login
        d = write_package(tempfile.mkdtemp(prefix='p-', dir=self.pkgroot), name, version, **kw)
        tgz = npm_pack(login, d)
        login.npm('publish', *args, cwd=d)
        return d, tgz

    def install(self, deps, login=None, check=True):
        """npm install into a fresh consumer with an empty cache; returns (dir, CompletedProcess)."""
        login = login or self.login
        app = write_consumer(login.fresh_dir('app-'), deps)
        p = login.npm('install', '--cache', login.fresh_dir('cache-'), cwd=app, check=check)
        return app, p

    def ci_copy(self, app, login=None, check=True):
        """npm ci from app's package-lock.json in a fresh copy with an empty cache."""
        login = login or self.login
        d = login.fresh_dir('ci-')
        for fn in ('package.json', 'package-lock.json'):
            shutil.copy(os.path.join(app, fn), d)
        p = login.npm('ci', '--cache', login.fresh_dir('cache-'), cwd=d, check=check)
        return d, p

    def view_versions(self, name, login=None):
        p, v = (login or self.login).npm_json('view', name, 'versions')
        return v if isinstance(v, list) else [v]

    def versions(self, name, repo=REPO, **kw):
        vs = self.ca.list_package_versions(domain=DOMAIN, repository=repo, format='npm', package=name,
                                           **kw)['versions']
        return {v['version']: v for v in vs}

    def set_status(self, name, versions, target, **kw):
        r = self.ca.update_package_versions_status(domain=DOMAIN, repository=REPO, format='npm', package=name,
                                                   versions=versions, targetStatus=target, **kw)
        self.assertEqual(r.get('failedVersions', {}), {}, r)
        self.assertEqual(sorted(r['successfulVersions']), sorted(versions))
        for v in versions:
            self.assertEqual(r['successfulVersions'][v]['status'], target)
        return r

    def tarball_status(self, name, version, login=None):
        login = login or self.login
        http = Http(self.server.url + login.path, login.token)
        st, _, body = http.request('GET', '%s/-/%s-%s.tgz' % (name, name.split('/')[-1], version),
                                   headers={'Accept': '*/*'})
        return st, body

    def assert_every_listed_version_has_its_asset(self, repo=REPO):
        for key, (status, hashes) in npm_inventory(self.ca, DOMAIN, repo).items():
            if status in ('Published', 'Unlisted', 'Archived'):
                self.assertEqual(len(hashes), 1, '%s %s has assets %s' % (key, status, hashes))

    # ------------------------------------------------------------------ tests
    def test_unlisted_archived_published(self):
        name = 'life-status'
        _, tgz100 = self.publish(name, '1.0.0')
        self.publish(name, '1.1.0')
        app, _ = self.install({name: '1.0.0'})
        self.assertEqual(node_require(app, self.login.env, name), ['life-status@1.0.0'])
        with open(os.path.join(app, 'package-lock.json')) as f:
            lock = json.load(f)
        self.assertEqual(lock['packages']['node_modules/%s' % name]['integrity'], sri512(tgz100))

        rev = self.versions(name)['1.0.0']['revision']
        r = self.set_status(name, ['1.0.0'], 'Unlisted')
        self.assertEqual(r['successfulVersions']['1.0.0']['revision'], rev)
        self.assertEqual(self.versions(name)['1.0.0']['status'], 'Unlisted')
        # npm no longer sees it ...
        self.assertEqual(self.view_versions(name), ['1.1.0'])
        _, p = self.install({name: '1.0.0'}, check=False)
        self.assertNotEqual(p.returncode, 0, 'an Unlisted version must not resolve from the packument')
        self.assertIn('ETARGET', p.stderr)
        # ... but a lockfile install (exact tarball URL) still works
        d, _ = self.ci_copy(app)
        self.assertEqual(node_require(d, self.login.env, name), ['life-status@1.0.0'])
        self.assertEqual(self.tarball_status(name, '1.0.0'), (200, tgz100))

        self.set_status(name, ['1.0.0'], 'Archived', expectedStatus='Unlisted')
        self.assertEqual(self.versions(name)['1.0.0']['status'], 'Archived')
        self.assertEqual(self.view_versions(name), ['1.1.0'])
        st, _ = self.tarball_status(name, '1.0.0')
        self.assertEqual(st, 404)
        _, p = self.ci_copy(app, check=False)
        self.assertNotEqual(p.returncode, 0, 'npm ci of an Archived version must fail')
        self.assertIn('404', p.stderr)
        # the asset is still stored (Archived is reversible)
        a = self.ca.list_package_version_assets(domain=DOMAIN, repository=REPO, format='npm', package=name,
                                                packageVersion='1.0.0')['assets']
        self.assertEqual([x['hashes']['SHA-256'] for x in a], [sha256(tgz100)])
        # a re-publish of an Archived version is refused by the server (npm cannot see it)
        d = write_package(tempfile.mkdtemp(dir=self.pkgroot), name, '1.0.0')
        p = self.login.npm('publish', '--tag', 'old', '--loglevel', 'http', cwd=d, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertRegex(p.stderr, r'PUT 403 \S*/life-status')
        self.assertIn('cannot publish over', p.stderr.lower())

        self.set_status(name, ['1.0.0'], 'Published')
        self.assertEqual(self.view_versions(name), ['1.0.0', '1.1.0'])
        self.assertEqual(self.tarball_status(name, '1.0.0'), (200, tgz100))
        d, _ = self.ci_copy(app)
        self.assertEqual(node_require(d, self.login.env, name), ['life-status@1.0.0'])
        app2, _ = self.install({name: '1.0.0'})
        self.assertEqual(node_require(app2, self.login.env, name), ['life-status@1.0.0'])
        self.assert_every_listed_version_has_its_asset()

    def test_unlisted_latest_moves(self):
        name = '@life/tagged'
        self.publish(name, '1.0.0')
        self.publish(name, '2.0.0')
        self.assertEqual(self.login.npm('view', name, 'version').stdout.strip(), '2.0.0')
        self.ca.update_package_versions_status(domain=DOMAIN, repository=REPO, format='npm', namespace='life',
                                               package='tagged', versions=['2.0.0'], targetStatus='Unlisted')
        # latest must name a version npm can see
        self.assertEqual(self.login.npm('view', name, 'version').stdout.strip(), '1.0.0')
        app, _ = self.install({name: '*'})
        self.assertEqual(node_require(app, self.login.env, name), ['@life/tagged@1.0.0'])

    def test_npm_edits_leave_hidden_versions_alone(self):
        """npm unpublish/deprecate send back the whole packument they were shown; a version hidden
        from it (Unlisted) must survive untouched."""
        name = 'life-hidden'
        for v in ('1.0.0', '1.0.1', '1.0.2'):
            self.publish(name, v)
        self.set_status(name, ['1.0.0'], 'Unlisted')
        self.login.npm('unpublish', '%s@1.0.2' % name)
        self.assertEqual({v: x['status'] for v, x in self.versions(name).items()},
                         {'1.0.0': 'Unlisted', '1.0.1': 'Published'})
        self.login.npm('deprecate', name, 'all of it is old')
        self.set_status(name, ['1.0.0'], 'Published')
        st, pk = self.http.packument(name)
        self.assertEqual(st, 200)
        self.assertEqual({v: m.get('deprecated') for v, m in pk['versions'].items()},
                         {'1.0.0': None, '1.0.1': 'all of it is old'})

    def test_dispose_then_delete_and_republish(self):
        name = 'life-dispose'
        _, tgz = self.publish(name, '1.0.0')
        self.publish(name, '1.0.1')
        app, _ = self.install({name: '1.0.0'})
        r = self.ca.dispose_package_versions(domain=DOMAIN, repository=REPO, format='npm', package=name,
                                             versions=['1.0.0'])
        self.assertEqual(r.get('failedVersions', {}), {}, r)
        self.assertEqual(r['successfulVersions']['1.0.0']['status'], 'Disposed')
        vs = self.versions(name)
        self.assertEqual(vs['1.0.0']['status'], 'Disposed')
        self.assertEqual(vs['1.0.1']['status'], 'Published')
        self.assertEqual(list(self.versions(name, status='Disposed')), ['1.0.0'])
        kw = dict(domain=DOMAIN, repository=REPO, format='npm', package=name, packageVersion='1.0.0')
        self.assertEqual(self.ca.describe_package_version(**kw)['packageVersion']['status'], 'Disposed')
        self.assertClientError(self.ca.get_package_version_asset, ('ResourceNotFoundException',),
                               asset='life-dispose-1.0.0.tgz', **kw)
        try:
            assets = self.ca.list_package_version_assets(**kw)['assets']
        except ClientError as e:  # a 404 is an acceptable answer too
            self.assertEqual(e.response['Error']['Code'], 'ResourceNotFoundException', e.response)
            assets = []
        self.assertEqual(assets, [], 'a Disposed version lists no assets')
        # npm cannot get it any more, neither by version nor from the lockfile
        self.assertEqual(self.view_versions(name), ['1.0.1'])
        self.assertEqual(self.tarball_status(name, '1.0.0')[0], 404)
        _, p = self.ci_copy(app, check=False)
        self.assertNotEqual(p.returncode, 0)
        _, p = self.install({name: '1.0.0'}, check=False)
        self.assertNotEqual(p.returncode, 0)
        # a Disposed version is still present: publishing it again is refused
        d = write_package(tempfile.mkdtemp(dir=self.pkgroot), name, '1.0.0')
        p = self.login.npm('publish', '--tag', 'old', '--loglevel', 'http', cwd=d, check=False)
        self.assertNotEqual(p.returncode, 0, 'publish over a Disposed version must be refused')
        self.assertRegex(p.stderr, r'PUT 403 \S*/life-dispose')
        # no status change brings it back
        r = self.ca.update_package_versions_status(domain=DOMAIN, repository=REPO, format='npm', package=name,
                                                   versions=['1.0.0'], targetStatus='Published')
        self.assertIn('1.0.0', r.get('failedVersions', {}), r)
        # the disposed tarball's bytes are no longer stored (unless something else references them)
        referenced = {h for _, (_, hs) in npm_inventory(self.ca, DOMAIN, REPO).items() for h in hs}
        if sha256(tgz) in blob_hashes(self.server.data_dir) and sha256(tgz) not in referenced:
            print('\nREPORT: the blob of a Disposed version (%s) is still on disk right after '
                  'DisposePackageVersions (may be collected later)' % sha256(tgz))

        r = self.ca.delete_package_versions(domain=DOMAIN, repository=REPO, format='npm', package=name,
                                            versions=['1.0.0'])
        self.assertEqual(r.get('failedVersions', {}), {}, r)
        self.assertEqual(r['successfulVersions']['1.0.0']['status'], 'Deleted')
        self.assertEqual(list(self.versions(name)), ['1.0.1'])
        self.assertClientError(self.ca.describe_package_version, 'ResourceNotFoundException', **kw)
        # now the version may be published again, with different content
        _, tgz2 = self.publish(name, '1.0.0', '--tag', 'old', marker=' (re-published)')
        self.assertNotEqual(tgz2, tgz)
        self.assertEqual(self.versions(name)['1.0.0']['status'], 'Published')
        app2, _ = self.install({name: '1.0.0'})
        self.assertEqual(node_require(app2, self.login.env, name), ['life-dispose@1.0.0 (re-published)'])
        a = self.ca.list_package_version_assets(**kw)['assets']
        self.assertEqual([x['hashes']['SHA-256'] for x in a], [sha256(tgz2)])
        self.assert_every_listed_version_has_its_asset()

    def test_delete_last_version_and_package(self):
        name = 'life-delete'
        self.publish(name, '3.0.0')
        r = self.ca.delete_package_versions(domain=DOMAIN, repository=REPO, format='npm', package=name,
                                            versions=['3.0.0'], expectedStatus='Published')
        self.assertEqual(r['successfulVersions']['3.0.0']['status'], 'Deleted')
        p = self.login.npm('view', name, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('E404', p.stderr)
        _, tgz = self.publish(name, '3.0.0', marker=' v2')
        app, _ = self.install({name: '3.0.0'})
        self.assertEqual(node_require(app, self.login.env, name), ['life-delete@3.0.0 v2'])
        self.ca.delete_package(domain=DOMAIN, repository=REPO, format='npm', package=name)
        p = self.login.npm('view', name, check=False)
        self.assertIn('E404', p.stderr)
        self.assertEqual(self.tarball_status(name, '3.0.0')[0], 404)

    def test_copy_to_second_repository(self):
        name = '@life/copied'
        _, tgz1 = self.publish(name, '1.0.0', description='copied package')
        self.publish(name, '2.0.0')
        self.login.npm('dist-tag', 'add', '%s@1.0.0' % name, 'stable')
        self.login.npm('dist-tag', 'add', '%s@1.0.0' % name, 'lts')
        r = self.ca.copy_package_versions(domain=DOMAIN, sourceRepository=REPO, destinationRepository=REPO2,
                                          format='npm', namespace='life', package='copied', versions=['1.0.0'])
        self.assertEqual(r.get('failedVersions', {}), {}, r)
        self.assertEqual(list(r['successfulVersions']), ['1.0.0'])
        self.assertEqual(r['successfulVersions']['1.0.0']['status'], 'Published')
        dst = {v['version']: v for v in self.ca.list_package_versions(
            domain=DOMAIN, repository=REPO2, format='npm', namespace='life', package='copied')['versions']}
        self.assertEqual(list(dst), ['1.0.0'])
        self.assertEqual(dst['1.0.0']['status'], 'Published')
        self.assertTrue(dst['1.0.0'].get('revision'), dst)
        self.assertEqual(dst['1.0.0']['origin']['originType'], 'INTERNAL')
        self.assertEqual(dst['1.0.0']['origin']['domainEntryPoint'], {'repositoryName': REPO})
        a = self.ca.list_package_version_assets(domain=DOMAIN, repository=REPO2, format='npm', namespace='life',
                                                package='copied', packageVersion='1.0.0')['assets']
        self.assertEqual([x['hashes']['SHA-256'] for x in a], [sha256(tgz1)])

        login2 = NpmLogin(self.server, DOMAIN, REPO2, self.server.workdir)
        self.assertTrue(login2.registry.endswith('/%s/' % REPO2), login2.registry)
        self.assertEqual(self.view_versions(name, login=login2), ['1.0.0'])
        p = login2.npm('dist-tag', 'ls', name)
        tags = dict(l.split(': ', 1) for l in p.stdout.strip().splitlines())
        self.assertEqual(tags.get('stable'), '1.0.0', p.stdout)
        self.assertEqual(tags.get('lts'), '1.0.0', p.stdout)
        self.assertEqual(tags.get('latest'), '1.0.0', 'latest falls back to the only version: %s' % p.stdout)
        app, _ = self.install({name: 'stable'}, login=login2)
        self.assertEqual(node_require(app, login2.env, name), ['@life/copied@1.0.0'])
        with open(os.path.join(app, 'package-lock.json')) as f:
            lock = json.load(f)
        self.assertEqual(lock['packages']['node_modules/@life/copied']['resolved'],
                         login2.registry + '@life/copied/-/copied-1.0.0.tgz')
        # copying the same version again is an idempotent success that omits it
        r = self.ca.copy_package_versions(domain=DOMAIN, sourceRepository=REPO, destinationRepository=REPO2,
                                          format='npm', namespace='life', package='copied', versions=['1.0.0'])
        self.assertEqual((r.get('successfulVersions', {}), r.get('failedVersions', {})), ({}, {}), r)
        # the source repository is unchanged
        self.assertEqual(self.view_versions(name), ['1.0.0', '2.0.0'])
        # the destination holds its own record: deleting there leaves the source intact
        self.ca.delete_package_versions(domain=DOMAIN, repository=REPO2, format='npm', namespace='life',
                                        package='copied', versions=['1.0.0'])
        self.assertEqual(self.tarball_status(name, '1.0.0'), (200, tgz1))
        self.assert_every_listed_version_has_its_asset(REPO2)


if __name__ == '__main__':
    main()
