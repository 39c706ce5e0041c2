#!/usr/bin/python3
"""Loading idempotent-producer state off the event loop.

After a crash (SIGKILL: no snapshot newer than the data) the first
idempotent Produce to a partition makes the broker read every batch
header since the log start to learn its producers.  With many batches
that runs on the worker pool: until it is done the partition answers
NOT_LEADER_OR_FOLLOWER (6), which clients retry; then a duplicate is still
answered with its original offsets, and a real client (confluent-kafka,
idempotent) gets every message through without noticing more than a
retry.
"""

import time

from sluice_test import Broker, require_module, run_tests, timeout
import kafka_wire as w

ck = require_module("confluent_kafka")

TOPIC = "loads"
BATCHES = 60
PER_BATCH = 100  # 6,000 offsets: more than the broker reads on its loop


def init_producer_id(c):
    r = w.Reader(c.request(22, 0, w.string(None) + w.i32(60000)))
    r.i32()
    err, pid = r.i16(), r.i64()
    assert err == 0, err
    return pid


def idem_batch(pid, seq, n):
    recs = [(None, b"v%d" % (seq + i), []) for i in range(n)]
    return w.record_batch(recs, producer_id=pid, producer_epoch=0, base_sequence=seq)


def test_state_loaded_on_a_worker_after_a_crash():
    b = Broker({"num.partitions": 1}, name="prodload")
    try:
        with w.Conn("127.0.0.1", b.port, timeout=timeout(20)) as c:
            c.metadata([TOPIC])
            pid = init_producer_id(c)
            for i in range(BATCHES):
                p = c.produce({TOPIC: {0: idem_batch(pid, i * PER_BATCH, PER_BATCH)}},
                              acks=-1)[TOPIC][0]
                assert p["error"] == 0 and p["base_offset"] == i * PER_BATCH, p
        b.kill()
        b.start()

        last = idem_batch(pid, (BATCHES - 1) * PER_BATCH, PER_BATCH)
        answers = []
        deadline = time.monotonic() + timeout(30)
        with w.Conn("127.0.0.1", b.port, timeout=timeout(20)) as c:
            while time.monotonic() < deadline:
                p = c.produce({TOPIC: {0: last}}, acks=-1)[TOPIC][0]
                answers.append(p["error"])
                if p["error"] != 6:
                    break
                time.sleep(0.01)
        assert answers[0] == 6, "the first check must not wait for the load: %s" % answers
        assert answers[-1] == 0 and p["base_offset"] == (BATCHES - 1) * PER_BATCH, (answers, p)
        assert b.log_contains(r"producer state from the log \(on a worker\): %d batch headers"
                              % BATCHES), b.tail()

        # A real idempotent client after another crash: it retries through
        # the load and every message lands once.
        b.kill()
        b.start()
        prod = ck.Producer({"bootstrap.servers": b.bootstrap, "enable.idempotence": True,
                            "acks": "all", "linger.ms": 5})
        acked = []
        for i in range(200):
            prod.produce(TOPIC, b"c%d" % i, partition=0,
                         on_delivery=lambda err, m: acked.append(err))
        assert prod.flush(timeout(30)) == 0
        assert len(acked) == 200 and all(e is None for e in acked), acked[:5]
        with w.Conn("127.0.0.1", b.port) as c:
            lo = c.list_offsets({TOPIC: {0: -1}})[TOPIC][0]
        assert lo["offset"] == BATCHES * PER_BATCH + 200, lo
    finally:
        b.close()


run_tests(globals())
