"""npm-format repository endpoints with the real clients: npm 11 (publish, install, ci, view,
dist-tag, deprecate, unpublish), yarn 1, yarn 4 and pnpm 10 installs, and what the AWS CLI and
boto3 see of the published packages (list/describe versions, assets, readme, dependencies).

Each client runs with its own HOME, npm cache and config files in temp dirs; the registry and
token come from `aws codeartifact login --tool npm`. Only 127.0.0.1 is contacted.
"""

import hashlib
import json
import os
import shutil
import tempfile

from arca_harness import ArcaServer, ArcaTestCase, main
from npm_util import (error_text, Http, node_require, npm_pack, NpmLogin, pnpm_install,
                      publish_doc, require_npm, sha256, SkipsPerTest, sri512, write_consumer,
                      write_package, yarn1_install, yarn4_install)

DOMAIN = 'npm-e2e'
REPO = 'main-repo'

PLAIN = 'e2e-plain'
SCOPED = '@corp/lib'
CONSUMER_DEPS = {PLAIN: '^1.0.0', SCOPED: '1.0.0'}
EXPECTED_ANSWERS = ['e2e-plain@1.0.0', '@corp/lib@1.0.0 e2e-plain@1.0.0']


class NpmClientsTest(SkipsPerTest, ArcaTestCase):
    @classmethod
    def setUpFixture(cls):
        require_npm()
        cls.server = ArcaServer('npm-clients')
        cls.addClassCleanup(cls.server.close)
        cls.server.start()
        cls.ca = cls.server.client()
        cls.owner = cls.ca.create_domain(domain=DOMAIN)['domain']['owner']
        cls.ca.create_repository(domain=DOMAIN, repository=REPO)
        cls.login = NpmLogin(cls.server, DOMAIN, REPO, cls.server.workdir)
        cls.http = Http(cls.server.url + cls.login.path, cls.login.token)
        cls.pkgroot = tempfile.mkdtemp(prefix='pkgs-', dir=cls.server.workdir)
        # The two packages every consumer below depends on; @corp/lib depends on e2e-plain.
        cls.plain_dir = write_package(cls.pkgroot, PLAIN, '1.0.0', description='A plain unscoped package')
        cls.scoped_readme = '# @corp/lib\n\nThe corp library. Some *markdown* and unicode: \u00e9\u00e8 \u2713\n'
        cls.scoped_dir = write_package(cls.pkgroot, SCOPED, '1.0.0', description='The corp library',
                                       dependencies={PLAIN: '^1.0.0'}, readme=cls.scoped_readme)
        cls.plain_tgz = npm_pack(cls.login, cls.plain_dir)
        cls.scoped_tgz = npm_pack(cls.login, cls.scoped_dir)
        cls.publish_out = {}
        for d, name in ((cls.plain_dir, PLAIN), (cls.scoped_dir, SCOPED)):
            cls.publish_out[name] = cls.login.npm('publish', cwd=d)

    # ------------------------------------------------------------------ helpers
    def consumer(self, prefix, deps=None):
        d = self.login.fresh_dir(prefix)
        return write_consumer(d, deps or CONSUMER_DEPS)

    def fresh_cache(self):
        return self.login.fresh_dir('cache-')

    def publish(self, name, version, *args, **kw):
        d = write_package(tempfile.mkdtemp(prefix='p-', dir=self.pkgroot), name, version, **kw)
        self.login.npm('publish', *args, cwd=d)
        return d

    def assert_lock_resolved_here(self, text, what):
        """Every resolved URL in a lockfile points at this repository's endpoint."""
        self.assertIn(self.login.registry.rstrip('/'), text, '%s: no URL of %s' % (what, self.login.registry))
        self.assertNotIn('://registry.', text, '%s names a public registry' % what)

    # ------------------------------------------------------------------ login
    def test_login_wrote_npmrc(self):
        self.assertEqual(self.login.registry, '%s/npm/d/%s-%s/%s/' % (self.server.url, DOMAIN, self.owner, REPO))
        self.assertTrue(self.login.nerf.startswith('//127.0.0.1:%d/npm/d/' % self.server.port), self.login.nerf)
        p = self.login.npm('ping', '--loglevel', 'notice')
        self.assertIn('PONG', p.stdout + p.stderr)

    # ------------------------------------------------------------------ npm
    def test_npm_publish_install_and_ci(self):
        for name in (PLAIN, SCOPED):
            self.assertIn('+ %s@1.0.0' % name, self.publish_out[name].stdout)
        app = self.consumer('npm-app-')
        cache = self.fresh_cache()
        self.login.npm('install', '--cache', cache, cwd=app)
        self.assertEqual(node_require(app, self.login.env, PLAIN, SCOPED), EXPECTED_ANSWERS)
        with open(os.path.join(app, 'package-lock.json')) as f:
            lock_text = f.read()
        lock = json.loads(lock_text)
        self.assert_lock_resolved_here(lock_text, 'package-lock.json')
        pk = lock['packages']
        self.assertEqual(pk['node_modules/@corp/lib']['resolved'],
                         self.login.registry + '@corp/lib/-/lib-1.0.0.tgz')
        self.assertEqual(pk['node_modules/e2e-plain']['resolved'],
                         self.login.registry + 'e2e-plain/-/e2e-plain-1.0.0.tgz')
        self.assertEqual(pk['node_modules/@corp/lib']['integrity'], sri512(self.scoped_tgz))
        self.assertEqual(pk['node_modules/e2e-plain']['integrity'], sri512(self.plain_tgz))
        # the installed files are the published ones
        with open(os.path.join(app, 'node_modules', '@corp', 'lib', 'README.md')) as f:
            self.assertEqual(f.read(), self.scoped_readme)

        # npm ci from the lockfile in a fresh copy with an empty cache
        ci = self.login.fresh_dir('npm-ci-')
        for fn in ('package.json', 'package-lock.json'):
            shutil.copy(os.path.join(app, fn), ci)
        self.login.npm('ci', '--cache', self.fresh_cache(), cwd=ci)
        self.assertEqual(node_require(ci, self.login.env, PLAIN, SCOPED), EXPECTED_ANSWERS)

    def test_npm_view(self):
        _, v = self.login.npm_json('view', SCOPED)
        self.assertEqual(v['name'], SCOPED)
        self.assertEqual(v['version'], '1.0.0')
        self.assertEqual(v['description'], 'The corp library')
        self.assertEqual(v['dist-tags'], {'latest': '1.0.0'})
        self.assertEqual(v['versions'], ['1.0.0'] if isinstance(v['versions'], list) else '1.0.0')
        self.assertEqual(v['dependencies'], {PLAIN: '^1.0.0'})
        self.assertEqual(v['dist']['tarball'], self.login.registry + '@corp/lib/-/lib-1.0.0.tgz')
        self.assertEqual(v['dist']['integrity'], sri512(self.scoped_tgz))
        self.assertEqual(v['dist']['shasum'], hashlib.sha1(self.scoped_tgz).hexdigest())
        p = self.login.npm('view', PLAIN, 'version')
        self.assertEqual(p.stdout.strip(), '1.0.0')
        # the packument also in pnpm's upper-case %2F form and with '/' unescaped
        for path in ('@corp%2Flib', '@corp/lib', '@corp%2flib'):
            st, _, body = self.http.request('GET', path)
            self.assertEqual(st, 200, '%s: %s' % (path, body[:300]))
            self.assertEqual(json.loads(body)['name'], SCOPED)
        # the tarball under both URL shapes (yarn 4 builds the %2f one itself)
        for path in ('@corp/lib/-/lib-1.0.0.tgz', '@corp%2flib/-/lib-1.0.0.tgz'):
            st, _, body = self.http.request('GET', path, headers={'Accept': '*/*'})
            self.assertEqual(st, 200, path)
            self.assertEqual(body, self.scoped_tgz, path)
        # a missing package is E404 for npm
        p = self.login.npm('view', 'e2e-no-such-package', check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('E404', p.stderr)

    def test_npm_publish_over_existing_version_refused(self):
        d = write_package(tempfile.mkdtemp(prefix='over-', dir=self.pkgroot), PLAIN, '1.0.0',
                          marker=' (different content)')
        # npm itself refuses, having seen 1.0.0 in the packument ...
        p = self.login.npm('publish', cwd=d, check=False)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn('cannot publish over the previously published versions: 1.0.0', p.stderr.lower())
        # ... and so does the server when the document arrives anyway
        tgz = npm_pack(self.login, d)
        st, _, body = self.http.publish(PLAIN, publish_doc(PLAIN, '1.0.0', tgz, registry=self.login.registry))
        self.assertEqual(st, 403, body)
        self.assertIn('cannot publish over', error_text(body).lower())
        # the original is still what is served
        st, _, body = self.http.request('GET', 'e2e-plain/-/e2e-plain-1.0.0.tgz')
        self.assertEqual((st, body), (200, self.plain_tgz))

    def test_npm_dist_tags(self):
        name = 'e2e-tags'
        self.publish(name, '1.0.0')
        self.publish(name, '1.1.0')
        self.publish(name, '2.0.0-beta.1', '--tag', 'next')  # npm 11 wants a tag for a prerelease
        p = self.login.npm('dist-tag', 'ls', name)
        tags = dict(l.split(': ', 1) for l in p.stdout.strip().splitlines())
        self.assertEqual(tags, {'latest': '1.1.0', 'next': '2.0.0-beta.1'})
        self.login.npm('dist-tag', 'add', '%s@1.0.0' % name, 'stable')
        p = self.login.npm('dist-tag', 'ls', name)
        tags = dict(l.split(': ', 1) for l in p.stdout.strip().splitlines())
        self.assertEqual(tags, {'latest': '1.1.0', 'stable': '1.0.0', 'next': '2.0.0-beta.1'})
        self.assertEqual(self.login.npm('view', '%s@stable' % name, 'version').stdout.strip(), '1.0.0')
        self.assertEqual(self.login.npm('view', name, 'version').stdout.strip(), '1.1.0')
        # install by tag
        app = self.consumer('tags-app-', {name: 'stable'})
        self.login.npm('install', '--cache', self.fresh_cache(), cwd=app)
        self.assertEqual(node_require(app, self.login.env, name), ['e2e-tags@1.0.0'])
        self.login.npm('dist-tag', 'rm', name, 'stable')
        p = self.login.npm('dist-tag', 'ls', name)
        tags = dict(l.split(': ', 1) for l in p.stdout.strip().splitlines())
        self.assertEqual(tags, {'latest': '1.1.0', 'next': '2.0.0-beta.1'})
        # the raw dist-tags endpoint agrees
        st, _, body = self.http.request('GET', '-/package/%s/dist-tags' % name)
        self.assertEqual(st, 200, body)
        self.assertEqual(json.loads(body), {'latest': '1.1.0', 'next': '2.0.0-beta.1'})
        # a tag on a version that does not exist is refused
        p = self.login.npm('dist-tag', 'add', '%s@9.9.9' % name, 'nope', check=False)
        self.assertNotEqual(p.returncode, 0)
        # scoped package tags
        self.login.npm('dist-tag', 'add', '%s@1.0.0' % SCOPED, 'stable')
        p = self.login.npm('dist-tag', 'ls', SCOPED)
        self.assertIn('stable: 1.0.0', p.stdout)
        self.login.npm('dist-tag', 'rm', SCOPED, 'stable')
        self.assertNotIn('stable', self.login.npm('dist-tag', 'ls', SCOPED).stdout)

    def test_npm_deprecate(self):
        name = 'e2e-deprecated'
        self.publish(name, '1.0.0')
        self.publish(name, '1.0.1')
        msg = 'use 1.0.1 instead'
        self.login.npm('deprecate', '%s@1.0.0' % name, msg)
        self.assertEqual(self.login.npm('view', '%s@1.0.0' % name, 'deprecated').stdout.strip(), msg)
        self.assertEqual(self.login.npm('view', '%s@1.0.1' % name, 'deprecated').stdout.strip(), '')
        # npm warns when installing it
        app = self.consumer('dep-app-', {name: '1.0.0'})
        p = self.login.npm('install', '--cache', self.fresh_cache(), cwd=app)
        self.assertIn('deprecated', (p.stdout + p.stderr).lower())
        self.assertIn(msg, p.stdout + p.stderr)
        # both versions still installable and listed
        _, versions = self.login.npm_json('view', name, 'versions')
        self.assertEqual(versions, ['1.0.0', '1.0.1'])
        # un-deprecate with an empty message
        self.login.npm('deprecate', '%s@1.0.0' % name, '')
        self.assertEqual(self.login.npm('view', '%s@1.0.0' % name, 'deprecated').stdout.strip(), '')
        # a range deprecates every matching version
        self.login.npm('deprecate', '%s@1.x' % name, 'all of 1.x is old')
        for v in ('1.0.0', '1.0.1'):
            self.assertEqual(self.login.npm('view', '%s@%s' % (name, v), 'deprecated').stdout.strip(),
                             'all of 1.x is old')

    def test_npm_unpublish(self):
        name = 'e2e-unpub'
        self.publish(name, '1.0.0')
        self.publish(name, '1.0.1')
        self.publish(name, '1.0.2')
        self.login.npm('unpublish', '%s@1.0.1' % name)
        _, versions = self.login.npm_json('view', name, 'versions')
        self.assertEqual(versions, ['1.0.0', '1.0.2'])
        vs = self.ca.list_package_versions(domain=DOMAIN, repository=REPO, format='npm', package=name)['versions']
        self.assertEqual(sorted(v['version'] for v in vs), ['1.0.0', '1.0.2'])
        st, _, _ = self.http.request('GET', '%s/-/%s-1.0.1.tgz' % (name, name))
        self.assertEqual(st, 404)
        # the version can be published again after an unpublish
        self.publish(name, '1.0.1', '--tag', 'again', marker=' again')  # below latest: npm wants a tag
        app = self.consumer('unpub-app-', {name: '1.0.1'})
        self.login.npm('install', '--cache', self.fresh_cache(), cwd=app)
        self.assertEqual(node_require(app, self.login.env, name), ['e2e-unpub@1.0.1 again'])
        # scoped single-version unpublish
        sname = '@corp/unpub'
        self.publish(sname, '1.0.0')
        self.publish(sname, '2.0.0')
        self.login.npm('unpublish', '%s@2.0.0' % sname)
        _, v = self.login.npm_json('view', sname)
        self.assertEqual(v['versions'] if isinstance(v['versions'], list) else [v['versions']], ['1.0.0'])
        self.assertEqual(v['dist-tags']['latest'], '1.0.0')
        # the whole package
        self.login.npm('unpublish', name, '--force')
        p = self.login.npm('view', name, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('E404', p.stderr)
        self.assertClientError(self.ca.list_package_versions, 'ResourceNotFoundException', domain=DOMAIN,
                               repository=REPO, format='npm', package=name)

    # ------------------------------------------------------------------ yarn and pnpm
    def test_yarn1_install(self):
        app = self.consumer('yarn1-app-')
        yarn1_install(self.login, app, self.fresh_cache())
        self.assertEqual(node_require(app, self.login.env, PLAIN, SCOPED), EXPECTED_ANSWERS)
        with open(os.path.join(app, 'yarn.lock')) as f:
            lock = f.read()
        self.assert_lock_resolved_here(lock, 'yarn.lock')
        self.assertIn(sri512(self.scoped_tgz), lock)
        # frozen reinstall from the lockfile with an empty cache
        shutil.rmtree(os.path.join(app, 'node_modules'))
        yarn1_install(self.login, app, self.fresh_cache(), frozen=True)
        self.assertEqual(node_require(app, self.login.env, PLAIN, SCOPED), EXPECTED_ANSWERS)

    def test_yarn4_install(self):
        app = self.consumer('yarn4-app-')
        env = yarn4_install(self.login, app, self.fresh_cache())
        self.assertEqual(node_require(app, env, PLAIN, SCOPED), EXPECTED_ANSWERS)
        with open(os.path.join(app, 'yarn.lock')) as f:
            lock = f.read()
        self.assertIn('@corp/lib@npm:1.0.0', lock)
        self.assertIn('e2e-plain@npm:1.0.0', lock)
        # again from the lockfile (--immutable) with an empty cache
        shutil.rmtree(os.path.join(app, 'node_modules'))
        yarn4_install(self.login, app, self.fresh_cache(), immutable=True)
        self.assertEqual(node_require(app, env, PLAIN, SCOPED), EXPECTED_ANSWERS)

    def test_pnpm_install(self):
        app = self.consumer('pnpm-app-')
        pnpm_install(self.login, app, self.login.fresh_dir('pnpm-store-'))
        self.assertEqual(node_require(app, self.login.env, PLAIN, SCOPED), EXPECTED_ANSWERS)
        with open(os.path.join(app, 'pnpm-lock.yaml')) as f:
            lock = f.read()
        self.assertIn(sri512(self.scoped_tgz), lock)
        # frozen reinstall from the lockfile with an empty store
        shutil.rmtree(os.path.join(app, 'node_modules'))
        pnpm_install(self.login, app, self.login.fresh_dir('pnpm-store-'), frozen=True)
        self.assertEqual(node_require(app, self.login.env, PLAIN, SCOPED), EXPECTED_ANSWERS)

    # ------------------------------------------------------------------ AWS CLI / boto3 view
    def test_aws_cli_sees_packages(self):
        rc, out, err = self.server.aws('codeartifact', 'list-packages', '--domain', DOMAIN, '--repository', REPO,
                                       '--format', 'npm')
        self.assertEqual(rc, 0, err)
        pk = {(p.get('namespace'), p['package']) for p in out['packages']}
        self.assertIn((None, PLAIN), pk)
        self.assertIn(('corp', 'lib'), pk)
        for p in out['packages']:
            self.assertEqual(p['format'], 'npm')
        rc, out, err = self.server.aws('codeartifact', 'list-packages', '--domain', DOMAIN, '--repository', REPO,
                                       '--format', 'npm', '--namespace', 'corp')
        self.assertEqual(rc, 0, err)
        self.assertIn('lib', [p['package'] for p in out['packages']])
        self.assertTrue(all(p.get('namespace') == 'corp' for p in out['packages']), out)

        rc, out, err = self.server.aws('codeartifact', 'list-package-versions', '--domain', DOMAIN, '--repository',
                                       REPO, '--format', 'npm', '--namespace', 'corp', '--package', 'lib')
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(out['versions']), 1, out)
        v = out['versions'][0]
        self.assertEqual((v['version'], v['status']), ('1.0.0', 'Published'))
        self.assertEqual(v['origin']['originType'], 'INTERNAL')
        self.assertEqual(v['origin']['domainEntryPoint'], {'repositoryName': REPO})
        self.assertEqual(out.get('defaultDisplayVersion'), '1.0.0')
        self.assertEqual(out.get('format'), 'npm')
        self.assertEqual(out.get('namespace'), 'corp')
        self.assertEqual(out.get('package'), 'lib')
        self.assertTrue(v.get('revision'), v)

        # the asset through the CLI (an outfile argument)
        dest = os.path.join(self.login.home, 'cli-asset.tgz')
        rc, out, err = self.server.aws('codeartifact', 'get-package-version-asset', '--domain', DOMAIN,
                                       '--repository', REPO, '--format', 'npm', '--namespace', 'corp',
                                       '--package', 'lib', '--package-version', '1.0.0',
                                       '--asset', 'lib-1.0.0.tgz', dest)
        self.assertEqual(rc, 0, err)
        with open(dest, 'rb') as f:
            self.assertEqual(f.read(), self.scoped_tgz)
        self.assertEqual(out.get('assetName'), 'lib-1.0.0.tgz')
        self.assertEqual(out.get('packageVersion'), '1.0.0')

    def test_boto3_describe_assets_readme_dependencies(self):
        kw = dict(domain=DOMAIN, repository=REPO, format='npm', namespace='corp', package='lib',
                  packageVersion='1.0.0')
        pv = self.ca.describe_package_version(**kw)['packageVersion']
        self.assertEqual(pv['displayName'], '@corp/lib')
        self.assertEqual(pv['summary'], 'The corp library')
        self.assertEqual((pv['format'], pv['namespace'], pv['packageName'], pv['version'], pv['status']),
                         ('npm', 'corp', 'lib', '1.0.0', 'Published'))
        self.assertEqual(pv['origin']['originType'], 'INTERNAL')
        self.assertEqual(pv['origin']['domainEntryPoint'], {'repositoryName': REPO})
        self.assertTimestamp(pv['publishedTime'])
        for lic in pv.get('licenses', []):
            self.assertEqual(lic.get('name'), 'MIT')
        revision = pv['revision']

        assets = self.ca.list_package_version_assets(**kw)
        self.assertEqual(len(assets['assets']), 1, assets)
        a = assets['assets'][0]
        self.assertEqual(a['name'], 'lib-1.0.0.tgz')
        self.assertEqual(a['size'], len(self.scoped_tgz))
        self.assertEqual(a['hashes']['SHA-256'], sha256(self.scoped_tgz))
        self.assertEqual(a['hashes'].get('SHA-1'), hashlib.sha1(self.scoped_tgz).hexdigest())
        self.assertEqual(a['hashes'].get('SHA-512'), hashlib.sha512(self.scoped_tgz).hexdigest())
        self.assertEqual(a['hashes'].get('MD5'), hashlib.md5(self.scoped_tgz).hexdigest())
        self.assertEqual(assets.get('versionRevision'), revision)

        got = self.ca.get_package_version_asset(asset='lib-1.0.0.tgz', **kw)
        self.assertEqual(got['asset'].read(), self.scoped_tgz)
        self.assertEqual(got['assetName'], 'lib-1.0.0.tgz')
        self.assertEqual(got['packageVersionRevision'], revision)
        # with the matching revision too
        got = self.ca.get_package_version_asset(asset='lib-1.0.0.tgz', packageVersionRevision=revision, **kw)
        self.assertEqual(got['asset'].read(), self.scoped_tgz)
        self.assertClientError(self.ca.get_package_version_asset, 'ResourceNotFoundException',
                               asset='other-1.0.0.tgz', **kw)

        rd = self.ca.get_package_version_readme(**kw)
        self.assertEqual(rd['readme'], self.scoped_readme)
        self.assertEqual(rd.get('versionRevision'), revision)

        deps = self.ca.list_package_version_dependencies(**kw)
        self.assertEqual(deps.get('versionRevision'), revision)
        self.assertEqual(len(deps['dependencies']), 1, deps)
        d = deps['dependencies'][0]
        self.assertEqual(d['package'], PLAIN)
        self.assertFalse(d.get('namespace'), d)
        self.assertEqual(d['versionRequirement'], '^1.0.0')
        self.assertEqual(d['dependencyType'], 'regular')

        # the unscoped package: no namespace, its own asset
        kw2 = dict(domain=DOMAIN, repository=REPO, format='npm', package=PLAIN, packageVersion='1.0.0')
        pv = self.ca.describe_package_version(**kw2)['packageVersion']
        self.assertEqual(pv['displayName'], PLAIN)
        self.assertNotIn('namespace', pv)
        self.assertEqual(pv['summary'], 'A plain unscoped package')
        a = self.ca.list_package_version_assets(**kw2)['assets']
        self.assertEqual([(x['name'], x['hashes']['SHA-256']) for x in a],
                         [('e2e-plain-1.0.0.tgz', sha256(self.plain_tgz))])
        self.assertEqual(self.ca.get_package_version_asset(asset=a[0]['name'], **kw2)['asset'].read(),
                         self.plain_tgz)
        self.assertEqual(self.ca.list_package_version_dependencies(**kw2)['dependencies'], [])

        pkg = self.ca.describe_package(domain=DOMAIN, repository=REPO, format='npm', namespace='corp',
                                       package='lib')['package']
        self.assertEqual((pkg['format'], pkg['namespace'], pkg['name']), ('npm', 'corp', 'lib'))


if __name__ == '__main__':
    main()
