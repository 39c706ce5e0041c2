#!/usr/bin/python3
"""Compression codecs with kafka-python 2.0.2 and confluent-kafka 1.7.0.

Both clients produce with gzip, lz4, snappy and zstd, each with acks=1 and
acks=all (keys, headers, explicit timestamps, explicit partitions); the
records are read back exactly with assign + seek.  The first batch of every
segment is read from disk to check that the stored codec (attributes, low 3
bits) is the one the producer used: compressed batches pass through
untouched.  confluent-kafka also reads watermarks, offsets for times (in the
middle and past the end, and the exact record inside compressed batches of
every codec), metadata for all topics and for one, and meets
UNKNOWN_TOPIC_OR_PART (auto-create off) and INVALID_TOPIC_EXCEPTION.

kafka-python's codecs need Debian's python3-lz4, python3-snappy and
python3-zstandard; the file is skipped (exit 77) without them.
"""

import glob
import logging
import os
import struct
import time

from sluice_test import Broker, require_module, run_tests, timeout

require_module("kafka")
require_module("confluent_kafka")
require_module("lz4")
require_module("snappy")
require_module("zstandard")
from kafka import KafkaConsumer, KafkaProducer, TopicPartition as KTP  # noqa: E402
from confluent_kafka import (Consumer, KafkaError, Producer,  # noqa: E402
                             TopicPartition as CTP)
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

logging.basicConfig(level=logging.ERROR)


class _NoCloseNoise(logging.Filter):
    """kafka-python logs an in-flight fetch cancelled by consumer.close() as an error."""

    def filter(self, record):
        return "Cancelled" not in record.getMessage()


logging.getLogger("kafka.consumer.fetcher").addFilter(_NoCloseNoise())

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
NPART = 2
PER_PART = 60
T0 = 1_700_000_000_000  # base of the explicit timestamps (ms)

B = None
SENT = {}  # topic -> {partition: [(key, value, headers, ts)]} in offset order


def broker():
    global B
    if B is None:
        B = Broker({"num.partitions": NPART}, name="codecs")
    B.assert_alive()
    return B


def make_records(tag, part):
    """Compressible values, keys, headers.

    Every record must shrink under every codec even when it travels alone:
    librdkafka sends a batch uncompressed when compressing does not make it
    smaller, and a slow machine can make any record a batch of its own.
    """
    out = []
    for i in range(PER_PART):
        key = None if i % 13 == 4 else ("%s-k%d" % (tag, i % 7)).encode()
        value = (("%s p%d rec %d " % (tag, part, i)) * (3 + i % 40)).encode()
        if i % 17 == 9:
            value = bytes((i * 31 + j) % 256 for j in range(700))
        headers = [("i", str(i).encode()), ("tag", tag.encode())] if i % 5 else []
        ts = T0 + part * 100_000 + i * 10
        out.append((key, value, headers, ts))
    return out


def segment_batches(topic, part):
    """(base offset, last offset, codec) of every batch in the partition's
    first segment file."""
    files = sorted(glob.glob(os.path.join(B.data_dir, "%s-%d" % (topic, part), "*.log")))
    assert files, "no segment for %s-%d in %s" % (topic, part, B.data_dir)
    with open(files[0], "rb") as f:
        data = f.read()
    batches = []
    pos = 0
    while pos + 61 <= len(data):
        (base, length) = struct.unpack_from(">qi", data, pos)
        assert data[pos + 16] == 2, "magic %d at %d" % (data[pos + 16], pos)
        (attrs, last_delta) = struct.unpack_from(">hi", data, pos + 21)
        batches.append((base, base + last_delta, attrs & 7))
        pos += 12 + length
    assert batches, "no batch in %s" % files[0]
    return batches


def segment_codecs(topic, part):
    """Codec of every batch in the partition's first segment file."""
    return [codec for _, _, codec in segment_batches(topic, part)]


def check_stored_codec(topic, codec):
    for p in range(NPART):
        got = segment_codecs(topic, p)
        assert set(got) == {CODECS[codec]}, "%s-%d stored codecs %r, produced with %s" % (
            topic, p, got, codec)


def check_same(topic, got):
    """got: {part: [(offset, key, value, headers, ts)]} against SENT[topic]."""
    want = SENT[topic]
    for p in range(NPART):
        g, s = got.get(p, []), want[p]
        assert [r[0] for r in g] == list(range(len(s))), "%s[%d] offsets %r" % (
            topic, p, [r[0] for r in g][:20])
        for (off, key, value, headers, ts), (wk, wv, wh, wts) in zip(g, s):
            assert (key, value) == (wk, wv), "%s[%d]@%d: %r/%r vs %r/%r" % (
                topic, p, off, key, (value or b"")[:40], wk, wv[:40])
            assert headers == wh, "%s[%d]@%d headers %r vs %r" % (topic, p, off, headers, wh)
            assert ts == wts, "%s[%d]@%d timestamp %r vs %r" % (topic, p, off, ts, wts)


# --- kafka-python -------------------------------------------------------------

def kp_produce(topic, codec, acks):
    p = KafkaProducer(bootstrap_servers=B.bootstrap, client_id="sluice-codecs",
                      acks=acks, compression_type=codec, linger_ms=20, retries=0,
                      request_timeout_ms=int(timeout(15) * 1000),
                      max_block_ms=int(timeout(15) * 1000),
                      api_version_auto_timeout_ms=int(timeout(10) * 1000))
    try:
        futs = []
        sent = {}
        for part in range(NPART):
            sent[part] = make_records(topic, part)
            for key, value, headers, ts in sent[part]:
                futs.append((part, ts, p.send(topic, key=key, value=value, headers=headers,
                                              partition=part, timestamp_ms=ts)))
        p.flush(timeout(20))
        counts = {part: 0 for part in range(NPART)}
        for part, ts, fut in futs:
            md = fut.get(timeout(20))
            assert md.partition == part and md.offset == counts[part], (md, counts[part])
            assert md.timestamp == ts, (md, ts)
            counts[part] += 1
        SENT[topic] = sent
    finally:
        p.close(timeout(10))


def kp_read(topic):
    c = KafkaConsumer(bootstrap_servers=B.bootstrap, client_id="sluice-codecs", group_id=None,
                      enable_auto_commit=False, fetch_max_wait_ms=100,
                      request_timeout_ms=int(timeout(15) * 1000),
                      api_version_auto_timeout_ms=int(timeout(10) * 1000))
    try:
        tps = [KTP(topic, p) for p in range(NPART)]
        c.assign(tps)
        ends = c.end_offsets(tps)
        assert all(ends[tp] == PER_PART for tp in tps), ends
        for tp in tps:
            c.seek(tp, 0)
        out = {p: [] for p in range(NPART)}
        deadline = time.monotonic() + timeout(30)
        while not all(c.position(tp) >= ends[tp] for tp in tps):
            assert time.monotonic() < deadline, "reading %s timed out at %r" % (
                topic, {tp.partition: c.position(tp) for tp in tps})
            for tp, recs in c.poll(timeout_ms=500).items():
                for r in recs:
                    assert r.timestamp_type == 0, r
                    out[tp.partition].append((r.offset, r.key, r.value, list(r.headers),
                                              r.timestamp))
        # and a seek into the middle (inside a compressed batch)
        mid = PER_PART // 2 + 3
        c.seek(tps[1], mid)
        got = []
        deadline = time.monotonic() + timeout(20)
        while not got:
            assert time.monotonic() < deadline, "no records after seek to %d" % mid
            got = c.poll(timeout_ms=500).get(tps[1], [])
        assert got[0].offset == mid, "seek to %d gave offset %d first" % (mid, got[0].offset)
        assert got[0].value == SENT[topic][1][mid][1], got[0]
        return out
    finally:
        c.close()


def _kp_round(codec, acks, tag):
    broker()
    topic = "kp-%s-%s" % (codec, tag)
    kp_produce(topic, codec, acks)
    check_stored_codec(topic, codec)
    check_same(topic, kp_read(topic))


def test_kafka_python_gzip():
    _kp_round("gzip", 1, "a1")
    _kp_round("gzip", "all", "aall")


def test_kafka_python_lz4():
    _kp_round("lz4", 1, "a1")
    _kp_round("lz4", "all", "aall")


def test_kafka_python_snappy():
    _kp_round("snappy", 1, "a1")
    _kp_round("snappy", "all", "aall")


def test_kafka_python_zstd():
    _kp_round("zstd", 1, "a1")
    _kp_round("zstd", "all", "aall")


# --- confluent-kafka ----------------------------------------------------------

def ck_common(b=None):
    return {"bootstrap.servers": (b or B).bootstrap, "broker.address.family": "v4",
            "socket.timeout.ms": int(timeout(15) * 1000),
            "log_level": 4}  # warnings and worse: no "Disconnected" notices at the end


def ck_produce(topic, codec, acks):
    p = Producer(dict(ck_common(), **{"client.id": "sluice-codecs-ck", "acks": acks,
                                      "compression.type": codec, "linger.ms": 20,
                                      "message.timeout.ms": int(timeout(20) * 1000)}))
    reports = []
    sent = {}
    for part in range(NPART):
        sent[part] = make_records(topic, part)
        for key, value, headers, ts in sent[part]:
            p.produce(topic, value=value, key=key, partition=part, timestamp=ts,
                      headers=headers or None,
                      on_delivery=lambda err, msg: reports.append((err, msg)))
    left = p.flush(timeout(25))
    assert left == 0, "%d messages not delivered" % left
    errs = [e for e, _ in reports if e is not None]
    assert not errs, errs[:5]
    assert len(reports) == NPART * PER_PART, len(reports)
    offs = {}
    for _, m in reports:
        offs.setdefault(m.partition(), []).append(m.offset())
    for part in range(NPART):
        assert sorted(offs[part]) == list(range(PER_PART)), (part, offs[part][:10])
    SENT[topic] = sent


def ck_consumer():
    return Consumer(dict(ck_common(), **{
        "group.id": "sluice-codecs-unused", "client.id": "sluice-codecs-ck",
        "enable.auto.commit": False, "enable.partition.eof": False,
        "auto.offset.reset": "error", "fetch.wait.max.ms": 100}))


def ck_msg(m):
    return (m.offset(), m.key(), m.value(), list(m.headers() or []), m.timestamp()[1])


def ck_read(topic):
    c = ck_consumer()
    try:
        c.assign([CTP(topic, p, 0) for p in range(NPART)])
        out = {p: [] for p in range(NPART)}
        deadline = time.monotonic() + timeout(30)
        while sum(len(v) for v in out.values()) < NPART * PER_PART:
            assert time.monotonic() < deadline, "reading %s timed out at %r" % (
                topic, {p: len(v) for p, v in out.items()})
            m = c.poll(0.5)
            if m is None:
                continue
            assert m.error() is None, m.error()
            assert m.timestamp()[0] == 1, m.timestamp()  # CREATE_TIME
            out[m.partition()].append(ck_msg(m))
        # seek back into the middle of partition 0 (inside a compressed batch)
        mid = PER_PART // 2 + 1
        c.seek(CTP(topic, 0, mid))
        deadline = time.monotonic() + timeout(20)
        while True:
            assert time.monotonic() < deadline, "no record after seek to %d" % mid
            m = c.poll(0.5)
            if m is None or m.partition() != 0:
                continue
            assert m.error() is None, m.error()
            assert m.offset() == mid, "seek to %d gave offset %d" % (mid, m.offset())
            assert m.value() == SENT[topic][0][mid][1]
            break
        return out
    finally:
        c.close()


def _ck_round(codec, acks):
    broker()
    topic = "ck-%s-a%s" % (codec, acks)
    ck_produce(topic, codec, acks)
    check_stored_codec(topic, codec)
    check_same(topic, ck_read(topic))


def test_confluent_gzip():
    _ck_round("gzip", "1")
    _ck_round("gzip", "all")


def test_confluent_lz4():
    _ck_round("lz4", "1")
    _ck_round("lz4", "all")


def test_confluent_snappy():
    _ck_round("snappy", "1")
    _ck_round("snappy", "all")


def test_confluent_zstd():
    _ck_round("zstd", "1")
    _ck_round("zstd", "all")


def test_cross_client_reads():
    """Each client reads back what the other compressed."""
    broker()
    for codec in ("gzip", "lz4", "snappy", "zstd"):
        kt, ct = "kp-%s-a1" % codec, "ck-%s-a1" % codec
        if kt not in SENT or ct not in SENT:
            raise AssertionError("the %s produce tests did not run first" % codec)
        check_same(kt, ck_read(kt))
        check_same(ct, kp_read(ct))


def test_confluent_watermarks_and_offsets_for_times():
    """Watermarks of a compressed topic; offsets for times on an uncompressed one,
    then on a topic of every codec: the exact record, also inside a compressed
    batch (as Kafka answers), never the batch's first offset."""
    broker()
    topic = "ck-zstd-a1"
    if topic not in SENT:
        ck_produce(topic, "zstd", "1")
    times = "ck-times"
    ck_produce(times, "none", "all")
    check_stored_codec(times, "none")
    c = ck_consumer()
    try:
        for t in (topic, times):
            for p in range(NPART):
                lo, hi = c.get_watermark_offsets(CTP(t, p), timeout=timeout(10))
                assert (lo, hi) == (0, PER_PART), (t, p, lo, hi)
        recs = SENT[times]
        k = 23
        cases = [((0, recs[0][k][3]), k),            # exactly record k's timestamp
                 ((1, recs[1][k][3] + 1), k + 1),    # between k and k+1: the next one
                 ((0, recs[0][0][3] - 5000), 0),     # before everything: offset 0
                 ((1, recs[1][-1][3]), PER_PART - 1),  # the last record
                 ((1, recs[1][-1][3] + 1), -1),      # past the end: none (OFFSET_END)
                 ((0, recs[1][0][3]), -1)]           # partition 0 ends before this time
        for (p, ts), want in cases:
            res = c.offsets_for_times([CTP(times, p, ts)], timeout=timeout(10))
            assert len(res) == 1 and res[0].error is None, res
            assert (res[0].partition, res[0].offset) == (p, want), (p, ts, res[0].offset, want)
        for codec in ("gzip", "lz4", "snappy", "zstd"):
            check_offsets_for_times_compressed(c, codec)
    finally:
        c.close()


def check_offsets_for_times_compressed(c, codec):
    """Every record's own timestamp names that record, and one millisecond
    later names the next (or none past the end), in a topic of compressed
    batches; records inside a batch (not its first) must be among them."""
    topic = "ck-%s-a1" % codec
    if topic not in SENT:
        ck_produce(topic, codec, "1")
    check_stored_codec(topic, codec)
    inside = 0
    for p in range(NPART):
        recs = SENT[topic][p]
        bases = {base for base, _, _ in segment_batches(topic, p)}
        inside += sum(1 for i in range(len(recs)) if i not in bases)
        for i, rec in enumerate(recs):
            for ts, want in ((rec[3], i), (rec[3] + 1, i + 1 if i + 1 < len(recs) else -1)):
                res = c.offsets_for_times([CTP(topic, p, ts)], timeout=timeout(10))
                assert len(res) == 1 and res[0].error is None, res
                assert res[0].offset == want, "%s[%d] time %d: offset %d, want %d (batches %r)" % (
                    topic, p, ts, res[0].offset, want, sorted(bases))
    assert inside > 0, "%s: every record is a batch of its own; nothing inside a batch" % topic


def test_confluent_metadata():
    broker()
    p = Producer(ck_common())
    try:
        md = p.list_topics(timeout=timeout(10))
        names = set(md.topics)
        want = {t for t in SENT if t.startswith(("ck-", "kp-"))}
        assert want and want <= names, (sorted(want - names), sorted(names))
        assert len(md.brokers) == 1, md.brokers
        topic = sorted(want)[0]
        one = p.list_topics(topic=topic, timeout=timeout(10))
        assert set(one.topics) == {topic}, sorted(one.topics)
        tm = one.topics[topic]
        assert tm.error is None, tm.error
        assert sorted(tm.partitions) == list(range(NPART)), tm.partitions
        for pm in tm.partitions.values():
            assert pm.error is None and pm.leader in md.brokers, pm
    finally:
        p.flush(1)


def test_confluent_errors_no_autocreate():
    b = Broker({"auto.create.topics.enable": "false"}, name="codecs-noauto")
    try:
        a = AdminClient(ck_common(b))
        # a bad name: INVALID_TOPIC_EXCEPTION (17, TOPIC_EXCEPTION in librdkafka)
        fs = a.create_topics([NewTopic("bad name!", 1, 1)], request_timeout=timeout(10))
        e = fs["bad name!"].exception(timeout(15))
        assert e is not None, "creating 'bad name!' succeeded"
        assert e.args[0].code() == KafkaError.TOPIC_EXCEPTION, e
        # a good one works on the same broker (the failure above is about the name)
        fs = a.create_topics([NewTopic("codecs-ok", 1, 1)], request_timeout=timeout(10))
        assert fs["codecs-ok"].result(timeout(15)) is None
        # producing to an unknown topic
        p = Producer(dict(ck_common(b), **{"message.timeout.ms": int(timeout(10) * 1000),
                                          "topic.metadata.propagation.max.ms": 500,
                                          "compression.type": "lz4"}))
        reports = []
        p.produce("codecs-missing", value=b"x", on_delivery=lambda err, m: reports.append(err))
        p.produce("codecs-ok", value=b"y", on_delivery=lambda err, m: reports.append(err))
        left = p.flush(timeout(20))
        assert left == 0 and len(reports) == 2, (left, reports)
        errs = [r for r in reports if r is not None]
        assert len(errs) == 1, reports
        assert errs[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART, errs[0]
        md = a.list_topics(timeout=timeout(10))
        assert "codecs-missing" not in md.topics or md.topics["codecs-missing"].error, \
            "the unknown topic was created"
        assert "bad name!" not in md.topics
        b.stop()
    finally:
        b.close()


def test_clean_stop():
    broker()
    B.stop()


if __name__ == "__main__":
    run_tests(globals())
