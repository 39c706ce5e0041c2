#!/usr/bin/python3
"""One broker per data directory: <log.dirs>/.lock, held with flock.

Two brokers on one log.dirs used to both start, and an acks=all record
produced through the second was lost after a restart.  Now the second
exits 1 naming the directory and the pid of the broker that holds it
(a plain start and an --ephemeral one with log.dirs set alike); the
first keeps serving.  The lock goes with the process: after a clean stop
and after SIGKILL a new broker starts on the directory at once.
"""

import os
import subprocess

from sluice_test import Broker, run_tests, sluiced_path, timeout
import kafka_wire as w


def second_broker(data_dir, *extra):
    """Start another sluiced on data_dir; (exit status, output)."""
    args = [sluiced_path()] + list(extra) + [
        "--override", "listeners=PLAINTEXT://127.0.0.1:0",
        "--override", "log.dirs=%s" % data_dir]
    p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout(30))
    return p.returncode, p.stdout.decode("utf-8", "replace")


def produce_acks_all(b, topic, value):
    with w.Conn("127.0.0.1", b.port) as c:
        c.metadata([topic])
        resp = c.produce({topic: {0: w.record_batch([(None, value, [])])}}, acks=-1)
    assert resp[topic][0]["error"] == 0, resp


def fetch_values(b, topic):
    with w.Conn("127.0.0.1", b.port) as c:
        c.metadata([topic])
        resp = c.fetch({topic: {0: (0, 1 << 20)}})
    return [r.value for bt in w.parse_record_batches(resp[topic][0]["records"])
            for r in bt.records]


def check_refused(rc, out, data_dir, pid):
    assert rc == 1, "second broker exited %r, expected 1:\n%s" % (rc, out[-2000:])
    assert data_dir in out and ("pid %d" % pid) in out, \
        "the refusal does not name %s and pid %d:\n%s" % (data_dir, pid, out[-2000:])
    assert "listening on" not in out, out[-2000:]


def test_second_broker_refused():
    a = Broker(name="lock-a")
    rc, out = second_broker(a.data_dir)
    check_refused(rc, out, a.data_dir, a.proc.pid)
    # The first broker keeps the directory, and what it acknowledged stays.
    produce_acks_all(a, "locked", b"kept")
    a.restart()
    assert fetch_values(a, "locked") == [b"kept"]
    a.close()


def test_ephemeral_with_log_dirs_refused():
    a = Broker(name="lock-eph")
    rc, out = second_broker(a.data_dir, "--ephemeral")
    check_refused(rc, out, a.data_dir, a.proc.pid)
    # The refused --ephemeral broker must not remove a directory it was given.
    assert os.path.exists(os.path.join(a.data_dir, "meta.properties"))
    a.close()


def test_lock_released_at_stop_and_kill():
    a = Broker(name="lock-life")
    lock = os.path.join(a.data_dir, ".lock")
    with open(lock) as f:
        assert f.read().strip() == str(a.proc.pid)
    a.stop()
    a.start()  # after a clean stop
    produce_acks_all(a, "life", b"before-kill")
    a.kill()
    a.start()  # after SIGKILL: the lock died with the process
    with open(lock) as f:
        assert f.read().strip() == str(a.proc.pid)
    assert fetch_values(a, "life") == [b"before-kill"]
    a.close()


if __name__ == "__main__":
    run_tests(globals())
