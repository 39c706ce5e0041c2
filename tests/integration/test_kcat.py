#!/usr/bin/python3
"""kcat (librdkafka 2.0.2) against sluiced.

10,000 keyed messages with headers go to an auto-created 3-partition topic
in 10 kcat runs (headers are per run; half acks=all, half acks=1), and come
back with kcat -C -J exactly: keys, values, headers, partitions, per
partition order, no loss, no duplicates.  Again after SIGTERM + restart and
after SIGKILL + restart; then more messages continue each partition's
offsets where they ended.  kcat -L shows the metadata.
"""

import json
import os
import random
import struct
import subprocess
import time
import zlib

from sluice_test import Broker, require_tool, run_tests, timeout
import kafka_wire as w

KCAT = require_tool("kcat")

TOPIC = "kcat-keyed"
NPART = 3
RUNS = 10
PER_RUN = 1000
NKEYS = 2500  # each key is used 4 times, in different runs

B = None
SENT = []        # every message sent, in order: dict(key, value, headers)
KEY_PART = {}    # key -> partition, as observed
PART_END = {}    # partition -> high watermark after the first 10,000

_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,;!?()[]{}=+*/#%&@~"


def _value(rng, n):
    r = rng.random()
    if r < 0.002:
        size = rng.randint(20000, 120000)      # a few large ones
    elif r < 0.01:
        size = 0                               # empty (not null)
    else:
        size = rng.randint(1, 400)
    body = "".join(rng.choice(_ALPHABET) for _ in range(min(size, 64)))
    if size > 64:
        body = (body * (size // 64 + 1))[:size]
    return ("v%d|" % n + body) if size else ""


def run_headers(run):
    """Headers of one kcat run: (name, value) in order; None = null value."""
    h = [("run", str(run)), ("h1", "v1"), ("multi", "a"), ("multi", "b")]
    if run % 2:
        h += [("empty", ""), ("novalue", None)]
    if run % 3 == 0:
        h += [("long", "x" * (100 + run))]
    return h


def _h_args(headers):
    args = []
    for k, v in headers:
        args += ["-H", k if v is None else "%s=%s" % (k, v)]
    return args


def kcat(args, stdin=None, secs=60, broker=None):
    cmd = [KCAT, "-b", (broker or B).bootstrap, "-m", "15"] + args
    p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout(secs))
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


# Per run: compression codec and batch size (librdkafka batches per
# partition; small batches make many batches, codecs make compressed ones
# that the broker must store without decompressing).
RUN_CODEC = {2: "gzip", 4: "snappy", 7: "lz4", 8: "zstd"}
RUN_SMALL_BATCHES = {1, 3, 6, 9}


def kcat_produce(messages, headers, acks, codec=None, batch_msgs=None, topic=TOPIC,
                 broker=None):
    data = "".join("%s:%s\n" % (m["key"], m["value"]) for m in messages).encode()
    extra = []
    if codec:
        extra += ["-X", "compression.codec=%s" % codec]
    if batch_msgs:
        extra += ["-X", "batch.num.messages=%d" % batch_msgs]
    rc, out, err = kcat(["-P", "-t", topic, "-K", ":", "-X", "acks=%s" % acks,
                         "-X", "message.timeout.ms=30000", "-X", "linger.ms=5"] + extra +
                        _h_args(headers), stdin=data, broker=broker)
    assert rc == 0, "kcat -P failed (exit %d): %s" % (rc, err[-3000:])
    assert "Delivery failed" not in err and "ERROR" not in err, err[-3000:]


def kcat_consume(expect_total, topic=TOPIC, broker=None):
    """Read the whole topic; return {partition: [msg, ...]} in offset order."""
    rc, out, err = kcat(["-C", "-t", topic, "-o", "beginning", "-e", "-J",
                         "-X", "check.crcs=true"], broker=broker)
    assert rc == 0, "kcat -C failed (exit %d): %s" % (rc, err[-3000:])
    parts = {}
    lines = [l for l in out.split(b"\n") if l.strip()]
    for line in lines:
        m = json.loads(line)
        assert m["topic"] == topic, m
        assert m["broker"] == 0, m
        assert m["tstype"] == "create", m
        parts.setdefault(m["partition"], []).append(m)
    assert len(lines) == expect_total, "read %d messages, expected %d (stderr: %s)" % (
        len(lines), expect_total, err[-2000:])
    return parts


def _pairs(flat):
    assert len(flat) % 2 == 0, flat
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]


def check_topic(parts, sent):
    """Exact comparison of what kcat read with what was sent."""
    assert sorted(parts) == list(range(NPART)), "partitions with data: %r" % sorted(parts)
    seen_part = {}
    for p, msgs in parts.items():
        offs = [m["offset"] for m in msgs]
        assert offs == list(range(len(msgs))), "partition %d offsets not 0..n-1: %r..." % (
            p, offs[:20])
        for m in msgs:
            prev = seen_part.setdefault(m["key"], p)
            assert prev == p, "key %r in partitions %d and %d" % (m["key"], prev, p)
    for k, p in seen_part.items():
        if k in KEY_PART:
            assert KEY_PART[k] == p, "key %r moved from partition %d to %d" % (k, KEY_PART[k], p)
        KEY_PART[k] = p
        # librdkafka's default partitioner: CRC-32 of the key modulo the count.
        assert p == zlib.crc32(k.encode()) % NPART, "key %r in partition %d, crc32 says %d" % (
            k, p, zlib.crc32(k.encode()) % NPART)
    for p in range(NPART):
        want = [s for s in sent if KEY_PART.get(s["key"]) == p]
        got = parts[p]
        assert len(got) == len(want), "partition %d: %d messages, expected %d" % (
            p, len(got), len(want))
        for i, (g, s) in enumerate(zip(got, want)):
            if g["key"] != s["key"] or g["payload"] != s["value"]:
                raise AssertionError("partition %d offset %d: got key %r value %r..., "
                                     "expected key %r value %r..." % (
                                         p, g["offset"], g["key"], g["payload"][:60],
                                         s["key"], s["value"][:60]))
            got_h = _pairs(g.get("headers", []))
            want_h = [(k, v) for k, v in s["headers"]]
            assert got_h == want_h, "partition %d offset %d headers %r, expected %r" % (
                p, g["offset"], got_h, want_h)


def test_produce_10k_and_read_back():
    global B
    B = Broker({"num.partitions": NPART}, name="kcat")
    rng = random.Random(1234)
    n = 0
    for run in range(RUNS):
        msgs = []
        for _ in range(PER_RUN):
            key = "key-%05d" % ((n * 7919) % NKEYS)
            msgs.append({"key": key, "value": _value(rng, n), "headers": run_headers(run)})
            n += 1
        kcat_produce(msgs, run_headers(run), "all" if run < RUNS // 2 else "1",
                     codec=RUN_CODEC.get(run), batch_msgs=37 if run in RUN_SMALL_BATCHES else None)
        SENT.extend(msgs)
    assert len(SENT) == RUNS * PER_RUN
    parts = kcat_consume(len(SENT))
    check_topic(parts, SENT)
    for p, msgs in parts.items():
        PART_END[p] = len(msgs)
        assert len(msgs) > len(SENT) // (NPART * 2), "partition %d has only %d messages" % (
            p, len(msgs))
    # The log holds the batches as sent: many small ones, and compressed ones.
    codecs = batch_codecs()
    print("# batches per partition by codec (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd): %r"
          % codecs)
    for p in range(NPART):
        assert sum(codecs[p].values()) > 20, codecs
        # librdkafka 2.0.2 compresses with zstd if the broker's ranges hold
        # Produce v7 and Fetch v10.  It uses gzip, snappy and lz4 only if the
        # Produce range holds v0 (lz4 also FindCoordinator v0); with Produce
        # 3-7 advertised it sends those batches uncompressed, so only zstd
        # is required here.
        assert codecs[p].get(4, 0) >= 1, "no zstd batch in partition %d: %r" % (p, codecs)


def batch_codecs():
    """{partition: {codec: number of batches}} read with a raw Fetch v4."""
    out = {}
    with w.Conn("127.0.0.1", B.port, timeout=timeout(10)) as c:
        for p in range(NPART):
            counts = {}
            off = 0
            while True:
                f = c.fetch({TOPIC: {p: (off, 8 << 20)}})[TOPIC][p]
                assert f["error"] == 0, f
                data = f["records"]
                pos = 0
                while pos + 61 <= len(data):
                    base, blen = struct.unpack_from(">qi", data, pos)
                    if pos + 12 + blen > len(data):
                        break
                    attr, lod = struct.unpack_from(">hi", data, pos + 21)
                    counts[attr & 7] = counts.get(attr & 7, 0) + 1
                    off = base + lod + 1
                    pos += 12 + blen
                if off >= f["high_watermark"]:
                    break
            out[p] = counts
    return out


def test_metadata_kcat_L():
    rc, out, err = kcat(["-L", "-J"])
    assert rc == 0, err
    md = json.loads(out)
    assert md["brokers"] == [{"id": 0, "name": "127.0.0.1:%d" % B.port}], md["brokers"]
    assert md["controllerid"] == 0, md
    topics = {t["topic"]: t for t in md["topics"]}
    assert TOPIC in topics, topics.keys()
    t = topics[TOPIC]
    assert "error" not in t, t
    assert [p["partition"] for p in t["partitions"]] == list(range(NPART)), t
    for p in t["partitions"]:
        assert "error" not in p, p
        assert p["leader"] == 0 and p["replicas"] == [{"id": 0}] and p["isrs"] == [{"id": 0}], p
    # One topic by name, and the plain text form.
    rc, out, err = kcat(["-L", "-t", TOPIC])
    assert rc == 0, err
    text = out.decode()
    assert "1 brokers:" in text and "broker 0 at 127.0.0.1:%d" % B.port in text, text
    assert 'topic "%s" with %d partitions:' % (TOPIC, NPART) in text, text


def test_offsets_for_times_kcat_Q():
    # ListOffsets by time (librdkafka): timestamp 0 gives each partition's
    # first offset; a time after every record gives -1 (none).
    future = int(time.time() * 1000) + 86400 * 1000
    for ts, want in ((0, 0), (future, -1)):
        args = ["-Q", "-J"]
        for p in range(NPART):
            args += ["-t", "%s:%d:%d" % (TOPIC, p, ts)]
        rc, out, err = kcat(args)
        assert rc == 0, err
        res = json.loads(out)[TOPIC]
        for p in range(NPART):
            got = res[str(p)]
            assert "error" not in got and got["offset"] == want, (ts, got)


def test_restart_sigterm_keeps_everything():
    B.restart()  # SIGTERM (checked: exit 0, clean log), then start again
    check_topic(kcat_consume(len(SENT)), SENT)


def test_restart_sigkill_keeps_everything():
    B.kill()
    B.start()
    check_topic(kcat_consume(len(SENT)), SENT)


def test_produce_after_restart_continues_offsets():
    rng = random.Random(99)
    more = []
    for i in range(600):
        n = len(SENT) + i
        key = "key-%05d" % ((n * 7919) % NKEYS) if i % 2 else "new-%04d" % i
        more.append({"key": key, "value": _value(rng, n), "headers": run_headers(100)})
    kcat_produce(more[:300], run_headers(100), "all")
    kcat_produce(more[300:], run_headers(100), "1")
    parts = kcat_consume(len(SENT) + len(more))
    check_topic(parts, SENT + more)
    for p in range(NPART):
        new = [m for m in parts[p] if m["offset"] >= PART_END[p]]
        old = [m for m in parts[p] if m["offset"] < PART_END[p]]
        assert len(old) == PART_END[p]
        want_new = [s for s in more if KEY_PART[s["key"]] == p]
        assert [m["key"] for m in new] == [s["key"] for s in want_new], p
        if want_new:
            assert new[0]["offset"] == PART_END[p], (
                "partition %d: first new offset %d, old end %d" % (p, new[0]["offset"],
                                                                    PART_END[p]))
    SENT.extend(more)


def test_restart_after_more_and_read_again():
    B.kill()
    B.start()
    check_topic(kcat_consume(len(SENT)), SENT)


def test_clean_stop():
    B.stop()


def test_small_segments_roll_and_recover():
    """The same with 16 KiB segments: many rolls, batches larger than a
    segment, recovery after SIGKILL and after SIGTERM."""
    topic = "kcat-small-segments"
    b = Broker({"num.partitions": NPART, "log.segment.bytes": 16384}, name="kcat-segments")
    rng = random.Random(4321)
    sent = []
    for run in range(3):
        msgs = []
        for _ in range(1000):
            n = len(sent) + len(msgs)
            msgs.append({"key": "key-%05d" % ((n * 7919) % NKEYS), "value": _value(rng, n),
                         "headers": run_headers(run)})
        kcat_produce(msgs, run_headers(run), "all" if run != 1 else "1",
                     batch_msgs=37 if run != 2 else None, topic=topic, broker=b)
        sent += msgs
    check_topic(kcat_consume(len(sent), topic, b), sent)
    segs = {p: [f for f in os.listdir(os.path.join(b.data_dir, "%s-%d" % (topic, p)))
                if f.endswith(".log")] for p in range(NPART)}
    print("# .log segments per partition: %r" % {p: len(v) for p, v in segs.items()})
    for p, v in segs.items():
        assert len(v) >= 10, "partition %d has %d segments with log.segment.bytes=16384" % (
            p, len(v))
    b.kill()
    b.start()
    check_topic(kcat_consume(len(sent), topic, b), sent)
    more = [{"key": "key-%05d" % i, "value": _value(rng, i), "headers": run_headers(7)}
            for i in range(500)]
    kcat_produce(more, run_headers(7), "all", batch_msgs=10, topic=topic, broker=b)
    sent += more
    b.restart()
    check_topic(kcat_consume(len(sent), topic, b), sent)
    b.stop()


if __name__ == "__main__":
    run_tests(globals())
