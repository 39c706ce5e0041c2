#!/usr/bin/python3
"""Static group membership (KIP-345, group.instance.id).

With confluent-kafka 1.7.0 (librdkafka 2.0.2): two consumers with
group.instance.id "a" and "b" share a 4-partition topic.  "b" closes
(librdkafka sends no LeaveGroup for a static member) and a new consumer
with instance id "b" starts within the session timeout: it gets the
partitions "b" had, without a rebalance ("a" sees no revoke or assign, the
broker starts no new generation).  Then "b" closes for good: after the
session timeout "a" gets all four partitions.

On the wire: a static member that restarts gets a new member id in place
of the old one, which is fenced (FENCED_INSTANCE_ID, 82) for Heartbeat,
SyncGroup, JoinGroup, OffsetCommit and LeaveGroup; LeaveGroup v3 removes a
member by instance id alone; a static member that does not rejoin in time
stays in the group (a dynamic one would be dropped).

The librdkafka work runs in a child process (this file with --client), so
that a client that aborts fails the test with its message.
"""

import os
import subprocess
import sys
import time

from sluice_test import Broker, require_module, run_tests, timeout, wait_until
from kafka_wire import Conn, Reader, array, i16, i32, i64, kbytes, string

require_module("confluent_kafka")
from confluent_kafka import Consumer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

NPART = 4
TOPIC = "grp-static"
GROUP = "grp-static-g"
SESSION_MS = 6000
FENCED = 82
UNKNOWN_MEMBER = 25
ILLEGAL_GENERATION = 22

B = None

# --- client side (runs in the child process) -----------------------------------------


class Member:
    """A static consumer that records its rebalance callbacks."""

    def __init__(self, bootstrap, instance):
        self.events = []
        self.parts = set()
        self.c = Consumer({
            "bootstrap.servers": bootstrap, "broker.address.family": "v4",
            "group.id": GROUP, "client.id": "st-" + instance,
            "group.instance.id": instance, "session.timeout.ms": SESSION_MS,
            "heartbeat.interval.ms": 500, "max.poll.interval.ms": 30000,
            "enable.auto.commit": False, "auto.offset.reset": "earliest",
            "socket.timeout.ms": int(timeout(15) * 1000)})
        self.c.subscribe([TOPIC], on_assign=self._assign, on_revoke=self._revoke)

    def _assign(self, c, tps):
        self.events.append(("assign", sorted(tp.partition for tp in tps)))
        self.parts = {tp.partition for tp in tps}

    def _revoke(self, c, tps):
        self.events.append(("revoke", sorted(tp.partition for tp in tps)))
        self.parts = set()

    def poll(self):
        m = self.c.poll(0.05)
        assert m is None or not m.error(), m.error()

    def close(self):
        self.c.close()


def poll_until(members, pred, secs, what):
    deadline = time.monotonic() + timeout(secs)
    while not pred():
        assert time.monotonic() < deadline, "%s within %.0f s: %r" % (
            what, timeout(secs), [(m.parts, m.events) for m in members])
        for m in members:
            m.poll()


def poll_for(members, secs):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        for m in members:
            m.poll()


def client_split(bootstrap):
    a = Member(bootstrap, "a")
    poll_until([a], lambda: len(a.parts) == NPART, 20, "a alone gets every partition")
    b = Member(bootstrap, "b")
    poll_until([a, b], lambda: len(a.parts) == NPART // 2 and len(b.parts) == NPART // 2, 20,
               "a and b split the partitions")
    poll_for([a, b], 1.0)
    assert a.parts | b.parts == set(range(NPART)), (a.parts, b.parts)
    b_parts = sorted(b.parts)
    a_events = list(a.events)
    b.close()  # a static member: no LeaveGroup
    print("b closed", flush=True)

    b2 = Member(bootstrap, "b")
    poll_until([a, b2], lambda: b2.parts, 10, "the new b gets partitions")
    poll_for([a, b2], 2.0)
    assert sorted(b2.parts) == b_parts, "new b got %r, old b had %r" % (b2.parts, b_parts)
    assert a.events == a_events, "a rebalanced when b came back: %r then %r" % (
        a_events, a.events[len(a_events):])
    assert len(b2.events) == 1, b2.events
    b2.close()
    print("b gone", flush=True)

    # b does not come back: after its session timeout a gets everything.
    poll_until([a], lambda: len(a.parts) == NPART, SESSION_MS / 1000 + 15,
               "a gets every partition after b's session timeout")
    a.close()


# --- test side -------------------------------------------------------------------------

def run_client(phase, secs=60):
    """One client phase in a child process: a Python error or a librdkafka
    abort there fails this test with the child's output."""
    cmd = [sys.executable, os.path.abspath(__file__), "--client", phase, B.bootstrap]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout(secs))
    except subprocess.TimeoutExpired as e:
        out, why = e.output or b"", "timed out after %.0f s" % timeout(secs)
    else:
        out, why = p.stdout, (None if p.returncode == 0 else "status %d" % p.returncode)
    assert why is None, "client phase %r: %s\n%s" % (
        phase, why, out.decode(errors="replace")[-4000:])


def test_librdkafka_static_restart_without_rebalance():
    global B
    B = Broker(overrides={"num.partitions": NPART, "group.initial.rebalance.delay.ms": 0},
               name="static-groups")
    a = AdminClient({"bootstrap.servers": B.bootstrap, "broker.address.family": "v4"})
    for f in a.create_topics([NewTopic(TOPIC, NPART, 1)]).values():
        f.result(timeout(10))
    run_client("split")
    lines = B.lines()
    gens = [l for l in lines if "group %s: generation" % GROUP in l]
    replaced = [i for i, l in enumerate(lines) if "static member" in l and "replaced by" in l]
    assert len(replaced) == 1, [l for l in lines if "group %s" % GROUP in l]
    expired = [i for i, l in enumerate(lines)
               if "removed (session timeout)" in l and "group %s" % GROUP in l]
    assert len(expired) == 1, [l for l in lines if "group %s" % GROUP in l]
    # No new generation between the restart of b and its expiry.
    between = [l for l in lines[replaced[0]:expired[0]] if "group %s: generation" % GROUP in l]
    assert not between, between
    assert len(gens) >= 3, gens  # a alone; a and b; a alone again
    assert not B.log_contains(r"group %s: .*left the group" % GROUP), "b sent a LeaveGroup"
    B.check_log()


# --- raw protocol ----------------------------------------------------------------------

def join(c, group, member, instance, rebalance_ms=10000, meta=b"m1"):
    body = (string(group) + i32(SESSION_MS) + i32(rebalance_ms) + string(member) +
            string(instance) + string("consumer") +
            array([string("range") + kbytes(meta)]))
    r = Reader(c.request(11, 5, body))
    r.i32()
    out = {"error": r.i16(), "generation": r.i32(), "protocol": r.string(),
           "leader": r.string(), "member_id": r.string()}
    out["members"] = r.array(lambda x: (x.string(), x.string(), x.kbytes()))
    return out


def sync(c, group, gen, member, instance, assignments=()):
    body = (string(group) + i32(gen) + string(member) + string(instance) +
            array([string(m) + kbytes(a) for m, a in assignments]))
    r = Reader(c.request(14, 3, body))
    r.i32()
    return r.i16(), r.kbytes()


def heartbeat(c, group, gen, member, instance):
    r = Reader(c.request(12, 3, string(group) + i32(gen) + string(member) + string(instance)))
    r.i32()
    return r.i16()


def leave(c, group, members):
    body = string(group) + array([string(m) + string(i) for m, i in members])
    r = Reader(c.request(13, 3, body))
    r.i32()
    top = r.i16()
    return top, r.array(lambda x: (x.string(), x.string(), x.i16()))


def commit(c, group, gen, member, instance):
    body = (string(group) + i32(gen) + string(member) + string(instance) +
            array([string(TOPIC) + array([i32(0) + i64(1) + i32(-1) + string(None)])]))
    r = Reader(c.request(8, 7, body))
    r.i32()
    return r.array(lambda x: (x.string(), x.array(lambda y: (y.i32(), y.i16()))))


def test_fenced_instance_id():
    g = "grp-static-raw"
    with Conn("127.0.0.1", B.port) as c1, Conn("127.0.0.1", B.port) as c2:
        j1 = join(c1, g, "", "i1")
        assert j1["error"] == 0 and j1["leader"] == j1["member_id"], j1
        m1, gen = j1["member_id"], j1["generation"]
        assert m1.startswith("i1-"), m1
        assert len(j1["members"]) == 1 and j1["members"][0][1] == "i1", j1
        assert sync(c1, g, gen, m1, "i1", [(m1, b"A1")]) == (0, b"A1")
        assert heartbeat(c1, g, gen, m1, "i1") == 0

        # The instance restarts: a new member id, same generation, no rebalance.
        j2 = join(c2, g, "", "i1")
        m2 = j2["member_id"]
        assert j2["error"] == 0 and m2 != m1 and j2["generation"] == gen, j2
        assert j2["leader"] == m1 and not j2["members"], j2  # it does not lead again
        assert sync(c2, g, gen, m2, "i1") == (0, b"A1")
        assert heartbeat(c2, g, gen, m2, "i1") == 0

        # The old member id is fenced everywhere.
        assert heartbeat(c1, g, gen, m1, "i1") == FENCED
        assert sync(c1, g, gen, m1, "i1")[0] == FENCED
        assert join(c1, g, m1, "i1")["error"] == FENCED
        assert commit(c1, g, gen, m1, "i1") == [(TOPIC, [(0, FENCED)])]
        assert commit(c2, g, gen, m2, "i1") == [(TOPIC, [(0, 0)])]
        assert leave(c1, g, [(m1, "i1")]) == (0, [(m1, "i1", FENCED)])
        # An instance id the group does not know.
        assert heartbeat(c1, g, gen, m2, "nope") == UNKNOWN_MEMBER

        # LeaveGroup v3 by instance id alone.
        assert leave(c1, g, [("", "nope"), ("", "i1")]) == (
            0, [("", "nope", UNKNOWN_MEMBER), ("", "i1", 0)])
        assert heartbeat(c2, g, gen, m2, "i1") == UNKNOWN_MEMBER
        wait_until(lambda: B.log_contains(r"group %s: member %s removed \(left the group\)"
                                          % (g, m2)), 5, "the leave in the broker log")
    B.check_log()


def test_static_member_outlives_rebalance_timeout():
    g = "grp-static-slow"
    with Conn("127.0.0.1", B.port) as c1, Conn("127.0.0.1", B.port) as c2:
        j1 = join(c1, g, "", "x", rebalance_ms=1000)
        assert j1["error"] == 0, j1
        x, gen = j1["member_id"], j1["generation"]
        assert sync(c1, g, gen, x, "x", [(x, b"X")]) == (0, b"X")
        # y joins; x does not rejoin within the 1 s rebalance timeout but,
        # being static, stays in the group; y leads.
        j2 = join(c2, g, "", "y", rebalance_ms=1000)
        y = j2["member_id"]
        assert j2["error"] == 0 and j2["generation"] == gen + 1 and j2["leader"] == y, j2
        assert sorted(i for _, i, _ in j2["members"]) == ["x", "y"], j2
        assert heartbeat(c1, g, gen, x, "x") == ILLEGAL_GENERATION
        assert sync(c2, g, gen + 1, y, "y", [(x, b"X2"), (y, b"Y2")]) == (0, b"Y2")
        assert sync(c1, g, gen + 1, x, "x") == (0, b"X2")
        assert leave(c1, g, [(x, "x"), (y, "y")]) == (0, [(x, "x", 0), (y, "y", 0)])
    B.check_log()


def test_teardown():
    if B is not None and B.running:
        B.stop()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--client":
        {"split": client_split}[sys.argv[2]](sys.argv[3])
    else:
        run_tests(globals())
