"""The real AWS CLI (aws-cli v1, `aws codeartifact ...`) against Arca, including `aws codeartifact login`."""

import concurrent.futures
import datetime
import os
import re
import tempfile
import time
import urllib.error
import urllib.request

from arca_harness import ArcaServer, ArcaTestCase, FORMATS, REGION, basic_auth, main


def to_epoch(v):
    """CLI timestamps: epoch number (aws-cli v1 default) or an ISO 8601 string."""
    if isinstance(v, (int, float)):
        return float(v)
    s = str(v).replace('Z', '+00:00')
    d = datetime.datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d.timestamp()


def fetch(url, headers=None, timeout=10):
    """GET with urllib (no proxies). Returns (status, headers, body)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class AwsCliTest(ArcaTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ArcaServer('aws-cli')
        cls.addClassCleanup(cls.server.close)
        cls.server.start()
        ca = cls.server.client()
        cls.owner = ca.create_domain(domain='cli-login')['domain']['owner']
        ca.create_repository(domain='cli-login', repository='repo')
        cls.port = cls.server.port

    def aws(self, *args, **kw):
        return self.server.aws('codeartifact', *args, **kw)

    def ok(self, *args, **kw):
        rc, out, err = self.aws(*args, **kw)
        self.assertEqual(rc, 0, 'aws codeartifact %s failed rc=%s\nstdout: %r\nstderr: %s' % (' '.join(args), rc, out, err))
        return out

    def aws_many(self, *calls):
        """Independent CLI runs, four at a time (each run is mostly interpreter start-up)."""
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            return list(pool.map(lambda args: self.aws(*args), calls))

    def fails(self, code, *args, result=None, **kw):
        rc, out, err = result if result is not None else self.aws(*args, **kw)
        self.assertIn(rc, (254, 255), 'aws codeartifact %s: expected a service error, rc=%s out=%r err=%s'
                      % (' '.join(args), rc, out, err))
        self.assertIn(code, err)
        return err

    def endpoint(self, fmt, domain='cli-login', repo='repo'):
        return '%s/%s/d/%s-%s/%s/' % (self.server.url, fmt, domain, self.owner, repo)

    # ------------------------------------------------------------------ domains
    def test_domain_commands(self):
        d = self.ok('create-domain', '--domain', 'cli-d1')['domain']
        self.assertEqual(d['name'], 'cli-d1')
        self.assertEqual(d['owner'], self.owner)
        self.assertEqual(d['arn'], 'arn:aws:codeartifact:%s:%s:domain/cli-d1' % (REGION, self.owner))
        self.assertEqual(d['status'], 'Active')
        self.assertLess(abs(to_epoch(d['createdTime']) - time.time()), 600)
        d = self.ok('describe-domain', '--domain', 'cli-d1')['domain']
        self.assertEqual((d['name'], d['repositoryCount']), ('cli-d1', 0))
        self.ok('create-domain', '--domain', 'cli-d1b')
        names = [x['name'] for x in self.ok('list-domains')['domains']]
        self.assertIn('cli-d1', names)
        # the CLI paginates ListDomains itself (maxResults/nextToken in the JSON body)
        paged = [x['name'] for x in self.ok('list-domains', '--page-size', '1')['domains']]
        self.assertEqual(sorted(paged), sorted(names))
        self.assertEqual(len(paged), len(set(paged)))
        self.fails('ConflictException', 'create-domain', '--domain', 'cli-d1')
        d = self.ok('delete-domain', '--domain', 'cli-d1')['domain']
        self.assertEqual(d['name'], 'cli-d1')
        self.ok('delete-domain', '--domain', 'cli-d1b')
        self.fails('ResourceNotFoundException', 'describe-domain', '--domain', 'cli-d1')

    def test_error_output_for_missing_domain(self):
        calls = [('describe-domain', '--domain', 'cli-missing'),
                 ('describe-repository', '--domain', 'cli-missing', '--repository', 'rr'),
                 ('describe-repository', '--domain', 'cli-login', '--repository', 'no-such-repo'),
                 ('list-repositories-in-domain', '--domain', 'cli-missing')]
        for args, res in zip(calls, self.aws_many(*calls)):
            with self.subTest(args=args):
                err = self.fails('ResourceNotFoundException', *args, result=res)
                if args[0] == 'describe-domain':
                    self.assertIn('DescribeDomain', err)

    # ------------------------------------------------------------------ repositories
    def test_repository_commands(self):
        D = 'cli-d2'
        self.ok('create-domain', '--domain', D)
        self.ok('create-repository', '--domain', D, '--repository', 'up1')
        r = self.ok('create-repository', '--domain', D, '--repository', 'up2', '--description', 'second upstream')
        self.assertEqual(r['repository']['description'], 'second upstream')
        r = self.ok('create-repository', '--domain', D, '--repository', 'main',
                    '--upstreams', 'repositoryName=up1', 'repositoryName=up2')['repository']
        self.assertEqual([u['repositoryName'] for u in r['upstreams']], ['up1', 'up2'])
        self.assertEqual(r['arn'], 'arn:aws:codeartifact:%s:%s:repository/%s/main' % (REGION, self.owner, D))
        self.assertEqual((r['domainName'], r['domainOwner'], r['administratorAccount']), (D, self.owner, self.owner))

        r = self.ok('update-repository', '--domain', D, '--repository', 'main', '--description', 'hello')['repository']
        self.assertEqual(r['description'], 'hello')
        self.assertEqual([u['repositoryName'] for u in r['upstreams']], ['up1', 'up2'])
        r = self.ok('update-repository', '--domain', D, '--repository', 'main',
                    '--upstreams', 'repositoryName=up2')['repository']
        self.assertEqual([u['repositoryName'] for u in r['upstreams']], ['up2'])
        r = self.ok('update-repository', '--domain', D, '--repository', 'main', '--upstreams', '[]')['repository']
        self.assertEqual(r.get('upstreams', []), [])
        self.fails('ValidationException', 'update-repository', '--domain', D, '--repository', 'main',
                   '--upstreams', 'repositoryName=main')

        r = self.ok('describe-repository', '--domain', D, '--repository', 'main')['repository']
        self.assertEqual(r['description'], 'hello')

        repos = self.ok('list-repositories-in-domain', '--domain', D)['repositories']
        self.assertEqual(sorted(x['name'] for x in repos), ['main', 'up1', 'up2'])
        repos = self.ok('list-repositories-in-domain', '--domain', D, '--repository-prefix', 'up')['repositories']
        self.assertEqual(sorted(x['name'] for x in repos), ['up1', 'up2'])
        repos = self.ok('list-repositories-in-domain', '--domain', D, '--administrator-account',
                        self.owner, '--page-size', '1')['repositories']
        self.assertEqual(sorted(x['name'] for x in repos), ['main', 'up1', 'up2'])
        repos = self.ok('list-repositories', '--repository-prefix', 'up')['repositories']
        self.assertEqual(sorted(x['name'] for x in repos if x['domainName'] == D), ['up1', 'up2'])

        r = self.ok('associate-external-connection', '--domain', D, '--repository', 'up1',
                    '--external-connection', 'public:npmjs')['repository']
        self.assertEqual(r['externalConnections'], [
            {'externalConnectionName': 'public:npmjs', 'packageFormat': 'npm', 'status': 'Available'}])
        self.fails('ServiceQuotaExceededException', 'associate-external-connection', '--domain', D,
                   '--repository', 'up1', '--external-connection', 'public:pypi')
        r = self.ok('disassociate-external-connection', '--domain', D, '--repository', 'up1',
                    '--external-connection', 'public:npmjs')['repository']
        self.assertEqual(r.get('externalConnections', []), [])

        self.fails('ConflictException', 'delete-domain', '--domain', D)
        for name in ('main', 'up1', 'up2'):
            self.assertEqual(self.ok('delete-repository', '--domain', D, '--repository', name)
                             ['repository']['name'], name)
        self.ok('delete-domain', '--domain', D)

    def test_repository_endpoint_every_format(self):
        results = dict(zip(FORMATS, self.aws_many(*[
            ('get-repository-endpoint', '--domain', 'cli-login', '--domain-owner', self.owner,
             '--repository', 'repo', '--format', fmt) for fmt in FORMATS])))
        for fmt in FORMATS:
            with self.subTest(format=fmt):
                rc, out, err = results[fmt]
                self.assertEqual(rc, 0, err)
                self.assertEqual(out, {'repositoryEndpoint': self.endpoint(fmt)})

    # ------------------------------------------------------------------ tokens
    def test_get_authorization_token(self):
        default, short, bad = self.aws_many(
            ('get-authorization-token', '--domain', 'cli-login'),
            ('get-authorization-token', '--domain', 'cli-login', '--domain-owner', self.owner,
             '--duration-seconds', '900'),
            ('get-authorization-token', '--domain', 'cli-login', '--duration-seconds', '100'))
        self.assertEqual(default[0], 0, default)
        out = default[1]
        self.assertTrue(out['authorizationToken'])
        self.assertLess(abs(to_epoch(out['expiration']) - (time.time() + 43200)), 180)
        self.assertEqual(short[0], 0, short)
        self.assertLess(abs(to_epoch(short[1]['expiration']) - (time.time() + 900)), 180)
        self.fails('ValidationException', result=bad)
        # the token works on a repository endpoint: JSON 404 (format not built), not 401
        st, hdrs, body = fetch(self.endpoint('maven') + 'com/example/x/maven-metadata.xml',
                               {'Authorization': basic_auth('aws', out['authorizationToken'])})
        self.assertNotIn(st, (401, 403), body)

    # ------------------------------------------------------------------ tags
    def test_tag_commands(self):
        self.server.client().create_repository(domain='cli-login', repository='tagged')
        arn = 'arn:aws:codeartifact:%s:%s:repository/cli-login/tagged' % (REGION, self.owner)
        out = self.ok('tag-resource', '--resource-arn', arn, '--tags', 'key=k1,value=v1', 'key=k2,value=v2')
        self.assertIn(out, (None, {}))
        tags = self.ok('list-tags-for-resource', '--resource-arn', arn)['tags']
        self.assertEqual(sorted((t['key'], t['value']) for t in tags), [('k1', 'v1'), ('k2', 'v2')])
        self.ok('untag-resource', '--resource-arn', arn, '--tag-keys', 'k1')
        tags = self.ok('list-tags-for-resource', '--resource-arn', arn)['tags']
        self.assertEqual(tags, [{'key': 'k2', 'value': 'v2'}])
        darn = 'arn:aws:codeartifact:%s:%s:domain/cli-login' % (REGION, self.owner)
        self.ok('tag-resource', '--resource-arn', darn, '--tags', 'key=scope,value=domain')
        self.assertEqual(self.ok('list-tags-for-resource', '--resource-arn', darn)['tags'],
                         [{'key': 'scope', 'value': 'domain'}])
        self.fails('ResourceNotFoundException', 'list-tags-for-resource', '--resource-arn',
                   'arn:aws:codeartifact:%s:%s:domain/cli-nothing' % (REGION, self.owner))

    # ------------------------------------------------------------------ aws codeartifact login
    def read_npmrc(self, home):
        path = os.path.join(home, '.npmrc')
        self.assertTrue(os.path.exists(path), 'login did not write ~/.npmrc')
        entries = {}
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith((';', '#')) and '=' in line:
                    k, v = line.split('=', 1)
                    v = v.strip()
                    if len(v) >= 2 and v[0] == v[-1] == '"':
                        v = v[1:-1]
                    entries[k.strip()] = v
        return entries

    def check_token_on_endpoint(self, url, token, scheme='bearer'):
        auth = 'Bearer ' + token if scheme == 'bearer' else basic_auth('aws', token)
        st, hdrs, body = fetch(url, {'Authorization': auth})
        self.assertEqual(st, 404, 'token from the client config should authenticate (JSON 404 while formats '
                                  'are not built), got %s %r' % (st, body[:300]))
        self.assertIsInstance(__import__('json').loads(body.decode()), dict)
        st, hdrs, body = fetch(url)
        self.assertEqual(st, 401, body[:300])
        self.assertRegex(hdrs.get('WWW-Authenticate', ''), r'^Basic realm=')

    def test_login_npm(self):
        home = tempfile.mkdtemp(prefix='home-npm-', dir=self.server.workdir)
        rc, out, err = self.aws('login', '--tool', 'npm', '--domain', 'cli-login', '--domain-owner', self.owner,
                                '--repository', 'repo', home=home)
        self.assertEqual(rc, 0, 'login failed: %r %s' % (out, err))
        self.assertIn('Successfully configured npm', str(out))
        ep = self.endpoint('npm')
        entries = self.read_npmrc(home)
        self.assertEqual(entries.get('registry'), ep, entries)
        key = '//127.0.0.1:%d/npm/d/cli-login-%s/repo/:_authToken' % (self.port, self.owner)
        self.assertIn(key, entries)
        token = entries[key]
        self.assertTrue(token)
        self.check_token_on_endpoint(ep, token)
        self.check_token_on_endpoint(ep + 'some-package', token)

    def test_login_npm_namespace(self):
        home = tempfile.mkdtemp(prefix='home-npmns-', dir=self.server.workdir)
        rc, out, err = self.aws('login', '--tool', 'npm', '--namespace', 'myscope', '--domain', 'cli-login',
                                '--repository', 'repo', home=home)
        self.assertEqual(rc, 0, 'login failed: %r %s' % (out, err))
        entries = self.read_npmrc(home)
        ep = self.endpoint('npm')
        self.assertEqual(entries.get('@myscope:registry'), ep, entries)
        self.assertNotIn('registry', entries)
        key = '//127.0.0.1:%d/npm/d/cli-login-%s/repo/:_authToken' % (self.port, self.owner)
        self.assertIn(key, entries)
        self.check_token_on_endpoint(ep + '@myscope%2fpkg', entries[key])

    def test_login_pip_dry_run(self):
        home = tempfile.mkdtemp(prefix='home-pip-', dir=self.server.workdir)
        rc, out, err = self.aws('login', '--tool', 'pip', '--dry-run', '--domain', 'cli-login',
                                '--domain-owner', self.owner, '--repository', 'repo', home=home)
        self.assertEqual(rc, 0, 'login failed: %r %s' % (out, err))
        m = re.search(r'pip config set global\.index-url http://aws:(\S+)@127\.0\.0\.1:%d/pypi/d/cli-login-%s/repo/simple/'
                      % (self.port, self.owner), str(out))
        self.assertTrue(m, 'unexpected dry-run output: %r' % out)
        self.assertFalse(os.path.exists(os.path.join(home, '.config', 'pip', 'pip.conf')), 'dry run wrote pip.conf')
        token = m.group(1)
        self.check_token_on_endpoint(self.endpoint('pypi') + 'simple/', token, scheme='basic')
        self.check_token_on_endpoint(self.endpoint('pypi') + 'simple/some-project/', token, scheme='bearer')

    def test_login_twine_dry_run(self):
        home = tempfile.mkdtemp(prefix='home-twine-', dir=self.server.workdir)
        rc, out, err = self.aws('login', '--tool', 'twine', '--dry-run', '--domain', 'cli-login',
                                '--repository', 'repo', '--duration-seconds', '900', home=home)
        self.assertEqual(rc, 0, 'login failed: %r %s' % (out, err))
        text = str(out)
        # awscli prints the would-be ~/.pypirc (`key = value` or `key: value`)
        self.assertRegex(text, r'(?m)^repository\s*[:=]\s*%s\s*$' % re.escape(self.endpoint('pypi')))
        self.assertRegex(text, r'(?m)^username\s*[:=]\s*aws\s*$')
        m = re.search(r'(?m)^password\s*[:=]\s*(\S+)\s*$', text)
        self.assertTrue(m, text)
        self.assertFalse(os.path.exists(os.path.join(home, '.pypirc')), 'dry run wrote .pypirc')
        self.check_token_on_endpoint(self.endpoint('pypi'), m.group(1), scheme='basic')


if __name__ == '__main__':
    main()
