#!/usr/bin/python3
"""sluice-batch export against sluiced.

Records written by kafka-python (none and gzip) and by kcat (gzip, snappy,
lz4, zstd), with keys, null keys, empty and binary values, headers with
null values and explicit timestamps, come back exactly in JSON Lines, CSV
and Avro (read with a small Avro container reader below).  Rerunning a
window writes byte-identical files.  A window by event time uses the
offset range ListOffsets gives and exports a record inside it whose
timestamp is outside (counted).  The group's offsets are committed at the
window's end.  Two exports of one window at once: one refuses (exit 3),
by the directory lock or by the group.
"""

import atexit
import base64
import csv
import datetime
import filecmp
import glob
import io
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from sluice_test import Broker, require_module, require_tool, run_tests, sluiced_path, timeout
from sluice_test import wait_until

KCAT = require_tool("kcat")
require_module("kafka")
from kafka import KafkaProducer  # noqa: E402


def batch_path():
    p = os.environ.get("SLUICE_BATCH")
    if p:
        return p
    return os.path.join(os.path.dirname(os.path.dirname(sluiced_path())), "client",
                        "sluice-batch")


SB = batch_path()
if not os.path.exists(SB):
    print("SKIP: sluice-batch not found at %s" % SB, flush=True)
    print("0 passed, 0 failed, 1 skipped", flush=True)
    raise SystemExit(77)

WORK = tempfile.mkdtemp(prefix="sluice-it-export-")
if not os.environ.get("SLUICE_TEST_KEEP"):
    atexit.register(shutil.rmtree, WORK, True)
T0 = 1_700_000_000_000
B = None
SENT = {}  # topic -> {partition: [(key, value, headers, ts)]}


def bk():
    global B
    if B is None:
        B = Broker({"num.partitions": 2, "group.initial.rebalance.delay.ms": 0}, name="export")
    return B.bootstrap


def sb(*args, secs=120):
    r = subprocess.run([SB] + [str(a) for a in args], capture_output=True,
                       timeout=timeout(secs), cwd=WORK)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def out(name):
    return os.path.join(WORK, name)


# --- a minimal Avro object container reader (for sluice.Record) ---------------

def _long(b, i):
    shift = v = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return (v >> 1) ^ -(v & 1), i


def _bytes(b, i):
    n, i = _long(b, i)
    return b[i:i + n], i + n


def _nullable(b, i):
    br, i = _long(b, i)
    if br == 0:
        return None, i
    return _bytes(b, i)


def avro_read(path):
    b = open(path, "rb").read()
    assert b[:4] == b"Obj\x01", path
    i, meta = 4, {}
    while True:
        n, i = _long(b, i)
        if n == 0:
            break
        if n < 0:
            n = -n
            _, i = _long(b, i)
        for _ in range(n):
            k, i = _bytes(b, i)
            v, i = _bytes(b, i)
            meta[k.decode()] = v
    sync = b[i:i + 16]
    i += 16
    recs = []
    while i < len(b):
        cnt, i = _long(b, i)
        size, i = _long(b, i)
        blk, i = b[i:i + size], i + size
        assert b[i:i + 16] == sync, "block sync differs from the header's"
        i += 16
        j = 0
        for _ in range(cnt):
            key, j = _nullable(blk, j)
            value, j = _nullable(blk, j)
            headers = []
            n, j = _long(blk, j)
            while n != 0:
                if n < 0:
                    n = -n
                    _, j = _long(blk, j)
                for _ in range(n):
                    hk, j = _bytes(blk, j)
                    hv, j = _nullable(blk, j)
                    headers.append((hk.decode(), hv))
                n, j = _long(blk, j)
            ts, j = _long(blk, j)
            part, j = _long(blk, j)
            off, j = _long(blk, j)
            recs.append({"key": key, "value": value, "headers": headers, "timestamp": ts,
                         "partition": part, "offset": off})
        assert j == len(blk)
    return meta, sync, recs


# --- reading exports back -------------------------------------------------------

def _unjson(v):
    if v is None:
        return None
    if isinstance(v, dict):
        return base64.b64decode(v["base64"])
    return v.encode()


def read_jsonl(path):
    recs = []
    with open(path, "rb") as f:
        for line in f:
            j = json.loads(line)
            recs.append({"key": _unjson(j["key"]), "value": _unjson(j["value"]),
                         "headers": [(_unjson(k).decode(), _unjson(v)) for k, v in j["headers"]],
                         "timestamp": j["timestamp"], "partition": j["partition"],
                         "offset": j["offset"]})
    return recs


def read_csv(path):
    with open(path, "rb") as f:
        data = f.read()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8", "surrogateescape"), newline="")))
    assert rows[0] == ["topic", "partition", "offset", "timestamp", "key", "value", "headers"]
    return rows[1:]


def compare(topic, recs, parts=(0, 1), binary_ok=True):
    for p in parts:
        got = [r for r in recs if r["partition"] == p]
        want = SENT[topic].get(p, [])
        assert len(got) == len(want), "partition %d: %d records, sent %d" % (p, len(got),
                                                                               len(want))
        for o, (g, (k, v, h, ts)) in enumerate(zip(got, want)):
            assert g["offset"] == o, (g, o)
            assert g["key"] == k, (p, o, g["key"], k)
            assert g["value"] == v, (p, o, g["value"], v)
            assert g["headers"] == h, (p, o, g["headers"], h)
            assert g["timestamp"] == ts, (p, o, g["timestamp"], ts)


# --- producing ------------------------------------------------------------------

def kp_produce(topic, codec=None, n=300):
    p = KafkaProducer(bootstrap_servers=bk(), compression_type=codec, acks="all",
                      request_timeout_ms=int(timeout(15) * 1000))
    sent = {}
    for i in range(n):
        part = i % 2
        key = None if i % 10 == 0 else ("key-%d" % i).encode()
        if i % 25 == 0:
            value = b""
        elif i % 13 == 0:
            value = bytes([0xFF, 0xFE, 0x00, i % 256]) + b"binary"
        else:
            value = ("value %d ü,\"q\"\n" % i).encode()
        headers = [("h", ("%d" % i).encode()), ("empty", b"")] if i % 3 else []
        ts = T0 + i * 1000
        p.send(topic, key=key, value=value, headers=headers, partition=part, timestamp_ms=ts)
        sent.setdefault(part, []).append((key, value, headers, ts))
    p.flush()
    p.close()
    SENT[topic] = sent


def kcat_produce(topic, codec, n=200):
    lines = []
    sent = {}
    for i in range(n):
        lines.append("k%d:v%d %s" % (i, i, "z" * (i % 40)))
    data = ("\n".join(lines) + "\n").encode()
    r = subprocess.run([KCAT, "-b", bk(), "-P", "-t", topic, "-p", "0", "-K", ":", "-z", codec,
                        "-H", "codec=%s" % codec, "-H", "nullh"], input=data,
                       capture_output=True, timeout=timeout(60))
    assert r.returncode == 0, r.stderr
    sent[0] = [(l.split(":")[0].encode(), l.split(":", 1)[1].encode(),
                [("codec", codec.encode()), ("nullh", None)], None) for l in lines]
    SENT[topic] = sent


def test_kafka_python_records_come_back_exactly():
    kp_produce("kp-plain")
    kp_produce("kp-gzip", "gzip")
    for topic in ("kp-plain", "kp-gzip"):
        d = out("w-" + topic)
        rc, o, err = sb("export", "--bootstrap", bk(), "--topic", topic, "--group", "g-" + topic,
                        "--from", "earliest", "--to", "latest", "--format", "jsonl", "--out", d)
        assert rc == 0, err
        assert "300 records" in o, o
        recs = []
        for p in (0, 1):
            recs += read_jsonl(os.path.join(d, "%s-%d.jsonl" % (topic, p)))
        compare(topic, recs)
        d = out("a-" + topic)
        rc, o, err = sb("export", "--bootstrap", bk(), "--topic", topic, "--group", "g-" + topic,
                        "--from", "earliest", "--to", "latest", "--format", "avro", "--out", d)
        assert rc == 0, err
        recs = []
        for p in (0, 1):
            meta, sync, rs = avro_read(os.path.join(d, "%s-%d.avro" % (topic, p)))
            assert json.loads(meta["avro.schema"])["name"] == "Record"
            recs += rs
        compare(topic, recs)


def test_kcat_codecs_come_back_exactly():
    for codec in ("gzip", "snappy", "lz4", "zstd"):
        topic = "kc-" + codec
        kcat_produce(topic, codec)
        d = out("w-" + topic)
        rc, o, err = sb("export", "--bootstrap", bk(), "--topic", topic, "--group", "g-kc",
                        "--from", "earliest", "--to", "latest", "--format", "jsonl", "--out", d)
        assert rc == 0, err
        recs = read_jsonl(os.path.join(d, "%s-0.jsonl" % topic))
        want = SENT[topic][0]
        assert len(recs) == len(want), (codec, len(recs))
        for g, (k, v, h, _) in zip(recs, want):
            assert (g["key"], g["value"], g["headers"]) == (k, v, h), (codec, g)


def test_rerun_gives_identical_files():
    if "kp-gzip" not in SENT:
        kp_produce("kp-gzip", "gzip")
    for fmt in ("jsonl", "csv", "avro"):
        d1, d2 = out("r1-" + fmt), out("r2-" + fmt)
        for d in (d1, d2):
            rc, o, err = sb("export", "--bootstrap", bk(), "--topic", "kp-gzip", "--group",
                            "g-rerun", "--from", "10", "--to", "140", "--format", fmt, "--out", d)
            assert rc == 0, err
            time.sleep(1.1)  # libavro seeds its random sync marker with the time
        names = sorted(n for n in os.listdir(d1) if not n.startswith("."))
        assert names == ["kp-gzip-0.%s" % fmt, "kp-gzip-1.%s" % fmt], names
        for n in names:
            assert filecmp.cmp(os.path.join(d1, n), os.path.join(d2, n), shallow=False), n
        if fmt == "csv":
            rows = read_csv(os.path.join(d1, "kp-gzip-0.csv"))
            assert [int(r[2]) for r in rows] == list(range(10, 140))
            want = SENT["kp-gzip"][0]
            for r in rows:
                k, v, h, ts = want[int(r[2])]
                assert int(r[3]) == ts
                assert r[4] == (k.decode() if k else "")
                if v and not v.startswith(b"\xff"):
                    assert r[5] == v.decode(), (r, v)


def test_time_window_and_commit():
    topic = "times"
    p = KafkaProducer(bootstrap_servers=bk(), acks="all")
    ts = [T0 + i * 1000 for i in range(100)]
    ts[60] = T0 + 5 * 1000  # out of order: inside the offset range, before the window
    for t in ts:
        p.send(topic, value=b"v%d" % t, partition=0, timestamp_ms=t)
    p.flush()
    p.close()
    iso = lambda ms: datetime.datetime.utcfromtimestamp(ms / 1000).strftime(
        "%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    d = out("times")
    rc, o, err = sb("export", "--bootstrap", bk(), "--topic", topic, "--group", "g-times",
                    "--from", iso(T0 + 50_000), "--to", "@%d" % (T0 + 70_000), "--format",
                    "jsonl", "--out", d)
    assert rc == 0, err
    recs = read_jsonl(os.path.join(d, "times-0.jsonl"))
    assert [r["offset"] for r in recs] == list(range(50, 70)), [r["offset"] for r in recs]
    assert "1 records in the offset range have timestamps outside" in o, o
    assert os.path.getsize(os.path.join(d, "times-1.jsonl")) == 0
    rc, o, err = sb("lag", "--bootstrap", bk(), "--group", "g-times", "--topic", topic)
    assert rc == 0, err
    row = [l.split() for l in o.splitlines() if l.startswith("times ")]
    assert row[0][:5] == ["times", "0", "70", "100", "30"], row
    # --from committed continues where the window ended.
    d = out("times2")
    rc, o, err = sb("export", "--bootstrap", bk(), "--topic", topic, "--group", "g-times",
                    "--from", "committed", "--to", "latest", "--format", "jsonl", "--out", d)
    assert rc == 0, err
    assert [r["offset"] for r in read_jsonl(os.path.join(d, "times-0.jsonl"))] == \
        list(range(70, 100))


def test_two_exports_of_one_window_one_refuses():
    lines = "".join("big %d %s\n" % (i, "q" * 60) for i in range(250_000))
    with open(out("big.txt"), "w") as f:
        f.write(lines)
    rc, o, err = sb("load", "--bootstrap", bk(), "--topic", "big", "--checkpoint",
                    out("big.ckpt"), out("big.txt"))
    assert rc == 0, err
    d1, d2 = out("busy1"), out("busy2")
    args = ["export", "--bootstrap", bk(), "--topic", "big", "--group", "g-big", "--from",
            "earliest", "--to", "latest", "--format", "jsonl"]
    first = subprocess.Popen([SB] + args + ["--out", d1], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=WORK)
    wait_until(lambda: glob.glob(os.path.join(d1, ".*.tmp")), 60, "the first export's files",
               interval=0.005)
    # Hold the first run mid-window (however fast it is), so the others
    # surely meet it running.
    first.send_signal(signal.SIGSTOP)
    try:
        rc, o, err = sb(*(args + ["--out", d1]))
        assert rc == 3, (rc, o, err)
        assert "locked" in err, err
        second = subprocess.Popen([SB] + args + ["--out", d2], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, cwd=WORK)
        time.sleep(1)  # it finds the first still a member of the group and refuses
    finally:
        first.send_signal(signal.SIGCONT)
    o, err = second.communicate(timeout=timeout(60))
    assert second.returncode == 3, (second.returncode, o, err)
    assert b"another export of group g-big is running" in err, err
    o, err = first.communicate(timeout=timeout(120))
    assert first.returncode == 0, err
    assert b"250000 records" in o, o
    assert not glob.glob(os.path.join(d1, ".*.tmp"))
    n = sum(1 for p in (0, 1) for _ in open(os.path.join(d1, "big-%d.jsonl" % p)))
    assert n == 250_000
    assert not os.path.exists(os.path.join(d2, "big-0.jsonl"))
    # After the first finished, the same window runs again.
    rc, o, err = sb(*(args + ["--out", d2]))
    assert rc == 0, err
    for p in (0, 1):
        assert filecmp.cmp(os.path.join(d1, "big-%d.jsonl" % p),
                           os.path.join(d2, "big-%d.jsonl" % p), shallow=False)


def test_usage_errors():
    rc, o, err = sb("export", "--topic", "x")
    assert rc == 2
    rc, o, err = sb("export", "--bootstrap", bk(), "--topic", "x", "--group", "g", "--from",
                    "nonsense", "--to", "latest", "--format", "jsonl", "--out", out("u"))
    assert rc == 2, err
    rc, o, err = sb("export", "--help")
    assert rc == 0 and "exit:" in o


if __name__ == "__main__":
    run_tests(globals())
