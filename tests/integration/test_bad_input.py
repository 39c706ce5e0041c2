#!/usr/bin/python3
"""Hostile and broken input over raw sockets (stdlib only).

One broker (socket.request.max.bytes = message.max.bytes = 1 MiB) takes
oversize, undersize, lying, garbage, unknown and malformed requests and
corrupt record batches.  Between every case a well-behaved client (one
long-lived raw connection and one fresh one) still produces and fetches
correctly, and at the end every record of that client is in the log,
in order, and nothing else.  The broker then stops with exit 0 and a log
free of ERROR lines and sanitizer reports.  Also: auto-create off, a bad
--override key, SIGINT.
"""

import os
import random
import signal
import socket
import struct
import subprocess
import tempfile
import time

from sluice_test import Broker, run_tests, sluiced_cmd, timeout
import kafka_wire as w

MAX_REQ = 1 << 20
HEALTHY = "healthy"
VICTIM = "victim"
VICTIM2 = "victim2"
BIG = "big"
FUZZ = "fuzz"

ADVERTISED = {w.API_PRODUCE: (0, 7), w.API_FETCH: (4, 13), w.API_LIST_OFFSETS: (1, 5),
              w.API_METADATA: (0, 12), w.API_API_VERSIONS: (0, 3)}

B = None            # the broker
LONG = None         # a long-lived well-behaved connection
EXPECTED = []       # (offset, value) of every record the healthy client wrote


def conn(t=10):
    return w.Conn("127.0.0.1", B.port, timeout=timeout(t))


def roundtrip(c, tag):
    """Produce one record (acks=all) to HEALTHY and fetch it back exactly."""
    val = ("%s-%d-%.6f" % (tag, len(EXPECTED), time.time())).encode()
    batch = w.record_batch([(tag.encode(), val, [("tag", tag.encode())])])
    resp = c.produce({HEALTHY: {0: batch}}, acks=-1)
    p = resp[HEALTHY][0]
    assert p["error"] == 0, "healthy produce (%s) failed: %r" % (tag, p)
    off = p["base_offset"]
    want = EXPECTED[-1][0] + 1 if EXPECTED else 0
    assert off == want, "healthy produce (%s) got offset %d, expected %d" % (tag, off, want)
    f = c.fetch({HEALTHY: {0: (off, 1 << 20)}})[HEALTHY][0]
    assert f["error"] == 0, "healthy fetch (%s): %r" % (tag, f)
    assert f["high_watermark"] == off + 1, f
    recs = [r for b in w.parse_record_batches(f["records"]) for r in b.records if r.offset >= off]
    assert recs and recs[0].offset == off and recs[0].value == val, (tag, recs[:2])
    assert recs[0].headers == [("tag", tag.encode())], recs[0].headers
    EXPECTED.append((off, val))


def check_healthy(tag):
    """The broker is alive and serves a long-lived and a fresh connection."""
    B.assert_alive()
    roundtrip(LONG, tag + "/long")
    with conn() as c:
        err, versions = c.api_versions()
        assert err == 0
        roundtrip(c, tag + "/fresh")
    B.assert_alive()


def fetch_all(c, topic, partition):
    """Every record of a partition, following the high watermark."""
    out = []
    off = 0
    while True:
        f = c.fetch({topic: {partition: (off, 1 << 20)}})[topic][partition]
        assert f["error"] == 0, f
        recs = [r for b in w.parse_record_batches(f["records"]) for r in b.records
                if r.offset >= off]
        out += recs
        if recs:
            off = recs[-1].offset + 1
        if off >= f["high_watermark"]:
            return out, f["high_watermark"]
        assert recs, "fetch at %d below high watermark %d returned nothing" % (
            off, f["high_watermark"])


def hwm(c, topic, partition=0):
    lo = c.list_offsets({topic: {partition: -1}})[topic][partition]
    assert lo["error"] == 0, lo
    return lo["offset"]


def expect_closed(data, what, wait=5):
    """Send `data` on a fresh connection; the broker must close it without a reply."""
    with conn() as c:
        try:
            c.send_raw(data)
        except w.Closed:
            return
        assert c.closed_by_peer(timeout(wait)), "%s: connection still open after %.0f s" % (
            what, timeout(wait))


def frame_for(api_key, version, body, corr=1, client_id="sluice-raw", flexible=False):
    return w.frame(w.request_header(api_key, version, corr, client_id, flexible) + body)


# --- the tests ---------------------------------------------------------------

def test_start_and_metadata():
    global B, LONG
    B = Broker({"socket.request.max.bytes": MAX_REQ, "message.max.bytes": MAX_REQ,
                "num.partitions": 1}, name="bad-input")
    assert B.advertised == ("127.0.0.1", B.port), B.advertised
    LONG = conn()
    md = LONG.metadata([HEALTHY, VICTIM, VICTIM2, BIG, FUZZ])
    assert md["brokers"] == [(0, "127.0.0.1", B.port, None)], md["brokers"]
    assert md["controller"] == 0, md
    for t in md["topics"]:
        assert t["error"] == 0, t
        assert [p["partition"] for p in t["partitions"]] == [0], t
        p = t["partitions"][0]
        assert (p["error"], p["leader"], p["replicas"], p["isr"]) == (0, 0, [0], [0]), p
    assert md["trailing"] == 0
    check_healthy("start")


def test_api_versions_table():
    with conn() as c:
        err, versions = c.api_versions()
    assert err == 0
    for key, rng in ADVERTISED.items():
        assert versions.get(key) == rng, "api %d: advertised %r, expected %r" % (
            key, versions.get(key), rng)


def test_oversize_frames_close():
    body = b"\x00" * 64
    for size in (MAX_REQ + 1, MAX_REQ + 4096, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF):
        expect_closed(struct.pack(">I", size) + body, "size prefix %#x" % size)
        # Refused on the prefix alone: nothing else needs to arrive.
        expect_closed(struct.pack(">I", size), "bare size prefix %#x" % size)
    check_healthy("oversize")


def test_frame_of_exactly_max_is_accepted():
    # A Produce whose frame is exactly socket.request.max.bytes is served.
    hdr_len = len(w.request_header(0, 7, 0, "sluice-raw"))
    vlen = MAX_REQ - 200
    for _ in range(10):
        val = bytes(random.Random(7).randrange(256) for _ in range(64)) * (vlen // 64) + \
            b"x" * (vlen % 64)
        batch = w.record_batch([(b"big-key", val, [("h", b"1")])])
        size = hdr_len + len(w.produce_body({BIG: {0: batch}}, acks=1))
        if size == MAX_REQ:
            break
        vlen += MAX_REQ - size
    assert size == MAX_REQ, size
    with conn(30) as c:
        resp = c.produce({BIG: {0: batch}}, acks=1)[BIG][0]
        assert resp["error"] == 0 and resp["base_offset"] == 0, resp
        recs, hw = fetch_all(c, BIG, 0)
    assert hw == 1 and len(recs) == 1 and recs[0].value == val and recs[0].key == b"big-key"
    check_healthy("max-frame")


def test_tiny_frames_close():
    for size in (0, 1, 4, 7):
        expect_closed(struct.pack(">i", size) + b"\x00" * size, "size prefix %d" % size)
    check_healthy("tiny")


def test_lying_frame_does_not_block_others():
    liars = []
    try:
        # Says 100 bytes, sends 20 (a plausible ApiVersions header), then waits.
        c = conn()
        c.send_raw(struct.pack(">i", 100) + w.request_header(18, 0, 1, "liar")[:20].ljust(20, b"\0"))
        liars.append(c)
        # Many big promises (1 MiB each) that never arrive.
        for i in range(16):
            c = conn()
            c.send_raw(struct.pack(">i", MAX_REQ) + w.request_header(0, 7, 1, "liar%d" % i))
            liars.append(c)
        time.sleep(0.2)
        for i in range(3):
            check_healthy("liars-%d" % i)
        # The liars get neither an answer nor a close (Kafka waits too).
        assert not liars[0].closed_by_peer(0.5), "lying connection was closed"
    finally:
        for c in liars:
            c.close()
    time.sleep(0.2)
    check_healthy("liars-gone")


def test_garbage_closes():
    expect_closed(b"GET / HTTP/1.1\r\n\r\n", "HTTP request")
    expect_closed(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"A" * 5000, "long HTTP request")
    expect_closed(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64, "TLS hello")
    check_healthy("garbage")


def test_unknown_api_key_closes():
    for key in (999, -1, 32767, 127, 7, 50):
        expect_closed(frame_for(key, 0, b""), "api key %d" % key)
    check_healthy("unknown-key")


def test_unsupported_versions_close():
    cases = [(w.API_METADATA, 99), (w.API_METADATA, 13), (w.API_METADATA, -1),
             (w.API_PRODUCE, 9), (w.API_PRODUCE, 8), (w.API_PRODUCE, -1),
             (w.API_FETCH, 3), (w.API_FETCH, 14), (w.API_FETCH, 0),
             (w.API_LIST_OFFSETS, 0), (w.API_LIST_OFFSETS, 6)]
    for key, ver in cases:
        expect_closed(frame_for(key, ver, b"\x00" * 16), "api %d v%d" % (key, ver))
    # Also when it follows a good request on a live connection.
    with conn() as c:
        assert c.api_versions()[0] == 0
        c.send_raw(frame_for(w.API_METADATA, 99, b"", corr=77))
        assert c.closed_by_peer(timeout(5)), "Metadata v99 after a good request: still open"
    check_healthy("versions")


def test_api_versions_unsupported_version_answers_35():
    for ver in (99, 4, 32767, -1):
        with conn() as c:
            corr = c.send(w.API_API_VERSIONS, ver, b"")
            rc, body = c.recv()
            assert rc == corr, (rc, corr)
            err, keys = w.parse_api_versions_v0(body)
            assert err == 35, "ApiVersions v%d: error %d, expected 35" % (ver, err)
            assert keys.get(w.API_API_VERSIONS) == (0, 3), "ApiVersions v%d: keys %r" % (ver, keys)
            # The connection stays usable, so the client can retry lower.
            err, keys = c.api_versions()
            assert err == 0 and keys.get(w.API_API_VERSIONS) == (0, 3), (err, keys)
    check_healthy("apiversions-35")


def test_api_versions_v3():
    """The flexible ApiVersions librdkafka sends first; a body that does not
    parse gets INVALID_REQUEST (42), so the client can retry with v0."""
    with conn() as c:
        err, keys, throttle, tags, rest = w.parse_api_versions_v3(
            c.request(w.API_API_VERSIONS, 3, w.api_versions_v3_body(), flexible=True))
        assert err == 0 and rest == 0, (err, rest)
        for key, rng in ADVERTISED.items():
            assert keys.get(key) == rng, (key, keys)
        body = c.request(w.API_API_VERSIONS, 3, b"\x7f\xff\xff\xff\x0f" + b"\x00" * 3,
                         flexible=True)
        assert w.Reader(body).i16() == 42, "garbage ApiVersions v3 body: %r" % body[:16]
        # Still usable afterwards.
        assert c.api_versions()[0] == 0
    check_healthy("apiversions-v3")


def test_produce_corrupt_crc_is_refused():
    with conn() as c:
        before = hwm(c, VICTIM)
        bad = w.record_batch([(b"k", b"must-not-be-written", [])], corrupt_crc=True)
        r = c.produce({VICTIM: {0: bad}}, acks=1)[VICTIM][0]
        assert r["error"] == 2, "corrupt CRC: %r" % r
        r = c.produce({VICTIM: {0: bad}}, acks=-1)[VICTIM][0]
        assert r["error"] == 2, "corrupt CRC (acks=all): %r" % r
        f = c.fetch({VICTIM: {0: (before, 1 << 20)}})[VICTIM][0]
        assert f["error"] == 0 and f["high_watermark"] == before and f["records"] == b"", f
        assert hwm(c, VICTIM) == before

        # Whole or nothing: a good batch followed by a corrupt one in the same
        # partition's record set; nothing of it may be written.
        good = w.record_batch([(b"k", b"good-but-with-bad-company", [])])
        # (Apache Kafka refuses any second batch with INVALID_RECORD, 87.)
        r = c.produce({VICTIM: {0: good + bad}}, acks=1)[VICTIM][0]
        assert r["error"] in (2, 87), "good+corrupt batches: %r" % r
        assert hwm(c, VICTIM) == before, "part of a rejected record set was written"

        # Two partitions in one request: the good one is written, the bad one not.
        before2 = hwm(c, VICTIM2)
        ok = w.record_batch([(b"k2", b"written", [("h", b"v")])])
        r = c.produce({VICTIM: {0: bad}, VICTIM2: {0: ok}}, acks=-1)
        assert r[VICTIM][0]["error"] == 2, r
        assert r[VICTIM2][0]["error"] == 0 and r[VICTIM2][0]["base_offset"] == before2, r
        assert hwm(c, VICTIM) == before and hwm(c, VICTIM2) == before2 + 1

        # The next good batch lands right where the log ended: no gap, no ghost.
        r = c.produce({VICTIM: {0: good}}, acks=1)[VICTIM][0]
        assert r["error"] == 0 and r["base_offset"] == before, r
        recs, hw = fetch_all(c, VICTIM, 0)
        assert hw == before + 1
        assert [x.value for x in recs[before:]] == [b"good-but-with-bad-company"], recs
        assert all(x.value != b"must-not-be-written" for x in recs)
    check_healthy("crc")


def test_produce_malformed_batches_are_refused():
    """Broken batch framing: an error for the partition, nothing written."""
    ts = int(time.time() * 1000)
    good = w.record_batch([(b"k", b"v", []), (b"k", b"w", [])], base_timestamp=ts)
    cases = {
        "magic 1": w.record_batch([(b"k", b"v", [])], magic=1),
        "batch length too long": good[:8] + struct.pack(">i", len(good) - 12 + 10) + good[12:],
        "batch length too short": good[:8] + struct.pack(">i", 30) + good[12:],
        "batch length negative": good[:8] + struct.pack(">i", -5) + good[12:],
        "truncated batch": good[:-3],
        "truncated header": good[:40],
        "last offset delta != count-1": w.record_batch([(b"k", b"v", [])] * 3,
                                                       last_offset_delta=5),
        "record count 0": w.record_batch([], record_count=0, last_offset_delta=0),
        "empty record set": b"",
    }
    with conn() as c:
        before = hwm(c, VICTIM)
        for what, recs in cases.items():
            r = c.produce({VICTIM: {0: recs}}, acks=1)[VICTIM][0]
            assert r["error"] in (2, 87), "%s: expected CORRUPT_MESSAGE/INVALID_RECORD, got %r" % (
                what, r)
            assert hwm(c, VICTIM) == before, "%s: something was written" % what
        # A good batch followed by a few stray bytes: refused, or (as Apache
        # Kafka does) the stray bytes are trimmed and the batch alone is written.
        r = c.produce({VICTIM: {0: good + b"\x01\x02\x03"}}, acks=1)[VICTIM][0]
        if r["error"] == 0:
            assert r["base_offset"] == before and hwm(c, VICTIM) == before + 2, r
            f = c.fetch({VICTIM: {0: (before, 1 << 20)}})[VICTIM][0]
            bs = w.parse_record_batches(f["records"], allow_partial=False)
            assert [x.value for b in bs for x in b.records] == [b"v", b"w"], bs
            before += 2
        else:
            assert r["error"] in (2, 87), "trailing garbage: %r" % r
            assert hwm(c, VICTIM) == before, "trailing garbage: something was written"
        # Null records (-1 length).
        body = w.string(None) + w.i16(1) + w.i32(10000) + w.array(
            [w.string(VICTIM) + w.array([w.i32(0) + w.i32(-1)])])
        rc = c.request(w.API_PRODUCE, 7, body)
        r = w.parse_produce_v7(rc)[VICTIM][0]
        assert r["error"] != 0, "null records accepted: %r" % r
        assert hwm(c, VICTIM) == before
    check_healthy("bad-batches")


def test_produce_unknown_topic_or_partition():
    batch = w.record_batch([(b"k", b"v", [])])
    with conn() as c:
        r = c.produce({"no-such-topic": {0: batch}}, acks=1)
        assert r["no-such-topic"][0]["error"] == 3, r
        r = c.produce({"no-such-topic": {0: batch}}, acks=-1)
        assert r["no-such-topic"][0]["error"] == 3, r
        r = c.produce({HEALTHY: {7: batch}, "no-such-topic": {2: batch}}, acks=1)
        assert r[HEALTHY][7]["error"] == 3 and r["no-such-topic"][2]["error"] == 3, r
        r = c.produce({HEALTHY: {-1: batch}}, acks=1)
        assert r[HEALTHY][-1]["error"] == 3, r
        # Produce does not create the topic.
        lo = c.list_offsets({"no-such-topic": {0: -1}})["no-such-topic"][0]
        assert lo["error"] == 3, lo
        f = c.fetch({"no-such-topic": {0: (0, 1024)}})["no-such-topic"][0]
        assert f["error"] == 3, f
        # acks out of range
        r = c.produce({VICTIM: {0: batch}}, acks=2)
        assert r[VICTIM][0]["error"] == 21, r
    check_healthy("unknown-topic")


def test_fetch_out_of_range_and_long_poll():
    with conn() as c:
        end = hwm(c, HEALTHY)
        for off in (end + 1, end + 1000, -5, 2 ** 62):
            f = c.fetch({HEALTHY: {0: (off, 1 << 20)}})[HEALTHY][0]
            assert f["error"] == 1, "fetch at %d (end %d): %r" % (off, end, f)
            assert f["records"] is not None, "null record set (librdkafka cannot parse it)"
        lo = c.list_offsets({HEALTHY: {0: -2}})[HEALTHY][0]
        assert lo["error"] == 0 and lo["offset"] == 0, lo
        # At the end with min_bytes 1: waits about max_wait_ms, answers empty.
        t0 = time.monotonic()
        f = c.fetch({HEALTHY: {0: (end, 1 << 20)}}, max_wait_ms=700, min_bytes=1)[HEALTHY][0]
        waited = time.monotonic() - t0
        assert f["error"] == 0 and f["records"] == b"" and f["high_watermark"] == end, f
        assert 0.5 <= waited <= timeout(5), "long poll took %.2f s for max_wait 700 ms" % waited
        # A parked fetch is answered as soon as data arrives.
        c.send(w.API_FETCH, 4, w.fetch_body({HEALTHY: {0: (end, 1 << 20)}}, max_wait_ms=10000,
                                            min_bytes=1))
        time.sleep(0.2)
        t0 = time.monotonic()
        roundtrip(LONG, "wake")
        corr, body = c.recv()
        waited = time.monotonic() - t0
        f = w.parse_fetch_v4(body)[HEALTHY][0]
        recs = [r for b in w.parse_record_batches(f["records"]) for r in b.records]
        assert recs and recs[0].offset == end, f
        assert waited < 5, "parked fetch answered %.2f s after data arrived" % waited
    check_healthy("fetch-range")


def _answer_or_close(c, data, what):
    """Send data then an ApiVersions probe; return 'closed' or 'answered'."""
    c.send_raw(data)
    try:
        c.send_raw(frame_for(w.API_API_VERSIONS, 0, b"", corr=424242))
    except w.Closed:
        return "closed"
    deadline = time.monotonic() + timeout(10)
    while time.monotonic() < deadline:
        try:
            corr, body = c.recv()
        except w.Closed:
            return "closed"
        except socket.timeout:
            raise AssertionError("%s: neither an answer nor a close" % what)
        if corr == 424242:
            return "answered"
    raise AssertionError("%s: no end in sight" % what)


def test_malformed_bodies():
    """Short, lying or absurd bodies: an answer or a close, never a crash."""
    S = w.string
    cases = {
        "metadata: count 1, no topic": frame_for(3, 1, w.i32(1)),
        "metadata: count 2^31-1": frame_for(3, 1, w.i32(0x7FFFFFFF)),
        "metadata: count -2": frame_for(3, 1, w.i32(-2)),
        "metadata: string longer than frame": frame_for(3, 1, w.i32(1) + w.i16(0x7FFF) + b"abc"),
        "metadata: string length -5": frame_for(3, 1, w.i32(1) + w.i16(-5)),
        "metadata v12: garbage compact body": frame_for(3, 12, b"\xff\xff\xff\xff\x0f", ) ,
        "metadata v9: huge uvarint": frame_for(3, 9, b"\x00" + b"\xff" * 12),
        "header: client_id longer than frame": w.frame(w.i16(3) + w.i16(1) + w.i32(1) +
                                                       w.i16(500) + b"ab"),
        "header: no client_id": w.frame(w.i16(3) + w.i16(1) + w.i32(1)),
        "produce: truncated after acks": frame_for(0, 7, S(None) + w.i16(1)),
        "produce: records length 2^31-1": frame_for(0, 7, S(None) + w.i16(1) + w.i32(1000) +
                                                    w.i32(1) + S(FUZZ) + w.i32(1) + w.i32(0) +
                                                    w.i32(0x7FFFFFFF) + b"\x00" * 30),
        "produce: partitions count -2": frame_for(0, 7, S(None) + w.i16(1) + w.i32(1000) +
                                                  w.i32(1) + S(FUZZ) + w.i32(-2)),
        "produce: topics count 10^9": frame_for(0, 7, S(None) + w.i16(1) + w.i32(1000) +
                                                w.i32(10 ** 9)),
        "fetch: topics count 10^9": frame_for(1, 4, w.i32(-1) + w.i32(0) + w.i32(0) +
                                              w.i32(1 << 20) + w.i8(0) + w.i32(10 ** 9)),
        "fetch: truncated partition": frame_for(1, 4, w.i32(-1) + w.i32(0) + w.i32(0) +
                                                w.i32(1 << 20) + w.i8(0) + w.i32(1) + S(FUZZ) +
                                                w.i32(1) + w.i32(0)),
        "list offsets: truncated": frame_for(2, 1, w.i32(-1) + w.i32(1) + S(FUZZ) + w.i32(1)),
        "list offsets: count 2^31-1": frame_for(2, 1, w.i32(-1) + w.i32(0x7FFFFFFF)),
        "api versions v3: header without tags": frame_for(18, 3, w.api_versions_v3_body()),
        "api versions v3: empty": frame_for(18, 3, b"", flexible=True),
        "metadata v12: header tags lie": frame_for(3, 12, b"\x05\x01\x7f"),
    }
    outcomes = {}
    for what, data in cases.items():
        with conn() as c:
            outcomes[what] = _answer_or_close(c, data, what)
        B.assert_alive()
    check_healthy("malformed")
    print("# malformed outcomes: " + ", ".join("%s=%s" % kv for kv in outcomes.items()))


def _metadata_v12_body(topics):
    body = w.uvarint(len(topics) + 1)
    for t in topics:
        body += b"\x00" * 16 + w.compact_string(t) + b"\x00"
    return body + w.i8(1) + w.i8(0) + b"\x00"


def _valid_requests():
    """(api_key, version, body, flexible header) of well-formed requests."""
    ts = int(time.time() * 1000)
    recs = w.record_batch([(b"fk%d" % i, b"fv%d" % i, [("h", b"x")], i) for i in range(3)],
                          base_timestamp=ts)
    return [
        (18, 0, b"", False),
        (18, 2, b"", False),
        (18, 3, w.api_versions_v3_body(), True),
        (3, 1, w.metadata_body([FUZZ], 1), False),
        (3, 4, w.metadata_body([FUZZ], 4, False), False),
        (3, 1, w.metadata_body(None, 1), False),
        (3, 12, _metadata_v12_body([FUZZ]), True),
        (0, 7, w.produce_body({FUZZ: {0: recs}}, acks=1), False),
        (0, 3, w.produce_body({FUZZ: {0: recs}}, acks=-1), False),
        (2, 1, w.list_offsets_body({FUZZ: {0: -1}, HEALTHY: {0: ts}}), False),
    ]


def test_valid_requests_are_answered():
    """The fuzz corpus itself is well-formed: each gets a proper answer."""
    for key, ver, body, flex in _valid_requests():
        with conn() as c:
            c.send_raw(frame_for(key, ver, body, corr=9, flexible=flex))
            corr, resp = c.recv()
            assert corr == 9, (key, ver, corr)
            if key == 18:
                assert w.Reader(resp).i16() == 0, (key, ver, resp[:8])
            if key == 3 and ver == 12:
                assert resp[:1] == b"\x00", "Metadata v12 response header tags: %r" % resp[:4]


def test_fuzzed_requests():
    """Mutations of valid requests (no Fetch: its waits are legitimate)."""
    rng = random.Random(20240611)
    base = _valid_requests()
    counts = {"closed": 0, "answered": 0}
    deadline = time.monotonic() + timeout(35)
    n = 0
    while n < 2000 and time.monotonic() < deadline:
        key, ver, body, flex = rng.choice(base)
        payload = bytearray(w.request_header(key, ver, 5, "fuzz", flex) + body)
        kind = rng.randrange(4)
        if kind == 0:  # flip bytes (not the api key: no Fetch)
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(2, len(payload))
                payload[i] ^= 1 << rng.randrange(8)
        elif kind == 1:  # truncate
            payload = payload[:rng.randrange(8, len(payload) + 1)]
        elif kind == 2:  # set an int32 somewhere to an extreme
            if len(payload) > 12:
                i = rng.randrange(8, len(payload) - 3)
                payload[i:i + 4] = struct.pack(">i", rng.choice([-1, -2, 0x7FFFFFFF, 0x40000000,
                                                                  0x80000000 - 1, 1 << 20]))
        else:  # random bytes appended
            payload += bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
        with conn() as c:
            counts[_answer_or_close(c, w.frame(bytes(payload)), "fuzz case %d" % n)] += 1
        n += 1
        if n % 50 == 0:
            check_healthy("fuzz-%d" % n)
    print("# %d fuzzed requests: %r" % (n, counts))
    assert n >= 50, "only %d fuzz cases ran in time" % n
    check_healthy("fuzz-end")


def test_pipelined_non_reader():
    """A client that sends many requests and reads nothing must not stall others."""
    c = socket.create_connection(("127.0.0.1", B.port), timeout=timeout(10))
    try:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        req = frame_for(3, 1, w.metadata_body(None, 1))
        c.setblocking(False)
        sent = 0
        t_end = time.monotonic() + timeout(3)
        data = req * 2000
        while sent < len(data) and time.monotonic() < t_end:
            try:
                sent += c.send(data[sent:sent + 65536])
            except BlockingIOError:
                time.sleep(0.01)
        check_healthy("non-reader")
    finally:
        c.close()
    check_healthy("non-reader-gone")


def test_healthy_client_log_is_exact():
    """Everything the well-behaved client wrote is there, in order, and nothing else."""
    with conn() as c:
        recs, hw = fetch_all(c, HEALTHY, 0)
    assert hw == len(EXPECTED), (hw, len(EXPECTED))
    assert [(r.offset, r.value) for r in recs] == EXPECTED


def test_clean_stop():
    global LONG
    LONG.close()
    LONG = None
    warned = B.log_contains(r"WARN")
    assert warned, "the broker logged no warning at all about the bad input"
    B.stop()  # exit 0, no ERROR, no sanitizer report


def test_restart_keeps_everything():
    B.start()
    with conn() as c:
        recs, hw = fetch_all(c, HEALTHY, 0)
        assert [(r.offset, r.value) for r in recs] == EXPECTED
        assert hwm(c, VICTIM) >= 1
        vrecs, _ = fetch_all(c, VICTIM, 0)
        assert all(x.value != b"must-not-be-written" for x in vrecs)
    B.stop()


def test_auto_create_off():
    b = Broker({"auto.create.topics.enable": "false"}, name="no-autocreate")
    try:
        with w.Conn("127.0.0.1", b.port, timeout=timeout(10)) as c:
            md = c.metadata(["nope"], version=1)
            assert [(t["name"], t["error"]) for t in md["topics"]] == [("nope", 3)], md
            md = c.metadata(["nope2"], version=4, allow_auto_create=True)
            assert [(t["name"], t["error"]) for t in md["topics"]] == [("nope2", 3)], md
            md = c.metadata(None, version=1)
            assert md["topics"] == [], md
            r = c.produce({"nope": {0: w.record_batch([(b"k", b"v", [])])}}, acks=1)
            assert r["nope"][0]["error"] == 3, r
        assert not os.path.exists(os.path.join(b.data_dir, "nope-0"))
        b.stop()
    finally:
        b.close()


def _run_sluiced(args, wait=15):
    d = tempfile.mkdtemp(prefix="sluice-it-badarg-")
    cmd = sluiced_cmd() + ["--override", "listeners=PLAINTEXT://127.0.0.1:0",
           "--override", "log.dirs=%s" % os.path.join(d, "data")] + args
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(timeout=timeout(wait))
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise AssertionError("sluiced %r did not exit (it should refuse to start): %s" % (
            args, err.decode(errors="replace")[-2000:]))
    finally:
        import shutil
        shutil.rmtree(d, ignore_errors=True)
    return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def test_bad_override_key_exits_2():
    rc, out, err = _run_sluiced(["--override", "no.such.key=1"])
    assert rc == 2, "exit status %d, expected 2; stderr: %s" % (rc, err)
    assert "no.such.key" in err, "stderr does not name the key: %r" % err
    for ln in err.splitlines():
        assert "AddressSanitizer" not in ln and "runtime error" not in ln, err
    # The same key in a properties file.
    fd, path = tempfile.mkstemp(prefix="sluice-it-", suffix=".properties")
    try:
        with os.fdopen(fd, "w") as f:
            f.write("# comment\nnum.partitions=2\nanother.bogus.key = 5\n")
        p = subprocess.run(sluiced_cmd() + [path, "--override",
                            "listeners=PLAINTEXT://127.0.0.1:0"], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout(15))
        err = p.stderr.decode(errors="replace")
        assert p.returncode == 2, "properties file: exit %d, expected 2: %s" % (p.returncode, err)
        assert "another.bogus.key" in err, err
    finally:
        os.unlink(path)
    # A bad value of a known key.
    rc, out, err = _run_sluiced(["--override", "num.partitions=abc"])
    assert rc == 2 and "num.partitions" in err, (rc, err)


def test_sigint_stops_cleanly():
    b = Broker(name="sigint")
    try:
        with w.Conn("127.0.0.1", b.port, timeout=timeout(10)) as c:
            c.metadata(["si"])
            r = c.produce({"si": {0: w.record_batch([(b"k", b"v", [])])}}, acks=-1)
            assert r["si"][0]["error"] == 0
        b.stop(sig=signal.SIGINT)  # exit 0, clean log
    finally:
        b.close()


if __name__ == "__main__":
    run_tests(globals())
