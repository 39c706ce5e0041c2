#!/usr/bin/python3
"""sluice-batch (the C client library in client/) against a broker that is
not sluiced: librdkafka's mock cluster (tests/helpers/mock_cluster.c, on
Debian's librdkafka-dev), and the same scenario against sluiced.

The scenario: load a keyed JSON Lines file into a 3-partition topic (read
back with kcat: every record, each key on one partition), rerun the load
(nothing to do), export the whole topic with a group (every record, once)
and commit, lag for the group (0 everywhere), load more, lag with
--max-lag (exit 6, the lag counted right), and lag without --topic (the
group's topics found: on the mock, which cannot list them with OffsetFetch,
by a Metadata scan).

The mock differs from Kafka in ways the client must ride out: it answers
ApiVersions v3 with UNSUPPORTED_VERSION in a layout of its own, lays out
ListOffsets v4+ differently, answers OffsetFetch for all topics with a null
array, and serves no CreateTopics or DescribeGroups.  Errors name what
failed: a refused connection says so (not "waiting to reconnect"), and an
API the broker does not serve is named with the versions it does offer.
"""

import atexit
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading

from sluice_test import Broker, SkipTest, require_tool, run_tests, sluiced_path, timeout

KCAT = require_tool("kcat")
BUILD = os.path.dirname(os.path.dirname(sluiced_path()))
SB = os.environ.get("SLUICE_BATCH") or os.path.join(BUILD, "client", "sluice-batch")
MOCK = os.environ.get("SLUICE_MOCK_CLUSTER") or os.path.join(BUILD, "tests", "sl_mock_cluster")
for path, what in ((SB, "sluice-batch"), (MOCK, "sl_mock_cluster (needs librdkafka-dev)")):
    if not os.path.exists(path):
        print("SKIP: %s not found at %s" % (what, path), flush=True)
        print("0 passed, 0 failed, 1 skipped", flush=True)
        raise SystemExit(77)

WORK = tempfile.mkdtemp(prefix="sluice-it-compat-")
if not os.environ.get("SLUICE_TEST_KEEP"):
    atexit.register(shutil.rmtree, WORK, True)
MOCKS = []
TOPIC = "compat"
NPART = 3


def _stop_mocks():
    for p in MOCKS:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout(10))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


atexit.register(_stop_mocks)


def mock_cluster(*args):
    """Start a mock cluster; its bootstrap address."""
    p = subprocess.Popen([MOCK] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL)
    MOCKS.append(p)
    line = []
    t = threading.Thread(target=lambda: line.append(p.stdout.readline()), daemon=True)
    t.start()
    t.join(timeout(20))
    if not line or not line[0].strip():
        raise AssertionError("sl_mock_cluster printed no address: %s" % p.stderr.read1(4096))
    return line[0].decode().strip()


def sb(*args, secs=120):
    r = subprocess.run([SB] + [str(a) for a in args], capture_output=True,
                       timeout=timeout(secs), cwd=WORK)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def kcat_all(bootstrap, topic):
    r = subprocess.run([KCAT, "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-J",
                        "-q"], capture_output=True, timeout=timeout(60))
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    return [json.loads(l) for l in r.stdout.split(b"\n") if l.strip()]


def lag_rows(out):
    """TOPIC PARTITION COMMITTED LOG-END LAG rows of `lag` for TOPIC."""
    return {int(f[1]): (int(f[2]) if f[2] != "-" else None, int(f[3]), int(f[4]))
            for f in (l.split() for l in out.splitlines()) if f and f[0] == TOPIC}


def write_records(name, start, n):
    path = os.path.join(WORK, name)
    with open(path, "a") as f:
        for i in range(start, start + n):
            f.write(json.dumps({"id": "k%d" % (i % 40), "n": i}) + "\n")
    return path


def scenario(bootstrap, tag):
    """load, reload, export, lag against one broker (tag keeps files apart)."""
    src = write_records("%s.jsonl" % tag, 0, 300)
    ck = os.path.join(WORK, "%s.ckpt" % tag)
    rc, out, err = sb("load", "--bootstrap", bootstrap, "--topic", TOPIC, "--format", "jsonl",
                      "--key", "id", "--checkpoint", ck, src)
    assert rc == 0, (out, err)
    assert "300 records sent" in out, out
    got = kcat_all(bootstrap, TOPIC)
    assert sorted(json.loads(m["payload"])["n"] for m in got) == list(range(300)), len(got)
    where = {}
    for m in got:
        assert where.setdefault(m["key"], m["partition"]) == m["partition"], m
    assert len(set(where.values())) == NPART, where

    rc, out, err = sb("load", "--bootstrap", bootstrap, "--topic", TOPIC, "--format", "jsonl",
                      "--key", "id", "--checkpoint", ck, src)
    assert rc == 0 and "nothing to do" in out, (out, err)

    outdir = os.path.join(WORK, "%s-out" % tag)
    rc, out, err = sb("export", "--bootstrap", bootstrap, "--topic", TOPIC, "--group", "g-" + tag,
                      "--from", "earliest", "--to", "latest", "--format", "jsonl", "--out", outdir)
    assert rc == 0, (out, err)
    assert "300 records from %d partitions" % NPART in out and "offsets committed" in out, out
    exported = []
    for p in range(NPART):
        with open(os.path.join(outdir, "%s-%d.jsonl" % (TOPIC, p))) as f:
            for line in f:
                rec = json.loads(line)
                assert rec["partition"] == p and where[rec["key"]] == p, rec
                exported.append(json.loads(rec["value"])["n"])
    assert sorted(exported) == list(range(300))

    rc, out, err = sb("lag", "--bootstrap", bootstrap, "--group", "g-" + tag, "--topic", TOPIC)
    assert rc == 0, (out, err)
    rows = lag_rows(out)
    assert sorted(rows) == list(range(NPART)), out
    assert all(c == end and lag == 0 for c, end, lag in rows.values()), out
    assert sum(end for _, end, _ in rows.values()) == 300, out

    write_records("%s.jsonl" % tag, 300, 30)
    rc, out, err = sb("load", "--bootstrap", bootstrap, "--topic", TOPIC, "--format", "jsonl",
                      "--key", "id", "--checkpoint", ck, src)
    assert rc == 0 and "30 records sent" in out, (out, err)
    rc, out, err = sb("lag", "--bootstrap", bootstrap, "--group", "g-" + tag, "--topic", TOPIC,
                      "--max-lag", 5)
    assert rc == 6, (rc, out, err)
    assert sum(lag for _, _, lag in lag_rows(out).values()) == 30, out

    # Without --topic the group's topics are looked up.
    rc, out, err = sb("lag", "--bootstrap", bootstrap, "--group", "g-" + tag)
    assert rc == 0, (out, err)
    assert sorted(lag_rows(out)) == list(range(NPART)), (out, err)


def test_batch_against_librdkafka_mock():
    scenario(mock_cluster("--topic", "%s:%d" % (TOPIC, NPART)), "mock")


def test_batch_against_sluiced():
    b = Broker({"num.partitions": NPART, "group.initial.rebalance.delay.ms": 0}, name="compat")
    scenario(b.bootstrap, "sluiced")
    b.close()


def test_mock_auto_creates_without_create_topics():
    # The mock serves no CreateTopics: --partitions falls back to
    # auto-creation (4 partitions there) and uses partitions 0..1 only.
    boot = mock_cluster()
    src = write_records("auto.jsonl", 0, 50)
    rc, out, err = sb("load", "--bootstrap", boot, "--topic", "auto", "--format", "jsonl",
                      "--partitions", 2, "--checkpoint", os.path.join(WORK, "auto.ckpt"), src)
    assert rc == 0 and "50 records sent" in out, (out, err)
    got = kcat_all(boot, "auto")
    assert len(got) == 50 and {m["partition"] for m in got} == {0, 1}, got


def test_errors_say_what_failed():
    # Nothing listens: the refusal itself, with the address.
    s = __import__("socket").socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    rc, out, err = sb("lag", "--bootstrap", "127.0.0.1:%d" % port, "--group", "g", "--topic", "t",
                      secs=60)
    assert rc == 1, (rc, out, err)
    assert "connect 127.0.0.1:%d: Connection refused" % port in err, err

    # A broker without an API the command needs: which one, and what it offers.
    boot = mock_cluster("--topic", "%s:1" % TOPIC, "--api", "2:0:0")
    rc, out, err = sb("lag", "--bootstrap", boot, "--group", "g", "--topic", TOPIC, secs=60)
    assert rc == 1, (rc, out, err)
    assert "serves ListOffsets v0-0 only; this client needs v1-3" in err, err
    assert boot in err, err

    boot = mock_cluster("--api", "3:-1:-1")
    src = write_records("nometa.jsonl", 0, 5)
    rc, out, err = sb("load", "--bootstrap", boot, "--topic", "t", "--format", "jsonl",
                      "--checkpoint", os.path.join(WORK, "nometa.ckpt"), src, secs=60)
    assert rc == 1, (rc, out, err)
    assert "%s does not serve Metadata" % boot in err, err


if __name__ == "__main__":
    try:
        run_tests(globals())
    finally:
        _stop_mocks()
