#!/usr/bin/python3
"""A full disk under load: several partitions at the default index size.

A 4 MiB tmpfs holds log.dirs; two topics of three partitions each keep the
default segment.index.bytes (10 MiB, sparse files far larger than the
disk).  Three raw producers (acks=all), an idempotent confluent-kafka
producer and a confluent-kafka consumer group that commits its offsets
run until the disk is full.  Checked:

- the broker survives (before the fix one produce to a second partition
  ended it with SIGBUS: the index entry was stored through a map of a
  sparse file the filesystem could not back);
- a partition that cannot write answers KAFKA_STORAGE_ERROR (56), never
  another error;
- while the disk is full, every acknowledged record reads back (Fetch,
  ListOffsets) and the consumer group keeps consuming; creating a topic
  answers an error and leaves no directory behind;
- after the tmpfs grows (mount -o remount,size=), produce works again on
  every partition without a restart, at exactly the offset after the last
  acknowledged record (the unacknowledged tail was cut), the idempotent
  producer delivers again, and the group commits again;
- every acknowledged record is still there after a restart.

Skipped (77) without root or when a tmpfs cannot be mounted.
"""

import os
import random
import subprocess
import threading
import time

from sluice_test import Broker, require_module, run_tests, timeout, wait_until
import kafka_wire as w
from tmpfs import mount_tmpfs, umount

require_module("confluent_kafka")
import confluent_kafka  # noqa: E402

ERR_STORAGE = 56
TOPICS = ("df-a", "df-b")
NPART = 3
VALUE = 2000


def conn(b, secs=15):
    return w.Conn("127.0.0.1", b.port, timeout=timeout(secs))


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def create_topics(b):
    deadline = time.monotonic() + timeout(20)
    with conn(b) as c:
        while True:
            md = c.metadata(list(TOPICS))
            if all(t["error"] == 0 and len(t["partitions"]) == NPART for t in md["topics"]):
                return
            assert time.monotonic() < deadline, "topics not ready: %r" % md
            time.sleep(0.1)


def produce(c, topic, part, values, nbatch=1):
    """values in nbatch batches of one Produce (acks=all)."""
    k = (len(values) + nbatch - 1) // nbatch
    data = b"".join(w.record_batch([(None, v, []) for v in values[i:i + k]])
                    for i in range(0, len(values), k))
    return c.produce({topic: {part: data}}, acks=-1)[topic][part]


def read_all(c, topic, part, end):
    """Every record of [0, end) by raw Fetch: {offset: value}."""
    out = {}
    off = 0
    deadline = time.monotonic() + timeout(30)
    while off < end:
        p = c.fetch({topic: {part: (off, 1 << 20)}})[topic][part]
        assert p["error"] == 0, "fetch %s-%d at %d: %r" % (topic, part, off, p)
        got = False
        for bt in w.parse_record_batches(p["records"] or b""):
            for r in bt.records:
                if r.offset >= off:
                    out[r.offset] = r.value
                    off = r.offset + 1
                    got = True
        if not got:
            assert time.monotonic() < deadline, "no progress on %s-%d at %d of %d" % (
                topic, part, off, end)
            time.sleep(0.05)
    return out


def end_offset(c, topic, part):
    p = c.list_offsets({topic: {part: -1}})[topic][part]
    assert p["error"] == 0, "ListOffsets %s-%d: %r" % (topic, part, p)
    return p["offset"]


class Load:
    """The producers and the consumer group, with what each saw."""

    def __init__(self, b):
        self.b = b
        self.stop = threading.Event()
        self.targets = [TOPICS[0]]  # what the raw producers write to
        self.lock = threading.Lock()
        self.acked = {}        # (topic, part, offset) -> value: acknowledged
        self.codes = {}        # (topic, part) -> set of produce error codes seen
        self.idem_acked = {}   # (topic, part, offset) -> value (idempotent producer)
        self.idem_errors = []
        self.consumed = {}     # (topic, part, offset) -> value (the group)
        self.commits_ok = self.commits_failed = 0
        self.errors = []
        self.threads = [threading.Thread(target=self.raw_producer, args=(i,), daemon=True)
                        for i in range(3)]
        self.threads.append(threading.Thread(target=self.group_consumer, daemon=True))
        self.idem = confluent_kafka.Producer({
            "bootstrap.servers": b.bootstrap, "enable.idempotence": True, "acks": "all",
            "linger.ms": 5, "message.timeout.ms": int(timeout(60) * 1000)})
        self.idem_n = 0

    def start(self):
        for t in self.threads:
            t.start()

    def join(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout(30))
            assert not t.is_alive(), "a load thread did not stop"
        assert not self.errors, "load thread failed: %s" % self.errors[0]

    def raw_producer(self, k):
        rng = random.Random(k)
        try:
            with conn(self.b) as c:
                n = 0
                while not self.stop.is_set():
                    topic, part = rng.choice(self.targets), rng.randrange(NPART)
                    vals = [b"p%d-%d-%d|" % (k, n, j) + bytes(rng.getrandbits(8)
                                                            for _ in range(VALUE))
                            for j in range(8)]
                    n += 1
                    # Two 8 KB batches: the second one's index entry is
                    # stored while the first one's write is in flight.
                    p = produce(c, topic, part, vals, nbatch=2)
                    with self.lock:
                        self.codes.setdefault((topic, part), set()).add(p["error"])
                        if p["error"] == 0:
                            for j, v in enumerate(vals):
                                self.acked[(topic, part, p["base_offset"] + j)] = v
                    if p["error"]:
                        time.sleep(0.02)
        except Exception as e:  # noqa: B902 - reported by join()
            self.errors.append("producer %d: %r" % (k, e))

    def idem_send(self, count, tag):
        def report(err, msg):
            with self.lock:
                if err is None:
                    key = (msg.topic(), msg.partition(), msg.offset())
                    self.idem_acked[key] = msg.value()
                else:
                    self.idem_errors.append(err)
        for _ in range(count):
            self.idem_n += 1
            v = b"idem-%s-%d|" % (tag, self.idem_n) + b"x" * VALUE
            self.idem.produce(TOPICS[1], value=v, partition=self.idem_n % NPART,
                              on_delivery=report)
            self.idem.poll(0)

    def on_commit(self, err, partitions):
        with self.lock:
            if err is None and not any(p.error for p in partitions):
                self.commits_ok += 1
            else:
                self.commits_failed += 1

    def group_consumer(self):
        # Asynchronous commits: a commit the full disk refuses must not
        # hold up reading.
        c = confluent_kafka.Consumer({
            "bootstrap.servers": self.b.bootstrap, "group.id": "df-group",
            "auto.offset.reset": "earliest", "enable.auto.commit": False,
            # Short: a member that lost its coordinator may leave without
            # a LeaveGroup, and the next join waits for its session.
            "session.timeout.ms": 6000, "heartbeat.interval.ms": 1000,
            "on_commit": self.on_commit})
        try:
            c.subscribe([TOPICS[0]])
            n = 0
            while not self.stop.is_set():
                m = c.poll(0.2)
                if m is None or m.error():
                    continue
                with self.lock:
                    self.consumed[(m.topic(), m.partition(), m.offset())] = m.value()
                n += 1
                if n % 50 == 0:
                    c.commit(asynchronous=True)
        except Exception as e:  # noqa: B902 - reported by join()
            self.errors.append("consumer: %r" % e)
        finally:
            c.close()


def check_acked(b, acked, what, topics=TOPICS, nparts=NPART):
    """Every acknowledged record reads back; returns the end offsets."""
    ends = {}
    with conn(b, 30) as c:
        for topic in topics:
            for part in range(nparts):
                ends[(topic, part)] = end = end_offset(c, topic, part)
                mine = {o: v for (t, p, o), v in acked.items() if t == topic and p == part}
                if not mine:
                    continue
                assert max(mine) < end, "%s: %s-%d ends at %d, acknowledged %d" % (
                    what, topic, part, end, max(mine))
                got = read_all(c, topic, part, end)
                lost = [o for o in mine if got.get(o) != mine[o]]
                assert not lost, "%s: %d acknowledged records of %s-%d lost, first %d" % (
                    what, len(lost), topic, part, min(lost))
    return ends


def produce_until_room(c, topic, part, value, ends):
    """Produce one record until the partition takes it (it comes back once
    the disk has room); it must land right after the acknowledged ones."""
    deadline = time.monotonic() + timeout(20)
    while True:
        p = produce(c, topic, part, [value])
        if p["error"] == 0:
            break
        assert p["error"] == ERR_STORAGE and time.monotonic() < deadline, (
            "%s-%d does not take writes again: %r" % (topic, part, p))
        time.sleep(0.2)
    assert p["base_offset"] == ends[(topic, part)], (
        "%s-%d: appended at %d, the log ended at %d" % (
            topic, part, p["base_offset"], ends[(topic, part)]))
    return p["base_offset"]


def test_disk_full_several_partitions_default_index():
    mnt = mount_tmpfs("4m")
    b = None
    try:
        data = os.path.join(mnt, "data")
        b = Broker(overrides={"num.partitions": NPART, "log.dirs": data,
                              "log.segment.bytes": 262144})
        create_topics(b)
        load = Load(b)
        load.start()
        # df-a fills the disk first; then every partition is written, so
        # df-b gets its first index entries on a full disk (the finding).
        def full(topics):
            b.assert_alive()
            with load.lock:
                seen = [k for k, v in load.codes.items() if ERR_STORAGE in v]
            return free_bytes(mnt) < 64 * 1024 and all(
                any(k == (t, p) for k in seen) for t in topics for p in range(NPART))
        wait_until(lambda: full(TOPICS[:1]), 60, "df-a to fill the 4 MiB disk", interval=0.2)
        load.targets = list(TOPICS)
        load.idem_send(40, b"full")
        wait_until(lambda: full(TOPICS), 30, "every partition to meet the full disk",
                   interval=0.2)
        b.assert_alive()
        with load.lock:
            codes = {k: set(v) for k, v in load.codes.items()}
        bad = {k: v for k, v in codes.items() if v - {0, ERR_STORAGE}}
        assert not bad, "produce errors other than 56: %r" % bad
        failed = sorted(k for k, v in codes.items() if ERR_STORAGE in v)
        print("# full: %d acked, partitions with 56: %s, %d bytes free" % (
            len(load.acked), failed, free_bytes(mnt)), flush=True)

        # Creating a topic fails cleanly and leaves nothing behind.
        with conn(b) as c:
            t = c.metadata(["df-new"])["topics"][0]
        assert t["error"] != 0 and not t["partitions"], "auto-created on a full disk: %r" % t
        left = [d for d in os.listdir(data) if d.startswith("df-new")]
        assert not left, "a failed topic creation left %r" % left

        # Reads work everywhere while the disk is full.
        with load.lock:
            acked = dict(load.acked)
        check_acked(b, acked, "disk full")
        want = {k for k in acked if k[0] == TOPICS[0]}

        def group_caught_up():
            with load.lock:
                return want <= set(load.consumed)
        try:
            wait_until(group_caught_up, 30, "the group to read every acknowledged record",
                       interval=0.2)
        except AssertionError:
            raise AssertionError("group read %d of %d acknowledged records of %s while the "
                                 "disk was full; commits %d ok, %d failed" % (
                                     len(want & set(load.consumed)), len(want), TOPICS[0],
                                     load.commits_ok, load.commits_failed))

        # Room again: every partition takes writes at the offset after what
        # was acknowledged, without a restart.
        r = subprocess.run(["mount", "-o", "remount,size=64m", mnt], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=20)
        assert r.returncode == 0, "remount failed: %s" % r.stdout
        load.join()
        load.idem.flush(timeout(30))
        with load.lock:
            acked = dict(load.acked)
            acked.update(load.idem_acked)
        ends = check_acked(b, acked, "after the remount")
        with conn(b) as c:
            for topic in TOPICS:
                for part in range(NPART):
                    v = b"after-%s-%d" % (topic.encode(), part)
                    acked[(topic, part, produce_until_room(c, topic, part, v, ends))] = v
        # The idempotent producer delivers again.
        before = len(load.idem_acked)
        load.idem_send(10, b"after")
        assert load.idem.flush(timeout(30)) == 0, "idempotent producer: messages left"
        assert len(load.idem_acked) >= before + 10, (
            "idempotent producer: %d delivered after the remount, errors %r" % (
                len(load.idem_acked) - before, load.idem_errors[-3:]))
        acked.update(load.idem_acked)

        # The group goes on: a member of it reads on from the committed
        # offsets and commits again.
        c = confluent_kafka.Consumer({"bootstrap.servers": b.bootstrap,
                                      "group.id": "df-group", "enable.auto.commit": False,
                                      "auto.offset.reset": "earliest"})
        try:
            c.subscribe([TOPICS[0]])
            deadline = time.monotonic() + timeout(30)
            m = None
            while m is None or m.error():
                assert time.monotonic() < deadline, "the group reads nothing after the remount"
                m = c.poll(0.5)
            done = c.commit(message=m, asynchronous=False)
            assert done and not any(p.error for p in done), done
            tp = confluent_kafka.TopicPartition(m.topic(), m.partition())
            got = c.committed([tp], timeout=timeout(10))
            assert got[0].offset == m.offset() + 1, (got, m.offset())
        finally:
            c.close()
        print("# recovered: commits %d ok, %d failed; idempotent %d acked, %d errors" % (
            load.commits_ok, load.commits_failed, len(load.idem_acked),
            len(load.idem_errors)), flush=True)

        # And after a restart.
        b.stop(check_log=False)
        b.start()
        check_acked(b, acked, "after a restart")
        b.stop(check_log=False)
        sanit = [ln for ln in b.lines(all_runs=True) if any(
            s in ln for s in ("AddressSanitizer", "LeakSanitizer", "runtime error"))]
        assert not sanit, "sanitizer reports:\n%s" % "\n".join(sanit[:10])
    finally:
        if b is not None:
            b.close(check=False)  # the full disk legitimately logs ERROR lines
        umount(mnt)


def test_killed_on_a_full_disk():
    """SIGKILL while the disk is full, then start on the full disk: recovery
    (index rebuilt on a tmpfs with no room) must not fault, and every
    acknowledged record is there; after the disk grows, writes go on."""
    mnt = mount_tmpfs("3m")
    b = None
    topics = ("df-k",)
    try:
        data = os.path.join(mnt, "data")
        b = Broker(overrides={"num.partitions": 2, "log.dirs": data,
                              "log.segment.bytes": 262144})
        acked = {}
        rng = random.Random(7)
        with conn(b) as c:
            c.metadata(list(topics))
            wait_until(lambda: all(len(t["partitions"]) == 2 and t["error"] == 0
                                   for t in c.metadata(list(topics))["topics"]), 20,
                       "topic df-k")
            full = set()
            n = 0
            while len(full) < 2:
                part = n % 2
                vals = [b"k%d-%d|" % (n, j) + bytes(rng.getrandbits(8) for _ in range(VALUE))
                        for j in range(8)]
                n += 1
                p = produce(c, topics[0], part, vals, nbatch=2)
                if p["error"] == 0:
                    for j, v in enumerate(vals):
                        acked[(topics[0], part, p["base_offset"] + j)] = v
                else:
                    assert p["error"] == ERR_STORAGE, p
                    full.add(part)
                assert n < 5000, "the 3 MiB disk never filled"
        b._hard_kill()  # SIGKILL; kill() would also insist on a log without errors
        b.start()  # still full
        ends = check_acked(b, acked, "restarted on a full disk", topics, 2)
        r = subprocess.run(["mount", "-o", "remount,size=64m", mnt], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=20)
        assert r.returncode == 0, "remount failed: %s" % r.stdout
        with conn(b) as c:
            for part in range(2):
                v = b"after-%d" % part
                acked[(topics[0], part, produce_until_room(c, topics[0], part, v, ends))] = v
        b.stop(check_log=False)
        b.start()
        check_acked(b, acked, "after a restart", topics, 2)
        print("# killed on a full disk: %d acked, all read back" % len(acked), flush=True)
    finally:
        if b is not None:
            b.close(check=False)
        umount(mnt)


if __name__ == "__main__":
    run_tests(globals())
