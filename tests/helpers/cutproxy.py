"""cutproxy - a TCP proxy for Kafka connections that cuts them mid-request.

    p = CutProxy(("127.0.0.1", broker_port), seed=1, p_cut=0.05, apis={0})
    p.port                      # clients (and advertised.listeners) use this
    p.set_upstream(host, port)  # e.g. after the broker restarted elsewhere
    p.cutting = False           # stop cutting (let the clients finish)
    p.stats                     # counts of frames and of each kind of cut
    p.close()                   # stop listening, close every connection

Each client connection gets its own connection to the upstream broker and
two forwarding threads.  The proxy follows the Kafka framing (int32 size
prefix) in both directions and knows each request's api key and
correlation id, so it can decide, request by request, to cut the
connection (both sides) at one of these points:

  mid_request    only a random prefix of the request frame is forwarded
                 (possibly just part of the size prefix): the broker gets
                 a partial frame and then the close;
  after_request  the whole request is forwarded, then both sides are
                 closed at once: the broker has it, the client cannot know;
  lost_response  the whole request is forwarded; when its response comes
                 back, none of it is passed on and both sides are closed:
                 the broker did the work, the client never hears of it;
  mid_response   a random prefix of the response is passed on, then the
                 close: the client gets a truncated frame.

Only requests whose api key is in `apis` (None: all) are cut, each with
probability p_cut, the kind chosen uniformly from `kinds`.  A cut closes
with an RST (SO_LINGER 0) or a FIN, at random.  Every socket operation
is bounded: connecting upstream times out after 5 s, and close() ends
every thread.  Stdlib only.
"""

import random
import socket
import struct
import threading
import time

KINDS = ("mid_request", "after_request", "lost_response", "mid_response")

__all__ = ["CutProxy", "KINDS"]


class _Pair:
    """One client connection and its upstream connection."""

    def __init__(self, proxy, client, upstream, cid):
        self.proxy = proxy
        self.client = client
        self.upstream = upstream
        self.cid = cid
        self.lock = threading.Lock()
        self.closed = False
        self.apis = {}      # correlation id -> api key, of requests forwarded
        self.doomed = {}    # correlation id -> "lost_response" / "mid_response"

    def close(self, rst=False):
        with self.lock:
            if self.closed:
                return
            self.closed = True
        for s in (self.client, self.upstream):
            # shutdown() wakes the other thread's blocking recv (close()
            # alone would not); SHUT_RD sends nothing, so the close that
            # follows a zero linger is an RST, and SHUT_RDWR a FIN.
            try:
                if rst:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    s.shutdown(socket.SHUT_RD)
                else:
                    s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        self.proxy._pair_done(self)

    def cut(self, kind, api):
        self.proxy._count(kind, api)
        self.close(rst=self.proxy._rng_random() < 0.5)

    @staticmethod
    def _send(sock, data):
        try:
            sock.sendall(data)
            return True
        except OSError:
            return False

    def client_to_broker(self):
        """Forward requests; decide for each one whether (and where) to cut."""
        pending = bytearray()
        left = 0          # bytes of the current frame still to forward
        cut_in = None     # forward this many more bytes, then cut (mid_request)
        after = False     # cut once the current frame is forwarded
        api = -1
        try:
            while not self.closed:
                try:
                    data = self.client.recv(65536)
                except OSError:
                    break
                if not data:
                    break
                pending += data
                out = bytearray()
                while pending:
                    if left == 0:
                        if len(pending) < 4:
                            break
                        size = struct.unpack_from(">i", pending, 0)[0]
                        if size >= 8 and len(pending) < 12:
                            break  # wait for the api key and correlation id
                        left = 4 + max(size, 0)
                        api = corr = -1
                        if size >= 8:
                            api, _ver, corr = struct.unpack_from(">hhi", pending, 4)
                            self.apis[corr] = api
                        self.proxy._count("requests", api)
                        kind = self.proxy._decide(api)
                        cut_in, after = None, False
                        if kind == "mid_request":
                            cut_in = self.proxy._rng_randint(1, max(1, left - 1))
                        elif kind == "after_request":
                            after = True
                        elif kind in ("lost_response", "mid_response"):
                            self.doomed[corr] = kind
                    n = min(left, len(pending))
                    if cut_in is not None and cut_in <= n:
                        out += pending[:cut_in]
                        self._send(self.upstream, bytes(out))
                        time.sleep(0.01 * self.proxy._rng_random())
                        self.cut("mid_request", api)
                        return
                    out += pending[:n]
                    del pending[:n]
                    left -= n
                    if cut_in is not None:
                        cut_in -= n
                    if after and left == 0:
                        self._send(self.upstream, bytes(out))
                        self.cut("after_request", api)
                        return
                if out and not self._send(self.upstream, bytes(out)):
                    break
        finally:
            self.close()

    def broker_to_client(self):
        """Forward responses; drop or truncate the doomed ones."""
        pending = bytearray()
        left = 0
        cut_in = None
        api = -1
        try:
            while not self.closed:
                try:
                    data = self.upstream.recv(65536)
                except OSError:
                    break
                if not data:
                    break
                pending += data
                out = bytearray()
                while pending:
                    if left == 0:
                        if len(pending) < 8:
                            break
                        size, corr = struct.unpack_from(">ii", pending, 0)
                        left = 4 + max(size, 0)
                        api = self.apis.pop(corr, -1)
                        kind = self.doomed.pop(corr, None)
                        cut_in = None
                        if kind == "lost_response":
                            self._send(self.client, bytes(out))
                            self.cut("lost_response", api)
                            return
                        if kind == "mid_response":
                            cut_in = self.proxy._rng_randint(1, max(1, left - 1))
                    n = min(left, len(pending))
                    if cut_in is not None and cut_in <= n:
                        out += pending[:cut_in]
                        self._send(self.client, bytes(out))
                        self.cut("mid_response", api)
                        return
                    out += pending[:n]
                    del pending[:n]
                    left -= n
                    if cut_in is not None:
                        cut_in -= n
                if out and not self._send(self.client, bytes(out)):
                    break
        finally:
            self.close()


class CutProxy:
    def __init__(self, upstream, seed=None, p_cut=0.0, kinds=KINDS, apis=None,
                 host="127.0.0.1", port=0):
        self.upstream = tuple(upstream) if upstream else None
        self.p_cut = p_cut
        self.kinds = tuple(kinds)
        for k in self.kinds:
            assert k in KINDS, k
        self.apis = None if apis is None else set(apis)
        self.cutting = True
        self.stats = {"connections": 0, "upstream_failed": 0, "requests": 0}
        self.stats.update({k: 0 for k in KINDS})
        self.cuts_by_api = {}
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._pairs = set()
        self._threads = []
        self._closing = False
        self._next_id = 0
        self._listen = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listen.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listen.bind((host, port))
        self._listen.listen(128)
        self._listen.settimeout(0.2)
        self.host, self.port = self._listen.getsockname()[:2]
        self._acceptor = threading.Thread(target=self._accept_loop, name="cutproxy-accept",
                                          daemon=True)
        self._acceptor.start()

    # --- randomness and counters (shared by the threads) ------------------

    def _rng_random(self):
        with self._lock:
            return self._rng.random()

    def _rng_randint(self, a, b):
        with self._lock:
            return self._rng.randint(a, b)

    def _decide(self, api):
        with self._lock:
            if not self.cutting or self.p_cut <= 0:
                return None
            if self.apis is not None and api not in self.apis:
                return None
            if self._rng.random() >= self.p_cut:
                return None
            return self._rng.choice(self.kinds)

    def _count(self, what, api=None):
        with self._lock:
            self.stats[what] = self.stats.get(what, 0) + 1
            if what in KINDS:
                key = (what, api)
                self.cuts_by_api[key] = self.cuts_by_api.get(key, 0) + 1

    def cuts(self):
        with self._lock:
            return sum(self.stats[k] for k in KINDS)

    def snapshot(self):
        with self._lock:
            return dict(self.stats)

    # --- control -------------------------------------------------------------

    def set_upstream(self, host, port):
        with self._lock:
            self.upstream = (host, port)

    def open_connections(self):
        with self._lock:
            return len(self._pairs)

    def cut_all(self):
        """Close every open connection now (as a network partition would)."""
        with self._lock:
            pairs = list(self._pairs)
        for p in pairs:
            p.close(rst=True)

    def close(self):
        self._closing = True
        try:
            self._listen.close()
        except OSError:
            pass
        self.cut_all()
        self._acceptor.join(5)
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            t.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    # --- internals -------------------------------------------------------------

    def _pair_done(self, pair):
        with self._lock:
            self._pairs.discard(pair)

    def _accept_loop(self):
        while not self._closing:
            try:
                client, _ = self._listen.accept()
            except socket.timeout:
                continue
            except OSError:
                if self._closing:
                    return
                time.sleep(0.05)
                continue
            client.settimeout(None)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                up = self.upstream
                self._next_id += 1
                cid = self._next_id
                self.stats["connections"] += 1
            try:
                upstream = socket.create_connection(up, timeout=5)
                upstream.settimeout(None)
                upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                # Broker down: the client sees its connection refused-ish.
                self._count("upstream_failed")
                try:
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                      struct.pack("ii", 1, 0))
                    client.close()
                except OSError:
                    pass
                continue
            pair = _Pair(self, client, upstream, cid)
            with self._lock:
                if self._closing:
                    pair.closed = True
                self._pairs.add(pair)
                self._threads = [t for t in self._threads if t.is_alive()]
            if pair.closed:
                client.close()
                upstream.close()
                continue
            for fn in (pair.client_to_broker, pair.broker_to_client):
                t = threading.Thread(target=fn, name="cutproxy-%d" % cid, daemon=True)
                with self._lock:
                    self._threads.append(t)
                t.start()
