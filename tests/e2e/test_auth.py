"""Authentication: SigV4 on the control plane (errors, clock skew, presigned URLs), access keys managed
offline with `arca access-key`, and authorization tokens on the repository endpoints."""

import datetime
import json
import os
import re
import stat
import time
import urllib.error
import urllib.request

from arca_harness import (ArcaServer, ArcaTestCase, arca_cli, basic_auth, main, parse_credentials,
                          presign_url, query_string, sign_request)


def urlopen(url, headers=None, timeout=10):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class AuthTest(ArcaTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ArcaServer('auth')
        cls.addClassCleanup(cls.server.close)
        cls.server.start()
        ca = cls.server.client()
        cls.owner = ca.create_domain(domain='authdom')['domain']['owner']
        ca.create_repository(domain='authdom', repository='authrepo')
        cls.token = ca.get_authorization_token(domain='authdom')['authorizationToken']

    @property
    def ca(self):
        return self.server.client()

    def npm_path(self, suffix=''):
        return self.server.repo_path('npm', 'authdom', self.owner, 'authrepo') + suffix

    def assertAwsError(self, resp, status, code, msg_contains=None):
        self.assertEqual(resp.status, status, resp)
        self.assertEqual(resp.error_type, code, resp)
        self.assertTrue(resp.header('x-amzn-RequestId'), 'no x-amzn-RequestId: %r' % resp)
        body = resp.json()
        self.assertIn('message', {k.lower() for k in body}, body)
        if msg_contains:
            msg = body.get('message') or body.get('Message') or ''
            self.assertIn(msg_contains.lower(), msg.lower(), body)

    # ------------------------------------------------------------------ admin credentials
    def test_admin_credentials_file(self):
        path = self.server.credentials_path
        mode = stat.S_IMODE(os.stat(path).st_mode)
        self.assertEqual(mode, 0o600, 'admin.credentials mode is %o' % mode)
        with open(path) as f:
            text = f.read()
        self.assertIn('[default]', text)
        key, secret = parse_credentials(text)
        self.assertRegex(key, r'^AKIA[A-Z0-9]{12,}$')
        self.assertGreaterEqual(len(secret), 20)
        self.assertIn('arca: admin credentials written to %s' % path, self.server.first_stdout)
        self.assertIn(key, [r[0] for r in self.server.access_key_list()])

    # ------------------------------------------------------------------ SigV4 failures
    def test_unsigned_request(self):
        r = self.server.http('POST', '/v1/domains', body=b'{}', headers={'Content-Type': 'application/json'})
        self.assertAwsError(r, 403, 'MissingAuthenticationTokenException')
        r = self.server.http('GET', '/v1/domain?domain=authdom')
        self.assertAwsError(r, 403, 'MissingAuthenticationTokenException')

    def test_wrong_secret(self):
        c = self.server.client(self.server.admin_key, 'x' * 40)
        self.assertClientError(c.list_domains, 'InvalidSignatureException', 403)
        self.assertClientError(c.describe_domain, 'InvalidSignatureException', 403, domain='authdom')

    def test_unknown_key(self):
        c = self.server.client('AKIAZZZZZZZZZZZZZZZZ', 'y' * 40)
        self.assertClientError(c.list_domains, 'UnrecognizedClientException', 403)

    def test_malformed_authorization(self):
        now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
        for auth in ('AWS4-HMAC-SHA256 garbage',
                     'AWS4-HMAC-SHA256 Credential=%s/20250101/us-east-1/codeartifact/aws4_request' % self.server.admin_key,
                     'AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=abcd'):
            with self.subTest(auth=auth):
                r = self.server.http('POST', '/v1/domains', body=b'{}',
                                     headers={'Authorization': auth, 'X-Amz-Date': now,
                                              'Content-Type': 'application/json'})
                self.assertAwsError(r, 400, 'IncompleteSignatureException')

    def test_signed_raw_request_works(self):
        r = self.server.signed('GET', '/v1/domain', params={'domain': 'authdom'})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header('x-amzn-RequestId'))
        self.assertEqual(r.json()['domain']['name'], 'authdom')
        # a signature that is fine but computed for other parameters fails
        url, headers, _ = sign_request(
            self.server.url + '/v1/domain?domain=authdom', 'GET', self.server.admin_key, self.server.admin_secret)
        r = self.server.http('GET', '/v1/domain?domain=other', headers=headers)
        self.assertAwsError(r, 403, 'InvalidSignatureException')

    def test_clock_skew(self):
        r = self.server.signed('POST', '/v1/domains', body=b'{}', offset=datetime.timedelta(minutes=-20))
        self.assertAwsError(r, 403, 'InvalidSignatureException', msg_contains='Signature expired')
        # from the future: AWS words it "Signature not yet current"; either wording is fine
        r = self.server.signed('POST', '/v1/domains', body=b'{}', offset=datetime.timedelta(minutes=20))
        self.assertAwsError(r, 403, 'InvalidSignatureException')
        self.assertRegex(r.json().get('message', ''), r'(?i)signature (expired|not yet current)')
        # within the 15 minute window
        r = self.server.signed('POST', '/v1/domains', body=b'{}', offset=datetime.timedelta(minutes=-10))
        self.assertEqual(r.status, 200, r)

    def test_presigned_url(self):
        url = self.server.url + '/v1/repository?' + query_string({'domain': 'authdom', 'repository': 'authrepo'})
        signed = presign_url(url, self.server.admin_key, self.server.admin_secret, expires=300)
        self.assertIn('X-Amz-Signature=', signed)
        st, hdrs, body = urlopen(signed)
        self.assertEqual(st, 200, body)
        self.assertTrue(hdrs.get('x-amzn-RequestId'))
        repo = json.loads(body)['repository']
        self.assertEqual((repo['name'], repo['domainName'], repo['domainOwner']), ('authrepo', 'authdom', self.owner))
        # tampering with the signed query fails
        st, hdrs, body = urlopen(signed.replace('repository=authrepo', 'repository=authrepo2'))
        self.assertEqual(st, 403, body)
        self.assertEqual((hdrs.get('x-amzn-ErrorType') or '').split(':')[0], 'InvalidSignatureException')
        # a presigned URL from a wrong secret fails
        bad = presign_url(url, self.server.admin_key, 'z' * 40, expires=300)
        st, hdrs, body = urlopen(bad)
        self.assertEqual(st, 403, body)

    def test_request_id_on_every_response(self):
        rs = [self.server.http('POST', '/v1/domains'),
              self.server.signed('POST', '/v1/domains', body=b'{}'),
              self.server.signed('GET', '/v1/domain', params={'domain': 'nope-nope'}),
              self.server.signed('POST', '/v1/domain', params={'domain': 'A'})]
        for r in rs:
            with self.subTest(status=r.status):
                self.assertTrue(r.header('x-amzn-RequestId'), r)
        ids = [r.header('x-amzn-RequestId') for r in rs]
        self.assertEqual(len(set(ids)), len(ids), 'request ids should be unique')

    # ------------------------------------------------------------------ access keys
    def test_created_access_key_works_with_boto3(self):
        key, secret = self.server.access_key_create(self.owner, user='ci-bot')
        self.assertRegex(key, r'^AKIA')
        rows = {r[0]: r for r in self.server.access_key_list()}
        self.assertIn(key, rows)
        self.assertEqual(rows[key][1:3], [self.owner, 'ci-bot'])
        # the running server notices a key created offline within ~2 s
        c = self.server.wait_key_usable(key, secret, timeout=4)
        self.assertIn('authdom', [d['name'] for d in c.list_domains()['domains']])
        self.assertEqual(c.describe_repository(domain='authdom', repository='authrepo')['repository']['name'],
                         'authrepo')
        # and it stops working once deleted
        self.server.access_key_delete(key)
        self.assertNotIn(key, [r[0] for r in self.server.access_key_list()])
        deadline = time.monotonic() + 5
        while True:
            try:
                c.list_domains()
            except Exception as e:  # noqa: BLE001
                self.assertEqual(getattr(e, 'response', {}).get('Error', {}).get('Code'),
                                 'UnrecognizedClientException', e)
                break
            if time.monotonic() > deadline:
                self.fail('deleted key still accepted after 5 s')
            time.sleep(0.2)

    def test_access_key_admin_errors(self):
        p = arca_cli('access-key', 'create', '--data-dir', self.server.data_dir,
                                                '--account', '999999999999', check=False)
        self.assertNotEqual(p.returncode, 0, 'access-key create for an unknown account: %r' % p.stdout)
        self.assertNotIn('aws_secret_access_key', p.stdout)
        p = arca_cli('access-key', 'delete', '--data-dir', self.server.data_dir,
                                                'AKIANOSUCHKEY0000000', check=False)
        self.assertNotEqual(p.returncode, 0, 'access-key delete of an unknown key succeeded')
        self.assertIn(self.server.admin_key, [r[0] for r in self.server.access_key_list()])

    # ------------------------------------------------------------------ repository endpoint tokens
    def assertJson404(self, r):
        self.assertEqual(r.status, 404, r)
        self.assertIsInstance(r.json(), dict, r)

    def assert401(self, r):
        self.assertEqual(r.status, 401, r)
        self.assertRegex(r.header('WWW-Authenticate', ''), r'^Basic realm="[^"]*"', r)

    def test_token_bearer_and_basic(self):
        for path in (self.npm_path(), self.npm_path('left-pad'), self.npm_path('@scope%2fpkg')):
            with self.subTest(path=path):
                self.assertJson404(self.server.http('GET', path, headers={'Authorization': 'Bearer ' + self.token}))
                for user in ('aws', 'token', 'anyone'):
                    self.assertJson404(self.server.http('GET', path,
                                                        headers={'Authorization': basic_auth(user, self.token)}))
        for fmt in ('pypi', 'maven', 'nuget', 'cargo', 'ruby', 'swift', 'generic'):
            with self.subTest(format=fmt):
                p = self.server.repo_path(fmt, 'authdom', self.owner, 'authrepo') + 'x'
                self.assertJson404(self.server.http('GET', p, headers={'Authorization': basic_auth('aws', self.token)}))
                self.assert401(self.server.http('GET', p))

    def test_no_or_bad_token(self):
        self.assert401(self.server.http('GET', self.npm_path()))
        self.assert401(self.server.http('GET', self.npm_path('left-pad')))
        for auth in ('Bearer garbage', 'Bearer ', basic_auth('aws', 'garbage'), basic_auth('aws', ''),
                     'Bearer ' + self.token[:-2] + ('AA' if not self.token.endswith('AA') else 'BB'),
                     'Basic !!notbase64!!', 'Bearer ' + self.token + 'x'):
            with self.subTest(auth=auth[:40]):
                r = self.server.http('GET', self.npm_path('left-pad'), headers={'Authorization': auth})
                self.assertEqual(r.status, 401, r)
        # SigV4 admin credentials are not a repository token
        r = self.server.http('GET', self.npm_path(), headers={
            'Authorization': basic_auth(self.server.admin_key, self.server.admin_secret)})
        self.assertEqual(r.status, 401, r)

    def test_token_lifecycle_restart_and_key_deletion(self):
        # a second key of the same account issues its own token
        key, secret = self.server.access_key_create(self.owner, user='tok-user')
        c = self.server.wait_key_usable(key, secret)
        tok2 = c.get_authorization_token(domain='authdom', durationSeconds=900)['authorizationToken']
        self.assertNotEqual(tok2, self.token)
        self.assertJson404(self.server.http('GET', self.npm_path('p'), headers={'Authorization': 'Bearer ' + tok2}))

        # both tokens survive a restart on the same data dir
        self.server.restart()
        for tok in (self.token, tok2):
            self.assertJson404(self.server.http('GET', self.npm_path('p'), headers={'Authorization': 'Bearer ' + tok}))
        self.assertEqual(self.ca.describe_domain(domain='authdom')['domain']['owner'], self.owner)

        # deleting the key that issued tok2 kills tok2 (within ~2 s), not the admin's token
        self.server.access_key_delete(key)
        deadline = time.monotonic() + 5
        while True:
            r = self.server.http('GET', self.npm_path('p'), headers={'Authorization': 'Bearer ' + tok2})
            if r.status == 401:
                break
            self.assertJson404(r)
            if time.monotonic() > deadline:
                self.fail('token of a deleted access key still accepted after 5 s')
            time.sleep(0.2)
        self.assertJson404(self.server.http('GET', self.npm_path('p'),
                                            headers={'Authorization': 'Bearer ' + self.token}))


if __name__ == '__main__':
    main()
