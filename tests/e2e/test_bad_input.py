"""Hostile and malformed input: bad JSON, huge bodies and headers, invalid names and limits, slow clients,
unknown paths; and persistence of everything across a restart on the same data dir."""

import json
import os
import select
import socket
import threading
import time

from arca_harness import ArcaServer, ArcaTestCase, main, read_raw_response, send_raw, sign_request


class BadInputTest(ArcaTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ArcaServer('bad-input')
        cls.addClassCleanup(cls.server.close)
        cls.server.start()
        ca = cls.server.client()
        cls.owner = ca.create_domain(domain='bad-dom')['domain']['owner']
        ca.create_repository(domain='bad-dom', repository='existing')

    @property
    def ca(self):
        return self.server.client()

    @property
    def raw(self):
        """A boto3 client without client-side parameter validation, so bad values reach the server."""
        return self.server.client(validate=False)

    def assertValidation(self, resp, field=None):
        self.assertEqual(resp.status, 400, resp)
        self.assertEqual(resp.error_type, 'ValidationException', resp)
        body = resp.json()
        self.assertTrue(body.get('message') or body.get('Message'), body)
        if field:
            self.assertIn(field, (body.get('message') or body.get('Message')).lower(), body)

    def assertServing(self):
        r = self.server.healthz()
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.ca.describe_domain(domain='bad-dom')['domain']['name'], 'bad-dom')

    # ------------------------------------------------------------------ bodies
    def test_malformed_json_body(self):
        for body in (b'{"description": ', b'not json at all', b'{"description": "x"} trailing',
                     b'\xff\xfe\x00garbage', b'[1, 2, 3]', b'"just a string"'):
            with self.subTest(body=body):
                r = self.server.signed('POST', '/v1/repository', params={'domain': 'bad-dom', 'repository': 'jr'},
                                       body=body)
                self.assertValidation(r)
                self.assertTrue(r.header('x-amzn-RequestId'))
        for body in (b'{"description": 5}', b'{"upstreams": "up"}', b'{"upstreams": [{"repositoryName": 7}]}',
                     b'{"tags": {"k": "v"}}'):
            with self.subTest(body=body):
                r = self.server.signed('POST', '/v1/repository', params={'domain': 'bad-dom', 'repository': 'jr'},
                                       body=body)
                self.assertValidation(r)
        self.assertClientError(self.ca.describe_repository, 'ResourceNotFoundException', 404,
                               domain='bad-dom', repository='jr')
        # ListDomains has maxResults in the body: wrong type
        self.assertValidation(self.server.signed('POST', '/v1/domains', body=b'{"maxResults": "ten"}'))

    def test_lenient_bodies(self):
        # an absent body is {} and unknown fields are ignored
        r = self.server.signed('POST', '/v1/domains', body=b'')
        self.assertEqual(r.status, 200, r)
        self.assertIn('domains', r.json())
        r = self.server.signed('POST', '/v1/repository', params={'domain': 'bad-dom', 'repository': 'lenient'},
                               body=b'{"description": "ok", "someFutureField": {"a": [1]}}')
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()['repository']['description'], 'ok')
        self.assertIn('application/json', r.header('content-type', ''))

    def test_huge_body(self):
        size = 10 * 1024 * 1024
        body = b'{"description": "' + b'a' * (size - 20) + b'"}'
        path = '/v1/repository?domain=bad-dom&repository=huge'
        url, headers, _ = sign_request(self.server.url + path, 'POST', self.server.admin_key,
                                       self.server.admin_secret, body=body,
                                       headers={'Content-Type': 'application/json'})
        headers['Content-Length'] = str(len(body))
        head = ('POST %s HTTP/1.1\r\n' % path + ''.join('%s: %s\r\n' % kv for kv in headers.items())
                + '\r\n').encode()
        t0 = time.monotonic()
        res = send_raw(self.server.port, head, body, timeout=20)
        self.assertIsNotNone(res, 'connection closed without an HTTP response to a 10 MB body')
        self.assertIn(res[0], (413, 400), res[:2])
        self.assertLess(time.monotonic() - t0, 20)
        self.assertServing()
        self.assertClientError(self.ca.describe_repository, 'ResourceNotFoundException', 404,
                               domain='bad-dom', repository='huge')

    # ------------------------------------------------------------------ names and limits
    def test_bad_domain_names(self):
        for name in ('MyDomain', 'a', 'd' * 51, '1domain', 'dom-', '-dom', 'dom_ain', 'dom.ain', 'dom ain',
                     'dóm'):
            with self.subTest(name=name):
                e = self.assertClientError(self.raw.create_domain, 'ValidationException', 400, domain=name)
                self.assertIn('domain', e.response['Error']['Message'].lower())
                if 'reason' in e.response:
                    self.assertEqual(e.response['reason'], 'FIELD_VALIDATION_FAILED')
                self.assertClientError(self.raw.describe_domain, ('ValidationException', 'ResourceNotFoundException'),
                                       (400, 404), domain=name)
        # boundaries that are valid: 2 and 50 characters
        for name in ('ab', 'd' * 50, 'a1-b2'):
            with self.subTest(valid=name):
                self.ca.create_domain(domain=name)
                self.ca.delete_domain(domain=name)

    def test_bad_repository_names(self):
        for name in ('a', 'r' * 101, '-repo', '.repo', 'repo/x', 'rep o', 'repo\u00e9', 'repo:x', '_repo'):
            with self.subTest(name=name):
                e = self.assertClientError(self.raw.create_repository, 'ValidationException', 400,
                                           domain='bad-dom', repository=name)
                self.assertIn('repository', e.response['Error']['Message'].lower())
        for name in ('ab', 'R' * 100, 'My.Repo_1-x', '9lives'):
            with self.subTest(valid=name):
                self.ca.create_repository(domain='bad-dom', repository=name)
                self.ca.delete_repository(domain='bad-dom', repository=name)
        self.assertClientError(self.raw.update_repository, 'ValidationException', 400, domain='bad-dom',
                               repository='existing', description='x' * 1001)
        self.assertClientError(self.raw.update_repository, 'ValidationException', 400, domain='bad-dom',
                               repository='existing', description='bad\x07control')
        self.assertClientError(self.raw.describe_domain, 'ValidationException', 400, domain='bad-dom',
                               domainOwner='12345')
        self.assertClientError(self.raw.get_repository_endpoint, 'ValidationException', 400, domain='bad-dom',
                               repository='existing', format='NPM')
        self.assertClientError(self.raw.associate_external_connection, 'ValidationException', 400,
                               domain='bad-dom', repository='existing', externalConnection='x')
        self.assertClientError(self.raw.list_repositories_in_domain, 'ValidationException', 400,
                               domain='bad-dom', administratorAccount='abc')
        arn = 'arn:aws:codeartifact:us-east-1:%s:repository/bad-dom/existing' % self.owner
        self.assertClientError(self.raw.tag_resource, 'ValidationException', 400, resourceArn=arn,
                               tags=[{'key': 'k', 'value': 'v' * 257}])
        self.assertClientError(self.raw.tag_resource, 'ValidationException', 400, resourceArn=arn,
                               tags=[{'key': '', 'value': 'v'}])
        self.assertClientError(self.raw.tag_resource, 'ValidationException', 400, resourceArn=arn,
                               tags=[{'key': 'bad\x01key', 'value': 'v'}])
        self.assertEqual(self.ca.list_tags_for_resource(resourceArn=arn)['tags'], [])

    def test_missing_required_parameters(self):
        r = self.server.signed('POST', '/v1/repository', params={'domain': 'bad-dom'}, body=b'{}')
        self.assertValidation(r, 'repository')
        r = self.server.signed('GET', '/v1/domain')
        self.assertValidation(r, 'domain')

    def test_max_results_bounds(self):
        for mr in (0, 1001, -1):
            with self.subTest(maxResults=mr):
                self.assertClientError(self.raw.list_domains, 'ValidationException', 400, maxResults=mr)
                self.assertClientError(self.raw.list_repositories, 'ValidationException', 400, maxResults=mr)
                self.assertClientError(self.raw.list_repositories_in_domain, 'ValidationException', 400,
                                       domain='bad-dom', maxResults=mr)
        for mr in (1, 1000):
            with self.subTest(valid=mr):
                self.ca.list_domains(maxResults=mr)
                self.ca.list_repositories(maxResults=mr)
                self.ca.list_repositories_in_domain(domain='bad-dom', maxResults=mr)
        r = self.server.signed('POST', '/v1/repositories', params={'max-results': 'abc'})
        self.assertValidation(r)

    def test_bad_next_token(self):
        for tok in ('garbage', 'eyJub3QiOiJ2YWxpZCJ9'):
            with self.subTest(token=tok):
                self.assertClientError(self.raw.list_domains, 'ValidationException', 400, nextToken=tok)
                self.assertClientError(self.raw.list_repositories_in_domain, 'ValidationException', 400,
                                       domain='bad-dom', nextToken=tok)

    # ------------------------------------------------------------------ HTTP layer
    def test_oversized_header(self):
        head = (b'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ' + b'a' * 65536 + b'\r\n\r\n')
        res = send_raw(self.server.port, head, timeout=10)
        self.assertIsNotNone(res, 'connection closed without an HTTP response to a 64 KB header')
        self.assertIn(res[0], (431, 400), res[:2])
        # many headers adding up to 64 KB
        head = (b'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                + b''.join(b'X-H%d: %s\r\n' % (i, b'b' * 60) for i in range(1000)) + b'\r\n')
        res = send_raw(self.server.port, head, timeout=10)
        self.assertIsNotNone(res)
        self.assertIn(res[0], (431, 400), res[:2])
        self.assertServing()

    def test_garbage_request_line(self):
        for raw in (b'HELLO\r\n\r\n', b'GET /healthz HTTP/9.9\r\n\r\n', b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'):
            with self.subTest(raw=raw):
                res = send_raw(self.server.port, raw, timeout=10)
                if res is not None:
                    self.assertGreaterEqual(res[0], 400, res[:2])
        self.assertServing()

    def test_slow_header_client_is_cut_off(self):
        port = self.server.port
        served, errors = [], []
        stop = threading.Event()

        def other_client():
            while not stop.is_set():
                t = time.monotonic()
                try:
                    r = self.server.healthz(timeout=5)
                    served.append((r.status, time.monotonic() - t))
                except Exception as e:  # noqa: BLE001
                    errors.append(repr(e))
                stop.wait(1.0)

        th = threading.Thread(target=other_client, daemon=True)
        data = (b'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowpoke\r\n'
                + b'X-Drip: ' + b'z' * 400 + b'\r\n\r\n')
        s = socket.create_connection(('127.0.0.1', port), timeout=5)
        t0 = time.monotonic()
        th.start()
        cut_after = None
        try:
            for i in range(len(data)):
                if time.monotonic() - t0 > 25:
                    break
                r, _, _ = select.select([s], [], [], 0)
                if r:
                    try:
                        s.recv(4096)   # EOF or an error response (e.g. 408): either way we were cut off
                    except OSError:
                        pass
                    cut_after = time.monotonic() - t0
                    break
                try:
                    s.send(data[i:i + 1])
                except OSError:
                    cut_after = time.monotonic() - t0
                    break
                time.sleep(0.2)
        finally:
            s.close()
            stop.set()
            th.join(10)
        self.assertIsNotNone(cut_after, 'a client dripping its headers for 25 s was never cut off')
        self.assertLess(cut_after, 16, 'cut off only after %.1f s' % cut_after)
        self.assertGreater(cut_after, 1, 'cut off suspiciously early (%.1f s)' % cut_after)
        self.assertFalse(errors, errors)
        self.assertGreaterEqual(len(served), 3, served)
        self.assertTrue(all(st == 200 and dt < 5 for st, dt in served), served)

    def test_unknown_paths(self):
        for method, path in (('POST', '/v1/nonexistent'), ('GET', '/v1/domains/extra'),
                             ('PATCH', '/v1/domain'), ('GET', '/v1/'), ('DELETE', '/v1/domains')):
            with self.subTest(method=method, path=path):
                r = self.server.signed(method, path, params={'domain': 'bad-dom'})
                self.assertGreaterEqual(r.status, 400, r)
                self.assertLess(r.status, 500, r)
                self.assertTrue(r.error_type, 'no x-amzn-ErrorType: %r' % r)
                self.assertTrue(r.header('x-amzn-RequestId'), r)
        # unsigned, too
        r = self.server.http('GET', '/v1/whatever')
        self.assertTrue(400 <= r.status < 500 and r.error_type, r)

    def test_out_of_scope_operations_answer_cleanly(self):
        # package operations are not in issue A; whatever the server says must be a well-formed 4xx/5xx
        r = self.server.signed('POST', '/v1/packages', params={'domain': 'bad-dom', 'repository': 'existing'})
        self.assertTrue(r.error_type or r.status == 200, r)
        self.assertTrue(r.header('x-amzn-RequestId'), r)
        self.assertServing()

    def test_graceful_stop_with_open_connections(self):
        # an idle keep-alive connection and a half-sent request must not hold up SIGTERM
        idle = socket.create_connection(('127.0.0.1', self.server.port), timeout=5)
        idle.sendall(b'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
        res = read_raw_response(idle, timeout=5)
        self.assertEqual(res[0] if res else None, 200)
        half = socket.create_connection(('127.0.0.1', self.server.port), timeout=5)
        half.sendall(b'GET /healthz HTTP/1.1\r\nHost: 127.')
        body = socket.create_connection(('127.0.0.1', self.server.port), timeout=5)
        body.sendall(b'POST /v1/domains HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{')
        time.sleep(0.3)
        t0 = time.monotonic()
        try:
            self.server.restart()      # stop() asserts exit code 0 within 15 s
        finally:
            for s in (idle, half, body):
                s.close()
        self.assertLess(time.monotonic() - t0, 12, 'stop + start took too long with open connections')
        self.assertServing()

    # ------------------------------------------------------------------ persistence
    def test_restart_keeps_state(self):
        ca = self.ca
        d = ca.create_domain(domain='persist', tags=[{'key': 'keep', 'value': 'me'}])['domain']
        ca.create_repository(domain='persist', repository='base')
        r = ca.create_repository(domain='persist', repository='top', description='survives',
                                 upstreams=[{'repositoryName': 'base'}],
                                 tags=[{'key': 'r', 'value': '1'}])['repository']
        ca.associate_external_connection(domain='persist', repository='base', externalConnection='public:npmjs')
        with open(self.server.credentials_path) as f:
            creds_before = f.read()
        key, secret = self.server.access_key_create(self.owner, user='persist-user')
        before = ca.describe_repository(domain='persist', repository='top')['repository']

        self.server.restart()
        with open(self.server.credentials_path) as f:
            self.assertEqual(f.read(), creds_before, 'admin.credentials rewritten on restart')
        ca = self.server.client()    # same admin key, new port
        d2 = ca.describe_domain(domain='persist')['domain']
        self.assertEqual((d2['arn'], d2['owner'], d2['repositoryCount']), (d['arn'], d['owner'], 2))
        self.assertAlmostEqual(d2['createdTime'].timestamp(), d['createdTime'].timestamp(), delta=1)
        after = ca.describe_repository(domain='persist', repository='top')['repository']
        self.assertEqual(after['description'], 'survives')
        self.assertEqual([u['repositoryName'] for u in after['upstreams']], ['base'])
        self.assertEqual(after['arn'], before['arn'])
        self.assertAlmostEqual(after['createdTime'].timestamp(), before['createdTime'].timestamp(), delta=1)
        base = ca.describe_repository(domain='persist', repository='base')['repository']
        self.assertEqual(base['externalConnections'][0]['externalConnectionName'], 'public:npmjs')
        self.assertEqual(ca.list_tags_for_resource(resourceArn=d['arn'])['tags'], [{'key': 'keep', 'value': 'me'}])
        self.assertEqual(ca.list_tags_for_resource(resourceArn=r['arn'])['tags'], [{'key': 'r', 'value': '1'}])
        self.assertIn('bad-dom', [x['name'] for x in ca.list_domains()['domains']])
        # a key created offline before the restart works after it
        self.assertEqual(self.server.wait_key_usable(key, secret).describe_domain(domain='persist')
                         ['domain']['name'], 'persist')
        self.assertServing()


if __name__ == '__main__':
    main()
