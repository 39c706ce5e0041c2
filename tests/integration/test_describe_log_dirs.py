#!/usr/bin/python3
"""DescribeLogDirs (API 35), every version 0-4, by raw frames.

No client in Debian 12 offers it: kafka-python 2.0.2 has no
KafkaAdminClient.describe_log_dirs() (added in later releases),
confluent-kafka 1.7.0 / librdkafka 1.x no describe_log_dirs and kafkajs
only the API key; so every version is driven by hand-built frames
(kafka_wire), as kafka-log-dirs.sh and newer clients send them.

Checked, for each version: ApiVersions advertises 0-4; null topics
describe every partition of every topic; each partition_size equals the
bytes of the .log files in the partition's directory (several segments
each); offset_lag 0, is_future_key false; the log dir is log.dirs; v3+
carries the top-level error_code 0; v4 total_bytes and usable_bytes agree
with statvfs of log.dirs.  Topics asked by name: only those partitions,
unknown topics and partitions left out, a partition named twice reported
once.  A truncated request closes the
connection and the broker keeps serving; 300 mutated requests each get an
answer or a closed connection.  On a full 2 MiB tmpfs (root
only, else skipped): a partition whose writes fail (KAFKA_STORAGE_ERROR)
is still reported, with exactly the acknowledged bytes (not the partly
written tail past them), and v4's
total_bytes is the tmpfs size.
"""

import glob
import os
import random
import socket

from sluice_test import Broker, run_tests, timeout, wait_until
import kafka_wire as w
from tmpfs import mount_tmpfs, umount

API_DESCRIBE_LOG_DIRS = 35
TOPICS = {"ld-a": 3, "ld-b": 2}
B = None


def broker():
    global B
    if B is None:
        # Small segments: every partition holds several .log files.
        B = Broker(overrides={"num.partitions": 3, "log.segment.bytes": 4096}, name="logdirs")
        fill(B)
    return B


def conn(b, secs=15):
    return w.Conn("127.0.0.1", b.port, timeout=timeout(secs))


def fill(b):
    with conn(b) as c:
        for t, n in TOPICS.items():
            body = w.i32(1) + w.string(t) + w.i32(n) + w.i16(1) + w.i32(0) + w.i32(0) + \
                w.i32(int(timeout(10) * 1000))
            c.request(19, 0, body)  # CreateTopics v0
        wait_until(lambda: all(x["error"] == 0 for x in c.metadata(list(TOPICS))["topics"]),
                   timeout(20), "topics ready")
        for t, n in TOPICS.items():
            for p in range(n):
                # Different sizes per partition; batches of ~1 KiB.
                for i in range(3 + 4 * p + len(t)):
                    batch = w.record_batch([(None, b"%s-%d-%d-" % (t.encode(), p, i) + b"x" * 1000,
                                             [])])
                    r = c.produce({t: {p: batch}}, acks=-1)[t][p]
                    assert r["error"] == 0, r


def disk_size(b, topic, part, data_dir=None):
    d = os.path.join(data_dir or b.data_dir, "%s-%d" % (topic, part))
    files = glob.glob(os.path.join(d, "*.log"))
    assert files, "no .log files in %s" % d
    return sum(os.path.getsize(f) for f in files), len(files)


def req_body(v, topics):
    """topics: {name: [partitions]} or [(name, [partitions])], or None (every topic)."""
    flex = v >= 2
    if isinstance(topics, dict):
        topics = list(topics.items())
    if not flex:
        return w.array(None if topics is None else
                       [w.string(t) + w.array([w.i32(p) for p in ps]) for t, ps in topics])
    if topics is None:
        return w.uvarint(0) + b"\x00"
    out = w.uvarint(len(topics) + 1)
    for t, ps in topics:
        out += w.compact_string(t) + w.uvarint(len(ps) + 1) + b"".join(w.i32(p) for p in ps)
        out += b"\x00"
    return out + b"\x00"


def parse(v, body, ordered=False):
    flex = v >= 2
    r = w.Reader(body)
    if flex:
        assert w.read_uvarint(r) == 0, "response header tags"

    def count():
        return w.read_uvarint(r) - 1 if flex else r.i32()

    def string():
        if not flex:
            return r.string()
        n = w.read_uvarint(r) - 1
        return None if n < 0 else r.take(n).decode()

    def tags():
        if flex:
            assert w.read_uvarint(r) == 0, "unexpected tagged fields"

    out = {"throttle": r.i32(), "error": r.i16() if v >= 3 else None, "results": []}
    for _ in range(count()):
        res = {"error": r.i16(), "log_dir": string()}
        topics = []
        for _ in range(count()):
            name = string()
            parts = []
            for _ in range(count()):
                idx, size, lag, future = r.i32(), r.i64(), r.i64(), r.i8()
                tags()
                parts.append((idx, (size, lag, future)))
            tags()
            topics.append((name, parts))
        res["topics"] = topics if ordered else {t: dict(ps) for t, ps in topics}
        if v >= 4:
            res["total"], res["usable"] = r.i64(), r.i64()
        tags()
        out["results"].append(res)
    tags()
    assert r.remaining() == 0, "%d bytes left" % r.remaining()
    return out


def describe(c, v, topics):
    return parse(v, c.request(API_DESCRIBE_LOG_DIRS, v, req_body(v, topics), flexible=v >= 2))


def test_api_versions_advertises_0_to_4():
    with conn(broker()) as c:
        err, keys = c.api_versions()
        assert err == 0
        assert keys.get(API_DESCRIBE_LOG_DIRS) == (0, 4), keys.get(API_DESCRIBE_LOG_DIRS)


def test_every_version_all_topics():
    b = broker()
    with conn(b) as c:
        for v in range(5):
            d = describe(c, v, None)
            assert d["throttle"] == 0
            if v >= 3:
                assert d["error"] == 0, d
            assert len(d["results"]) == 1, d
            res = d["results"][0]
            assert res["error"] == 0, res
            assert res["log_dir"] == b.data_dir, res["log_dir"]
            assert set(res["topics"]) == set(TOPICS), res["topics"].keys()
            for t, n in TOPICS.items():
                assert sorted(res["topics"][t]) == list(range(n)), res["topics"][t]
                for p in range(n):
                    size, lag, future = res["topics"][t][p]
                    want, nfiles = disk_size(b, t, p)
                    assert nfiles >= 2, "%s-%d has %d segments" % (t, p, nfiles)
                    assert size == want, "v%d %s-%d: size %d, on disk %d" % (v, t, p, size, want)
                    assert lag == 0 and future == 0, (lag, future)
            if v >= 4:
                st = os.statvfs(b.data_dir)
                assert res["total"] == st.f_blocks * st.f_frsize, (res["total"], st)
                usable = st.f_bavail * st.f_frsize
                # Other processes write to the same filesystem meanwhile.
                assert res["usable"] > 0 and abs(res["usable"] - usable) < (256 << 20), \
                    (res["usable"], usable)
                assert res["usable"] <= res["total"]


def test_sizes_differ_and_grow():
    b = broker()
    with conn(b) as c:
        before = describe(c, 4, {"ld-b": [1]})["results"][0]["topics"]["ld-b"][1][0]
        batch = w.record_batch([(None, b"y" * 3000, [])])
        assert c.produce({"ld-b": {1: batch}}, acks=-1)["ld-b"][1]["error"] == 0
        after = describe(c, 4, {"ld-b": [1]})["results"][0]["topics"]["ld-b"][1][0]
        assert after > before + 3000, (before, after)
        assert after == disk_size(b, "ld-b", 1)[0]
        sizes = describe(c, 1, {"ld-a": [0, 1, 2]})["results"][0]["topics"]["ld-a"]
        assert len({s[0] for s in sizes.values()}) == 3, sizes


def test_named_topics_unknown_left_out():
    b = broker()
    with conn(b) as c:
        for v in range(5):
            d = describe(c, v, {"ld-a": [2, 0, 99], "no-such-topic": [0], "ld-b": []})
            topics = d["results"][0]["topics"]
            assert "no-such-topic" not in topics, topics
            assert sorted(topics["ld-a"]) == [0, 2], topics
            assert topics["ld-a"][2][0] == disk_size(b, "ld-a", 2)[0]
            assert "ld-b" not in topics, topics  # no partition asked


def test_repeated_topics_and_partitions_reported_once():
    """Kafka takes the request as a set of partitions."""
    b = broker()
    with conn(b) as c:
        for v in range(5):
            asked = [("ld-b", [1, 1]), ("ld-a", [2]), ("ld-b", [0, 1, -1]), ("ld-a", [2, 0])]
            body = c.request(API_DESCRIBE_LOG_DIRS, v, req_body(v, asked), flexible=v >= 2)
            topics = parse_list(v, body)
            assert [t for t, _ in topics] == ["ld-a", "ld-b"], topics
            assert [[p for p, _ in ps] for _, ps in topics] == [[0, 2], [0, 1]], topics
            assert dict(topics[1][1])[1][0] == disk_size(b, "ld-b", 1)[0]


def parse_list(v, body):
    """The first log dir's topics as [(name, [(partition, (size, lag, future))])], in
    wire order (parse() folds them into dicts, which would hide repeats)."""
    d = parse(v, body, ordered=True)
    return d["results"][0]["topics"]


def test_truncated_request_closes_connection():
    b = broker()
    with conn(b) as c:
        # v0: one topic announced, none sent.
        c.send(API_DESCRIBE_LOG_DIRS, 0, w.i32(1))
        assert c.closed_by_peer(timeout(10))
    with conn(b) as c:
        assert describe(c, 2, None)["results"][0]["error"] == 0
    wait_until(lambda: b.log_contains("Protocol parse failure for DescribeLogDirs"), timeout(10),
               "the parse failure logged")


def test_mutated_requests_answered_or_closed():
    """Random byte flips, truncations and insertions in valid requests of
    every version: each gets an answer or a closed connection, never a
    crash or a hang, and the broker goes on answering."""
    b = broker()
    rng = random.Random(35)
    seeds = [(v, req_body(v, t)) for v in range(5)
             for t in (None, {"ld-a": [0, 1, 2], "ld-b": [1]})]
    outcomes = {"answered": 0, "closed": 0}
    for i in range(300):
        v, body = seeds[i % len(seeds)]
        body = bytearray(body)
        for _ in range(rng.randint(1, 3)):
            op = rng.randrange(3)
            pos = rng.randrange(len(body) + 1)
            if op == 0 and body:
                body[min(pos, len(body) - 1)] = rng.randrange(256)
            elif op == 1:
                del body[pos:]
            else:
                body[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 6)))
        with conn(b) as c:
            try:
                c.send(API_DESCRIBE_LOG_DIRS, v, bytes(body), flexible=v >= 2)
                c.recv()
                outcomes["answered"] += 1
            except (w.Closed, ConnectionError):
                outcomes["closed"] += 1
            except socket.timeout:
                raise AssertionError("no answer and no close for v%d %r" % (v, bytes(body)))
    b.assert_alive()
    assert outcomes["answered"] and outcomes["closed"], outcomes
    with conn(b) as c:
        assert describe(c, 4, None)["results"][0]["error"] == 0
    print("# mutated DescribeLogDirs: %r" % outcomes)


def test_failed_partition_still_reported():
    mnt = mount_tmpfs("2m", prefix="sluice-it-ldfull-")
    b = None
    try:
        data = os.path.join(mnt, "data")
        b = Broker(overrides={"num.partitions": 1, "log.dirs": data,
                              "log.index.size.max.bytes": 65536}, name="logdirs-full")
        acked = 0
        with conn(b) as c:
            wait_until(lambda: c.metadata(["ld-full"])["topics"][0]["error"] == 0, timeout(20),
                       "topic ld-full")
            batch = w.record_batch([(None, b"z" * 16000, [])])
            for _ in range(400):
                r = c.produce({"ld-full": {0: batch}}, acks=-1)["ld-full"][0]
                if r["error"] != 0:
                    break
                acked += len(batch)
            assert r["error"] == 56, "expected KAFKA_STORAGE_ERROR, got %r" % r
            for v in (0, 4):
                res = describe(c, v, None)["results"][0]
                assert res["error"] == 0, res
                size = res["topics"]["ld-full"][0][0]
                on_disk = disk_size(b, "ld-full", 0, data)[0]
                # Every acknowledged batch, not the partly written one.
                assert size == acked, (acked, size)
                assert size <= on_disk, (size, on_disk)
                if v == 4:
                    assert res["total"] == 2 << 20, res["total"]
                    assert 0 <= res["usable"] < len(batch) + 4096, res["usable"]
        b.stop(check_log=False)
    finally:
        if b is not None:
            b.close(check=False)  # the full disk legitimately logs ERROR lines
        umount(mnt)


if __name__ == "__main__":
    run_tests(globals())
