"""End-to-end test harness for Arca.

Starts `arca serve` on a temporary data dir and a free loopback port, and gives tests:
  * ArcaServer: start / stop (SIGTERM, asserts exit 0) / restart on the same data dir, the admin
    credentials, boto3 clients, the real `aws` CLI, and raw HTTP (plain, SigV4-signed, raw socket).
  * the offline admin commands (`arca account create`, `arca access-key create|list|delete`).
  * main(): unittest.main() that prints the server logs when something failed.

Everything talks to 127.0.0.1 only; proxy variables are removed from this process and its children.
"""

import atexit
import base64
import configparser
import datetime
import hashlib
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
from unittest import mock

import boto3
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ARCA_BIN = os.environ.get('ARCA_BIN') or '/work/main/build/arca'
REGION = 'us-east-1'
FORMATS = ['npm', 'pypi', 'maven', 'nuget', 'generic', 'ruby', 'swift', 'cargo']
START_TIMEOUT = float(os.environ.get('ARCA_E2E_START_TIMEOUT', '20'))
KEEP = bool(os.environ.get('ARCA_E2E_KEEP'))

# Dummy loopback upstreams: issue A only stores the URL, nothing is fetched.
DEFAULT_CONFIG = '''\
[server]
region = "us-east-1"

[external_connections]
"public:npmjs" = "http://127.0.0.1:9/npm/"
"public:pypi" = "http://127.0.0.1:9/pypi/"
"public:maven-central" = "http://127.0.0.1:9/maven/"
'''

_PROXY_VARS = ('http_proxy', 'https_proxy', 'all_proxy', 'ftp_proxy', 'no_proxy',
               'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'FTP_PROXY', 'NO_PROXY')
for _v in _PROXY_VARS:
    os.environ.pop(_v, None)
os.environ['NO_PROXY'] = os.environ['no_proxy'] = '127.0.0.1,localhost'
# Never let botocore look for credentials or regions on an instance metadata service.
os.environ['AWS_EC2_METADATA_DISABLED'] = 'true'


def child_env(extra=None):
    """Environment for child processes: no proxies, no ambient AWS configuration."""
    env = {k: v for k, v in os.environ.items()
           if k not in _PROXY_VARS and not k.startswith('AWS_') and not k.startswith('PIP_')}
    env['NO_PROXY'] = env['no_proxy'] = '127.0.0.1,localhost'
    env['AWS_EC2_METADATA_DISABLED'] = 'true'
    if extra:
        env.update(extra)
    return env


def _find_aws():
    cand = os.path.join(os.path.dirname(sys.executable), 'aws')
    if os.access(cand, os.X_OK):
        return cand
    return shutil.which('aws') or 'aws'


AWS_CLI = _find_aws()

_ALL_SERVERS = []


def _tail(path, limit=6000):
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError:
        return ''
    return data[-limit:].decode('utf-8', 'replace')


# ----------------------------------------------------------------------------- raw HTTP

class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers            # dict, lower-case names
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        return json.loads(self.body.decode('utf-8'))

    @property
    def error_type(self):
        t = self.header('x-amzn-ErrorType')
        return t.split(':')[0] if t else None

    def __repr__(self):
        return 'Response(%d %s, %r, %r)' % (self.status, self.reason, self.headers, self.body[:500])


def _from_httpresponse(r):
    body = r.read()
    headers = {}
    for k, v in r.getheaders():
        k = k.lower()
        headers[k] = headers[k] + ', ' + v if k in headers else v
    return Response(r.status, r.reason, headers, body)


def http_request(port, method, path, headers=None, body=None, timeout=15, host='127.0.0.1'):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        return _from_httpresponse(conn.getresponse())
    finally:
        conn.close()


def read_raw_response(sock, timeout=10):
    """Reads one HTTP response from a raw socket. Returns (status, headers, body) or None on EOF/reset."""
    sock.settimeout(timeout)
    data = b''
    deadline = time.monotonic() + timeout
    try:
        while b'\r\n\r\n' not in data:
            if time.monotonic() > deadline:
                return None
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, BrokenPipeError, socket.timeout, OSError):
        pass
    if not data:
        return None
    head, _, rest = data.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    m = re.match(r'HTTP/1\.[01] (\d{3})', lines[0])
    if not m:
        return None
    headers = {}
    for line in lines[1:]:
        if ':' in line:
            k, v = line.split(':', 1)
            headers[k.strip().lower()] = v.strip()
    n = int(headers.get('content-length', '0') or 0)
    try:
        while len(rest) < n and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    except (ConnectionResetError, socket.timeout, OSError):
        pass
    return int(m.group(1)), headers, rest


def send_raw(port, head, body=b'', chunk=65536, timeout=15):
    """Sends raw bytes (head then body in chunks), stopping early if the server answers first.
    Returns (status, headers, body) or None if the connection died without a response."""
    s = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    try:
        payload = head + body
        sent = 0
        try:
            while sent < len(payload):
                r, _, _ = select.select([s], [], [], 0)
                if r:
                    break  # the server answered (or closed) before reading everything
                n = s.send(payload[sent:sent + chunk])
                sent += n
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        return read_raw_response(s, timeout=timeout)
    finally:
        s.close()


def basic_auth(user, password):
    return 'Basic ' + base64.b64encode(('%s:%s' % (user, password)).encode()).decode()


# ----------------------------------------------------------------------------- SigV4 helpers

class _FixedClock:
    def __init__(self, offset):
        self.offset = offset

    def __call__(self, remove_tzinfo=True):
        now = datetime.datetime.now(datetime.timezone.utc) + self.offset
        return now.replace(tzinfo=None) if remove_tzinfo else now


def sign_request(url, method, key, secret, body=b'', headers=None, offset=None,
                 service='codeartifact', region=REGION):
    """Returns (url, headers, body) signed with SigV4 by botocore. offset: timedelta added to 'now'."""
    split = urllib.parse.urlsplit(url)
    hdrs = {'Host': split.netloc}
    if headers:
        hdrs.update(headers)
    req = AWSRequest(method=method, url=url, data=body, headers=hdrs)
    signer = botocore.auth.SigV4Auth(Credentials(key, secret), service, region)
    if offset is not None:
        with mock.patch.object(botocore.auth, 'get_current_datetime', _FixedClock(offset)):
            signer.add_auth(req)
    else:
        signer.add_auth(req)
    prepared = req.prepare()
    return prepared.url, dict(prepared.headers.items()), body


def presign_url(url, key, secret, expires=300, method='GET', region=REGION):
    split = urllib.parse.urlsplit(url)
    req = AWSRequest(method=method, url=url, headers={'Host': split.netloc})
    botocore.auth.SigV4QueryAuth(Credentials(key, secret), 'codeartifact', region,
                                 expires=expires).add_auth(req)
    return req.prepare().url


def query_string(params):
    return urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe='-_.~')


# ----------------------------------------------------------------------------- admin CLI

def arca_cli(*args, timeout=30, check=True):
    p = subprocess.run([ARCA_BIN] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=timeout, env=child_env(), stdin=subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise AssertionError('arca %s failed (rc %d)\nstdout: %s\nstderr: %s'
                             % (' '.join(map(str, args)), p.returncode, p.stdout, p.stderr))
    return p


def parse_credentials(text):
    cp = configparser.ConfigParser()
    cp.read_string(text)
    sec = cp['default']
    return sec['aws_access_key_id'].strip(), sec['aws_secret_access_key'].strip()


def is_error(exc, *codes):
    return isinstance(exc, ClientError) and exc.response['Error']['Code'] in codes


# ----------------------------------------------------------------------------- server

def _listening_port(pid):
    """The TCP port a process listens on at 127.0.0.1 (from /proc), or None."""
    inodes = set()
    try:
        for fd in os.listdir('/proc/%d/fd' % pid):
            try:
                link = os.readlink('/proc/%d/fd/%s' % (pid, fd))
            except OSError:
                continue
            m = re.match(r'socket:\[(\d+)\]', link)
            if m:
                inodes.add(m.group(1))
        with open('/proc/net/tcp') as f:
            rows = f.read().splitlines()[1:]
    except OSError:
        return None
    for row in rows:
        cols = row.split()
        local, state, inode = cols[1], cols[3], cols[9]
        if state == '0A' and inode in inodes and local.startswith('0100007F:'):
            return int(local.split(':')[1], 16)
    return None


class ArcaServer:
    """One `arca serve` process on a temp data dir."""

    def __init__(self, name='arca', config=DEFAULT_CONFIG, public_url=None, data_dir=None):
        self.name = name
        self.workdir = tempfile.mkdtemp(prefix='arca-e2e-%s-' % name)
        self.data_dir = data_dir or os.path.join(self.workdir, 'data')
        os.makedirs(self.data_dir, exist_ok=True)
        self.config_path = None
        if config is not None:
            self.config_path = os.path.join(self.workdir, 'arca.toml')
            with open(self.config_path, 'w') as f:
                f.write(config)
        self.public_url = public_url
        self.proc = None
        self.port = None
        self.url = None
        self.starts = 0
        self.stdout_path = None
        self.stderr_path = None
        self.logs = []          # (label, text) of finished runs, for failure reports
        self.admin_key = None
        self.admin_secret = None
        self.first_stdout = ''
        _ALL_SERVERS.append(self)

    # -- lifecycle
    def start(self):
        assert self.proc is None, 'already running'
        self.starts += 1
        self.stdout_path = os.path.join(self.workdir, 'stdout.%d.log' % self.starts)
        self.stderr_path = os.path.join(self.workdir, 'stderr.%d.log' % self.starts)
        cmd = [ARCA_BIN, 'serve', '--data-dir', self.data_dir, '--listen', '127.0.0.1:0']
        if self.config_path:
            cmd += ['--config', self.config_path]
        if self.public_url:
            cmd += ['--public-url', self.public_url]
        out = open(self.stdout_path, 'wb')
        err = open(self.stderr_path, 'wb')
        try:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         env=child_env(), cwd=self.workdir)
        finally:
            out.close()
            err.close()
        deadline = time.monotonic() + START_TIMEOUT
        pat = re.compile(r'arca: listening on (http://127\.0\.0\.1:(\d+))\s*$', re.M)
        any_pat = re.compile(r'arca: listening on (\S*)')
        self.listening_line = None
        while True:
            text = _tail(self.stdout_path, 1 << 20)
            m = pat.search(text)
            if m:
                self.listening_line = m.group(0).strip()
                break
            other = any_pat.search(text)
            if other:
                # The contract says the line names the bound 127.0.0.1:PORT; remember what it said
                # (a test asserts on it) and find the port from /proc so the other tests still run.
                port = _listening_port(self.proc.pid)
                if port:
                    self.listening_line = other.group(0).strip()
                    m = re.match(r'(http://127\.0\.0\.1:(\d+))', 'http://127.0.0.1:%d' % port)
                    break
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.proc = None
                raise RuntimeError('arca serve exited with %s before listening.\ncmd: %s\nstdout:\n%s\nstderr:\n%s'
                                   % (rc, ' '.join(cmd), _tail(self.stdout_path), _tail(self.stderr_path)))
            if time.monotonic() > deadline:
                self._kill()
                raise RuntimeError('arca serve printed no listening line within %ss.\ncmd: %s\nstdout:\n%s\nstderr:\n%s'
                                   % (START_TIMEOUT, ' '.join(cmd), _tail(self.stdout_path),
                                      _tail(self.stderr_path)))
            time.sleep(0.05)
        self.url = m.group(1)
        self.port = int(m.group(2))
        if self.starts == 1:
            self.first_stdout = text
        self.load_admin_credentials()
        return self

    def load_admin_credentials(self):
        path = self.credentials_path
        deadline = time.monotonic() + 5
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.05)
        with open(path) as f:
            self.admin_key, self.admin_secret = parse_credentials(f.read())

    @property
    def credentials_path(self):
        return os.path.join(self.data_dir, 'admin.credentials')

    def _collect_logs(self):
        self.logs.append(('%s run %d stdout' % (self.name, self.starts), _tail(self.stdout_path)))
        self.logs.append(('%s run %d stderr' % (self.name, self.starts), _tail(self.stderr_path)))

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.proc:
            self._collect_logs()
        self.proc = None

    def stop(self, timeout=15):
        """SIGTERM, wait, and require exit code 0."""
        if self.proc is None:
            return
        proc = self.proc
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._kill()
            raise AssertionError('%s did not exit within %ss of SIGTERM\nstderr:\n%s'
                                 % (self.name, timeout, _tail(self.stderr_path)))
        self._collect_logs()
        self.proc = None
        if rc != 0:
            raise AssertionError('%s exited with %s after SIGTERM (expected 0)\nstderr:\n%s'
                                 % (self.name, rc, _tail(self.stderr_path)))

    def restart(self):
        self.stop()
        return self.start()

    def close(self, failed=False):
        """stop() and remove the temp dir (kept when ARCA_E2E_KEEP is set)."""
        try:
            self.stop()
        finally:
            if not KEEP:
                shutil.rmtree(self.workdir, ignore_errors=True)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    # -- clients
    def client(self, key=None, secret=None, validate=True, **cfg):
        conf = dict(retries={'max_attempts': 1}, connect_timeout=10, read_timeout=60,
                    parameter_validation=validate)
        conf.update(cfg)
        return boto3.client('codeartifact', endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id=key or self.admin_key,
                            aws_secret_access_key=secret or self.admin_secret,
                            config=Config(**conf))

    def aws(self, *args, creds=None, home=None, timeout=90, output_json=True, extra_env=None):
        """Runs the real AWS CLI: `aws ARGS --endpoint-url URL --output json`.
        Returns (rc, parsed stdout JSON — or the raw text when it is not JSON, None when empty, stderr)."""
        key, secret = creds or (self.admin_key, self.admin_secret)
        home = home or tempfile.mkdtemp(prefix='home-', dir=self.workdir)
        awsdir = os.path.join(home, '.aws-e2e')
        os.makedirs(awsdir, exist_ok=True)
        cred_file = os.path.join(awsdir, 'credentials')
        conf_file = os.path.join(awsdir, 'config')
        with open(cred_file, 'w') as f:
            f.write('[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' % (key, secret))
        with open(conf_file, 'w') as f:
            f.write('[default]\nregion = %s\n' % REGION)
        env = child_env({
            'HOME': home,
            'AWS_SHARED_CREDENTIALS_FILE': cred_file,
            'AWS_CONFIG_FILE': conf_file,
            'AWS_DEFAULT_REGION': REGION,
            'AWS_PAGER': '',
            'AWS_MAX_ATTEMPTS': '1',
            'npm_config_update_notifier': 'false',
            'npm_config_audit': 'false',
            'npm_config_fund': 'false',
        })
        if extra_env:
            env.update(extra_env)
        cmd = [AWS_CLI] + [str(a) for a in args] + ['--endpoint-url', self.url]
        if output_json:
            cmd += ['--output', 'json']
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                           stdin=subprocess.DEVNULL, cwd=home)
        out = p.stdout
        parsed = None
        if out.strip():
            try:
                parsed = json.loads(out)
            except ValueError:
                parsed = out
        return p.returncode, parsed, p.stderr

    # -- raw HTTP
    def http(self, method, path, headers=None, body=None, timeout=15):
        return http_request(self.port, method, path, headers=headers, body=body, timeout=timeout)

    def signed(self, method, path, params=None, body=b'', headers=None, key=None, secret=None,
               offset=None, timeout=30):
        """A SigV4-signed raw request to the control plane (path like '/v1/repository')."""
        url = self.url + path
        if params:
            url += '?' + query_string(params)
        if isinstance(body, str):
            body = body.encode()
        hdrs = dict(headers or {})
        if body and not any(k.lower() == 'content-type' for k in hdrs):
            hdrs['Content-Type'] = 'application/json'
        signed_url, signed_headers, body = sign_request(
            url, method, key or self.admin_key, secret or self.admin_secret, body=body,
            headers=hdrs, offset=offset)
        split = urllib.parse.urlsplit(signed_url)
        target = split.path + ('?' + split.query if split.query else '')
        return http_request(self.port, method, target, headers=signed_headers, body=body or None,
                            timeout=timeout)

    def healthz(self, timeout=5):
        return http_request(self.port, 'GET', '/healthz', timeout=timeout)

    # -- offline admin commands
    def account_create(self, name):
        out = arca_cli('account', 'create', '--data-dir', self.data_dir, '--name', name).stdout.strip()
        m = re.search(r'\b(\d{12})\b', out)
        if not m:
            raise AssertionError('account create printed no 12-digit id: %r' % out)
        return m.group(1)

    def access_key_create(self, account, user=None):
        args = ['access-key', 'create', '--data-dir', self.data_dir, '--account', account]
        if user:
            args += ['--user', user]
        return parse_credentials(arca_cli(*args).stdout)

    def access_key_list(self):
        out = arca_cli('access-key', 'list', '--data-dir', self.data_dir).stdout
        rows = []
        for line in out.splitlines():
            parts = line.split()
            if parts:
                rows.append(parts)
        return rows

    def access_key_delete(self, key_id):
        return arca_cli('access-key', 'delete', '--data-dir', self.data_dir, key_id)

    def account_of_key(self, key_id):
        for row in self.access_key_list():
            if row[0] == key_id and len(row) >= 2:
                return row[1]
        raise AssertionError('key %s not in `access-key list`' % key_id)

    def wait_key_usable(self, key, secret, timeout=6.0):
        """Polls until the server accepts a freshly created key (it notices changes within ~2 s)."""
        c = self.client(key, secret)
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                c.list_domains()
                return c
            except ClientError as e:
                last = e
                if e.response['Error']['Code'] not in ('UnrecognizedClientException',
                                                       'InvalidSignatureException'):
                    raise
            time.sleep(0.2)
        raise AssertionError('new access key %s not accepted within %ss: %s' % (key, timeout, last))

    def new_account(self, name):
        """Creates an account and a key for it; returns (account_id, key, secret)."""
        acct = self.account_create(name)
        key, secret = self.access_key_create(acct, user=name + '-user')
        return acct, key, secret

    # -- repository endpoints
    def repo_path(self, fmt, domain, owner, repo):
        return '/%s/d/%s-%s/%s/' % (fmt, domain, owner, repo)


def _cleanup_all():
    for s in _ALL_SERVERS:
        if s.proc is not None and s.proc.poll() is None:
            try:
                s.proc.kill()
                s.proc.wait(5)
            except Exception:
                pass


atexit.register(_cleanup_all)


class ArcaTestCase(unittest.TestCase):
    """Assertion helpers shared by the e2e tests."""

    maxDiff = 4000

    def assertClientError(self, fn, codes, status=None, msg_contains=None, **kwargs):
        if isinstance(codes, str):
            codes = (codes,)
        try:
            fn(**kwargs)
        except ClientError as e:
            code = e.response['Error']['Code']
            self.assertIn(code, codes, 'expected %s, got %s: %s' % (codes, code, e.response))
            if status is not None:
                st = e.response['ResponseMetadata']['HTTPStatusCode']
                if isinstance(status, int):
                    status = (status,)
                self.assertIn(st, status, 'HTTP status for %s: %s' % (code, e.response))
            self.assertTrue(e.response['ResponseMetadata'].get('RequestId'),
                            'error response without x-amzn-RequestId: %s' % e.response['ResponseMetadata'])
            if msg_contains:
                self.assertIn(msg_contains.lower(), e.response['Error'].get('Message', '').lower(),
                              'message should mention %r: %s' % (msg_contains, e.response))
            return e
        self.fail('expected %s from %s(%s), got success' % (codes, getattr(fn, '__name__', fn), kwargs))

    def assertTimestamp(self, value, around=None, slack=300):
        self.assertIsInstance(value, datetime.datetime, 'timestamp should parse as datetime: %r' % (value,))
        if around is None:
            around = time.time()
        self.assertLess(abs(value.timestamp() - around), slack,
                        'timestamp %s not within %ss of %s' % (value, slack, around))


def main():
    """unittest.main() that prints server logs on failure and exits non-zero."""
    prog = unittest.main(exit=False, verbosity=2)
    ok = prog.result.wasSuccessful()
    tests_run = prog.result.testsRun
    if not ok:
        for s in _ALL_SERVERS:
            if s.proc is not None:
                s._collect_logs()
            for label, text in s.logs:
                if text.strip():
                    sys.stderr.write('\n===== %s =====\n%s\n' % (label, text))
    _cleanup_all()
    sys.exit(0 if ok and tests_run > 0 else 1)
