"""A fault-injecting HTTP/1.1 reverse proxy for Arca's upstream (pull-through) tests.

FaultProxy listens on 127.0.0.1 (free port) and forwards every request to a target base URL (in
the tests, VerdaccioUpstream.url). Arca's external connection points at the proxy, and a test
makes the upstream misbehave at run time and counts what Arca asked for:

    with VerdaccioUpstream() as up, FaultProxy(up.url) as proxy:
        config = '[external_connections]\\n"public:npmjs" = "%s"\\n' % proxy.url
        proxy.status(503, path='/left-pad', times=2)        # two 503s, then normal answers
        proxy.reset_mid_body(1000, path=re.compile(r'\\.tgz$'))
        ...
        assert proxy.count('/-/left-pad-1.0.0.tgz') == 1

Contract
  * Client side: HTTP/1.1 with keep-alive (a connection serves requests until the client closes
    it, sends `Connection: close`, a fault closes it, or it is idle for `idle_timeout` s).
    `.connections` counts accepted connections (to check that a client reuses them).
  * Upstream side: one fresh connection per request; hop-by-hop headers and Accept-Encoding are
    dropped (the upstream answers identity), Host is the target's. The whole upstream response is
    read before anything is sent, then sent with a Content-Length (no chunked answers). If the
    upstream cannot be reached the proxy answers 502 {"error": ...}. HEAD is forwarded as a GET
    whose headers (with the Content-Length of the body as it would be sent) are returned.
  * JSON bodies (a Content-Type containing 'json') have every occurrence of the target base URL
    replaced by the proxy's (`.url`), Content-Length adjusted, so the tarball URLs in a packument
    lead back through the proxy. Location headers are rewritten the same way.
  * gzip_json=True (attribute, may be changed at run time): a JSON body is gzip-encoded for a
    client that accepts gzip (Content-Encoding: gzip, like the public registry); body faults then
    apply to the encoded bytes. `.gzipped` counts the bodies sent so.
  * close() stops listening and cuts every open connection (a stall or delay in progress ends
    with an RST); start() again listens on the same port, so close() is also an outage of the
    upstream as the client sees it (connection refused).
  * `.requests` is the list of (method, request-target) received, logged on arrival, so faulted
    requests count too; `.count(pattern)` counts those whose target matches; clear_log() empties it.

Faults
  Each fault method takes `path` (None: every request; a str: a substring of the request target;
  a compiled regex: re.search on it), `times` (None: unlimited; N: the next N matching requests)
  and `method` (None or e.g. 'GET'), and returns the Fault (`.hits` counts applications). A request
  gets at most one fault: the first one added that matches and is not used up. remove(fault)
  removes one, clear() all.
  `after_bytes` counts body bytes after the headers; None means half the body; it is capped at
  len(body) - 1 so that a non-empty body is always cut.
    delay(seconds)                   wait before forwarding (so before the response headers)
    status(code, body, headers)      answer code without forwarding (JSON error body by default)
    reset_mid_body(after_bytes)      headers with the full Content-Length, after_bytes of the body,
                                     then an abortive close (SO_LINGER 0: the client sees RST)
    truncate(after_bytes)            same, then a clean close (FIN): a short body
    corrupt(at, nbytes)              full-length body with nbytes bytes from `at` (default: the
                                     middle) XOR 0xFF
    stall_mid_body(after_bytes, s)   after_bytes of the body, a pause of s seconds, then the rest
    drop(reset=False)                read the request and close without answering (RST if reset)
"""

import fcntl
import gzip
import http.client
import http.server
import json
import socket
import socketserver
import struct
import termios
import threading
import time
import urllib.parse

_HOP_BY_HOP = {'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate',
               'proxy-authorization', 'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade'}


class Fault:
    """One injected misbehaviour; see the module doc. Thread-safe through its FaultProxy's lock."""

    def __init__(self, kind, path=None, times=None, method=None, **params):
        self.kind = kind
        self.path = path
        self.remaining = times
        self.method = method.upper() if method else None
        self.params = params
        self.hits = 0

    def matches(self, method, target):
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method and self.method != method:
            return False
        if self.path is None:
            return True
        if isinstance(self.path, str):
            return self.path in target
        return self.path.search(target) is not None

    def __repr__(self):
        return 'Fault(%s, path=%r, remaining=%r, hits=%d, %r)' % (
            self.kind, self.path, self.remaining, self.hits, self.params)


def _cut(after_bytes, body):
    n = len(body) // 2 if after_bytes is None else after_bytes
    return max(0, min(n, len(body) - 1))


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class FaultProxy:
    """The proxy (see the module doc). Fault and log methods are thread-safe and may be called
    while requests are in flight; a request's fault is chosen once, when it arrives."""

    def __init__(self, target, gzip_json=False, upstream_timeout=60.0, idle_timeout=60.0):
        self.target = target if target.endswith('/') else target + '/'
        split = urllib.parse.urlsplit(self.target)
        if split.scheme != 'http':
            raise ValueError('FaultProxy forwards to http:// targets only: %r' % target)
        self._up_host = split.hostname
        self._up_port = split.port or 80
        self._up_netloc = split.netloc
        self._up_prefix = split.path.rstrip('/')
        self.gzip_json = gzip_json
        self.upstream_timeout = upstream_timeout
        self.idle_timeout = idle_timeout
        self.url = None
        self.port = None
        self.connections = 0
        self.gzipped = 0
        self._faults = []
        self._log = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._open = set()
        self._server = None
        self._thread = None

    # ------------------------------------------------------------------ lifecycle
    def start(self):
        proxy = self

        class Handler(_Handler):
            owner = proxy
            timeout = proxy.idle_timeout

        self._stopping.clear()
        self._server = _Server(('127.0.0.1', self.port or 0), Handler)
        self.port = self._server.server_address[1]
        self.url = 'http://127.0.0.1:%d/' % self.port
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={'poll_interval': 0.05},
                                        name='fault-proxy-%d' % self.port, daemon=True)
        self._thread.start()
        return self

    def close(self):
        """Stops listening and closes every open client connection (stalls end at once)."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            socks = list(self._open)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(5)
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ faults
    def _add(self, kind, path, times, method, **params):
        f = Fault(kind, path=path, times=times, method=method, **params)
        with self._lock:
            self._faults.append(f)
        return f

    def delay(self, seconds, path=None, times=None, method=None):
        return self._add('delay', path, times, method, seconds=seconds)

    def status(self, code, body=None, headers=None, path=None, times=None, method=None):
        if body is None:
            body = json.dumps({'error': 'fault proxy: injected %d' % code}).encode()
        elif isinstance(body, str):
            body = body.encode()
        return self._add('status', path, times, method, code=code, body=body, headers=dict(headers or {}))

    def reset_mid_body(self, after_bytes=None, path=None, times=None, method=None):
        return self._add('reset', path, times, method, after_bytes=after_bytes)

    def truncate(self, after_bytes=None, path=None, times=None, method=None):
        return self._add('truncate', path, times, method, after_bytes=after_bytes)

    def corrupt(self, at=None, nbytes=1, path=None, times=None, method=None):
        return self._add('corrupt', path, times, method, at=at, nbytes=nbytes)

    def stall_mid_body(self, after_bytes=None, seconds=5.0, path=None, times=None, method=None):
        return self._add('stall', path, times, method, after_bytes=after_bytes, seconds=seconds)

    def drop(self, reset=False, path=None, times=None, method=None):
        return self._add('drop', path, times, method, reset=reset)

    def remove(self, fault):
        with self._lock:
            if fault in self._faults:
                self._faults.remove(fault)

    def clear(self):
        """Removes every fault (requests in flight keep the one they got)."""
        with self._lock:
            self._faults = []

    def _take_fault(self, method, target):
        with self._lock:
            for f in self._faults:
                if f.matches(method, target):
                    f.hits += 1
                    if f.remaining is not None:
                        f.remaining -= 1
                    return f
        return None

    # ------------------------------------------------------------------ request log
    @property
    def requests(self):
        """(method, request-target) of every request received so far, oldest first."""
        with self._lock:
            return list(self._log)

    def count(self, pattern, method=None):
        """How many logged requests have a target containing `pattern` (a str) or matching it
        (a compiled regex), optionally only those with `method`."""
        def hit(target):
            return pattern in target if isinstance(pattern, str) else pattern.search(target) is not None
        return sum(1 for m, t in self.requests if hit(t) and (method is None or m == method.upper()))

    def clear_log(self):
        with self._lock:
            self._log = []

    def _note(self, method, target):
        with self._lock:
            self._log.append((method, target))

    # ------------------------------------------------------------------ forwarding
    def _forward(self, method, target, headers, body):
        """Sends the request upstream; returns (status, reason, [(name, value)], body bytes)."""
        hdrs = {}
        for k, v in headers.items():
            lk = k.lower()
            if lk in _HOP_BY_HOP or lk in ('host', 'content-length', 'accept-encoding', 'expect'):
                continue
            hdrs[k] = v
        hdrs['Host'] = self._up_netloc
        if body or method in ('POST', 'PUT', 'PATCH'):
            hdrs['Content-Length'] = str(len(body))
        conn = http.client.HTTPConnection(self._up_host, self._up_port, timeout=self.upstream_timeout)
        try:
            conn.request(method, self._up_prefix + target, body=body or None, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            return r.status, r.reason, r.getheaders(), data
        finally:
            conn.close()

    def _rewrite(self, data):
        return data.replace(self.target.encode(), self.url.encode())


def proxied(owner, upstream):
    """Starts `upstream` (e.g. a VerdaccioUpstream) and a FaultProxy in front of it for the test
    class `owner` (from its setUpClass/setUpFixture); both close with the class's cleanups.
    Returns (upstream, proxy)."""
    owner.addClassCleanup(upstream.close)
    upstream.start()
    proxy = FaultProxy(upstream.url)
    owner.addClassCleanup(proxy.close)
    proxy.start()
    return upstream, proxy


def _drain(sock, timeout=5.0):
    """Waits (bounded) until the kernel has sent and the peer acknowledged what was written, so
    that an abortive close does not discard body bytes the fault promised to deliver."""
    deadline = time.monotonic() + timeout
    buf = bytearray(4)
    while time.monotonic() < deadline:
        try:
            fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, buf)
        except OSError:
            return
        if struct.unpack('i', bytes(buf))[0] == 0:
            return
        time.sleep(0.005)


def _is_json(headers):
    return any(k.lower() == 'content-type' and 'json' in v.lower() for k, v in headers)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    owner = None        # the FaultProxy (set in a subclass per proxy)

    def setup(self):
        super().setup()
        with self.owner._lock:
            self.owner._open.add(self.connection)
            self.owner.connections += 1

    def finish(self):
        with self.owner._lock:
            self.owner._open.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, fmt, *args):
        pass

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, socket.timeout, OSError):
            self.close_connection = True

    def _dispatch(self):
        proxy = self.owner
        method, target = self.command, self.path
        body = self._read_body()
        proxy._note(method, target)
        fault = proxy._take_fault(method, target)
        kind = fault.kind if fault else None
        p = fault.params if fault else {}
        if kind == 'drop':
            self._close(abort=p['reset'])
            return
        if kind == 'delay' and proxy._stopping.wait(p['seconds']):
            self._close(abort=True)
            return
        if kind == 'status':
            headers = [('Content-Type', 'application/json')] + list(p['headers'].items())
            self._respond(p['code'], None, headers, p['body'])
            return
        try:
            # HEAD is forwarded as GET, so its Content-Length is that of the (rewritten) GET body
            status, reason, headers, data = proxy._forward('GET' if method == 'HEAD' else method,
                                                           target, self.headers, body)
        except (OSError, http.client.HTTPException) as e:
            err = json.dumps({'error': 'fault proxy: upstream %s unreachable: %s' % (proxy.target, e)})
            self._respond(502, None, [('Content-Type', 'application/json')], err.encode())
            return
        headers, data = self._transform(headers, data)
        self._respond(status, reason, headers, data, fault)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = do_OPTIONS = _dispatch

    def _read_body(self):
        if 'chunked' in (self.headers.get('Transfer-Encoding') or '').lower():
            out = b''
            while True:
                size = int(self.rfile.readline().split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline() not in (b'\r\n', b'\n', b''):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(n) if n else b''

    def _transform(self, headers, data):
        """Decodes a gzip JSON body, rewrites upstream URLs, optionally gzips JSON for the client."""
        proxy = self.owner
        encoding = next((v.lower() for k, v in headers if k.lower() == 'content-encoding'), '')
        json_body = _is_json(headers)
        if json_body and encoding == 'gzip':
            data = gzip.decompress(data)
            headers = [(k, v) for k, v in headers if k.lower() != 'content-encoding']
            encoding = ''
        if json_body and not encoding:
            data = proxy._rewrite(data)
        out = []
        for k, v in headers:
            lk = k.lower()
            if lk in _HOP_BY_HOP or lk in ('content-length', 'date', 'server'):
                continue
            if lk == 'location':
                v = proxy._rewrite(v.encode()).decode()
            out.append((k, v))
        if (proxy.gzip_json and json_body and not encoding
                and 'gzip' in (self.headers.get('Accept-Encoding') or '').lower()):
            data = gzip.compress(data, mtime=0)
            out.append(('Content-Encoding', 'gzip'))
            with proxy._lock:
                proxy.gzipped += 1
        return out, data

    def _respond(self, status, reason, headers, body, fault=None):
        kind = fault.kind if fault else None
        p = fault.params if fault else {}
        no_body = self.command == 'HEAD' or status in (204, 304) or 100 <= status < 200
        if kind == 'corrupt' and body and not no_body:
            body = bytearray(body)
            start = len(body) // 2 if p['at'] is None else min(p['at'], len(body) - 1)
            for i in range(start, min(start + p['nbytes'], len(body))):
                body[i] ^= 0xFF
            body = bytes(body)
        self.send_response(status, reason)
        for k, v in headers:
            self.send_header(k, v)
        if self.command == 'HEAD' or not no_body:
            self.send_header('Content-Length', str(len(body)))
        if self.close_connection:
            self.send_header('Connection', 'close')
        self.end_headers()
        if no_body:
            if kind in ('reset', 'truncate'):
                self._close(abort=kind == 'reset')
            return
        if kind in ('reset', 'truncate', 'stall'):
            n = _cut(p['after_bytes'], body)
            self.wfile.write(body[:n])
            if kind == 'stall':
                if self.owner._stopping.wait(p['seconds']):
                    self._close(abort=True)
                    return
                self.wfile.write(body[n:])
            else:
                self._close(abort=kind == 'reset')
            return
        self.wfile.write(body)

    def _close(self, abort):
        """Closes the client connection now: an RST (SO_LINGER 0) if abort, else a FIN."""
        self.close_connection = True
        sock = self.connection
        try:
            if abort:
                _drain(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            else:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        try:
            self.rfile.close()      # the makefile() reference; the fd closes with the socket
        except OSError:
            pass
        sock.close()
