"""Package origin controls and package groups (issue D), end to end with npm and the AWS CLI.

The dependency-confusion scenario: internal `corp-utils` and `@corp/...` packages are published
to `team`; the "public" upstream (Verdaccio behind the external connection of `public-store`)
holds the same names with higher versions. Installs through `team` get only the internal ones; a
package group `/npm/corp/*` with EXTERNAL_UPSTREAM=BLOCK makes a `@corp` name that exists only
upstream a 404 while unrelated packages still come through; PUBLISH=ALLOW_SPECIFIC_REPOSITORIES
lets only the listed repositories publish; a package's own origin configuration changes what npm
sees at once.
"""

import json
import tempfile

from arca_harness import ArcaServer, ArcaTestCase, main
from npm_util import create_pull_chain, NpmLogin, require_npm, SkipsPerTest, write_package
from verdaccio_upstream import VerdaccioUpstream

DOMAIN = 'dc'


class DependencyConfusionTest(SkipsPerTest, ArcaTestCase):
    @classmethod
    def setUpFixture(cls):
        require_npm()
        cls.up = VerdaccioUpstream('dc-upstream')
        cls.addClassCleanup(cls.up.close)
        cls.up.start()
        for name, version in (('corp-utils', '9.9.9'), ('@corp/lib', '9.9.9'),
                              ('@corp/only-upstream', '1.0.0'), ('@corp/later', '1.0.0'),
                              ('plain-public', '1.0.0'), ('plain-public-2', '1.0.0')):
            cls.up.publish(name, version)
        cls.server = ArcaServer('dc', config='[external_connections]\n"public:npmjs" = "%s"\n'
                                % cls.up.url)
        cls.addClassCleanup(cls.server.close)
        cls.server.start()
        cls.ca = cls.server.client()
        cls.ca.create_domain(domain=DOMAIN)
        create_pull_chain(cls.ca, DOMAIN, 'public-store')
        for repo in ('team', 'other'):
            cls.ca.create_repository(domain=DOMAIN, repository=repo,
                                     upstreams=[{'repositoryName': 'public-store'}])
        cls.team = NpmLogin(cls.server, DOMAIN, 'team', cls.server.workdir)
        cls.other = NpmLogin(cls.server, DOMAIN, 'other', cls.server.workdir)
        cls.pkgroot = tempfile.mkdtemp(prefix='pkgs-', dir=cls.server.workdir)
        # Before the first internal publish, block the upstream for the internal names (a
        # version-less package record, §6.1): npm itself reads the packument before publishing,
        # and would otherwise see the public 9.9.9.
        for ns, name in (('', 'corp-utils'), ('corp', 'lib')):
            kw = {'namespace': ns} if ns else {}
            cls.ca.put_package_origin_configuration(
                domain=DOMAIN, repository='team', format='npm', package=name,
                restrictions={'publish': 'ALLOW', 'upstream': 'BLOCK'}, **kw)
        for name in ('corp-utils', '@corp/lib'):
            cls.publish(cls.team, name, '1.0.0')

    @classmethod
    def publish(cls, login, name, version, check=True):
        d = write_package(tempfile.mkdtemp(prefix='p-', dir=cls.pkgroot), name, version)
        return login.npm('publish', cwd=d, check=check)

    def aws(self, *args):
        rc, out, err = self.server.aws('codeartifact', *args, '--domain', DOMAIN)
        self.assertEqual(rc, 0, err)
        return out

    def view_versions(self, login, name):
        p = login.npm('view', name, 'versions', '--json', check=False,
                      cache=login.fresh_dir('cache-'))
        if p.returncode != 0:
            return None, p.stdout + p.stderr
        v = json.loads(p.stdout)
        return (v if isinstance(v, list) else [v]), ''

    def test_1_internal_names_never_come_from_upstream(self):
        for name in ('corp-utils', '@corp/lib'):
            versions, _ = self.view_versions(self.team, name)
            self.assertEqual(versions, ['1.0.0'], name)
        versions, _ = self.view_versions(self.team, 'plain-public')
        self.assertEqual(versions, ['1.0.0'])
        pkg = self.aws('describe-package', '--repository', 'team', '--format', 'npm',
                       '--package', 'corp-utils')['package']
        self.assertEqual(pkg['originConfiguration']['restrictions'],
                         {'publish': 'ALLOW', 'upstream': 'BLOCK'})

    def test_2_package_origin_configuration_changes_what_npm_sees(self):
        self.aws('put-package-origin-configuration', '--repository', 'team', '--format', 'npm',
                 '--package', 'corp-utils', '--restrictions', 'publish=ALLOW,upstream=ALLOW')
        versions, _ = self.view_versions(self.team, 'corp-utils')
        self.assertEqual(versions, ['1.0.0', '9.9.9'])
        self.aws('put-package-origin-configuration', '--repository', 'team', '--format', 'npm',
                 '--package', 'corp-utils', '--restrictions', 'publish=ALLOW,upstream=BLOCK')
        versions, _ = self.view_versions(self.team, 'corp-utils')
        self.assertEqual(versions, ['1.0.0'])
        # publish=BLOCK refuses npm publish with a message naming the restriction.
        self.aws('put-package-origin-configuration', '--repository', 'team', '--format', 'npm',
                 '--package', 'corp-utils', '--restrictions', 'publish=BLOCK,upstream=BLOCK')
        p = self.publish(self.team, 'corp-utils', '1.0.1', check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('publish=BLOCK', p.stdout + p.stderr)
        self.aws('put-package-origin-configuration', '--repository', 'team', '--format', 'npm',
                 '--package', 'corp-utils', '--restrictions', 'publish=ALLOW,upstream=BLOCK')
        self.publish(self.team, 'corp-utils', '1.0.1')

    def test_3_group_blocks_external_names_of_the_scope(self):
        versions, _ = self.view_versions(self.team, '@corp/only-upstream')
        self.assertEqual(versions, ['1.0.0'])  # before the group: it comes through
        group = self.aws('create-package-group', '--package-group', '/npm/corp/*')['packageGroup']
        self.assertEqual(group['parent']['pattern'], '/*')
        self.assertEqual(group['originConfiguration']['restrictions']['EXTERNAL_UPSTREAM']
                         ['effectiveMode'], 'ALLOW')
        out = self.aws('update-package-group-origin-configuration', '--package-group', '/npm/corp/*',
                       '--restrictions', 'EXTERNAL_UPSTREAM=BLOCK')
        r = out['packageGroup']['originConfiguration']['restrictions']
        self.assertEqual(r['EXTERNAL_UPSTREAM']['mode'], 'BLOCK')
        self.assertEqual(r['PUBLISH']['effectiveMode'], 'ALLOW')
        self.assertEqual(r['PUBLISH']['inheritedFrom']['pattern'], '/*')
        versions, text = self.view_versions(self.team, '@corp/later')
        self.assertIsNone(versions)
        self.assertIn('404', text)
        versions, _ = self.view_versions(self.team, 'plain-public-2')
        self.assertEqual(versions, ['1.0.0'])  # unrelated names still come through
        assoc = self.aws('get-associated-package-group', '--format', 'npm', '--namespace', 'corp',
                         '--package', 'later')
        self.assertEqual(assoc['packageGroup']['pattern'], '/npm/corp/*')

    def test_4_publish_only_from_listed_repositories(self):
        self.aws('create-package-group', '--package-group', '/npm/corp/team-only~')
        self.aws('update-package-group-origin-configuration', '--package-group',
                 '/npm/corp/team-only~', '--restrictions', 'PUBLISH=ALLOW_SPECIFIC_REPOSITORIES',
                 '--add-allowed-repositories',
                 'originRestrictionType=PUBLISH,repositoryName=team')
        self.publish(self.team, '@corp/team-only-a', '1.0.0')
        p = self.publish(self.other, '@corp/team-only-b', '1.0.0', check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('/npm/corp/team-only~', p.stdout + p.stderr)
        allowed = self.aws('list-allowed-repositories-for-group', '--package-group',
                           '/npm/corp/team-only~', '--origin-restriction-type', 'PUBLISH')
        self.assertEqual(allowed['allowedRepositories'], ['team'])
        subs = self.aws('list-sub-package-groups', '--package-group', '/npm/corp/*')
        self.assertEqual([g['pattern'] for g in subs['packageGroups']], ['/npm/corp/team-only~'])
        assoc = self.aws('list-associated-packages', '--package-group', '/npm/corp/team-only~')
        self.assertEqual([(p.get('namespace'), p['package']) for p in assoc['packages']],
                         [('corp', 'team-only-a')])

    def test_5_groups_validation_and_root(self):
        rc, _, err = self.server.aws('codeartifact', 'create-package-group', '--domain', DOMAIN,
                                     '--package-group', '/npm/*/x')
        self.assertNotEqual(rc, 0)
        self.assertIn('ValidationException', err)
        rc, _, err = self.server.aws('codeartifact', 'delete-package-group', '--domain', DOMAIN,
                                     '--package-group', '/*')
        self.assertNotEqual(rc, 0)
        groups = self.aws('list-package-groups')['packageGroups']
        self.assertIn('/*', [g['pattern'] for g in groups])


if __name__ == '__main__':
    main()
