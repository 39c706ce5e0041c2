#!/usr/bin/python3
"""The C client (through sluice-batch load) writes, kcat and kafka-python
read: keys, null keys, values, headers (null values too) and timestamps
come back exactly, with every codec the client writes (none, gzip, snappy,
lz4, zstd for kcat; none and gzip for kafka-python, which Debian ships
without the lz4/snappy/zstd Python modules).
"""

import atexit
import json
import os
import shutil
import subprocess
import tempfile

from sluice_test import Broker, require_module, require_tool, run_tests, sluiced_path, timeout

KCAT = require_tool("kcat")
require_module("kafka")
from kafka import KafkaConsumer, TopicPartition  # noqa: E402


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

WORK = tempfile.mkdtemp(prefix="sluice-it-interop-")
if not os.environ.get("SLUICE_TEST_KEEP"):
    atexit.register(shutil.rmtree, WORK, True)
B = None
T0 = 1_700_000_000_000
RECS = []
for i in range(500):
    RECS.append({"k": None if i % 9 == 0 else "key-%d" % (i % 31), "t": T0 + i * 37,
                 "h": [["a", "x%d" % i], ["b", None], ["a", ""]] if i % 4 else [],
                 "v": "value %d %s" % (i, "w" * (i % 300))})
LINES = [json.dumps(r) for r in RECS]


def bk():
    global B
    if B is None:
        B = Broker({"num.partitions": 3}, name="interop")
    return B.bootstrap


def load(topic, codec):
    path = os.path.join(WORK, "in.jsonl")
    with open(path, "w") as f:
        f.write("\n".join(LINES) + "\n")
    r = subprocess.run([SB, "load", "--bootstrap", bk(), "--topic", topic, "--format", "jsonl",
                        "--key", "k", "--timestamp", "t", "--headers", "h", "--compression",
                        codec, "--checkpoint", os.path.join(WORK, topic + ".ckpt"), path],
                       capture_output=True, timeout=timeout(120), cwd=WORK)
    assert r.returncode == 0, r.stderr.decode()


def by_line():
    return {l: r for l, r in zip(LINES, RECS)}


def test_kcat_reads_every_codec():
    want = by_line()
    for codec in ("none", "gzip", "snappy", "lz4", "zstd"):
        topic = "io-" + codec
        load(topic, codec)
        r = subprocess.run([KCAT, "-b", bk(), "-C", "-t", topic, "-o", "beginning", "-e", "-J",
                            "-q", "-X", "check.crcs=true"], capture_output=True,
                           timeout=timeout(60))
        assert r.returncode == 0, r.stderr
        got = [json.loads(l) for l in r.stdout.split(b"\n") if l.strip()]
        assert len(got) == len(RECS), (codec, len(got))
        seen = set()
        for m in got:
            rec = want[m["payload"]]
            seen.add(m["payload"])
            assert m["key"] == rec["k"], (codec, m)
            assert m["ts"] == rec["t"], (codec, m)
            assert m["tstype"] == "create"
            flat = [x for kv in rec["h"] for x in kv]
            assert m.get("headers", []) == flat, (codec, m)
        assert len(seen) == len(RECS)


def test_kafka_python_reads_none_and_gzip():
    want = by_line()
    for codec in ("none", "gzip"):
        topic = "io-" + codec
        if not os.path.exists(os.path.join(WORK, topic + ".ckpt")):
            load(topic, codec)
        c = KafkaConsumer(bootstrap_servers=bk(), group_id=None, enable_auto_commit=False,
                          auto_offset_reset="earliest", fetch_max_wait_ms=100,
                          consumer_timeout_ms=int(timeout(5) * 1000))
        c.assign([TopicPartition(topic, p) for p in range(3)])
        got = list(c)
        c.close()
        assert len(got) == len(RECS), (codec, len(got))
        for m in got:
            rec = want[m.value.decode()]
            assert m.key == (rec["k"].encode() if rec["k"] is not None else None)
            assert m.timestamp == rec["t"] and m.timestamp_type == 0
            assert [(k, v) for k, v in m.headers] == \
                [(k, v.encode() if v is not None else None) for k, v in rec["h"]], m.headers


if __name__ == "__main__":
    run_tests(globals())
