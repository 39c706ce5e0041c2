#!/usr/bin/python3
"""sluice-batch lag against sluiced: committed offset, log end, lag and the
age of the newest record per partition; --max-lag and --max-staleness exit
6, 7 or 8 (both) when exceeded and 0 within limits; a group with no
committed offsets lists its topics' full lag.
"""

import os
import subprocess
import time

from sluice_test import Broker, require_module, run_tests, sluiced_path, timeout

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

B = None


def bk():
    global B
    if B is None:
        B = Broker({"num.partitions": 2, "group.initial.rebalance.delay.ms": 0}, name="lag")
    return B.bootstrap


def sb(*args, cwd=None):
    r = subprocess.run([SB] + [str(a) for a in args], capture_output=True,
                       timeout=timeout(120), cwd=cwd or B.root)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def rows(out, topic):
    return [l.split() for l in out.splitlines() if l.startswith(topic + " ")]


def produce(topic, n, ts):
    p = KafkaProducer(bootstrap_servers=bk(), acks="all")
    for i in range(n):
        p.send(topic, value=b"x%d" % i, partition=i % 2, timestamp_ms=ts)
    p.flush()
    p.close()


def test_lag_and_thresholds():
    now = int(time.time() * 1000)
    produce("fresh", 20, now)            # 10 per partition, just now
    produce("old", 20, now - 7_200_000)  # two hours old
    for topic in ("fresh", "old"):
        rc, out, err = sb("export", "--bootstrap", bk(), "--topic", topic, "--group", "gl",
                          "--from", "earliest", "--to", "4", "--format", "jsonl", "--out",
                          os.path.join(B.root, "x-" + topic))
        assert rc == 0, err
    rc, out, err = sb("lag", "--bootstrap", bk(), "--group", "gl")
    assert rc == 0, err
    for topic in ("fresh", "old"):
        r = rows(out, topic)
        assert [x[:5] for x in r] == [[topic, "0", "4", "10", "6"], [topic, "1", "4", "10", "6"]], r
    assert "total lag 24" in out, out
    assert rows(out, "old")[0][5].endswith("h"), out  # about 2.0h
    ok = ["lag", "--bootstrap", bk(), "--group", "gl", "--topic", "fresh"]
    assert sb(*ok)[0] == 0
    assert sb(*(ok + ["--max-lag", "6", "--max-staleness", "1h"]))[0] == 0
    rc, out, err = sb(*(ok + ["--max-lag", "5"]))
    assert rc == 6 and "above --max-lag" in out, (rc, out)
    old = ["lag", "--bootstrap", bk(), "--group", "gl", "--topic", "old"]
    rc, out, err = sb(*(old + ["--max-staleness", "1h"]))
    assert rc == 7 and "staler" in out, (rc, out)
    rc, out, err = sb(*(old + ["--max-staleness", "3h"]))
    assert rc == 0, (rc, out)
    rc, out, err = sb(*(old + ["--max-staleness", "30m", "--max-lag", "0"]))
    assert rc == 8, (rc, out)


def test_no_commits_and_empty_topic():
    bk()
    produce("nocommit", 6, int(time.time() * 1000))
    rc, out, err = sb("lag", "--bootstrap", bk(), "--group", "nobody", "--topic", "nocommit")
    assert rc == 0, err
    assert [x[:5] for x in rows(out, "nocommit")] == [["nocommit", "0", "-", "3", "3"],
                                                       ["nocommit", "1", "-", "3", "3"]], out
    rc, out, err = sb("lag", "--bootstrap", bk(), "--group", "nobody", "--topic", "missing",
                      "--max-staleness", "1m")
    assert rc == 1, (rc, out, err)
    rc, out, err = sb("lag", "--bootstrap", bk())
    assert rc == 2


if __name__ == "__main__":
    run_tests(globals())
