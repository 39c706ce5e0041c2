#!/usr/bin/python3
"""The offsets log is compacted while the broker runs, not only at start-up.

confluent-kafka 1.7.0 commits explicit offsets (the assign()-style commit
of a group with no members) for 50 partitions, 30 times: 1,500 records for
50 live entries.  With offsets.retention.check.interval.ms at 300 ms the
broker must rewrite the log with the 50 live entries while it runs;
committed() still answers the last offsets; commits after the rewrite go
to the new log; after a SIGKILL and restart the log replays 50 + the later
records (no compaction needed at start-up) and committed() agrees.
"""

import glob
import os

from sluice_test import Broker, require_module, run_tests, timeout, wait_until

require_module("confluent_kafka")
from confluent_kafka import Consumer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

TOPIC = "cmp-t"
GROUP = "cmp-g"
NPART = 50
ROUNDS = 30


def consumer(b):
    return Consumer({"bootstrap.servers": b.bootstrap, "group.id": GROUP,
                     "enable.auto.commit": False, "broker.address.family": "v4",
                     "socket.timeout.ms": int(timeout(15) * 1000)})


def commit_round(c, r):
    offs = [TopicPartition(TOPIC, p, r * 1000 + p) for p in range(NPART)]
    got = c.commit(offsets=offs, asynchronous=False)
    assert all(tp.error is None for tp in got), [tp.error for tp in got if tp.error][:3]


def check_committed(c, r):
    got = c.committed([TopicPartition(TOPIC, p) for p in range(NPART)], timeout=timeout(15))
    want = {p: r * 1000 + p for p in range(NPART)}
    assert {tp.partition: tp.offset for tp in got} == want, got[:3]


def offsets_log_bytes(b):
    return sum(os.path.getsize(f) for f in
               glob.glob(os.path.join(b.data_dir, "__consumer_offsets", "*.log")))


def test_compaction_while_running():
    b = Broker({"offsets.retention.check.interval.ms": 300}, name="offsets-compaction")
    try:
        a = AdminClient({"bootstrap.servers": b.bootstrap})
        a.create_topics([NewTopic(TOPIC, NPART, 1)])[TOPIC].result(timeout(15))
        c = consumer(b)
        for r in range(ROUNDS):
            commit_round(c, r)
        line = wait_until(lambda: b.log_contains(
            r"compacting the offsets log: (\d+) records, %d live" % NPART), 10,
            "the offsets log to be compacted while the broker runs")
        n = int(line[0].split("compacting the offsets log: ")[1].split()[0])
        assert n >= 1000 and n > 4 * NPART, line
        check_committed(c, ROUNDS - 1)
        small = offsets_log_bytes(b)
        # Commits after the rewrite land in the new log.
        commit_round(c, ROUNDS)
        check_committed(c, ROUNDS)
        assert offsets_log_bytes(b) > small
        c.close()

        b.kill()
        b.start()
        wait_until(lambda: b.log_contains(r"%d committed offsets loaded" % NPART), 10,
                   "the offsets to be loaded")
        assert not b.log_contains(r"compacting the offsets log"), \
            "the rewritten log needed no compaction at start-up"
        c = consumer(b)
        check_committed(c, ROUNDS)
        c.close()
        b.check_log()
    finally:
        b.close()


if __name__ == "__main__":
    run_tests(globals())
