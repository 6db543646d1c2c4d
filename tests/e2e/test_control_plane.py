"""Control plane (issue A) through boto3: domains, repositories, upstreams, external connections,
endpoints, authorization tokens, tags, pagination, quotas, cross-account isolation, concurrency."""

import json
import re
import socket
import threading
import time

from botocore.exceptions import ClientError

from arca_harness import (ArcaServer, ArcaTestCase, FORMATS, REGION, main, query_string, read_raw_response,
                          sign_request)

ACCOUNT_RE = re.compile(r'^\d{12}$')
TOKEN_RE = re.compile(r'^[A-Za-z0-9._~-]+$')


def tagdict(tags):
    return {t['key']: t['value'] for t in tags}


class ControlPlaneTest(ArcaTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ArcaServer('control-plane')
        cls.addClassCleanup(cls.server.close)
        cls.server.start()
        cls.ca = cls.server.client()
        d = cls.ca.create_domain(domain='cp-repos')['domain']
        cls.owner = d['owner']
        # Extra accounts (offline admin command while the server runs), each with its own key.
        cls.acct = {}
        for name in ('pager', 'quota', 'race', 'other'):
            cls.acct[name] = cls.server.new_account(name)
        cls.cli = {name: cls.server.wait_key_usable(k, s) for name, (_, k, s) in cls.acct.items()}

    # ------------------------------------------------------------------ helpers
    def ok(self, resp):
        md = resp['ResponseMetadata']
        self.assertEqual(md['HTTPStatusCode'], 200, md)
        self.assertTrue(md.get('RequestId'), 'response without x-amzn-RequestId: %s' % md)
        return resp

    def domain_arn(self, name, owner=None):
        return 'arn:aws:codeartifact:%s:%s:domain/%s' % (REGION, owner or self.owner, name)

    def repo_arn(self, domain, name, owner=None):
        return 'arn:aws:codeartifact:%s:%s:repository/%s/%s' % (REGION, owner or self.owner, domain, name)

    def check_domain(self, d, name, owner=None, full=True):
        owner = owner or self.owner
        self.assertEqual(d['name'], name)
        self.assertEqual(d['owner'], owner)
        self.assertRegex(d['owner'], ACCOUNT_RE)
        self.assertEqual(d['arn'], self.domain_arn(name, owner))
        self.assertEqual(d['status'], 'Active')
        self.assertTimestamp(d['createdTime'], slack=600)
        if full:
            self.assertIsInstance(d.get('repositoryCount'), int, d)
            self.assertIsInstance(d.get('assetSizeBytes'), int, d)

    def check_repo(self, r, domain, name, owner=None, admin=None, description=None, summary=False):
        owner = owner or self.owner
        self.assertEqual(r['name'], name)
        self.assertEqual(r['domainName'], domain)
        self.assertEqual(r['domainOwner'], owner)
        self.assertEqual(r['administratorAccount'], admin or owner)
        self.assertEqual(r['arn'], self.repo_arn(domain, name, owner))
        self.assertTimestamp(r['createdTime'], slack=600)
        if description is not None:
            self.assertEqual(r.get('description'), description)
        if summary:
            self.assertNotIn('upstreams', r)
            self.assertNotIn('externalConnections', r)

    def upstream_names(self, r):
        return [u['repositoryName'] for u in r.get('upstreams') or []]

    def make_repos(self, domain, names, client=None):
        c = client or self.ca
        for n in names:
            self.ok(c.create_repository(domain=domain, repository=n))

    def all_pages(self, fn, key, size, **kw):
        pages, token = [], None
        for _ in range(50):
            args = dict(kw, maxResults=size)
            if token:
                args['nextToken'] = token
            resp = self.ok(fn(**args))
            pages.append(resp[key])
            token = resp.get('nextToken')
            if not token:
                break
            self.assertIsInstance(token, str)
            self.assertFalse(re.search(r'\s', token), 'nextToken must not contain whitespace')
        return pages

    # ------------------------------------------------------------------ accounts and keys
    def test_admin_key_is_listed_with_its_account(self):
        rows = {r[0]: r for r in self.server.access_key_list()}
        self.assertIn(self.server.admin_key, rows)
        self.assertEqual(rows[self.server.admin_key][1], self.owner)
        for name, (acct, key, _) in self.acct.items():
            self.assertRegex(acct, ACCOUNT_RE)
            self.assertIn(key, rows)
            self.assertEqual(rows[key][1], acct)
        self.assertEqual(len({a for a, _, _ in self.acct.values()} | {self.owner}), 5,
                         'account ids must be distinct')

    # ------------------------------------------------------------------ domains
    def test_domain_lifecycle(self):
        t0 = time.time()
        d = self.ok(self.ca.create_domain(domain='cp-life'))['domain']
        self.check_domain(d, 'cp-life')
        self.assertAlmostEqual(d['createdTime'].timestamp(), t0, delta=120)
        self.assertEqual(d['repositoryCount'], 0)
        self.assertEqual(d['assetSizeBytes'], 0)

        got = self.ok(self.ca.describe_domain(domain='cp-life'))['domain']
        self.check_domain(got, 'cp-life')
        self.assertEqual(got['arn'], d['arn'])
        self.assertAlmostEqual(got['createdTime'].timestamp(), d['createdTime'].timestamp(), delta=1)
        # explicit domainOwner = own account works too
        got = self.ok(self.ca.describe_domain(domain='cp-life', domainOwner=self.owner))['domain']
        self.assertEqual(got['name'], 'cp-life')

        doms = {x['name']: x for x in self.ok(self.ca.list_domains())['domains']}
        self.assertIn('cp-life', doms)
        self.check_domain(doms['cp-life'], 'cp-life', full=False)
        self.assertNotIn('repositoryCount', doms['cp-life'], 'DomainSummary has no repositoryCount')

        e = self.assertClientError(self.ca.create_domain, 'ConflictException', 409, domain='cp-life')
        self.assertIn('message', {k.lower() for k in e.response['Error']})

        deleted = self.ok(self.ca.delete_domain(domain='cp-life'))['domain']
        self.assertEqual(deleted['name'], 'cp-life')
        self.assertIn(deleted['status'], ('Active', 'Deleted'))
        e = self.assertClientError(self.ca.describe_domain, 'ResourceNotFoundException', 404, domain='cp-life')
        self.assertIn(e.response.get('resourceType', 'domain'), ('domain',))
        self.assertNotIn('cp-life', [x['name'] for x in self.ca.list_domains()['domains']])
        # the name can be reused after deletion
        self.ok(self.ca.create_domain(domain='cp-life'))
        self.ok(self.ca.delete_domain(domain='cp-life'))

    def test_missing_domain_errors(self):
        for fn, kw in [(self.ca.describe_domain, {}),
                       (self.ca.list_repositories_in_domain, {}),
                       (self.ca.get_authorization_token, {}),
                       (self.ca.create_repository, {'repository': 'r1'}),
                       (self.ca.describe_repository, {'repository': 'r1'}),
                       (self.ca.get_repository_endpoint, {'repository': 'r1', 'format': 'npm'})]:
            with self.subTest(op=fn.__name__):
                self.assertClientError(fn, 'ResourceNotFoundException', 404, domain='cp-nowhere', **kw)

    def test_delete_domain_with_repositories_conflicts(self):
        self.ok(self.ca.create_domain(domain='cp-conflict'))
        self.ok(self.ca.create_repository(domain='cp-conflict', repository='blocker'))
        self.assertClientError(self.ca.delete_domain, 'ConflictException', 409, domain='cp-conflict')
        self.ok(self.ca.describe_domain(domain='cp-conflict'))
        self.ok(self.ca.delete_repository(domain='cp-conflict', repository='blocker'))
        self.ok(self.ca.delete_domain(domain='cp-conflict'))

    def test_create_domain_with_tags(self):
        d = self.ok(self.ca.create_domain(domain='cp-tagged', tags=[
            {'key': 'team', 'value': 'infra'}, {'key': 'empty', 'value': ''}]))['domain']
        tags = self.ok(self.ca.list_tags_for_resource(resourceArn=d['arn']))['tags']
        self.assertEqual(tagdict(tags), {'team': 'infra', 'empty': ''})
        r = self.ok(self.ca.create_repository(domain='cp-tagged', repository='tr',
                                              tags=[{'key': 'k', 'value': 'v'}]))['repository']
        self.assertEqual(tagdict(self.ca.list_tags_for_resource(resourceArn=r['arn'])['tags']), {'k': 'v'})

    # ------------------------------------------------------------------ repositories
    def test_repository_lifecycle(self):
        t0 = time.time()
        r = self.ok(self.ca.create_repository(domain='cp-repos', repository='life-repo',
                                              description='first'))['repository']
        self.check_repo(r, 'cp-repos', 'life-repo', description='first')
        self.assertAlmostEqual(r['createdTime'].timestamp(), t0, delta=120)
        self.assertEqual(r.get('upstreams', []), [])
        self.assertEqual(r.get('externalConnections', []), [])

        got = self.ok(self.ca.describe_repository(domain='cp-repos', repository='life-repo'))['repository']
        self.check_repo(got, 'cp-repos', 'life-repo', description='first')
        got = self.ok(self.ca.describe_repository(domain='cp-repos', domainOwner=self.owner,
                                                  repository='life-repo'))['repository']
        self.assertEqual(got['name'], 'life-repo')

        count = self.ca.describe_domain(domain='cp-repos')['domain']['repositoryCount']
        listed = self.ca.list_repositories_in_domain(domain='cp-repos', maxResults=1000)['repositories']
        self.assertEqual(count, len(listed))
        self.assertIn('life-repo', [x['name'] for x in listed])

        self.assertClientError(self.ca.create_repository, 'ConflictException', 409,
                               domain='cp-repos', repository='life-repo')

        up = self.ok(self.ca.update_repository(domain='cp-repos', repository='life-repo',
                                               description='second'))['repository']
        self.check_repo(up, 'cp-repos', 'life-repo', description='second')
        self.assertEqual(self.ca.describe_repository(domain='cp-repos', repository='life-repo')
                         ['repository']['description'], 'second')

        gone = self.ok(self.ca.delete_repository(domain='cp-repos', repository='life-repo'))['repository']
        self.assertEqual(gone['name'], 'life-repo')
        e = self.assertClientError(self.ca.describe_repository, 'ResourceNotFoundException', 404,
                                   domain='cp-repos', repository='life-repo')
        self.assertIn(e.response.get('resourceType', 'repository'), ('repository',))
        self.assertClientError(self.ca.delete_repository, 'ResourceNotFoundException', 404,
                               domain='cp-repos', repository='life-repo')
        self.assertClientError(self.ca.update_repository, 'ResourceNotFoundException', 404,
                               domain='cp-repos', repository='life-repo', description='x')
        self.assertEqual(self.ca.describe_domain(domain='cp-repos')['domain']['repositoryCount'], count - 1)

    def test_list_repositories_shape_and_prefix(self):
        self.make_repos('cp-repos', ['pfx-one', 'pfx-two', 'nopfx-three'])
        names = [r['name'] for p in self.all_pages(self.ca.list_repositories, 'repositories', 1000,
                                                   repositoryPrefix='pfx-') for r in p]
        self.assertEqual(sorted(names), ['pfx-one', 'pfx-two'])
        resp = self.ok(self.ca.list_repositories_in_domain(domain='cp-repos', repositoryPrefix='pfx-'))
        self.assertEqual(sorted(r['name'] for r in resp['repositories']), ['pfx-one', 'pfx-two'])
        for r in resp['repositories']:
            self.check_repo(r, 'cp-repos', r['name'], summary=True)
        all_mine = [r['name'] for p in self.all_pages(self.ca.list_repositories, 'repositories', 1000) for r in p]
        self.assertIn('nopfx-three', all_mine)

    def test_upstreams(self):
        D = 'cp-repos'
        self.make_repos(D, ['us-a', 'us-b', 'us-c', 'us-main'])
        r = self.ok(self.ca.create_repository(domain=D, repository='us-down', upstreams=[
            {'repositoryName': 'us-a'}, {'repositoryName': 'us-b'}]))['repository']
        self.assertEqual(self.upstream_names(r), ['us-a', 'us-b'])
        self.assertEqual(self.upstream_names(
            self.ca.describe_repository(domain=D, repository='us-down')['repository']), ['us-a', 'us-b'])

        # order is priority and is kept as given
        r = self.ok(self.ca.update_repository(domain=D, repository='us-main', upstreams=[
            {'repositoryName': 'us-c'}, {'repositoryName': 'us-a'}, {'repositoryName': 'us-b'}]))['repository']
        self.assertEqual(self.upstream_names(r), ['us-c', 'us-a', 'us-b'])
        # omitted upstreams = unchanged
        r = self.ok(self.ca.update_repository(domain=D, repository='us-main', description='desc only'))['repository']
        self.assertEqual(self.upstream_names(r), ['us-c', 'us-a', 'us-b'])
        self.assertEqual(r['description'], 'desc only')
        # replaces the whole list
        r = self.ok(self.ca.update_repository(domain=D, repository='us-main',
                                              upstreams=[{'repositoryName': 'us-b'}]))['repository']
        self.assertEqual(self.upstream_names(r), ['us-b'])
        self.assertEqual(r['description'], 'desc only', 'description must survive an upstream-only update')
        # [] clears
        r = self.ok(self.ca.update_repository(domain=D, repository='us-main', upstreams=[]))['repository']
        self.assertEqual(self.upstream_names(r), [])
        self.assertEqual(self.upstream_names(
            self.ca.describe_repository(domain=D, repository='us-main')['repository']), [])

        # self reference
        self.assertClientError(self.ca.update_repository, 'ValidationException', 400,
                               domain=D, repository='us-main', upstreams=[{'repositoryName': 'us-main'}])
        # two-node cycle: us-down -> us-a already; us-a -> us-down closes it
        self.assertClientError(self.ca.update_repository, 'ValidationException', 400,
                               domain=D, repository='us-a', upstreams=[{'repositoryName': 'us-down'}])
        # three-node cycle: c -> main, main -> down (down -> a, b); a -> c would close a->c->main->down->a
        self.ok(self.ca.update_repository(domain=D, repository='us-c', upstreams=[{'repositoryName': 'us-main'}]))
        self.ok(self.ca.update_repository(domain=D, repository='us-main', upstreams=[{'repositoryName': 'us-down'}]))
        self.assertClientError(self.ca.update_repository, 'ValidationException', 400,
                               domain=D, repository='us-a', upstreams=[{'repositoryName': 'us-c'}])
        self.assertEqual(self.upstream_names(self.ca.describe_repository(domain=D, repository='us-a')['repository']),
                         [], 'a rejected update must not change anything')
        # an upstream that does not exist in this domain
        self.assertClientError(self.ca.update_repository, ('ValidationException', 'ResourceNotFoundException'),
                               (400, 404), domain=D, repository='us-b', upstreams=[{'repositoryName': 'no-such'}])
        self.assertClientError(self.ca.create_repository, ('ValidationException', 'ResourceNotFoundException'),
                               (400, 404), domain=D, repository='us-bad', upstreams=[{'repositoryName': 'no-such'}])
        self.assertClientError(self.ca.describe_repository, 'ResourceNotFoundException', 404,
                               domain=D, repository='us-bad')

    def test_upstream_limit(self):
        D = 'cp-repos'
        names = ['lim-%02d' % i for i in range(11)]
        self.make_repos(D, names + ['lim-main'])
        r = self.ok(self.ca.update_repository(domain=D, repository='lim-main',
                                              upstreams=[{'repositoryName': n} for n in names[:10]]))['repository']
        self.assertEqual(self.upstream_names(r), names[:10])
        self.assertClientError(self.ca.update_repository, ('ServiceQuotaExceededException', 'ValidationException'),
                               (402, 400), domain=D, repository='lim-main',
                               upstreams=[{'repositoryName': n} for n in names])
        self.assertEqual(self.upstream_names(self.ca.describe_repository(domain=D, repository='lim-main')
                                             ['repository']), names[:10])
        self.assertClientError(self.ca.create_repository, ('ServiceQuotaExceededException', 'ValidationException'),
                               (402, 400), domain=D, repository='lim-new',
                               upstreams=[{'repositoryName': n} for n in names])

    def test_external_connections(self):
        D = 'cp-repos'
        self.make_repos(D, ['ext-repo'])
        r = self.ok(self.ca.associate_external_connection(domain=D, repository='ext-repo',
                                                          externalConnection='public:npmjs'))['repository']
        self.check_repo(r, D, 'ext-repo')
        self.assertEqual(r['externalConnections'], [
            {'externalConnectionName': 'public:npmjs', 'packageFormat': 'npm', 'status': 'Available'}])
        self.assertEqual(self.ca.describe_repository(domain=D, repository='ext-repo')['repository']
                         ['externalConnections'][0]['externalConnectionName'], 'public:npmjs')
        # a second connection on the same repository
        self.assertClientError(self.ca.associate_external_connection, 'ServiceQuotaExceededException', 402,
                               domain=D, repository='ext-repo', externalConnection='public:pypi')
        r = self.ok(self.ca.disassociate_external_connection(domain=D, repository='ext-repo',
                                                             externalConnection='public:npmjs'))['repository']
        self.assertEqual(r.get('externalConnections', []), [])
        self.assertEqual(self.ca.describe_repository(domain=D, repository='ext-repo')['repository']
                         .get('externalConnections', []), [])
        # known AWS name but not configured here, and an unknown name
        for name in ('public:crates-io', 'public:no-such-source'):
            with self.subTest(name=name):
                self.assertClientError(self.ca.associate_external_connection, 'ValidationException', 400,
                                       domain=D, repository='ext-repo', externalConnection=name)
        self.assertClientError(self.ca.associate_external_connection, 'ResourceNotFoundException', 404,
                               domain=D, repository='ext-missing', externalConnection='public:npmjs')
        r = self.ok(self.ca.associate_external_connection(domain=D, repository='ext-repo',
                                                          externalConnection='public:maven-central'))['repository']
        self.assertEqual(r['externalConnections'], [{'externalConnectionName': 'public:maven-central',
                                                     'packageFormat': 'maven', 'status': 'Available'}])
        self.make_repos(D, ['ext-repo2'])
        r = self.ok(self.ca.associate_external_connection(domain=D, repository='ext-repo2',
                                                          externalConnection='public:pypi'))['repository']
        self.assertEqual(r['externalConnections'][0]['packageFormat'], 'pypi')

    def test_description_roundtrip(self):
        for desc in ('h\u00e9llo \u2713 \u6f22\u5b57 "quoted" \\ back', 'x' * 1000, ''):
            with self.subTest(desc=desc[:20]):
                r = self.ok(self.ca.create_repository(domain='cp-repos', repository='desc-repo',
                                                      description=desc))['repository']
                self.assertEqual(r.get('description', ''), desc)
                r = self.ca.describe_repository(domain='cp-repos', repository='desc-repo')['repository']
                self.assertEqual(r.get('description', ''), desc)
                self.ok(self.ca.delete_repository(domain='cp-repos', repository='desc-repo'))

    def test_delete_repository_used_as_upstream(self):
        D = 'cp-repos'
        self.make_repos(D, ['dup-up', 'dup-other'])
        self.ok(self.ca.create_repository(domain=D, repository='dup-down', upstreams=[
            {'repositoryName': 'dup-up'}, {'repositoryName': 'dup-other'}]))
        try:
            self.ca.delete_repository(domain=D, repository='dup-up')
        except ClientError as e:
            # refusing is acceptable (AWS behaviour unverified) ...
            self.assertEqual(e.response['Error']['Code'], 'ConflictException', e.response)
            return
        # ... but if allowed, the downstream must not keep a dangling upstream that a new repository
        # of the same name would silently take over
        r = self.ok(self.ca.describe_repository(domain=D, repository='dup-down'))['repository']
        self.assertEqual(self.upstream_names(r), ['dup-other'])
        self.make_repos(D, ['dup-up'])
        r = self.ca.describe_repository(domain=D, repository='dup-down')['repository']
        self.assertEqual(self.upstream_names(r), ['dup-other'])

    # ------------------------------------------------------------------ endpoints and tokens
    def test_repository_endpoint_every_format(self):
        self.make_repos('cp-repos', ['ep-repo'])
        for fmt in FORMATS:
            with self.subTest(format=fmt):
                resp = self.ok(self.ca.get_repository_endpoint(domain='cp-repos', repository='ep-repo', format=fmt))
                self.assertEqual(resp['repositoryEndpoint'],
                                 '%s/%s/d/cp-repos-%s/ep-repo/' % (self.server.url, fmt, self.owner))
        resp = self.ok(self.ca.get_repository_endpoint(domain='cp-repos', domainOwner=self.owner,
                                                       repository='ep-repo', format='npm'))
        self.assertTrue(resp['repositoryEndpoint'].endswith('/ep-repo/'))
        raw = self.server.client(validate=False)
        self.assertClientError(raw.get_repository_endpoint, 'ValidationException', 400,
                               domain='cp-repos', repository='ep-repo', format='rpm')
        self.assertClientError(self.ca.get_repository_endpoint, 'ResourceNotFoundException', 404,
                               domain='cp-repos', repository='ep-missing', format='npm')

    def test_authorization_token(self):
        now = time.time()
        t = self.ok(self.ca.get_authorization_token(domain='cp-repos'))
        self.assertIsInstance(t['authorizationToken'], str)
        self.assertRegex(t['authorizationToken'], TOKEN_RE,
                         'token must be URL-userinfo-safe (pip and aws login embed it unescaped)')
        self.assertLess(len(t['authorizationToken']), 4096)
        self.assertTimestamp(t['expiration'], around=now + 43200, slack=120)
        for dur in (900, 43200, 3600):
            with self.subTest(duration=dur):
                t = self.ok(self.ca.get_authorization_token(domain='cp-repos', durationSeconds=dur))
                self.assertTimestamp(t['expiration'], around=time.time() + dur, slack=120)
        t = self.ok(self.ca.get_authorization_token(domain='cp-repos', durationSeconds=0))
        self.assertTrue(t['authorizationToken'])
        t = self.ok(self.ca.get_authorization_token(domain='cp-repos', domainOwner=self.owner))
        self.assertTrue(t['authorizationToken'])
        for dur in (1, 100, 899, 43201, 100000):
            with self.subTest(duration=dur):
                self.assertClientError(self.ca.get_authorization_token, 'ValidationException', 400,
                                       domain='cp-repos', durationSeconds=dur)

    # ------------------------------------------------------------------ tags
    def test_tags_domain_and_repository(self):
        d = self.ok(self.ca.create_domain(domain='cp-tags'))['domain']
        r = self.ok(self.ca.create_repository(domain='cp-tags', repository='tag-repo'))['repository']
        self.assertEqual(d['arn'], self.domain_arn('cp-tags'))
        self.assertEqual(r['arn'], self.repo_arn('cp-tags', 'tag-repo'))
        for arn in (d['arn'], r['arn']):
            with self.subTest(arn=arn):
                self.assertEqual(self.ok(self.ca.list_tags_for_resource(resourceArn=arn))['tags'], [])
                resp = self.ok(self.ca.tag_resource(resourceArn=arn, tags=[
                    {'key': 'team', 'value': 'a'}, {'key': 'env', 'value': 'dev'}]))
                self.assertEqual({k: v for k, v in resp.items() if k != 'ResponseMetadata'}, {})
                tags = self.ok(self.ca.list_tags_for_resource(resourceArn=arn))['tags']
                for t in tags:
                    self.assertEqual(set(t), {'key', 'value'})
                self.assertEqual(tagdict(tags), {'team': 'a', 'env': 'dev'})
                self.ok(self.ca.tag_resource(resourceArn=arn, tags=[{'key': 'team', 'value': 'b'}]))
                tags = self.ca.list_tags_for_resource(resourceArn=arn)['tags']
                self.assertEqual(len(tags), 2)
                self.assertEqual(tagdict(tags), {'team': 'b', 'env': 'dev'})
                resp = self.ok(self.ca.untag_resource(resourceArn=arn, tagKeys=['team', 'not-there']))
                self.assertEqual(tagdict(self.ca.list_tags_for_resource(resourceArn=arn)['tags']), {'env': 'dev'})
        # tags of the domain and of its repository are separate
        self.assertEqual(tagdict(self.ca.list_tags_for_resource(resourceArn=d['arn'])['tags']), {'env': 'dev'})

    def test_tags_unknown_arn(self):
        for arn in (self.domain_arn('cp-no-such-domain'),
                    self.repo_arn('cp-repos', 'no-such-repo'),
                    self.repo_arn('cp-no-such-domain', 'x')):
            with self.subTest(arn=arn):
                for fn, kw in [(self.ca.list_tags_for_resource, {}),
                               (self.ca.tag_resource, {'tags': [{'key': 'a', 'value': 'b'}]}),
                               (self.ca.untag_resource, {'tagKeys': ['a']})]:
                    self.assertClientError(fn, 'ResourceNotFoundException', 404, resourceArn=arn, **kw)
        self.assertClientError(self.ca.list_tags_for_resource, ('ResourceNotFoundException', 'ValidationException'),
                               (404, 400), resourceArn='arn:aws:codeartifact:%s:%s:bogus/x' % (REGION, self.owner))

    def test_tags_do_not_outlive_their_resource(self):
        d = self.ok(self.ca.create_domain(domain='cp-retag', tags=[{'key': 'old', 'value': 'd'}]))['domain']
        r = self.ok(self.ca.create_repository(domain='cp-retag', repository='rt',
                                              tags=[{'key': 'old', 'value': 'r'}]))['repository']
        self.ok(self.ca.delete_repository(domain='cp-retag', repository='rt'))
        self.assertClientError(self.ca.list_tags_for_resource, 'ResourceNotFoundException', 404, resourceArn=r['arn'])
        r2 = self.ok(self.ca.create_repository(domain='cp-retag', repository='rt'))['repository']
        self.assertEqual(r2['arn'], r['arn'])
        self.assertEqual(self.ca.list_tags_for_resource(resourceArn=r['arn'])['tags'], [])
        self.ok(self.ca.delete_repository(domain='cp-retag', repository='rt'))
        self.ok(self.ca.delete_domain(domain='cp-retag'))
        self.assertClientError(self.ca.list_tags_for_resource, 'ResourceNotFoundException', 404, resourceArn=d['arn'])
        self.ok(self.ca.create_domain(domain='cp-retag'))
        self.assertEqual(self.ca.list_tags_for_resource(resourceArn=d['arn'])['tags'], [])
        self.ok(self.ca.delete_domain(domain='cp-retag'))

    def test_tag_quota(self):
        self.make_repos('cp-repos', ['tagq-1', 'tagq-2'])
        arn1 = self.repo_arn('cp-repos', 'tagq-1')
        arn2 = self.repo_arn('cp-repos', 'tagq-2')
        too_many = [{'key': 'k%03d' % i, 'value': 'v'} for i in range(201)]
        self.assertClientError(self.ca.tag_resource, ('ServiceQuotaExceededException', 'ValidationException'),
                               (402, 400), resourceArn=arn1, tags=too_many)
        self.assertEqual(self.ca.list_tags_for_resource(resourceArn=arn1)['tags'], [])
        self.ok(self.ca.tag_resource(resourceArn=arn2, tags=too_many[:200]))
        self.assertEqual(len(self.ca.list_tags_for_resource(resourceArn=arn2)['tags']), 200)
        # overwriting an existing key keeps the count at 200: allowed
        self.ok(self.ca.tag_resource(resourceArn=arn2, tags=[{'key': 'k000', 'value': 'w'}]))
        self.assertClientError(self.ca.tag_resource, ('ServiceQuotaExceededException', 'ValidationException'),
                               (402, 400), resourceArn=arn2, tags=[{'key': 'one-more', 'value': 'v'}])
        self.assertEqual(len(self.ca.list_tags_for_resource(resourceArn=arn2)['tags']), 200)
        # key length 128 ok, 129 rejected
        self.ok(self.ca.tag_resource(resourceArn=arn1, tags=[{'key': 'k' * 128, 'value': 'v' * 256}]))
        self.assertClientError(self.server.client(validate=False).tag_resource, 'ValidationException', 400,
                               resourceArn=arn1, tags=[{'key': 'k' * 129, 'value': 'v'}])

    # ------------------------------------------------------------------ pagination (account "pager")
    def test_pagination(self):
        acct, _, _ = self.acct['pager']
        c = self.cli['pager']
        doms = ['pg-d%d' % i for i in range(1, 8)]
        for n in doms:
            self.ok(c.create_domain(domain=n))
        pages = self.all_pages(c.list_domains, 'domains', 3)
        self.assertEqual([len(p) for p in pages], [3, 3, 1])
        names = [d['name'] for p in pages for d in p]
        self.assertEqual(len(names), len(set(names)), 'duplicates across pages')
        self.assertEqual(sorted(names), doms)
        for p in pages:
            for d in p:
                self.check_domain(d, d['name'], owner=acct, full=False)
        # the botocore paginator (ListDomains carries maxResults/nextToken in the JSON body)
        names = [d['name'] for page in c.get_paginator('list_domains').paginate(PaginationConfig={'PageSize': 2})
                 for d in page['domains']]
        self.assertEqual(sorted(names), doms)

        repos = ['r%d' % i for i in range(1, 8)]
        self.make_repos('pg-d1', repos, client=c)
        pages = self.all_pages(c.list_repositories, 'repositories', 3)
        self.assertEqual([len(p) for p in pages], [3, 3, 1])
        names = [r['name'] for p in pages for r in p]
        self.assertEqual(len(names), len(set(names)))
        self.assertEqual(sorted(names), repos)
        for p in pages:
            for r in p:
                self.check_repo(r, 'pg-d1', r['name'], owner=acct, summary=True)

        pages = self.all_pages(c.list_repositories_in_domain, 'repositories', 3, domain='pg-d1')
        self.assertEqual([len(p) for p in pages], [3, 3, 1])
        names = [r['name'] for p in pages for r in p]
        self.assertEqual(sorted(names), repos)
        self.assertEqual(len(names), len(set(names)))
        names = [r['name'] for page in c.get_paginator('list_repositories_in_domain').paginate(
            domain='pg-d1', PaginationConfig={'PageSize': 4}) for r in page['repositories']]
        self.assertEqual(sorted(names), repos)

        # filters
        resp = self.ok(c.list_repositories_in_domain(domain='pg-d1', administratorAccount=acct))
        self.assertEqual(sorted(r['name'] for r in resp['repositories']), repos)
        resp = self.ok(c.list_repositories_in_domain(domain='pg-d1', administratorAccount=self.owner))
        self.assertEqual(resp['repositories'], [])
        resp = self.ok(c.list_repositories_in_domain(domain='pg-d1', repositoryPrefix='r1'))
        self.assertEqual([r['name'] for r in resp['repositories']], ['r1'])
        resp = self.ok(c.list_repositories(repositoryPrefix='r7'))
        self.assertEqual([r['name'] for r in resp['repositories']], ['r7'])
        self.assertEqual(c.describe_domain(domain='pg-d1')['domain']['repositoryCount'], 7)

    def test_pagination_survives_deletes_between_pages(self):
        D = 'cp-pagedel'
        self.ok(self.ca.create_domain(domain=D))
        names = ['pd-%d' % i for i in range(8)]
        self.make_repos(D, names)
        first = self.ok(self.ca.list_repositories_in_domain(domain=D, maxResults=3))
        seen = [r['name'] for r in first['repositories']]
        self.assertEqual(len(seen), 3)
        # delete an item already returned; every repository that exists throughout must still be listed
        self.ok(self.ca.delete_repository(domain=D, repository=seen[0]))
        token = first['nextToken']
        rest = []
        for _ in range(10):
            resp = self.ok(self.ca.list_repositories_in_domain(domain=D, maxResults=3, nextToken=token))
            rest += [r['name'] for r in resp['repositories']]
            token = resp.get('nextToken')
            if not token:
                break
        self.assertEqual(len(seen + rest), len(set(seen + rest)), 'duplicates: %s + %s' % (seen, rest))
        self.assertEqual(sorted(set(seen + rest)), sorted(names), 'skipped: %s' % (set(names) - set(seen + rest)))

    # ------------------------------------------------------------------ quota (account "quota")
    def test_domain_quota(self):
        c = self.cli['quota']
        for i in range(10):
            self.ok(c.create_domain(domain='q-d%d' % i))
        e = self.assertClientError(c.create_domain, 'ServiceQuotaExceededException', 402, domain='q-d10')
        self.assertClientError(c.describe_domain, 'ResourceNotFoundException', 404, domain='q-d10')
        self.assertEqual(len(c.list_domains(maxResults=100)['domains']), 10)
        # the quota is per account: the admin account is unaffected
        self.ok(self.ca.describe_domain(domain='cp-repos'))
        self.ok(c.delete_domain(domain='q-d0'))
        self.ok(c.create_domain(domain='q-d10'))

    # ------------------------------------------------------------------ concurrency (account "race")
    def test_concurrent_create_domain(self):
        _, key, secret = self.acct['race']
        clients = [self.server.client(key, secret) for _ in range(10)]
        barrier = threading.Barrier(10)
        results = [None] * 10

        def worker(i):
            try:
                barrier.wait(10)
                results[i] = ('ok', clients[i].create_domain(domain='race-dom')['domain']['name'])
            except ClientError as e:
                results[i] = (e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'])
            except Exception as e:  # noqa: BLE001 — report anything else as a failure
                results[i] = ('exception', repr(e))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(sum(1 for r in results if r and r[0] == 'ok'), 1, results)
        self.assertEqual(sum(1 for r in results if r == ('ConflictException', 409)), 9, results)
        names = [d['name'] for d in self.cli['race'].list_domains()['domains']]
        self.assertEqual(names.count('race-dom'), 1, names)

    def test_concurrent_upstream_updates_cannot_form_cycle(self):
        # x -> y and y -> x sent at the same moment: at most one may win, or the cycle check is racy.
        # Both requests are signed and their connections opened beforehand, so they leave together.
        D = 'cp-repos'
        pairs = 120     # the window is small: a racy server shows it in a few percent of the pairs
        names = [('cyc-x%03d' % i, 'cyc-y%03d' % i) for i in range(pairs)]
        self.make_repos(D, [n for pair in names for n in pair])

        def prepared(repo, up):
            path = '/v1/repository?' + query_string({'domain': D, 'repository': repo})
            body = json.dumps({'upstreams': [{'repositoryName': up}]}).encode()
            _, headers, _ = sign_request(self.server.url + path, 'PUT', self.server.admin_key,
                                         self.server.admin_secret, body=body,
                                         headers={'Content-Type': 'application/json'})
            headers['Content-Length'] = str(len(body))
            headers['Connection'] = 'close'
            return ('PUT %s HTTP/1.1\r\n' % path + ''.join('%s: %s\r\n' % kv for kv in headers.items())
                    + '\r\n').encode() + body

        cycles = []
        for x, y in names:
            reqs = [prepared(x, y), prepared(y, x)]
            socks = [socket.create_connection(('127.0.0.1', self.server.port), timeout=10) for _ in reqs]
            barrier = threading.Barrier(2)
            status = [None, None]

            def worker(k):
                barrier.wait(10)
                socks[k].sendall(reqs[k])
                res = read_raw_response(socks[k], timeout=10)
                status[k] = res[0] if res else None

            ts = [threading.Thread(target=worker, args=(k,)) for k in (0, 1)]
            for t in ts:
                t.start()
            for t in ts:
                t.join(30)
            for sk in socks:
                sk.close()
            ux = self.upstream_names(self.ca.describe_repository(domain=D, repository=x)['repository'])
            uy = self.upstream_names(self.ca.describe_repository(domain=D, repository=y)['repository'])
            if ux == [y] and uy == [x]:
                cycles.append((x, y, status))
                break
            else:
                self.assertIn(200, status)
                self.assertTrue(set(status) <= {200, 400, 409}, status)
        self.assertEqual(cycles, [], 'concurrent UpdateRepository calls stored an upstream cycle (x -> y and y -> x) '
                         'within %d of %d simultaneous pairs' % (names.index(cycles[0][:2]) + 1 if cycles else 0, pairs))

    # ------------------------------------------------------------------ cross-account (account "other")
    def test_cross_account_isolation(self):
        other, _, _ = self.acct['other']
        oc = self.cli['other']
        d = self.ok(oc.create_domain(domain='xa-dom'))['domain']
        self.check_domain(d, 'xa-dom', owner=other)
        r = self.ok(oc.create_repository(domain='xa-dom', repository='xa-repo'))['repository']
        self.check_repo(r, 'xa-dom', 'xa-repo', owner=other)
        self.ok(oc.describe_domain(domain='xa-dom', domainOwner=other))

        # ListRepositories / ListDomains only show the caller's own resources
        self.assertEqual([(x['domainName'], x['name']) for x in oc.list_repositories()['repositories']],
                         [('xa-dom', 'xa-repo')])
        self.assertEqual([x['name'] for x in oc.list_domains()['domains']], ['xa-dom'])
        mine = self.ca.list_repositories(maxResults=1000)['repositories']
        self.assertNotIn('xa-dom', [x['domainName'] for x in mine])
        self.assertTrue(all(x['administratorAccount'] == self.owner for x in mine))
        self.assertNotIn('xa-dom', [x['name'] for x in self.ca.list_domains(maxResults=1000)['domains']])

        # the admin account cannot see into the other account's domain
        self.assertClientError(self.ca.describe_domain, 'ResourceNotFoundException', 404, domain='xa-dom')
        for fn, kw in [(self.ca.describe_domain, {}),
                       (self.ca.describe_repository, {'repository': 'xa-repo'}),
                       (self.ca.list_repositories_in_domain, {}),
                       (self.ca.get_authorization_token, {}),
                       (self.ca.get_repository_endpoint, {'repository': 'xa-repo', 'format': 'npm'}),
                       (self.ca.update_repository, {'repository': 'xa-repo', 'description': 'pwned'}),
                       (self.ca.delete_repository, {'repository': 'xa-repo'}),
                       (self.ca.delete_domain, {})]:
            with self.subTest(op=fn.__name__):
                self.assertClientError(fn, ('ResourceNotFoundException', 'AccessDeniedException'), (404, 403),
                                       domain='xa-dom', domainOwner=other, **kw)
        self.assertClientError(self.ca.list_tags_for_resource, ('ResourceNotFoundException', 'AccessDeniedException'),
                               (404, 403), resourceArn=d['arn'])
        self.assertClientError(self.ca.tag_resource, ('ResourceNotFoundException', 'AccessDeniedException'),
                               (404, 403), resourceArn=r['arn'], tags=[{'key': 'a', 'value': 'b'}])
        # nothing changed
        r2 = oc.describe_repository(domain='xa-dom', repository='xa-repo')['repository']
        self.assertIsNone(r2.get('description'))
        self.assertEqual(oc.list_tags_for_resource(resourceArn=r['arn'])['tags'], [])

        # domain names are unique per account only
        a = self.ok(self.ca.create_domain(domain='cp-shared-name'))['domain']
        b = self.ok(oc.create_domain(domain='cp-shared-name'))['domain']
        self.assertEqual((a['owner'], b['owner']), (self.owner, other))
        self.assertNotEqual(a['arn'], b['arn'])


class PublicUrlTest(ArcaTestCase):
    """--public-url decides what GetRepositoryEndpoint returns."""

    PUBLIC = 'http://arca.test:8443'

    @classmethod
    def setUpClass(cls):
        cls.server = ArcaServer('public-url', public_url=cls.PUBLIC)
        cls.addClassCleanup(cls.server.close)
        cls.server.start()

    def test_listening_line_names_bound_address(self):
        # `arca: listening on http://127.0.0.1:PORT` even when --public-url is set (it is how a
        # supervisor or this harness learns the port picked for --listen 127.0.0.1:0)
        self.assertEqual(self.server.listening_line, 'arca: listening on %s' % self.server.url)
        self.assertEqual(self.server.healthz().status, 200)

    def test_endpoint_uses_public_url(self):
        ca = self.server.client()
        owner = ca.create_domain(domain='pub')['domain']['owner']
        ca.create_repository(domain='pub', repository='repo')
        for fmt in ('npm', 'pypi', 'cargo'):
            with self.subTest(format=fmt):
                ep = ca.get_repository_endpoint(domain='pub', repository='repo', format=fmt)['repositoryEndpoint']
                self.assertEqual(ep, '%s/%s/d/pub-%s/repo/' % (self.PUBLIC, fmt, owner))


if __name__ == '__main__':
    main()
