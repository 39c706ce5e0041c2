#!/usr/bin/python3
"""sluiced --ephemeral --ready-file: the test broker for other projects' CI.

Started as a user's CI script would (no harness settings): it must listen
on 127.0.0.1 on a free port, write HOST:PORT to the ready file, serve
confluent-kafka (produce, a consumer group that gets its partitions at
once: group.initial.rebalance.delay.ms=0), and on SIGTERM exit 0 and leave
nothing behind (its directory and the ready file removed).  With
log.dirs set it keeps that directory.  Prints how long it took to be
ready.
"""

import datetime
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from sluice_test import require_module, run_tests, sluiced_cmd, timeout, wait_until

require_module("confluent_kafka")
from confluent_kafka import Consumer, Producer  # noqa: E402

WORK = tempfile.mkdtemp(prefix="sluice-it-ephemeral-")


def start(*extra):
    ready = os.path.join(WORK, "ready-%d" % time.monotonic_ns())
    env = dict(os.environ, TMPDIR=WORK)
    log = open(os.path.join(WORK, "broker-%d.log" % time.monotonic_ns()), "w+")
    t0 = time.monotonic()
    p = subprocess.Popen(sluiced_cmd() + ["--ephemeral", "--ready-file", ready] + list(extra),
                         stdout=log, stderr=subprocess.STDOUT, env=env)
    wait_until(lambda: os.path.exists(ready) or p.poll() is not None, 10, "the ready file",
               interval=0.001)
    ms = (time.monotonic() - t0) * 1000
    assert p.poll() is None, "sluiced exited %r" % p.returncode
    with open(ready) as f:
        addr = f.read()
    assert addr.endswith("\n") and addr.startswith("127.0.0.1:"), repr(addr)
    return p, ready, addr.strip(), ms, log


def stop(p, log):
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout(15))
    log.seek(0)
    text = log.read()
    log.close()
    assert rc == 0, "exit %d:\n%s" % (rc, text[-2000:])
    assert " ERROR " not in text and "runtime error" not in text and "Sanitizer" not in text, \
        text[-2000:]
    return text


def stamp(text, pattern):
    """The time of the first log line matching pattern, or None."""
    for line in text.splitlines():
        if re.search(pattern, line):
            return datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
    return None


def data_dirs():
    return sorted(d for d in os.listdir(WORK) if d.startswith("sluiced-"))


def test_ephemeral_serves_and_leaves_nothing():
    p, ready, addr, ms, log = start()
    try:
        dirs = data_dirs()
        assert len(dirs) == 1, dirs
        print("# --ephemeral ready in %.1f ms at %s (data in %s)" % (ms, addr, dirs[0]),
              flush=True)
        prod = Producer({"bootstrap.servers": addr})
        for i in range(100):
            prod.produce("eph", value=b"v%d" % i, key=b"k%d" % (i % 4))
        assert prod.flush(timeout(15)) == 0
        t0 = time.monotonic()
        c = Consumer({"bootstrap.servers": addr, "group.id": "eph-g",
                      "auto.offset.reset": "earliest", "enable.partition.eof": False})
        c.subscribe(["eph"])
        got = []
        deadline = time.monotonic() + timeout(20)
        while len(got) < 100 and time.monotonic() < deadline:
            m = c.poll(0.2)
            if m is not None and m.error() is None:
                got.append(m.value())
        c.close()
        assert sorted(got) == sorted(b"v%d" % i for i in range(100)), len(got)
    finally:
        text = stop(p, log)
    # No 3 s initial rebalance delay: by the broker's own clock the group's
    # first generation follows the first join at once.
    joined = stamp(text, r"group eph-g: member \S+ joined")
    gen = stamp(text, r"group eph-g: generation 1 with")
    assert joined and gen, text[-2000:]
    assert (gen - joined).total_seconds() < 1.5, "first join %s, generation 1 %s" % (
        joined, gen)
    assert not os.path.exists(ready), "the ready file outlived the broker"
    assert data_dirs() == [], "the ephemeral directory was kept: %r" % data_dirs()


def test_log_dirs_given_is_kept():
    keep = os.path.join(WORK, "kept")
    p, ready, addr, ms, log = start("--override", "log.dirs=" + keep)
    try:
        prod = Producer({"bootstrap.servers": addr})
        prod.produce("kept-topic", value=b"x")
        assert prod.flush(timeout(15)) == 0
    finally:
        stop(p, log)
    assert os.path.isdir(os.path.join(keep, "kept-topic-0")), os.listdir(keep)
    assert data_dirs() == []


def test_ready_file_needs_a_path():
    r = subprocess.run(sluiced_cmd() + ["--ephemeral", "--ready-file"], capture_output=True,
                       timeout=timeout(10))
    assert r.returncode == 2 and b"--ready-file needs a path" in r.stderr, r


def test_cleanup():
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    run_tests(globals())
