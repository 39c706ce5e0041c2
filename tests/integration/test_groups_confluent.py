#!/usr/bin/python3
"""Consumer groups with confluent-kafka 1.7.0 (librdkafka 2.0.2, Debian's
python3-confluent-kafka): committed offsets survive a broker crash.

A group consumer reads part of a 3-partition topic, commits synchronously
(commit() returns the offsets), committed() and position() agree with what
it read; it reads some more without committing and closes.  An assign()
consumer of a second group commits explicit offsets (generation -1, the
"simple consumer" commit).  AdminClient.list_groups() shows the group
Stable with its member meanwhile.  The broker is SIGKILLed and restarted
on the same data dir: committed() from new consumers returns the same
offsets, list_groups() lists both groups Empty, and a new group consumer
resumes exactly at the committed offsets: every record from there on,
once, none before it, then what is produced after the restart.

The librdkafka work runs in a child process (this file with --client), so
that a client that aborts (librdkafka asserts on malformed responses)
fails the test with its message instead of killing the runner, and the
broker still gets stopped.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

from sluice_test import Broker, require_module, run_tests, timeout, wait_until

require_module("confluent_kafka")
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient  # noqa: E402

NPART = 3
TOPIC = "grp-ck"
GROUP = "grp-ck-g"
GROUP_SIMPLE = "grp-ck-simple"
PER_PART = 200
OFFSET_INVALID = -1001  # what committed() gives for a partition without a commit

B = None
STATE = {}  # shared with the client phases through a JSON file

# --- client side (runs in the child process) -----------------------------------------

BOOTSTRAP = None
SENT = {}  # partition -> [value] in offset order


def common():
    return {"bootstrap.servers": BOOTSTRAP, "broker.address.family": "v4",
            "socket.timeout.ms": int(timeout(15) * 1000)}


def group_consumer(group, client_id, **extra):
    cfg = common()
    cfg.update({"group.id": group, "client.id": client_id, "enable.auto.commit": False,
                "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
                "heartbeat.interval.ms": 500, "max.poll.interval.ms": 30000,
                "fetch.wait.max.ms": 100, "enable.partition.eof": False})
    cfg.update(extra)
    return Consumer(cfg)


def produce(n_per_part, tag):
    p = Producer(dict(common(), **{"client.id": "grp-ck-producer", "acks": "all",
                                   "linger.ms": 5}))
    errors = []
    acked = []

    def cb(err, msg):
        if err:
            errors.append(err)
        else:
            acked.append((msg.partition(), msg.offset(), msg.value()))

    for i in range(n_per_part):
        for part in range(NPART):
            p.produce(TOPIC, value=("%s-%d-%d" % (tag, part, i)).encode(), partition=part,
                      on_delivery=cb)
        p.poll(0)
    left = p.flush(timeout(20))
    assert left == 0 and not errors, "produce: %d not delivered, errors %r" % (left, errors)
    for part, off, v in sorted(acked):
        lst = SENT.setdefault(part, [])
        assert off == len(lst), "partition %d: offset %d, expected %d" % (part, off, len(lst))
        lst.append(v)


def consume(c, n, secs=30, every_partition=False):
    """Up to n records (at least n unless the deadline passes): [(part, offset, value)].
    every_partition: go on past n until each partition has given one."""
    out = []
    deadline = time.monotonic() + timeout(secs)

    def more():
        if every_partition and len({p for p, _, _ in out}) < NPART:
            return True
        return len(out) < n
    while more() and time.monotonic() < deadline:
        for m in c.consume(num_messages=max(1, min(100, n - len(out))), timeout=0.5):
            if m.error():
                raise AssertionError("consume error: %s" % m.error())
            out.append((m.partition(), m.offset(), m.value()))
    return out


def tps(offsets=None):
    return [TopicPartition(TOPIC, p, offsets[p] if offsets else OFFSET_INVALID)
            for p in range(NPART)]


def as_dict(tplist):
    for tp in tplist:
        assert tp.error is None, "partition %d: %s" % (tp.partition, tp.error)
    return {tp.partition: tp.offset for tp in tplist if tp.topic == TOPIC}


def check_in_order(recs):
    """Per partition the offsets are consecutive and the values are what was produced."""
    by = {}
    for p, off, v in recs:
        by.setdefault(p, []).append(off)
        assert SENT[p][off] == v, "partition %d @%d: %r, produced %r" % (p, off, v, SENT[p][off])
    for p, offs in by.items():
        assert offs == list(range(offs[0], offs[0] + len(offs))), \
            "partition %d: offsets not consecutive: %r" % (p, offs[:20])
    return by


def client_commit(state):
    produce(PER_PART, "a")
    c = group_consumer(GROUP, "ck-c1")
    try:
        c.subscribe([TOPIC])
        got = consume(c, PER_PART * NPART // 2, every_partition=True)
        assert len(got) >= PER_PART * NPART // 2, "read %d records" % len(got)
        by = check_in_order(got)
        assert sorted(by) == list(range(NPART)), "read from partitions %r" % sorted(by)
        assert all(offs[0] == 0 for offs in by.values()), "did not start at 0: %r" % {
            p: o[0] for p, o in by.items()}
        want = {p: by[p][-1] + 1 for p in range(NPART)}
        assert any(want[p] < PER_PART for p in range(NPART)), "read everything: %r" % want
        assignment = {tp.partition for tp in c.assignment()}
        assert assignment == set(range(NPART)), assignment

        # Before any commit: nothing committed.
        before = as_dict(c.committed(tps(), timeout=timeout(10)))
        assert all(v == OFFSET_INVALID for v in before.values()), before

        committed = as_dict(c.commit(asynchronous=False))
        assert committed == want, "commit() returned %r, read up to %r" % (committed, want)
        pos = as_dict(c.position(tps()))
        assert pos == want, "position() %r, expected %r" % (pos, want)
        back = as_dict(c.committed(tps(), timeout=timeout(10)))
        assert back == want, "committed() %r, expected %r" % (back, want)
        state["committed"] = back

        # Read more without committing: these must be read again later.
        more = consume(c, 60)
        assert len(more) == 60, len(more)
        check_in_order(got + more)
        pos2 = as_dict(c.position(tps()))
        assert any(pos2[p] > back[p] for p in range(NPART)), (pos2, back)
        again = as_dict(c.committed(tps(), timeout=timeout(10)))
        assert again == back, "uncommitted reads moved committed(): %r vs %r" % (again, back)

        # The group as the admin client sees it while the consumer is in it.
        a = AdminClient(common())
        groups = {g.id: g for g in a.list_groups(timeout=timeout(10))}
        assert GROUP in groups, list(groups)
        g = groups[GROUP]
        assert g.error is None, g.error
        assert g.state == "Stable", g.state
        assert g.protocol_type == "consumer", g.protocol_type
        assert g.protocol in ("range", "roundrobin"), g.protocol
        assert len(g.members) == 1 and g.members[0].client_id == "ck-c1", \
            [(m.id, m.client_id) for m in g.members]
        assert g.members[0].client_host.startswith("/127.0.0.1"), g.members[0].client_host
        one = a.list_groups(GROUP, timeout=timeout(10))
        assert [x.id for x in one] == [GROUP], [x.id for x in one]
    finally:
        c.close()  # no auto commit: the last 60 stay uncommitted

    # An assign()-only consumer commits with generation -1 to an empty group.
    s = group_consumer(GROUP_SIMPLE, "ck-simple")
    try:
        s.assign(tps({p: 0 for p in range(NPART)}))
        want = {0: 17, 2: PER_PART}  # partition 1: never committed
        res = as_dict(s.commit(offsets=[TopicPartition(TOPIC, p, o) for p, o in want.items()],
                               asynchronous=False))
        assert res == want, res
        back = as_dict(s.committed(tps(), timeout=timeout(10)))
        assert back == {0: 17, 1: OFFSET_INVALID, 2: PER_PART}, back
        state["simple"] = back
    finally:
        s.close()


def client_resume(state):
    committed = state["committed"]
    simple = state["simple"]
    # committed() straight after the restart, before anything else.
    c = group_consumer(GROUP, "ck-check")
    try:
        back = as_dict(c.committed(tps(), timeout=timeout(15)))
        assert back == committed, "after SIGKILL: committed() %r, before %r" % (back, committed)
    finally:
        c.close()
    s = group_consumer(GROUP_SIMPLE, "ck-check2")
    try:
        back = as_dict(s.committed(tps(), timeout=timeout(15)))
        assert back == simple, "after SIGKILL: committed() %r, before %r" % (back, simple)
    finally:
        s.close()

    a = AdminClient(common())
    groups = {g.id: g for g in a.list_groups(timeout=timeout(10))}
    for gid in (GROUP, GROUP_SIMPLE):
        assert gid in groups, "group %s not listed after the restart: %r" % (gid, list(groups))
        assert groups[gid].state == "Empty" and not groups[gid].members, (
            gid, groups[gid].state, groups[gid].members)

    # A new member resumes at the committed offsets: nothing lost, nothing
    # before them read again; records produced after the restart follow.
    produce(20, "b")
    c = group_consumer(GROUP, "ck-c2")
    try:
        c.subscribe([TOPIC])
        want_n = sum(len(SENT[p]) - committed[p] for p in range(NPART))
        got = consume(c, want_n, secs=40)
        extra = consume(c, 1, secs=1.5)
        assert not extra, "read past the end: %r" % extra
        by = check_in_order(got)
        for p in range(NPART):
            assert p in by and by[p][0] == committed[p], \
                "partition %d resumed at %r, committed %d" % (
                    p, by[p][0] if p in by else None, committed[p])
            assert by[p][-1] == len(SENT[p]) - 1, (p, by[p][-1], len(SENT[p]))
        assert len(got) == want_n, "read %d, expected %d" % (len(got), want_n)
        res = as_dict(c.commit(asynchronous=False))
        assert res == {p: len(SENT[p]) for p in range(NPART)}, res
    finally:
        c.close()


def client_main(phase, bootstrap, state_path):
    global BOOTSTRAP
    BOOTSTRAP = bootstrap
    with open(state_path) as f:
        state = json.load(f)
    for p, vals in state.get("sent", {}).items():
        SENT[int(p)] = [v.encode() for v in vals]
    for k in ("committed", "simple"):
        if k in state:
            state[k] = {int(p): o for p, o in state[k].items()}
    {"commit": client_commit, "resume": client_resume}[phase](state)
    state["sent"] = {p: [v.decode() for v in vals] for p, vals in SENT.items()}
    with open(state_path, "w") as f:
        json.dump(state, f)


# --- test side -------------------------------------------------------------------------

def run_client(phase, secs=75):
    """Run one client phase in a child process; its failure (a Python error or
    a librdkafka abort) becomes this test's failure."""
    fd, path = tempfile.mkstemp(prefix="sluice-ck-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(STATE, f)
        try:
            p = subprocess.run([sys.executable, os.path.abspath(__file__), "--client", phase,
                                B.bootstrap, path], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=timeout(secs))
        except subprocess.TimeoutExpired as e:
            raise AssertionError("client phase %r did not finish within %.0f s\n%s" % (
                phase, timeout(secs), (e.stderr or b"").decode(errors="replace")[-3000:]))
        out = (p.stdout + p.stderr).decode(errors="replace")
        if p.returncode != 0:
            how = ("killed by signal %d" % -p.returncode if p.returncode < 0
                   else "exit status %d" % p.returncode)
            raise AssertionError("client phase %r failed (%s):\n%s" % (phase, how, out[-4000:]))
        with open(path) as f:
            STATE.clear()
            STATE.update(json.load(f))
    finally:
        os.unlink(path)


def test_commit_committed_position():
    global B
    B = Broker(overrides={"num.partitions": NPART, "group.initial.rebalance.delay.ms": 0},
               name="ck-groups")
    run_client("commit")
    wait_until(lambda: B.log_contains(r"group %s: member ck-c1-\S+ removed "
                                      r"\(left the group\)" % GROUP), 5,
               "ck-c1's LeaveGroup in the broker log")
    B.check_log()


def test_offsets_survive_sigkill():
    assert STATE.get("committed"), "needs test_commit_committed_position"
    B.kill()
    B.start()
    wait_until(lambda: B.log_contains(r"committed offsets loaded"), 5, "offsets loaded")
    run_client("resume")
    B.check_log()


def test_teardown():
    if B is not None and B.running:
        B.stop()


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--client":
        client_main(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        run_tests(globals())
