#!/usr/bin/python3
"""A cooperative-sticky consumer whose subscribed topic is deleted
(librdkafka's test 0113, subtest h_delete_topic), with confluent-kafka on
Debian's librdkafka 2.0.2; and the same with the eager range assignor.

Two 1-partition topics, topic.metadata.refresh.interval.ms=3000, one
consumer subscribed to both; once both partitions are assigned the second
topic is deleted.  sluiced answers as Apache Kafka does: Metadata (v4,
auto-creation off) and ListOffsets for the deleted topic give
UNKNOWN_TOPIC_OR_PARTITION, the remaining topic is untouched.  The client
then drops the deleted partition (as lost), the assignment shrinks to the
remaining topic, and the consumer keeps consuming it.  close() sends
LeaveGroup and the broker empties the group.

What close() itself does is the client's business: librdkafka before 2.1.0
never returns from it here ("broker still has N refcnt(s)": a reference
count leak on lost partitions, fixed in 2.1.0, "A reference count issue was
blocking the consumer from closing").  So the test asserts that close()
returns with librdkafka >= 2.1.0 and that it hangs (the known bug, see
docs/protocol.md) with an older one, after the broker's side is done.

The librdkafka work runs in a child process (this file with --client), so
a hang is bounded and killed.
"""

import json
import os
import queue
import subprocess
import sys
import threading
import time

import kafka_wire as kw
from sluice_test import Broker, require_module, run_tests, timeout, wait_until

require_module("confluent_kafka")
require_module("kafka")

T1, T2, GROUP = "del-keep", "del-gone", "del-g"
UNKNOWN_TOPIC_OR_PARTITION = 3
FIXED_IN = (2, 1, 0)  # librdkafka release with the lost-partition refcount fix


# --- client side (child process) ----------------------------------------------------

def say(**kw_):
    print(json.dumps(kw_), flush=True)


def client_main(bootstrap, strategy):
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    common = {"bootstrap.servers": bootstrap, "broker.address.family": "v4"}
    admin = AdminClient(common)
    for f in admin.create_topics([NewTopic(T1, 1, 1), NewTopic(T2, 1, 1)]).values():
        f.result(timeout(20))
    p = Producer(dict(common, acks="all"))
    for t in (T1, T2):
        for i in range(5):
            p.produce(t, b"before-%d" % i)
    assert p.flush(timeout(20)) == 0
    events = []

    def cb(kind):
        return lambda c, parts: events.append([kind, sorted((x.topic, x.partition)
                                                            for x in parts)])

    c = Consumer(dict(common, **{
        "group.id": GROUP, "partition.assignment.strategy": strategy,
        "topic.metadata.refresh.interval.ms": 3000, "auto.offset.reset": "earliest",
        "session.timeout.ms": 6000, "heartbeat.interval.ms": 500, "enable.partition.eof": False}))
    c.subscribe([T1, T2], on_assign=cb("assign"), on_revoke=cb("revoke"), on_lost=cb("lost"))

    def assignment():
        return sorted((x.topic, x.partition) for x in c.assignment())

    deadline = time.monotonic() + timeout(30)
    while len(assignment()) < 2 and time.monotonic() < deadline:
        c.poll(0.2)
    say(event="assigned", assignment=assignment())
    for f in admin.delete_topics([T2]).values():
        f.result(timeout(20))
    say(event="deleted")
    t0 = time.monotonic()
    deadline = t0 + timeout(30)
    while assignment() != [(T1, 0)] and time.monotonic() < deadline:
        c.poll(0.2)
    say(event="shrunk", assignment=assignment(), secs=time.monotonic() - t0, events=events)
    for i in range(3):
        p.produce(T1, b"after-%d" % i)
    assert p.flush(timeout(20)) == 0
    got = []
    deadline = time.monotonic() + timeout(30)
    while len(got) < 3 and time.monotonic() < deadline:
        m = c.poll(0.2)
        if m is not None and not m.error() and m.value().startswith(b"after-"):
            got.append([m.topic(), m.value().decode()])
    say(event="consumed", records=got)
    say(event="closing")
    c.close()
    say(event="closed")


# --- test side ----------------------------------------------------------------------

def librdkafka_version():
    import confluent_kafka
    return tuple(int(x) for x in confluent_kafka.libversion()[0].split(".")[:3])


class Child:
    """The client process; its JSON events, read with deadlines."""

    def __init__(self, bootstrap, strategy):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--client",
                                      bootstrap, strategy], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines = queue.Queue()
        self.log = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def event(self, name, secs):
        deadline = time.monotonic() + timeout(secs)
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                self.lines.put(None)
                break
            self.log.append(line)
            if line.startswith("{") and json.loads(line)["event"] == name:
                return json.loads(line)
        return None

    def output(self):
        return "\n".join(self.log)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def group_state(bootstrap):
    from kafka import KafkaAdminClient
    a = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    try:
        g = a.describe_consumer_groups([GROUP])[0]
        return g.state, len(g.members)
    finally:
        a.close()


def deleted_topic_scenario(strategy):
    b = Broker({"num.partitions": 1, "group.initial.rebalance.delay.ms": 0}, name="deltopic")
    child = Child(b.bootstrap, strategy)
    try:
        ev = child.event("assigned", 60)
        assert ev and ev["assignment"] == sorted([[T1, 0], [T2, 0]]), child.output()
        assert child.event("deleted", 30), child.output()

        # The broker's answers for the deleted topic, as Kafka's.
        with kw.Conn(b.host, b.port, timeout=timeout(10)) as k:
            md = k.metadata([T1, T2], version=4, allow_auto_create=False)
            by = {t["name"]: t for t in md["topics"]}
            assert by[T2]["error"] == UNKNOWN_TOPIC_OR_PARTITION, md
            assert by[T2]["partitions"] == [], md
            assert by[T1]["error"] == 0 and len(by[T1]["partitions"]) == 1, md
            lo = k.list_offsets({T2: {0: -1}})
            assert lo[T2][0]["error"] == UNKNOWN_TOPIC_OR_PARTITION, lo

        ev = child.event("shrunk", 60)
        assert ev and ev["assignment"] == [[T1, 0]], child.output()
        print("# assignment shrank to %s in %.1f s: %s" % (T1, ev["secs"], ev["events"]),
              flush=True)
        gone = [e for e in ev["events"] if e[0] in ("lost", "revoke")]
        if strategy == "cooperative-sticky":
            # Only the deleted partition leaves (librdkafka calls it lost).
            assert gone and all(parts == [[T2, 0]] for _, parts in gone), ev["events"]
        else:
            # Eager: everything is revoked, the remaining topic assigned again.
            assert gone and gone[-1][1] == sorted([[T1, 0], [T2, 0]]), ev["events"]
            assert ev["events"][-1] == ["assign", [[T1, 0]]], ev["events"]
        ev = child.event("consumed", 60)
        assert ev and sorted(v for _, v in ev["records"]) == ["after-0", "after-1", "after-2"], \
            child.output()
        assert all(t == T1 for t, _ in ev["records"]), ev

        assert child.event("closing", 30), child.output()
        # LeaveGroup is answered and the group empties, whatever the client
        # does after it.
        wait_until(lambda: group_state(b.bootstrap) == ("Empty", 0), 30,
                   "group %s Empty after close()" % GROUP, interval=0.5)
        closed = child.event("closed", 15)
        print("# librdkafka %s: close() %s" % (".".join(map(str, librdkafka_version())),
                                               "returned" if closed else "hangs"), flush=True)
        if librdkafka_version() >= FIXED_IN:
            assert closed, "close() did not return:\n" + child.output()
        else:
            assert not closed, (
                "librdkafka %s returned from close(): the known hang (fixed in 2.1.0) did not "
                "show; update docs/protocol.md" % ".".join(map(str, librdkafka_version())))
    finally:
        child.kill()
    b.assert_alive()
    b.close()


def test_cooperative_consumer_survives_deleted_topic():
    deleted_topic_scenario("cooperative-sticky")


def test_eager_consumer_survives_deleted_topic():
    deleted_topic_scenario("range")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--client":
        client_main(sys.argv[2], sys.argv[3])
    else:
        run_tests(globals())
