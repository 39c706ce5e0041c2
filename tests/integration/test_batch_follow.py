#!/usr/bin/python3
"""sluice-batch export --follow against sluiced.

Records with event times in 10 s windows (one record arriving late for a
window already closed) go through --follow --every 10s
--allowed-lateness 5s: each window's files appear in DIR/<start>/ when the
watermark passes its end, the late record goes to DIR/late/ and is
counted, the group's committed offset stops at the first record of the
window still open, and a second run resumes from there without writing a
closed window again.  A second follower of the same group refuses (3).
"""

import atexit
import datetime
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from sluice_test import Broker, require_module, run_tests, sluiced_path, timeout, wait_until

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

WORK = tempfile.mkdtemp(prefix="sluice-it-follow-")
if not os.environ.get("SLUICE_TEST_KEEP"):
    atexit.register(shutil.rmtree, WORK, True)
T0 = 1_700_000_000_000  # a multiple of 10 s
B = None


def bk():
    global B
    if B is None:
        B = Broker({"num.partitions": 1, "group.initial.rebalance.delay.ms": 0}, name="follow")
    return B.bootstrap


def sb(*args, secs=120):
    r = subprocess.run([SB] + [str(a) for a in args], capture_output=True,
                       timeout=timeout(secs), cwd=WORK)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def wname(ms):
    return datetime.datetime.utcfromtimestamp(ms / 1000).strftime("%Y%m%dT%H%M%SZ")


def produce(topic, secs):
    p = KafkaProducer(bootstrap_servers=bk(), acks="all")
    for s in secs:
        p.send(topic, value=b"at %d" % s, partition=0, timestamp_ms=T0 + s * 1000)
    p.flush()
    p.close()


def offsets(path):
    with open(path) as f:
        return [json.loads(l)["offset"] for l in f]


def test_windows_late_records_and_resume():
    # offsets: 0:1s 1:2s (w0) 2:12s (w1) 3:26s (w2: watermark 21 closes w0, w1)
    #          4:3s (late for w0) 5:40s (watermark 35 closes w2) 6:41s (w4 open)
    produce("ev", [1, 2, 12, 26, 3, 40, 41])
    d = os.path.join(WORK, "out")
    rc, out, err = sb("export", "--bootstrap", bk(), "--topic", "ev", "--group", "gf",
                      "--from", "earliest", "--format", "jsonl", "--out", d, "--follow",
                      "--every", "10s", "--allowed-lateness", "5s", "--max-windows", "3")
    assert rc == 0, err
    assert "3 windows closed" in out and "1 late" in out, out
    assert offsets(os.path.join(d, wname(T0), "ev-0.jsonl")) == [0, 1]
    assert offsets(os.path.join(d, wname(T0 + 10_000), "ev-0.jsonl")) == [2]
    assert offsets(os.path.join(d, wname(T0 + 20_000), "ev-0.jsonl")) == [3]
    late = os.listdir(os.path.join(d, "late"))
    assert late == ["ev-0-4.jsonl"], late
    assert offsets(os.path.join(d, "late", late[0])) == [4]
    assert not os.path.exists(os.path.join(d, wname(T0 + 40_000), "ev-0.jsonl"))
    # Committed: the first offset of the window still open (40 s: offset 5).
    rc, out, err = sb("lag", "--bootstrap", bk(), "--group", "gf", "--topic", "ev")
    row = [l.split() for l in out.splitlines() if l.startswith("ev ")][0]
    assert row[:5] == ["ev", "0", "5", "7", "2"], row
    # More records close the 40 s window; a second run picks up from offset 5
    # and does not write the closed windows again.
    produce("ev", [55, 61])
    before = os.path.getmtime(os.path.join(d, wname(T0), "ev-0.jsonl"))
    rc, out, err = sb("export", "--bootstrap", bk(), "--topic", "ev", "--group", "gf",
                      "--format", "jsonl", "--out", d, "--follow", "--every", "10s",
                      "--allowed-lateness", "5s", "--idle-exit", "2s")
    assert rc == 0, err
    assert offsets(os.path.join(d, wname(T0 + 40_000), "ev-0.jsonl")) == [5, 6]
    # watermark 61 - 5 = 56: the 50 s window stays open
    assert not os.path.exists(os.path.join(d, wname(T0 + 50_000), "ev-0.jsonl"))
    assert not os.path.exists(os.path.join(d, wname(T0 + 30_000)))  # empty, never opened
    assert os.path.getmtime(os.path.join(d, wname(T0), "ev-0.jsonl")) == before
    assert "0 late" in out, out


def test_second_follower_refuses_and_sigterm_stops():
    def args(d):
        return ["export", "--bootstrap", bk(), "--topic", "ev", "--group", "gf2", "--from",
                "earliest", "--format", "jsonl", "--out", os.path.join(WORK, d), "--follow",
                "--every", "10s"]

    first = subprocess.Popen([SB] + args("out2"), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=WORK)
    wait_until(lambda: os.path.exists(os.path.join(WORK, "out2", wname(T0), "ev-0.jsonl")), 60,
               "a first window")
    rc, out, err = sb(*args("out3"))
    assert rc == 3, (rc, out, err)
    first.send_signal(signal.SIGTERM)
    out, err = first.communicate(timeout=timeout(30))
    assert first.returncode == 0, err
    assert b"stopped (interrupted)" in out, out


if __name__ == "__main__":
    run_tests(globals())
