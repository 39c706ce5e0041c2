#!/usr/bin/python3
"""Pipelined requests on one connection (stdlib only).

Clients pipeline: librdkafka keeps up to max.in.flight (1,000,000) Produce
requests outstanding per connection, kafka-python sends ApiVersions and
Metadata back to back.  The broker must answer every request, in order,
whatever the number in flight versus queued.max.requests (which only stops
it reading), and however the bytes are cut into TCP segments.
"""

import socket
import struct
import threading

from sluice_test import Broker, run_tests, timeout
import kafka_wire as w

TOPIC = "pipe"


class Pipeline:
    """Send many frames from a thread while reading the responses."""

    def __init__(self, broker, frames, chunk):
        self.sock = socket.create_connection(("127.0.0.1", broker.port), timeout=timeout(10))
        self.data = b"".join(frames)
        self.chunk = chunk
        self.error = None
        self.thread = threading.Thread(target=self._send, daemon=True)
        self.thread.start()

    def _send(self):
        try:
            for i in range(0, len(self.data), self.chunk):
                self.sock.sendall(self.data[i:i + self.chunk])
        except OSError as e:
            self.error = e

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            d = self.sock.recv(n - len(buf))
            if not d:
                raise EOFError("connection closed by the broker")
            buf += d
        return buf

    def responses(self, n):
        out = []
        try:
            for _ in range(n):
                size = struct.unpack(">i", self._exact(4))[0]
                body = self._exact(size)
                out.append((struct.unpack(">i", body[:4])[0], body[4:]))
        except (EOFError, socket.timeout, ConnectionResetError) as e:
            return out, e
        return out, None

    def close(self):
        self.sock.close()
        self.thread.join(timeout(10))


def produce_frames(n, acks, value_size, first_corr=1):
    frames, values = [], []
    for i in range(n):
        v = (b"%06d" % i) * (value_size // 6)
        batch = w.record_batch([(b"k%d" % i, v, [("i", b"%d" % i)])])
        frames.append(w.frame(w.request_header(0, 7, first_corr + i, "pipe") +
                              w.produce_body({TOPIC: {0: batch}}, acks=acks)))
        values.append(v)
    return frames, values


def run_pipelined_produce(broker, n, acks, chunk, value_size=3000):
    with w.Conn("127.0.0.1", broker.port, timeout=timeout(10)) as c:
        assert c.metadata([TOPIC])["topics"][0]["error"] == 0
        start = c.list_offsets({TOPIC: {0: -1}})[TOPIC][0]["offset"]
    frames, values = produce_frames(n, acks, value_size)
    p = Pipeline(broker, frames, chunk)
    try:
        got, err = p.responses(n)
    finally:
        p.close()
    problems = []
    for i, (corr, body) in enumerate(got):
        if corr != i + 1:
            problems.append("response %d has correlation id %d" % (i, corr))
            break
        r = w.parse_produce_v7(body)[TOPIC][0]
        if r["error"] != 0 or r["base_offset"] != start + i:
            problems.append("response %d: %r (expected offset %d)" % (i, r, start + i))
            break
    assert not problems and len(got) == n, (
        "%d pipelined produce requests (acks=%d, sent in %d-byte writes): %d answered%s%s" % (
            n, acks, chunk, len(got), "; " + "; ".join(problems) if problems else "",
            "; then: %s" % err if err else ""))
    # And the log holds exactly those records, in order.
    with w.Conn("127.0.0.1", broker.port, timeout=timeout(10)) as c:
        recs, off = [], start
        while off < start + n:
            f = c.fetch({TOPIC: {0: (off, 1 << 20)}})[TOPIC][0]
            assert f["error"] == 0, f
            new = [r for b in w.parse_record_batches(f["records"]) for r in b.records
                   if r.offset >= off]
            assert new, "no progress at offset %d" % off
            recs += new
            off = new[-1].offset + 1
    assert [r.value for r in recs[:n]] == values, "log content differs from what was sent"
    assert [r.offset for r in recs[:n]] == list(range(start, start + n))


B = None


def test_pipelined_produce_acks1_one_write():
    global B
    B = Broker({"num.partitions": 1}, name="pipelining")
    run_pipelined_produce(B, 300, 1, 1 << 20)


def test_pipelined_produce_acks1_small_writes():
    run_pipelined_produce(B, 300, 1, 4096)


def test_pipelined_produce_acks_all():
    run_pipelined_produce(B, 300, -1, 4096)
    run_pipelined_produce(B, 300, -1, 1 << 20)


def test_pipelined_produce_large_frames():
    # Frames larger than the broker's 64 KiB receive buffer, pipelined.
    run_pipelined_produce(B, 40, 1, 1 << 20, value_size=100000)
    run_pipelined_produce(B, 40, -1, 7000, value_size=70000)


def test_pipelined_mixed_requests_in_order():
    frames = []
    kinds = []
    batch = w.record_batch([(b"k", b"v" * 100, [])])
    for i in range(400):
        corr = i + 1
        k = i % 4
        if k == 0:
            frames.append(w.frame(w.request_header(18, 0, corr, "mix")))
        elif k == 1:
            frames.append(w.frame(w.request_header(3, 1, corr, "mix") +
                                  w.metadata_body([TOPIC], 1)))
        elif k == 2:
            frames.append(w.frame(w.request_header(0, 7, corr, "mix") +
                                  w.produce_body({TOPIC: {0: batch}}, acks=-1)))
        else:
            frames.append(w.frame(w.request_header(2, 1, corr, "mix") +
                                  w.list_offsets_body({TOPIC: {0: -1}})))
        kinds.append(k)
    p = Pipeline(B, frames, 1500)
    try:
        got, err = p.responses(len(frames))
    finally:
        p.close()
    assert len(got) == len(frames), "%d of %d answered; then: %s" % (len(got), len(frames), err)
    assert [c for c, _ in got] == list(range(1, len(frames) + 1)), "responses out of order"
    for (corr, body), k in zip(got, kinds):
        if k == 0:
            assert w.parse_api_versions_v0(body)[0] == 0
        elif k == 1:
            assert w.parse_metadata_v1(body)["topics"][0]["error"] == 0
        elif k == 2:
            assert w.parse_produce_v7(body)[TOPIC][0]["error"] == 0
        else:
            assert w.parse_list_offsets_v1(body)[TOPIC][0]["error"] == 0


def test_fetch_ending_in_records_then_another_response():
    # Regression: a Fetch response whose last bytes are records from the
    # segment file must not have the next response spliced in before them.
    with w.Conn("127.0.0.1", B.port, timeout(10)) as c:
        resp = c.produce({TOPIC: {0: w.record_batch([(b"k", b"r" * 500, [])] * 3)}}, acks=-1)
        assert resp[TOPIC][0]["error"] == 0
        base = resp[TOPIC][0]["base_offset"]
    frames = []
    for i in range(50):
        frames.append(w.frame(w.request_header(1, 4, 2 * i + 1, "fx") +
                              w.fetch_body({TOPIC: {0: (base, 1 << 20)}})))
        frames.append(w.frame(w.request_header(18, 0, 2 * i + 2, "fx")))
    p = Pipeline(B, frames, 1 << 20)
    try:
        got, err = p.responses(len(frames))
    finally:
        p.close()
    assert len(got) == len(frames), "%d of %d answered; then: %s" % (len(got), len(frames), err)
    assert [c for c, _ in got] == list(range(1, len(frames) + 1)), "responses out of order"
    for corr, body in got:
        if corr % 2:
            part = w.parse_fetch_v4(body)[TOPIC][0]
            assert part["error"] == 0, part
            batches = w.parse_record_batches(part["records"], allow_partial=False)
            values = [r.value for b in batches for r in b.records]
            assert b"r" * 500 in values, "fetch records mangled"
        else:
            assert w.parse_api_versions_v0(body)[0] == 0


def test_clean_stop():
    B.stop()


def _with_queue(q, fn):
    b = Broker({"num.partitions": 1, "queued.max.requests": q}, name="pipelining-q%d" % q)
    try:
        fn(b)
        b.stop()
    finally:
        b.close()


def test_queued_max_requests_2():
    def fn(b):
        run_pipelined_produce(b, 200, 1, 4096)
        run_pipelined_produce(b, 200, -1, 1 << 20)
    _with_queue(2, fn)


def test_queued_max_requests_1_two_requests_in_one_write():
    """With one request in flight allowed, the second of two pipelined
    requests is read once the first is answered."""
    def fn(b):
        with w.Conn("127.0.0.1", b.port, timeout=timeout(5)) as c:
            c.send_raw(w.frame(w.request_header(18, 0, 1)) + w.frame(w.request_header(18, 0, 2)))
            got = []
            try:
                for _ in range(2):
                    got.append(c.recv()[0])
            except socket.timeout:
                pass
            assert got == [1, 2], "queued.max.requests=1: answered correlation ids %r of [1, 2]" % (
                got,)
    _with_queue(1, fn)


def test_queued_max_requests_1():
    def fn(b):
        run_pipelined_produce(b, 200, 1, 4096)
        run_pipelined_produce(b, 200, -1, 1 << 20)
    _with_queue(1, fn)


if __name__ == "__main__":
    run_tests(globals())
