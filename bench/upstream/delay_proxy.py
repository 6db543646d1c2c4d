#!/usr/bin/env python3
"""delay_proxy.py PORT UPSTREAM_HOST:UPSTREAM_PORT DELAY_MS
An emulated remote upstream for the pull-through benchmark: a TCP relay on 127.0.0.1:PORT (0:
any free port) to UPSTREAM (the static nginx) whose responses start DELAY_MS after the request.

Contract: once listening it prints one line `delay_proxy: listening on 127.0.0.1:PORT` (the port
actually bound) to stdout. Bytes are relayed unchanged both ways (no HTTP parsing); each accepted
connection gets its own connection to UPSTREAM, opened once the client's first bytes have come.
A request/response turn starts when client bytes arrive while no turn is open (keep-alive: once
per request); on a new connection whose first bytes come within 5 ms, at the accept. The turn's
first upstream->client bytes are relayed no earlier than DELAY_MS after its start, and the rest of
the response at once. So the first byte of every response comes DELAY_MS after the request reached
the relay (or later, if the upstream is slower). The relay's own work in between (starting a
thread, connecting to UPSTREAM, nginx's answer) is inside DELAY_MS, not added to it: a new
connection (curl direct) and a reused one (Arca's connection pool) get the same first-byte time,
apart from what the kernel and the scheduler take before accept() returns. A client that connects
ahead and sends later is not shortchanged: its turn starts with its bytes. A half-close is passed
on (shutdown SHUT_WR); an error on either side closes both. SIGTERM or SIGINT: exits 0; open
connections are dropped.

Threads, blocking sockets (stdlib only): two threads per connection, enough for a benchmark's
few connections, and time.sleep is precise to ~0.1 ms, where an asyncio timer can overshoot by up
to 1 ms (epoll's millisecond timeout) and its accept path costs ~1 ms per new connection here.
Why not tc/netem: it needs root and would delay every loopback packet, the direct case included."""
import signal, socket, sys, threading, time

CHUNK = 256 * 1024


def relay(client, upstream_addr, delay, accepted):
    up = None
    try:
        first = client.recv(CHUNK)
        if not first:
            return
        lock = threading.Lock()
        now = time.monotonic()
        asked = [accepted if now - accepted < 0.005 else now]  # the open turn's start; None: no turn open
        up = socket.create_connection(upstream_addr)
        up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        up.sendall(first)

        def to_upstream():
            try:
                while data := client.recv(CHUNK):
                    with lock:  # before sending: the response cannot come back before the stamp
                        if asked[0] is None:
                            asked[0] = time.monotonic()
                    up.sendall(data)
                up.shutdown(socket.SHUT_WR)
            except OSError:
                close(client, up)

        t = threading.Thread(target=to_upstream, daemon=True)
        t.start()
        while data := up.recv(CHUNK):  # upstream -> client, in this thread
            with lock:
                wait, asked[0] = (0 if asked[0] is None else asked[0] + delay - time.monotonic()), None
            if wait > 0:
                time.sleep(wait)
            client.sendall(data)
        client.shutdown(socket.SHUT_WR)
        t.join()
    except OSError:
        pass
    finally:
        close(client, up)


def close(*socks):
    for s in socks:
        if s is not None:
            try:
                s.close()
            except OSError:
                pass


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    port, upstream, delay_ms = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    host, up_port = upstream.rsplit(":", 1)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit(0))  # relay threads are daemons: they end with us
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1024)
    print("delay_proxy: listening on 127.0.0.1:%d" % srv.getsockname()[1], flush=True)
    while True:
        client, _ = srv.accept()
        accepted = time.monotonic()
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=relay, args=(client, (host, int(up_port)), delay_ms / 1000, accepted), daemon=True).start()


if __name__ == "__main__":
    main()
