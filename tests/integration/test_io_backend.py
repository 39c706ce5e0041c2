#!/usr/bin/env python3
"""io.backend: io_uring, or the epoll fallback where io_uring is refused.

Containers' seccomp profiles (Docker 25+, Kubernetes RuntimeDefault) make
io_uring_setup fail with EPERM; tests/helpers/no_io_uring does the same to
the command it runs.  Under it sluiced must warn once and serve on epoll,
and io.backend=io_uring must refuse to start with a clear error.  On epoll,
acks=all still waits for fdatasync, and group commit still batches the
syncs of concurrent producers (counted with strace).
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from sluice_test import Broker, SkipTest, require_module, run_tests, sluiced_cmd, sluiced_path, \
    timeout

ck = require_module("confluent_kafka")

FALLBACK_WARN = re.compile(r"WARN\s+broker: io_uring setup failed: Operation not permitted: "
                           r"running on epoll")


def no_io_uring():
    p = os.environ.get("SLUICE_TEST_WRAPPER") or os.path.join(
        os.path.dirname(os.path.dirname(sluiced_path())), "tests", "no_io_uring")
    if not os.path.exists(p):
        raise SkipTest("tests/helpers/no_io_uring not built at %s" % p)
    return p


class PrefixedBroker(Broker):
    """A Broker whose command runs under `prefix` (a launcher, strace)."""

    def __init__(self, prefix, **kw):
        self.prefix = list(prefix)
        super().__init__(**kw)

    def command(self):
        return self.prefix + super().command()


def run_sluiced(args, wait=20):
    d = tempfile.mkdtemp(prefix="sluice-it-iobackend-")
    try:
        return subprocess.run(args + ["--override", "listeners=PLAINTEXT://127.0.0.1:0",
                                      "--override", "log.dirs=%s" % os.path.join(d, "data")],
                              stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout(wait))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def produce_and_consume(bootstrap, topic, n):
    p = ck.Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5})
    errs = []
    for i in range(n):
        p.produce(topic, value=b"v%d" % i + b"x" * 1000,
                  on_delivery=lambda e, m: e and errs.append(e))
    assert p.flush(timeout(30)) == 0, "messages left unacknowledged"
    assert not errs, errs
    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": "g-" + topic,
                     "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    got = []
    try:
        end = time.monotonic() + timeout(30)
        while len(got) < n and time.monotonic() < end:
            m = c.poll(0.5)
            if m is not None and not m.error():
                got.append(m.value())
    finally:
        c.close()
    assert [g[:8].split(b"x")[0] for g in got] == [b"v%d" % i for i in range(n)], got[:3]


def serves_on_epoll(b, topic, n):
    """b says it runs on epoll, keeps n acks=all records, stops cleanly.
    (run_tests closes a broker left running by a failed assertion.)"""
    try:
        assert b.log_contains(r"topics, on epoll$"), b.tail()
        produce_and_consume(b.bootstrap, topic, n)
        b.stop()
    finally:
        b.close()


def test_seccomp_refusal_falls_back_to_epoll_with_one_warning():
    b = PrefixedBroker([no_io_uring()])
    warns = b.log_contains(FALLBACK_WARN.pattern)
    assert len(warns) == 1, "expected one fallback WARN, got %r" % warns
    assert "io.backend=epoll" in warns[0], warns[0]
    serves_on_epoll(b, "fallback", 200)


def test_io_uring_required_refuses_to_start_under_seccomp():
    r = run_sluiced([no_io_uring()] + sluiced_cmd() + ["--override", "io.backend=io_uring"])
    err = r.stderr.decode(errors="replace")
    assert r.returncode == 1, "exit %d, expected 1: %s" % (r.returncode, err)
    assert "cannot start: io_uring setup failed: Operation not permitted" in err, err
    assert "io.backend=io_uring" in err, err
    assert "listening on" not in err, err


def test_epoll_asked_for_needs_no_warning():
    b = Broker({"io.backend": "epoll"})
    assert not b.log_contains(r"WARN"), b.tail()
    serves_on_epoll(b, "asked", 50)


def test_auto_runs_on_io_uring_where_allowed():
    if os.environ.get("SLUICE_TEST_WRAPPER"):
        raise SkipTest("this run refuses io_uring to every broker")
    b = Broker()
    try:
        if b.log_contains(FALLBACK_WARN.pattern):
            raise SkipTest("this machine refuses io_uring")
        assert b.log_contains(r"topics, on io_uring$"), b.tail()
        assert not b.log_contains(r"WARN"), b.tail()
        b.stop()
    finally:
        b.close()


def test_bad_io_backend_is_refused():
    r = run_sluiced(sluiced_cmd() + ["--override", "io.backend=kqueue"])
    err = r.stderr.decode(errors="replace")
    assert r.returncode == 2, "exit %d: %s" % (r.returncode, err)
    assert "io.backend" in err and "kqueue" in err, err


def test_group_commit_batches_fdatasync_on_epoll():
    """Eight producers, each waiting for every acks=all message before the
    next (one Produce request per message): on epoll the syncs still run
    on the file workers once per dirty log per loop turn, so there are far
    fewer fdatasync calls than acknowledged requests."""
    strace = shutil.which("strace")
    if not strace:
        raise SkipTest("strace not installed")
    producers, per = 8, 60
    trace = tempfile.mktemp(prefix="sluice-it-strace-")
    b = Broker({"io.backend": "epoll"})
    tracer = None
    try:
        produce_and_consume(b.bootstrap, "gc", 1)  # the topic, and its first syncs
        # Attached to the running broker (every thread: -f), so that the
        # broker's own stop is not strace's.
        tracer = subprocess.Popen([strace, "-f", "-qq", "-e", "trace=fdatasync", "-o", trace,
                                   "-p", str(b.proc.pid)], stdin=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        time.sleep(timeout(2))
        errs = []

        def one_producer(k):
            p = ck.Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "linger.ms": 0})
            for i in range(per):
                p.produce("gc", value=b"p%d-%d" % (k, i),
                          on_delivery=lambda e, m: e and errs.append(e))
                if p.flush(timeout(30)) != 0:
                    errs.append("unacknowledged")
                    return

        ts = [threading.Thread(target=one_producer, args=(k,)) for k in range(producers)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(timeout(120))
        assert not errs, errs[:3]
        tracer.send_signal(signal.SIGINT)  # detach
        tracer.wait(timeout(30))
        tracer = None
        syncs = count_fdatasync(trace)
        acks = producers * per
        print("%d acks=all requests, %d fdatasync calls" % (acks, syncs), flush=True)
        assert syncs > 0, "acks=all was answered without any fdatasync"
        assert syncs <= acks * 0.6, "%d fdatasyncs for %d requests: no batching" % (syncs, acks)
        b.stop()
    finally:
        if tracer:
            tracer.kill()
            tracer.wait()
        b.close()
        if os.path.exists(trace):
            os.unlink(trace)


def count_fdatasync(path):
    try:
        with open(path, errors="replace") as f:
            return sum(1 for line in f if "fdatasync(" in line and "= 0" in line)
    except FileNotFoundError:
        return 0


if __name__ == "__main__":
    run_tests(globals())
