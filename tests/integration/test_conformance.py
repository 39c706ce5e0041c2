#!/usr/bin/python3
"""What other clients and librdkafka's own suite expect of a broker
(issue 19): Fetch's response-level max_bytes across partitions and the
broker's fetch.max.bytes (librdkafka test 0082), zstd only from Produce v7
and Fetch v10 (KIP-110), MaxTimestamp recomputed from the records (Sarama
1.22 sends -1), every Kafka topic setting accepted (librdkafka test 0081),
and OffsetCommit v0-1 / OffsetFetch v0 (Sarama's default before 1.23).
"""

import gzip
import struct
import time

from sluice_test import Broker, require_module, run_tests, timeout, wait_until
import kafka_wire as w

BIG = 900 * 1024          # one record's value: a ~900 KiB batch
API_OFFSET_COMMIT = 8
API_OFFSET_FETCH = 9

B = None


def broker():
    global B
    if B is None:
        B = Broker({"num.partitions": 3})
    return B


def conn(b=None, t=30):
    return w.Conn("127.0.0.1", (b or broker()).port, timeout=timeout(t))


def big_batch(tag):
    return w.record_batch([(tag.encode(), bytes([65 + len(tag) % 26]) * BIG, [])])


def fill_big(c, topic, per_partition=2):
    c.metadata([topic])
    for p in range(3):
        for i in range(per_partition):
            resp = c.produce({topic: {p: big_batch("%s-%d-%d" % (topic, p, i))}})
            assert resp[topic][p]["error"] == 0, resp


def records_bytes(parts):
    return sum(len(p["records"] or b"") for p in parts.values())


def test_fetch_max_bytes_bounds_the_response_across_partitions():
    with conn() as c:
        fill_big(c, "fmb")
        parts = c.fetch({"fmb": {p: (0, 20000000) for p in range(3)}}, max_bytes=1000000)["fmb"]
    assert all(p["error"] == 0 for p in parts.values()), parts
    total = records_bytes(parts)
    # One batch over the limit goes, so the consumer progresses; no more.
    assert BIG < total < BIG + 4096, "response carried %d record bytes" % total
    assert len(parts[0]["records"]) == total, "the first partition's batch first"


def test_librdkafka_0082_fetch_max_bytes_consumer():
    require_module("confluent_kafka")
    from confluent_kafka import Consumer
    with conn() as c:
        fill_big(c, "t0082")
    cons = Consumer({"bootstrap.servers": broker().bootstrap, "group.id": "g0082",
                     "auto.offset.reset": "earliest", "enable.auto.commit": False,
                     "fetch.max.bytes": 1000000, "max.partition.fetch.bytes": 20000000,
                     "receive.message.max.bytes": 1000512})
    try:
        cons.subscribe(["t0082"])
        got = []
        deadline = time.monotonic() + timeout(60)
        while len(got) < 6 and time.monotonic() < deadline:
            m = cons.poll(0.5)
            if m is None:
                continue
            assert not m.error(), m.error()
            got.append((m.partition(), m.offset(), len(m.value())))
    finally:
        cons.close()
    assert sorted(got) == [(p, o, BIG) for p in range(3) for o in range(2)], got


def test_broker_fetch_max_bytes_caps_any_request():
    b = Broker({"num.partitions": 3, "fetch.max.bytes": 1000000})
    with conn(b) as c:
        fill_big(c, "capped")
        parts = c.fetch({"capped": {p: (0, 50 << 20) for p in range(3)}},
                        max_bytes=100 << 20)["capped"]
        assert BIG < records_bytes(parts) < BIG + 4096, records_bytes(parts)
        # Small batches fill up to the broker's limit and no further.
        small = w.record_batch([(b"k", b"v" * 100000, [])])
        for i in range(30):
            assert c.produce({"capped": {1: small}})["capped"][1]["error"] == 0
        parts = c.fetch({"capped": {1: (2, 50 << 20)}}, max_bytes=100 << 20)["capped"]
        assert 900000 < records_bytes(parts) <= 1000000, records_bytes(parts)
    b.close()


def compressed(plain, codec, compress):
    """The uncompressed batch `plain` with its records compressed."""
    after_crc = w.i16(codec) + plain[23:61] + compress(plain[61:])
    body = w.i32(0) + w.i8(2) + w.u32(w.crc32c(after_crc)) + after_crc
    return w.i64(0) + w.i32(len(body)) + body


def zstd_batch(value):
    import zstandard
    return compressed(w.record_batch([(b"k", value, [])]), 4,
                      zstandard.ZstdCompressor().compress)


def test_zstd_needs_produce_v7():
    require_module("zstandard")
    batch = zstd_batch(b"zstd value")
    with conn() as c:
        c.metadata(["zstd-t"])
        for version in (3, 4, 5, 6):
            r = w.Reader(c.request(w.API_PRODUCE, version, w.produce_body({"zstd-t": {0: batch}})))
            (name, parts), = r.array(lambda r: (r.string(), r.array(
                lambda r: (r.i32(), r.i16()) + (r.i64(),) + ((r.i64(),) if version >= 2 else ())
                + ((r.i64(),) if version >= 5 else ()))))
            assert parts[0][1] == 76, (version, parts)
        resp = c.produce({"zstd-t": {0: batch}})
        assert resp["zstd-t"][0]["error"] == 0, resp
        assert resp["zstd-t"][0]["base_offset"] == 0, resp


def offset_fetch(c, version, group, topic, parts):
    body = w.string(group) + w.array([w.string(topic) + w.array([w.i32(p) for p in parts])])
    r = w.Reader(c.request(API_OFFSET_FETCH, version, body))
    (name, got), = r.array(lambda r: (r.string(), r.array(
        lambda r: (r.i32(), r.i64(), r.string(), r.i16()))))
    assert name == topic and r.remaining() == 0, (name, r.remaining())
    return {p: (off, meta, err) for p, off, meta, err in got}


def commit(c, version, group, topic, offsets, generation=-1, member=""):
    head = w.string(group)
    if version == 1:
        head += w.i32(generation) + w.string(member)
    parts = [w.i32(p) + w.i64(off) + (w.i64(-1) if version == 1 else b"") + w.string(meta)
             for p, (off, meta) in offsets.items()]
    r = w.Reader(c.request(API_OFFSET_COMMIT, version, head + w.array(
        [w.string(topic) + w.array(parts)])))
    (name, res), = r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i16()))))
    return dict(res)


def test_offset_commit_v0_v1_and_offset_fetch_v0_as_sarama_sends_them():
    b = Broker({"num.partitions": 3, "group.initial.rebalance.delay.ms": 0})
    with conn(b) as c:
        c.metadata(["sarama"])
        # Sarama 1.22's consumer group: JoinGroup v0, SyncGroup v0, then
        # OffsetCommit v1 with the generation and member id.
        r = w.Reader(c.request(11, 0, w.string("sg") + w.i32(30000) + w.string("")
                               + w.string("consumer") + w.array([w.string("range")
                                                                 + w.kbytes(b"\0\0")])))
        err, gen, _p, _leader, member = r.i16(), r.i32(), r.string(), r.string(), r.string()
        assert err == 0, err
        r = w.Reader(c.request(14, 0, w.string("sg") + w.i32(gen) + w.string(member)
                               + w.array([w.string(member) + w.kbytes(b"")])))
        assert r.i16() == 0
        assert commit(c, 1, "sg", "sarama", {0: (11, "a"), 1: (12, "")}, gen, member) \
            == {0: 0, 1: 0}
        assert commit(c, 1, "sg", "sarama", {2: (13, "x")}, gen + 7, member) == {2: 22}
        # v0: no generation, no member (a group nobody is in).
        assert commit(c, 0, "plain", "sarama", {0: (5, "m0"), 2: (7, None)}) == {0: 0, 2: 0}
        assert commit(c, 0, "plain", "nosuch", {0: (5, "")}) == {0: 3}
        for v in (0, 1):
            assert offset_fetch(c, v, "sg", "sarama", [0, 1, 2]) == {
                0: (11, "a", 0), 1: (12, "", 0), 2: (-1, "", 0)}, v
            got = offset_fetch(c, v, "plain", "sarama", [0, 1, 2])
            assert {p: x[0] for p, x in got.items()} == {0: 5, 1: -1, 2: 7}, got
    b.restart()
    with conn(b) as c:
        assert offset_fetch(c, 0, "sg", "sarama", [0, 1])[0][:2] == (11, "a")
        assert offset_fetch(c, 1, "plain", "sarama", [0])[0][:2] == (5, "m0")
    b.close()


def test_max_timestamp_is_recomputed_as_sarama_122_sends_minus_one():
    base = int(time.time() * 1000) - 3600 * 1000
    recs = [(b"k%d" % i, b"v%d" % i, [], i * 10) for i in range(20)]
    plain = w.record_batch(recs, base_timestamp=base, max_timestamp=-1)
    gz = compressed(w.record_batch(recs, base_timestamp=base, max_timestamp=-1), 1,
                    lambda b: gzip.compress(b))
    with conn() as c:
        c.metadata(["maxts"])
        for p, batch in ((0, plain), (1, gz)):
            assert c.produce({"maxts": {p: batch}})["maxts"][p]["error"] == 0
            # And one more batch after it, so the answer is not just "the end".
            later = w.record_batch([(b"x", b"y", [])], base_timestamp=base + 10 ** 6)
            assert c.produce({"maxts": {p: later}})["maxts"][p]["error"] == 0
        for p in (0, 1):
            got = c.list_offsets({"maxts": {p: base + 100}})["maxts"][p]
            assert got["error"] == 0 and got["offset"] == 10, (p, got)
            assert got["timestamp"] == base + 100, (p, got)
            data = c.fetch({"maxts": {p: (0, 1 << 20)}})["maxts"][p]["records"]
            r = w.Reader(data)
            r.i64()
            size = r.i32()
            r.i32(), r.i8()
            crc = r.u32()
            assert crc == w.crc32c(data[21:12 + size]), "stored batch %d: bad CRC" % p
            assert struct.unpack(">q", data[35:43])[0] == base + 190, p


def test_librdkafka_0081_kafka_topic_settings_are_accepted():
    require_module("confluent_kafka")
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
    a = AdminClient({"bootstrap.servers": broker().bootstrap})
    cfg = {"compression.type": "lz4", "delete.retention.ms": "900",
           "unclean.leader.election.enable": "true", "min.cleanable.dirty.ratio": "0.1",
           "leader.replication.throttled.replicas": "*"}
    a.create_topics([NewTopic("t0081", 2, 1, config=cfg)])["t0081"].result(timeout(30))
    res = ConfigResource(ConfigResource.Type.TOPIC, "t0081")
    entries = a.describe_configs([res])[res].result(timeout(30))
    for k, v in cfg.items():
        assert entries[k].value == v, (k, entries[k].value)
    assert entries["preallocate"].value == "false" and entries["preallocate"].is_default
    # A setting's validator still applies.
    bad = a.create_topics([NewTopic("t0081-bad", 1, 1, config={"compression.lz4.level": "99"})])
    try:
        bad["t0081-bad"].result(timeout(30))
        raise AssertionError("compression.lz4.level=99 accepted")
    except Exception as e:  # noqa: B902 - confluent_kafka raises KafkaException
        assert "compression.lz4.level" in str(e), e


def test_librdkafka_0081_alter_configs():
    require_module("confluent_kafka")
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
    a = AdminClient({"bootstrap.servers": broker().bootstrap})
    a.create_topics([NewTopic("t0081-alter", 1, 1)])["t0081-alter"].result(timeout(30))
    topic = ConfigResource(ConfigResource.Type.TOPIC, "t0081-alter",
                           set_config={"compression.type": "gzip", "flush.ms": "12345678"})
    brk = ConfigResource(ConfigResource.Type.BROKER, "0",
                         set_config={"sasl.kerberos.min.time.before.relogin": "58000"})
    missing = ConfigResource(ConfigResource.Type.TOPIC, "t0081-missing",
                             set_config={"compression.type": "lz4",
                                         "offset.metadata.max.bytes": "12345"})
    fs = a.alter_configs([topic, brk, missing])
    fs[topic].result(timeout(30))
    fs[brk].result(timeout(30))
    try:
        fs[missing].result(timeout(30))
        raise AssertionError("altering a topic that does not exist succeeded")
    except KafkaException as e:
        assert e.args[0].code() == 3, e  # UNKNOWN_TOPIC_OR_PART
    res = ConfigResource(ConfigResource.Type.TOPIC, "t0081-alter")
    entries = a.describe_configs([res])[res].result(timeout(30))
    assert entries["compression.type"].value == "gzip", entries["compression.type"]
    assert entries["flush.ms"].value == "12345678", entries["flush.ms"]
    # A sluice setting is still static.
    static = ConfigResource(ConfigResource.Type.BROKER, "0",
                            set_config={"num.partitions": "5"})
    try:
        a.alter_configs([static])[static].result(timeout(30))
        raise AssertionError("num.partitions changed at run time")
    except KafkaException as e:
        assert e.args[0].code() == 42 and "num.partitions" in str(e), e


def test_zstd_topic_needs_fetch_v10():
    require_module("confluent_kafka")
    from confluent_kafka.admin import AdminClient, NewTopic
    a = AdminClient({"bootstrap.servers": broker().bootstrap})
    a.create_topics([NewTopic("t0081-zstd", 1, 1, config={"compression.type": "zstd"}),
                     NewTopic("t0081-lz4", 1, 1, config={"compression.type": "lz4"})])[
        "t0081-zstd"].result(timeout(30))
    with conn() as c:
        wait_until(lambda: {"t0081-zstd", "t0081-lz4"} <= {
            t["name"] for t in c.metadata(None)["topics"]}, timeout(30), "topics created")
        assert c.produce({"t0081-zstd": {0: w.record_batch([(b"k", b"v", [])])}})[
            "t0081-zstd"][0]["error"] == 0
        got = c.fetch({"t0081-zstd": {0: (0, 1 << 20)}})["t0081-zstd"][0]
        assert got["error"] == 76 and not got["records"], got
        got = c.fetch({"t0081-lz4": {0: (0, 1 << 20)}})["t0081-lz4"][0]
        assert got["error"] == 0, "lz4 topics are served to any version"


run_tests(globals())
