#!/usr/bin/python3
"""kafka-python 2.0.2 (Debian's python3-kafka) against sluiced.

Producers with acks=1 and acks='all' (keys, headers, explicit timestamps,
explicit partitions, gzip), consumers without a group (assign + seek), read
back exactly; beginning/end offsets; offsets_for_times in the middle, at the
edges and past the end; seek into the middle of a multi-record batch; all of
it again after a SIGTERM restart and after a SIGKILL restart.
"""

import logging
import random
import struct
import time

from sluice_test import Broker, require_module, run_tests, timeout
import kafka_wire as w

require_module("kafka")
from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402

logging.basicConfig(level=logging.ERROR)


class _NoCloseNoise(logging.Filter):
    """kafka-python logs an in-flight fetch cancelled by consumer.close() as an error."""

    def filter(self, record):
        return "Cancelled" not in record.getMessage()


logging.getLogger("kafka.consumer.fetcher").addFilter(_NoCloseNoise())

NPART = 2
T_ACKS1 = "kp-acks1"
T_ACKSALL = "kp-acksall"
T_GZIP = "kp-gzip"
T_TIMES = "kp-times"
T_BATCH = "kp-batch"
T0 = 1_700_000_000_000  # base of the explicit timestamps (ms)

B = None
SENT = {}  # topic -> {partition: [(key, value, headers, timestamp)]} in offset order


def producer(**kw):
    cfg = dict(bootstrap_servers=B.bootstrap, client_id="sluice-it",
               request_timeout_ms=int(timeout(15) * 1000), max_block_ms=int(timeout(15) * 1000),
               api_version_auto_timeout_ms=int(timeout(10) * 1000), retries=0)
    cfg.update(kw)
    return KafkaProducer(**cfg)


def consumer(**kw):
    cfg = dict(bootstrap_servers=B.bootstrap, client_id="sluice-it", group_id=None,
               enable_auto_commit=False, auto_offset_reset="earliest", fetch_max_wait_ms=100,
               request_timeout_ms=int(timeout(15) * 1000),
               api_version_auto_timeout_ms=int(timeout(10) * 1000))
    cfg.update(kw)
    return KafkaConsumer(**cfg)


def make_records(rng, n, tag, ts_base):
    out = []
    for i in range(n):
        key = None if i % 17 == 5 else ("%s-key-%d" % (tag, i % 23)).encode()
        r = rng.random()
        if key is not None and i % 29 == 3:
            value = None                                   # tombstone
        elif r < 0.05:
            value = b""
        elif r < 0.08:
            value = bytes(rng.randrange(256) for _ in range(rng.randint(10000, 60000)))
        else:
            value = bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
        headers = [("idx", str(i).encode()), ("tag", tag.encode())]
        if i % 5 == 0:
            headers.append(("bin", bytes(range(256))))
        if i % 7 == 0:
            headers = []
        if i % 11 == 0:
            headers += [("dup", b"1"), ("dup", b"2"), ("empty", b"")]
        out.append((key, value, headers, ts_base + i * 3))
    return out


def produce(p, topic, records_by_part, flush=True):
    """Send everything, check each future's metadata, remember it in SENT."""
    futures = []
    for part, recs in records_by_part.items():
        for key, value, headers, ts in recs:
            futures.append((part, key, value, headers, ts,
                            p.send(topic, key=key, value=value, headers=headers,
                                   partition=part, timestamp_ms=ts)))
    if flush:
        p.flush(timeout(20))
    got = SENT.setdefault(topic, {})
    for part, key, value, headers, ts, fut in futures:
        md = fut.get(timeout(20))
        assert md.topic == topic and md.partition == part, md
        assert md.timestamp == ts, (md, ts)
        lst = got.setdefault(part, [])
        assert md.offset == len(lst), "%s[%d]: offset %d, expected %d" % (
            topic, part, md.offset, len(lst))
        lst.append((key, value, headers, ts))


def read_all(topic, parts, start=None, expect=None, c=None):
    """Assign + seek; poll until each partition's end; {part: [ConsumerRecord]}."""
    own = c is None
    c = c or consumer()
    try:
        tps = [TopicPartition(topic, p) for p in parts]
        c.assign(tps)
        ends = c.end_offsets(tps)
        for tp in tps:
            c.seek(tp, 0 if start is None else start.get(tp.partition, 0))
        out = {p: [] for p in parts}
        deadline = time.monotonic() + timeout(30)
        def done():
            return all(c.position(tp) >= ends[tp] for tp in tps)
        while not done():
            assert time.monotonic() < deadline, "reading %s timed out at %r of %r" % (
                topic, {tp.partition: c.position(tp) for tp in tps}, ends)
            for tp, recs in c.poll(timeout_ms=500).items():
                out[tp.partition].extend(recs)
        return out
    finally:
        if own:
            c.close()


def check_exact(topic, got):
    want = SENT[topic]
    assert sorted(got) == sorted(want), (sorted(got), sorted(want))
    for p in want:
        g, s = got[p], want[p]
        assert [r.offset for r in g] == list(range(len(s))), \
            "%s[%d] offsets %r..." % (topic, p, [r.offset for r in g][:10])
        for r, (key, value, headers, ts) in zip(g, s):
            assert (r.key, r.value) == (key, value), "%s[%d]@%d: %r/%r vs %r/%r" % (
                topic, p, r.offset, r.key, (r.value or b"")[:40], key, (value or b"")[:40])
            assert list(r.headers) == headers, "%s[%d]@%d headers %r vs %r" % (
                topic, p, r.offset, r.headers, headers)
            assert r.timestamp == ts and r.timestamp_type == 0, (r.timestamp, ts,
                                                                 r.timestamp_type)


# --- tests --------------------------------------------------------------------

def test_produce_acks_1():
    global B
    B = Broker({"num.partitions": NPART}, name="kafka-python")
    rng = random.Random(11)
    p = producer(acks=1, linger_ms=0)
    try:
        produce(p, T_ACKS1, {0: make_records(rng, 300, "a1p0", T0),
                             1: make_records(rng, 250, "a1p1", T0 + 10)})
    finally:
        p.close(timeout(10))


def test_produce_acks_all():
    rng = random.Random(12)
    p = producer(acks="all", linger_ms=20)
    try:
        produce(p, T_ACKSALL, {0: make_records(rng, 200, "aap0", T0),
                               1: make_records(rng, 300, "aap1", T0 + 10)})
        # A second round on the same connection continues the offsets.
        produce(p, T_ACKSALL, {1: make_records(rng, 50, "aap1b", T0 + 5000)})
    finally:
        p.close(timeout(10))


def test_produce_gzip():
    rng = random.Random(13)
    p = producer(acks="all", linger_ms=50, compression_type="gzip")
    try:
        produce(p, T_GZIP, {0: make_records(rng, 400, "gz", T0)})
    finally:
        p.close(timeout(10))
    # Stored as sent: gzip batches (the broker does not decompress).
    with w.Conn("127.0.0.1", B.port, timeout=timeout(10)) as c:
        f = c.fetch({T_GZIP: {0: (0, 8 << 20)}})[T_GZIP][0]
    attr = struct.unpack_from(">h", f["records"], 21)[0]
    assert attr & 7 == 1, "first batch codec %d, expected gzip (1)" % (attr & 7)


def test_consume_exactly():
    for topic in (T_ACKS1, T_ACKSALL, T_GZIP):
        parts = sorted(SENT[topic])
        check_exact(topic, read_all(topic, parts))


def test_beginning_and_end_offsets():
    c = consumer()
    try:
        for topic in (T_ACKS1, T_ACKSALL, T_GZIP):
            tps = [TopicPartition(topic, p) for p in range(NPART)]
            ends = c.end_offsets(tps)
            begins = c.beginning_offsets(tps)
            for tp in tps:
                assert begins[tp] == 0, (tp, begins[tp])
                assert ends[tp] == len(SENT[topic].get(tp.partition, [])), (tp, ends[tp])
    finally:
        c.close()


def test_offsets_for_times():
    # 120 records one second apart, several to a batch.
    n = 120
    recs = [(b"t%d" % i, b"v%d" % i, [("i", b"%d" % i)], T0 + i * 1000) for i in range(n)]
    p = producer(acks=1, linger_ms=30, batch_size=4096)
    try:
        for i in range(0, n, 20):
            produce(p, T_TIMES, {0: recs[i:i + 20]})
    finally:
        p.close(timeout(10))
    tp = TopicPartition(T_TIMES, 0)
    c = consumer()
    try:
        cases = [
            (T0 - 10 ** 6, 0), (0, 0), (T0, 0), (T0 + 1, 1), (T0 + 999, 1), (T0 + 1000, 1),
            (T0 + 37 * 1000, 37), (T0 + 37 * 1000 - 1, 37), (T0 + 36 * 1000 + 500, 37),
            (T0 + 60 * 1000, 60), (T0 + 61 * 1000 + 1, 62), (T0 + 119 * 1000, 119),
            (T0 + 119 * 1000 + 1, None), (T0 + 10 ** 9, None),
        ]
        for ts, want in cases:
            got = c.offsets_for_times({tp: ts})[tp]
            if want is None:
                assert got is None, "offsets_for_times(%d) = %r, expected None" % (ts, got)
            else:
                assert got is not None, "offsets_for_times(%d) = None, expected %d" % (ts, want)
                assert (got.offset, got.timestamp) == (want, T0 + want * 1000), (
                    "offsets_for_times(T0%+d) = %r, expected offset %d ts %d" % (
                        ts - T0, got, want, T0 + want * 1000))
        # And reading from the answer yields that record first.
        c.assign([tp])
        c.seek(tp, c.offsets_for_times({tp: T0 + 80 * 1000 - 200})[tp].offset)
        first = None
        deadline = time.monotonic() + timeout(15)
        while first is None and time.monotonic() < deadline:
            for _, rs in c.poll(timeout_ms=500).items():
                first = first or rs[0]
        assert first is not None and first.offset == 80 and first.key == b"t80", first
    finally:
        c.close()


def test_seek_into_the_middle_of_a_batch():
    n = 60
    recs = [(b"b%d" % i, b"batch-value-%d" % i, [("i", b"%d" % i)], T0 + i) for i in range(n)]
    p = producer(acks=1, linger_ms=1000, batch_size=1 << 20)
    try:
        produce(p, T_BATCH, {0: recs[:30]})
        produce(p, T_BATCH, {0: recs[30:]})
    finally:
        p.close(timeout(10))
    # Several records do share a batch.
    with w.Conn("127.0.0.1", B.port, timeout=timeout(10)) as conn:
        f = conn.fetch({T_BATCH: {0: (0, 8 << 20)}})[T_BATCH][0]
    batches = w.parse_record_batches(f["records"])
    assert max(b.count for b in batches) >= 10, [b.count for b in batches]
    tp = TopicPartition(T_BATCH, 0)
    c = consumer()
    try:
        c.assign([tp])
        for start in (17, 1, 29, 30, 31, 45, 59, 0):
            c.seek(tp, start)
            got = []
            deadline = time.monotonic() + timeout(15)
            while (not got or got[-1].offset < n - 1) and time.monotonic() < deadline:
                for _, rs in c.poll(timeout_ms=500).items():
                    got.extend(rs)
            assert [r.offset for r in got] == list(range(start, n)), (
                "seek(%d): offsets %r" % (start, [r.offset for r in got][:10]))
            assert [r.key for r in got] == [k for k, _, _, _ in recs[start:]]
            assert [r.value for r in got] == [v for _, v, _, _ in recs[start:]]
        # At the end: nothing more.
        c.seek(tp, n)
        assert not c.poll(timeout_ms=700), "records past the end"
    finally:
        c.close()
    SENT.setdefault(T_BATCH, {})


def _read_everything_again():
    c = consumer()
    try:
        for topic in (T_ACKS1, T_ACKSALL, T_GZIP, T_TIMES):
            parts = sorted(SENT[topic])
            check_exact(topic, read_all(topic, parts, c=c))
        tp = TopicPartition(T_TIMES, 0)
        got = c.offsets_for_times({tp: T0 + 37 * 1000 - 1})[tp]
        assert got is not None and got.offset == 37, got
    finally:
        c.close()


def test_restart_sigterm():
    B.restart()
    _read_everything_again()


def test_restart_sigkill():
    B.kill()
    B.start()
    _read_everything_again()
    # Produce after the crash continues the offsets.
    rng = random.Random(14)
    p = producer(acks="all")
    try:
        produce(p, T_ACKS1, {0: make_records(rng, 40, "after", T0 + 999999),
                             1: make_records(rng, 40, "after1", T0 + 999999)})
    finally:
        p.close(timeout(10))
    check_exact(T_ACKS1, read_all(T_ACKS1, [0, 1]))


def test_sigkill_during_acks_all_produce():
    """Every record acknowledged with acks=all before a SIGKILL is there after
    the restart, at its acknowledged offset; nothing is there twice."""
    topic = "kp-crash"
    p = producer(acks="all", linger_ms=2, retries=0, max_in_flight_requests_per_connection=5)
    sent = []
    try:
        # The topic is auto-created first: on a loaded machine its creation
        # could otherwise use up the 0.6 s of sending before the kill.
        p.partitions_for(topic)
        t_end = time.monotonic() + 0.6
        i = 0
        while time.monotonic() < t_end:
            v = b"crash-%06d-" % i + b"x" * (i % 200)
            sent.append((v, p.send(topic, key=b"c%d" % (i % 10), value=v, partition=0)))
            i += 1
            if i % 50 == 0:
                time.sleep(0.005)
        B.kill()
        acked = {}
        for v, fut in sent:
            try:
                acked[fut.get(timeout(20)).offset] = v
            except Exception:
                pass  # not acknowledged: may or may not be in the log
    finally:
        p.close(timeout(5))
    assert len(acked) >= 20, "only %d of %d records acknowledged before the kill" % (
        len(acked), len(sent))
    B.start()
    c = consumer()
    try:
        got = read_all(topic, [0], c=c)[0]
    finally:
        c.close()
    assert [r.offset for r in got] == list(range(len(got))), "offsets not contiguous"
    by_off = {r.offset: r.value for r in got}
    for off, v in acked.items():
        assert by_off.get(off) == v, "acknowledged offset %d: %r, expected %r" % (
            off, by_off.get(off), v)
    values = [r.value for r in got]
    assert len(set(values)) == len(values), "duplicates in the log"
    order = [int(v[6:12]) for v in values]
    assert order == sorted(order), "records out of send order"
    print("# %d sent, %d acknowledged, %d in the log after SIGKILL" % (
        len(sent), len(acked), len(got)))


def test_clean_stop():
    B.stop()


if __name__ == "__main__":
    run_tests(globals())
