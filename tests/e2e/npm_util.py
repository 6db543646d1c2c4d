"""Helpers for the npm-family end-to-end tests (test_npm*.py): the pinned client tools in
<repo>/.tools (scripts/install-npm-tools.sh), isolated client environments (HOME, npm cache,
config files in temp dirs), `aws codeartifact login --tool npm`, generated packages, npm publish
documents built by hand, raw registry HTTP with the token, and a look at the blob store.

Everything talks to 127.0.0.1 only: the registry a client uses is the one `aws codeartifact login`
wrote (Arca's endpoint), update checks, audit and fund requests are switched off, and proxy
variables are removed.
"""

import base64
import copy
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from arca_harness import child_env

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
TOOLS_DIR = os.environ.get('ARCA_E2E_TOOLS') or os.path.join(REPO_ROOT, '.tools')
NODE = shutil.which('node')
NPM = shutil.which('npm')
YARN1_JS = os.path.join(TOOLS_DIR, 'node_modules', 'yarn', 'bin', 'yarn.js')
YARN4_JS = os.path.join(TOOLS_DIR, 'node_modules', '@yarnpkg', 'cli-dist', 'bin', 'yarn.js')
PNPM_JS = os.path.join(TOOLS_DIR, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs')

CMD_TIMEOUT = float(os.environ.get('ARCA_E2E_NPM_TIMEOUT', '120'))


def loud_skip(what):
    msg = ('\n' + '!' * 78 + '\n!!! SKIPPED: %s\n!!! Install the pinned client tools with '
           '`bash scripts/install-npm-tools.sh` (make test does it).\n' + '!' * 78 + '\n') % what
    sys.stderr.write(msg)
    raise unittest.SkipTest(what)


class SkipsPerTest:
    """Mixin for a TestCase whose class set-up may find the tools or the server's npm support
    missing: set-up is written in `setUpFixture` (a classmethod); a unittest.SkipTest it raises is
    turned into a skip of every test (counted as run and skipped, not as an empty run)."""

    skip_reason = None

    @classmethod
    def setUpClass(cls):
        try:
            cls.setUpFixture()
        except unittest.SkipTest as e:
            cls.skip_reason = str(e)

    def setUp(self):
        if self.skip_reason:
            self.skipTest(self.skip_reason)
        # Each test gets its own HOME and npm cache (same registry and token as the class login).
        if isinstance(getattr(type(self), 'login', None), NpmLogin):
            self.login = type(self).login.clone()


def require_npm():
    if not NODE or not NPM:
        loud_skip('node/npm not found on PATH; the npm end-to-end tests cannot run')


def require_tool(path, name):
    if not NODE or not os.path.isfile(path):
        loud_skip('%s not installed (expected %s)' % (name, path))
    return path


# ----------------------------------------------------------------------------- processes

_CLIENT_VAR = re.compile(r'^(npm_|yarn_|pnpm_|corepack_|node_options$|ci$|continuous_integration$|'
                         r'build_number$|run_id$|github_|gitlab_|buildkite)', re.I)


def client_env(home, extra=None):
    """Environment for npm/yarn/pnpm and for `aws codeartifact login --tool npm`: HOME, npm's user
    and global config, caches and XDG dirs inside `home`; no ambient npm/yarn/pnpm/CI variables."""
    env = {k: v for k, v in child_env().items() if not _CLIENT_VAR.match(k)}
    os.makedirs(home, exist_ok=True)
    globalrc = os.path.join(home, '.npmrc-global')
    if not os.path.exists(globalrc):
        open(globalrc, 'w').close()
    env.update({
        'HOME': home,
        'USERPROFILE': home,
        'XDG_CONFIG_HOME': os.path.join(home, '.config'),
        'XDG_CACHE_HOME': os.path.join(home, '.cache'),
        'XDG_DATA_HOME': os.path.join(home, '.local', 'share'),
        'XDG_STATE_HOME': os.path.join(home, '.local', 'state'),
        'npm_config_userconfig': os.path.join(home, '.npmrc'),
        'npm_config_globalconfig': globalrc,
        'npm_config_cache': os.path.join(home, '.npm-cache'),
        'npm_config_update_notifier': 'false',
        'npm_config_audit': 'false',
        'npm_config_fund': 'false',
        'npm_config_progress': 'false',
        'npm_config_loglevel': 'warn',
        'NO_UPDATE_NOTIFIER': '1',
        'YARN_ENABLE_TELEMETRY': '0',
        'COREPACK_ENABLE_STRICT': '0',
        'COREPACK_ENABLE_AUTO_PIN': '0',
        'COREPACK_ENABLE_DOWNLOAD_PROMPT': '0',
    })
    if extra:
        env.update(extra)
    return env


class CommandFailed(AssertionError):
    def __init__(self, msg, proc):
        super().__init__(msg)
        self.proc = proc


def run(cmd, cwd, env, check=True, timeout=None, input_text=None):
    """Runs a client command; returns CompletedProcess (text). On failure (check=True) raises with
    the command, its exit code and the tail of both streams."""
    t0 = time.monotonic()
    try:
        p = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=timeout or CMD_TIMEOUT,
                           input=input_text, stdin=None if input_text is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise AssertionError('timed out after %ss: %s (cwd %s)\nstdout: %s\nstderr: %s'
                             % (e.timeout, ' '.join(map(str, cmd)), cwd, _s(e.stdout)[-3000:],
                                _s(e.stderr)[-3000:]))
    p.elapsed = time.monotonic() - t0
    if check and p.returncode != 0:
        raise CommandFailed('command failed (rc %d): %s\ncwd: %s\nstdout:\n%s\nstderr:\n%s'
                            % (p.returncode, ' '.join(map(str, cmd)), cwd, p.stdout[-4000:],
                               p.stderr[-6000:]), p)
    return p


def _s(x):
    if x is None:
        return ''
    return x.decode('utf-8', 'replace') if isinstance(x, bytes) else x


# ----------------------------------------------------------------------------- npm sessions

class NpmLogin:
    """An isolated HOME in which `aws codeartifact login --tool npm` wrote ~/.npmrc for one
    repository; npm (and yarn 1 / pnpm, which read the same file) then use that registry."""

    def __init__(self, server, domain, repository, parent_dir, owner=None):
        self.server = server
        self.domain = domain
        self.repository = repository
        self.parent_dir = parent_dir
        self.home = tempfile.mkdtemp(prefix='npm-home-', dir=parent_dir)
        self.env = client_env(self.home)
        args = ['codeartifact', 'login', '--tool', 'npm', '--domain', domain, '--repository', repository]
        if owner:
            args += ['--domain-owner', owner]
        rc, out, err = server.aws(*args, home=self.home, output_json=False, extra_env=self.env_for_aws())
        if rc != 0:
            raise AssertionError('aws codeartifact login --tool npm failed rc=%s\nstdout: %s\nstderr: %s'
                                 % (rc, out, err))
        self.login_output = '%s\n%s' % (out or '', err or '')
        with open(os.path.join(self.home, '.npmrc')) as f:
            self.npmrc_text = f.read()
        self.registry = None
        self.token = None
        for line in self.npmrc_text.splitlines():
            line = line.strip()
            if line.startswith('registry='):
                self.registry = line.split('=', 1)[1].strip().strip('"')
            m = re.match(r'^(//[^=]+):_authToken=(.*)$', line)
            if m:
                self.nerf = m.group(1)
                self.token = m.group(2).strip().strip('"')
        if not self.registry or not self.token:
            raise AssertionError('aws codeartifact login wrote no registry/_authToken to ~/.npmrc:\n%s'
                                 % self.npmrc_text)
        # registry path relative to the server, e.g. /npm/d/dom-123456789012/repo/
        self.path = urllib.parse.urlsplit(self.registry).path

    def clone(self):
        """The same login in a fresh HOME (its own ~/.npmrc copy, npm cache and config dirs)."""
        c = copy.copy(self)
        c.home = tempfile.mkdtemp(prefix='npm-home-', dir=self.parent_dir)
        c.env = client_env(c.home)
        with open(os.path.join(c.home, '.npmrc'), 'w') as f:
            f.write(self.npmrc_text)
        return c

    def env_for_aws(self):
        keep = ('npm_config_userconfig', 'npm_config_globalconfig', 'npm_config_cache',
                'npm_config_update_notifier', 'npm_config_audit', 'npm_config_fund',
                'XDG_CONFIG_HOME', 'XDG_CACHE_HOME')
        return {k: self.env[k] for k in keep}

    def with_env(self, **extra):
        env = dict(self.env)
        env.update(extra)
        return env

    def npm(self, *args, cwd=None, check=True, cache=None, timeout=None):
        env = self.env
        if cache:
            env = self.with_env(npm_config_cache=cache)
        return run([NPM] + list(args), cwd or self.home, env, check=check, timeout=timeout)

    def npm_json(self, *args, cwd=None, check=True):
        p = self.npm(*args, '--json', cwd=cwd, check=check)
        out = p.stdout.strip()
        if not out:
            return p, None
        try:
            return p, json.loads(out)
        except ValueError:
            raise AssertionError('npm %s --json printed no JSON:\n%s\nstderr: %s' % (' '.join(args), out, p.stderr))

    def tarball_url_path(self, name, version):
        """Path of the tarball the server's packument points at: {name}/-/{unscoped}-{ver}.tgz."""
        unscoped = name.split('/', 1)[1] if name.startswith('@') else name
        return '%s%s/-/%s-%s.tgz' % (self.path, name, unscoped, version)

    def fresh_dir(self, prefix):
        return tempfile.mkdtemp(prefix=prefix, dir=self.home)


# ----------------------------------------------------------------------------- yarn and pnpm

def yarn1_install(login, app, cache, frozen=False):
    """`yarn install` (yarn 1) in `app` against login's registry, with `cache` as its cache;
    frozen: from yarn.lock only (--frozen-lockfile). yarn 1 sends the token on unscoped GETs only
    with always-auth; registry and token come from the ~/.npmrc that aws codeartifact login wrote."""
    yarn = require_tool(YARN1_JS, 'yarn 1.22.22')
    with open(os.path.join(app, '.npmrc'), 'w') as f:
        f.write('%s:always-auth=true\n' % login.nerf)
    with open(os.path.join(app, '.yarnrc'), 'w') as f:
        f.write('disable-self-update-check true\n')
    args = ['install', '--non-interactive', '--no-progress', '--cache-folder', cache]
    if frozen:
        args.append('--frozen-lockfile')
    return run([NODE, yarn] + args, app, login.env)


def yarn4_install(login, app, cache, immutable=False):
    """`yarn install` (yarn 4, node-modules linker) in `app` against login's registry, with
    `cache` as its cache; immutable: from yarn.lock only (--immutable). yarn 4 reads no .npmrc:
    registry and token go into .yarnrc.yml (the token through $NPM_TOKEN). Returns the env used."""
    yarn = require_tool(YARN4_JS, 'yarn 4 (@yarnpkg/cli-dist)')
    with open(os.path.join(app, '.yarnrc.yml'), 'w') as f:
        f.write('npmRegistryServer: "%s"\n' % login.registry
                + 'npmAuthToken: "${NPM_TOKEN}"\n'
                'npmAlwaysAuth: true\n'
                'unsafeHttpWhitelist: ["127.0.0.1"]\n'
                'npmMinimalAgeGate: 0\n'
                'nodeLinker: node-modules\n'
                'enableTelemetry: false\n'
                'enableImmutableInstalls: false\n'
                'enableGlobalCache: false\n'
                'cacheFolder: "%s"\n' % cache)
    lock = os.path.join(app, 'yarn.lock')
    if not os.path.exists(lock):
        open(lock, 'w').close()  # marks the project root
    env = login.with_env(NPM_TOKEN=login.token)
    run([NODE, yarn, 'install'] + (['--immutable'] if immutable else []), app, env)
    return env


def pnpm_install(login, app, store, frozen=False):
    """`pnpm install` (pnpm 10) in `app` against login's registry, with `store` as its store;
    frozen: from pnpm-lock.yaml only (--frozen-lockfile)."""
    pnpm = require_tool(PNPM_JS, 'pnpm 10')
    return run([NODE, pnpm, 'install', '--store-dir', store,
                '--frozen-lockfile' if frozen else '--no-frozen-lockfile', '--reporter=append-only'],
               app, login.env)


# ----------------------------------------------------------------------------- pull-through chains

def create_pull_chain(ca, domain, store, *callers):
    """`store` with the external connection public:npmjs, then each of `callers` with the
    repository before it as its upstream: create_pull_chain(ca, d, 'store', 'app', 'team') makes
    team -> app -> store -> public:npmjs."""
    ca.create_repository(domain=domain, repository=store)
    ca.associate_external_connection(domain=domain, repository=store,
                                     externalConnection='public:npmjs')
    below = store
    for repo in callers:
        ca.create_repository(domain=domain, repository=repo, upstreams=[{'repositoryName': below}])
        below = repo


def npm_versions(ca, domain, repo, name):
    """ListPackageVersions of the npm package `name` ('@scope/x' or 'x') in `repo`:
    {version: summary}, empty when the repository has no such package."""
    ns, _, pkg = name[1:].partition('/') if name.startswith('@') else ('', '', name)
    kw = dict(domain=domain, repository=repo, format='npm', package=pkg)
    if ns:
        kw['namespace'] = ns
    try:
        return {v['version']: v for v in ca.list_package_versions(**kw)['versions']}
    except ca.exceptions.ResourceNotFoundException:
        return {}


# ----------------------------------------------------------------------------- packages

def write_package(root, name, version, description=None, dependencies=None, readme=None, marker=None):
    """A package directory with package.json, index.js and README.md. index.js exports a function
    returning "<name>@<version>[marker]" followed by its dependencies' answers."""
    d = os.path.join(root, '%s-%s' % (name.replace('@', '').replace('/', '__'), version))
    os.makedirs(d, exist_ok=True)
    pj = {'name': name, 'version': version, 'main': 'index.js', 'license': 'MIT'}
    if description:
        pj['description'] = description
    if dependencies:
        pj['dependencies'] = dependencies
    with open(os.path.join(d, 'package.json'), 'w') as f:
        json.dump(pj, f, indent=2)
    ident = '%s@%s%s' % (name, version, marker or '')
    requires = ''.join(' + " " + require(%s)()' % json.dumps(dep) for dep in sorted(dependencies or {}))
    with open(os.path.join(d, 'index.js'), 'w') as f:
        f.write('module.exports = function () { return %s%s; };\n' % (json.dumps(ident), requires))
    with open(os.path.join(d, 'README.md'), 'w') as f:
        f.write(readme if readme is not None else '# %s\n\nVersion %s of an Arca end-to-end test package.\n'
                % (name, version))
    return d


def write_consumer(root, dependencies, name='e2e-consumer'):
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, 'package.json'), 'w') as f:
        json.dump({'name': name, 'version': '0.0.0', 'private': True, 'license': 'MIT',
                   'dependencies': dependencies}, f, indent=2)
    return root


def node_require(cwd, env, *names):
    """Runs node in `cwd`, requires each package and calls its export; returns the answers."""
    script = 'const r = []; for (const n of %s) r.push(require(n)()); console.log(JSON.stringify(r));' \
        % json.dumps(list(names))
    p = run([NODE, '-e', script], cwd, env)
    return json.loads(p.stdout.strip().splitlines()[-1])


def npm_pack(login, pkg_dir):
    """`npm pack` of a package dir (into a temp dir, so the package itself stays unchanged).
    Returns the tarball bytes; npm pack is deterministic, so they equal what npm publish sends."""
    dest = tempfile.mkdtemp(prefix='pack-', dir=login.home)
    p = login.npm('pack', '--json', '--pack-destination', dest, cwd=pkg_dir)
    info = json.loads(p.stdout)[0]
    with open(os.path.join(dest, info['filename']), 'rb') as f:
        return f.read()


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def sri512(b):
    return 'sha512-' + base64.b64encode(hashlib.sha512(b).digest()).decode()


# ----------------------------------------------------------------------------- raw publish documents

def make_tarball(name, version, files=None, nonce=None):
    """A gzipped tar like `npm pack` makes: package/package.json (+ files), fixed mtimes."""
    pj = {'name': name, 'version': version, 'main': 'index.js', 'license': 'MIT'}
    if nonce is not None:
        pj['description'] = 'nonce %s' % nonce
    entries = {'package/package.json': json.dumps(pj, indent=2).encode(),
               'package/index.js': b'module.exports = () => %s;\n' % json.dumps('%s@%s' % (name, version)).encode()}
    for k, v in (files or {}).items():
        entries['package/' + k] = v if isinstance(v, bytes) else v.encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode='w', format=tarfile.PAX_FORMAT) as tf:
        for path, data in entries.items():
            ti = tarfile.TarInfo(path)
            ti.size = len(data)
            ti.mtime = 499162500
            ti.mode = 0o644
            tf.addfile(ti, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


def publish_doc(name, version, tgz, registry='http://127.0.0.1/npm/x/', integrity=None, shasum=None,
                data=None, length=None, body_name=None, version_name=None, attachment_name=None,
                tags=('latest',), readme=None, description=None, dependencies=None):
    """The JSON document npm 11 PUTs to publish (as captured from `npm publish`)."""
    body_name = body_name or name
    version_name = version_name or body_name
    manifest = {'name': version_name, 'version': version, 'main': 'index.js', 'license': 'MIT',
                '_id': '%s@%s' % (version_name, version), '_nodeVersion': '20.20.2', '_npmVersion': '11.19.1',
                'dist': {'integrity': integrity or sri512(tgz),
                         'shasum': shasum or hashlib.sha1(tgz).hexdigest(),
                         'tarball': '%s%s/-/%s-%s.tgz' % (registry, name, name, version)}}
    if description is not None:
        manifest['description'] = description
    if dependencies:
        manifest['dependencies'] = dependencies
    if readme is not None:
        manifest['readme'] = readme
        manifest['readmeFilename'] = 'README.md'
    doc = {'_id': body_name, 'name': body_name,
           'dist-tags': {t: version for t in tags},
           'versions': {version: manifest},
           'access': None,
           '_attachments': {attachment_name or '%s-%s.tgz' % (name, version): {
               'content_type': 'application/octet-stream',
               'data': data if data is not None else base64.b64encode(tgz).decode(),
               'length': length if length is not None else len(tgz)}}}
    if description is not None:
        doc['description'] = description
    return doc


def quote_name(name):
    """How npm puts a package name in a URL path: '@scope%2fname'."""
    return urllib.parse.quote(name, safe='@').replace('%2F', '%2f')


class Http:
    """Raw registry requests with urllib (no proxies) and the npm token."""

    def __init__(self, base_url, token):
        self.base = base_url if base_url.endswith('/') else base_url + '/'
        self.token = token
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def request(self, method, rel, body=None, headers=None, token=True, timeout=60):
        url = rel if rel.startswith('http') else self.base + rel
        hdrs = {'Accept': 'application/json'}
        if token:
            hdrs['Authorization'] = 'Bearer ' + self.token
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            hdrs['Content-Type'] = 'application/json'
        elif isinstance(body, str):
            body = body.encode()
            hdrs['Content-Type'] = 'application/json'
        hdrs.update(headers or {})
        req = urllib.request.Request(url, data=body, method=method, headers=hdrs)
        try:
            with self.opener.open(req, timeout=timeout) as r:
                return r.status, dict(r.headers.items()), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers.items()) if e.headers else {}, e.read()

    def publish(self, name, doc_or_bytes, **kw):
        return self.request('PUT', quote_name(name), body=doc_or_bytes, **kw)

    def packument(self, name):
        st, _, body = self.request('GET', quote_name(name))
        return st, (json.loads(body) if st == 200 else body)


def error_text(body):
    """The message of an npm-style error body ({"error": ...}), or the raw text."""
    try:
        d = json.loads(body)
        if isinstance(d, dict):
            return str(d.get('error') or d.get('message') or d)
    except ValueError:
        pass
    return body.decode('utf-8', 'replace') if isinstance(body, bytes) else str(body)


# ----------------------------------------------------------------------------- store inspection

def blob_hashes(data_dir):
    """SHA-256 keys of the committed blobs in the filesystem blob store (data-dir/blobs/...)."""
    out = set()
    root = os.path.join(data_dir, 'blobs')
    for dirpath, _, filenames in os.walk(root):
        out.update(blob_hashes_in(dirpath, root, filenames))
    return out


def blob_hashes_in(dirpath, root, filenames):
    """The names among `filenames` (in `dirpath`, below the blob store `root`) that are committed
    blobs: 64 hex digits, outside the store's temp directories."""
    if os.path.basename(dirpath) == 'tmp' or '/tmp' in dirpath[len(root):]:
        return set()
    return {fn for fn in filenames if re.fullmatch(r'[0-9a-f]{64}', fn)}


def corrupt_blobs(data_dir):
    """The committed blobs of the filesystem blob store whose bytes do not hash to their key:
    [(key, path)]; empty when every stored blob is intact."""
    root = os.path.join(data_dir, 'blobs')
    bad = []
    for dirpath, _, filenames in os.walk(root):
        for fn in sorted(blob_hashes_in(dirpath, root, filenames)):
            path = os.path.join(dirpath, fn)
            with open(path, 'rb') as f:
                if hashlib.sha256(f.read()).hexdigest() != fn:
                    bad.append((fn, path))
    return bad


def _pages(fn, key, **kw):
    token = None
    while True:
        args = dict(kw)
        if token:
            args['nextToken'] = token
        r = fn(**args)
        for x in r.get(key, []):
            yield x
        token = r.get('nextToken')
        if not token:
            return


def npm_inventory(ca, domain, repository):
    """Every npm version in a repository with its status and asset SHA-256s:
    {(namespace, package, version): (status, [sha256...])}."""
    inv = {}
    for p in _pages(ca.list_packages, 'packages', domain=domain, repository=repository, format='npm'):
        ns = p.get('namespace')
        kw = dict(domain=domain, repository=repository, format='npm', package=p['package'])
        if ns:
            kw['namespace'] = ns
        for v in _pages(ca.list_package_versions, 'versions', **kw):
            assets = list(_pages(ca.list_package_version_assets, 'assets', packageVersion=v['version'], **kw)) \
                if v['status'] != 'Disposed' else []
            inv[(ns, p['package'], v['version'])] = (v['status'], [a['hashes'].get('SHA-256') for a in assets])
    return inv
