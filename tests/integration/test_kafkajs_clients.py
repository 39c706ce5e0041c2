#!/usr/bin/python3
"""Producer, group consumer and admin reads with kafkajs 2.2.4 (npm, pinned
in tests/integration/js).

Runs tests/integration/js/clients.js against a fresh sluiced: GZIP with
acks 1 and acks -1 and uncompressed with acks -1 (keys, headers, explicit
timestamps), a consumer group reading everything back exactly,
fetchTopicOffsets, fetchTopicOffsetsByTimestamp, fetchTopicMetadata for one
topic and for all, and a bad topic name refused (see clients.js for each
check).  Then the first batch of every segment is read from disk: the GZIP
topics' batches are stored GZIP-compressed as sent (pass-through), the
plain topic's uncompressed.  Skipped (exit 77) when node or kafkajs is
missing.
"""

import glob
import os
import struct
import subprocess
import sys

from sluice_test import Broker, require_tool, run_tests, timeout

HERE = os.path.dirname(os.path.abspath(__file__))
JS_DIR = os.path.join(HERE, "js")
SCRIPT = os.path.join(JS_DIR, "clients.js")

NODE = require_tool("node")
if not os.path.isfile(os.path.join(JS_DIR, "node_modules", "kafkajs", "package.json")):
    print("SKIP: kafkajs is not installed in %s/node_modules "
          "(run scripts/install-deps, or npm ci --prefix tests/integration/js)" % JS_DIR,
          flush=True)
    print("0 passed, 0 failed, 1 skipped", flush=True)
    sys.exit(77)

NPART = 2
# topic -> codec its batches must be stored with (0 none, 1 gzip)
STORED = {"kjs-gzip-a1": 1, "kjs-gzip-aall": 1, "kjs-plain": 0}


def batch_codecs(path):
    with open(path, "rb") as f:
        data = f.read()
    codecs = []
    pos = 0
    while pos + 61 <= len(data):
        (length,) = struct.unpack_from(">i", data, pos + 8)
        assert data[pos + 16] == 2, "%s: magic %d at %d" % (path, data[pos + 16], pos)
        (attrs,) = struct.unpack_from(">h", data, pos + 21)
        codecs.append(attrs & 7)
        pos += 12 + length
    return codecs


def test_kafkajs_clients():
    b = Broker(overrides={"auto.create.topics.enable": "false",
                          "group.initial.rebalance.delay.ms": 0}, name="kjs-clients")
    limit = timeout(45)
    env = dict(os.environ, CLIENTS_JS_LIMIT_MS=str(int(limit * 1000)),
               KAFKAJS_NO_PARTITIONER_WARNING="1")
    try:
        try:
            p = subprocess.run([NODE, SCRIPT, b.bootstrap], cwd=JS_DIR, env=env,
                               stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=limit + timeout(10))
        except subprocess.TimeoutExpired as e:
            raise AssertionError("clients.js hung\n%s\n%s" % (
                (e.stdout or b"").decode(errors="replace")[-3000:],
                (e.stderr or b"").decode(errors="replace")[-3000:]))
        out = p.stdout.decode(errors="replace")
        err = p.stderr.decode(errors="replace")
        checks = [l for l in out.splitlines() if l.startswith("ok ")]
        if p.returncode != 0:
            raise AssertionError("clients.js exited %d after %d checks\n--- stdout\n%s\n"
                                 "--- stderr\n%s" % (p.returncode, len(checks), out[-3000:],
                                                     err[-3000:]))
        assert "clients.js: all checks passed" in out, out[-2000:]
        assert len(checks) >= 27, "only %d checks ran:\n%s" % (len(checks), out)
        print("# clients.js: %d checks" % len(checks), flush=True)
        for topic, codec in STORED.items():
            for part in range(NPART):
                segs = sorted(glob.glob(os.path.join(b.data_dir, "%s-%d" % (topic, part),
                                                     "*.log")))
                assert segs, "no segment for %s-%d" % (topic, part)
                got = batch_codecs(segs[0])
                assert got and set(got) == {codec}, "%s-%d stored codecs %r, sent %d" % (
                    topic, part, got, codec)
        assert not glob.glob(os.path.join(b.data_dir, "bad name!*")), "bad name created"
        b.stop()
    finally:
        b.close()


if __name__ == "__main__":
    run_tests(globals())
