#!/usr/bin/python3
"""Consumer groups with kafka-python 2.0.2 (Debian's python3-kafka).

One 6-partition topic, a producer thread writing to it the whole time, and
consumers of one group that come and go:
  - two consumers split the partitions (no overlap, full coverage);
  - one closes (LeaveGroup): the other takes all six;
  - a third joins: the split happens again;
  - every message is consumed exactly once across the rebalances (each
    consumer commits synchronously after each poll batch and again in its
    rebalance listener before giving partitions up).
KafkaAdminClient: list_consumer_groups, describe_consumer_groups (state,
members, decoded assignments) and list_consumer_group_offsets, while the
group is Stable and after it is Empty.

A raw-protocol member (JoinGroup v1 + SyncGroup v0 by hand) joins next to a
kafka-python consumer, receives half the partitions and goes silent: the
broker removes it after its 6000 ms session timeout (not before), its
partitions move to the consumer, which reads what was produced to them in
the meantime, once; the silent member's late Heartbeat gets
UNKNOWN_MEMBER_ID.
"""

import logging
import threading
import time

from sluice_test import Broker, require_module, run_tests, timeout, wait_until
import kafka_wire as w

require_module("kafka")
from kafka import (ConsumerRebalanceListener, KafkaAdminClient, KafkaConsumer,  # noqa: E402
                   KafkaProducer, TopicPartition)

logging.basicConfig(level=logging.ERROR)


class _NoCloseNoise(logging.Filter):
    """kafka-python logs an in-flight fetch cancelled by consumer.close() as an error."""

    def filter(self, record):
        return "Cancelled" not in record.getMessage()


logging.getLogger("kafka.consumer.fetcher").addFilter(_NoCloseNoise())

# kafka-python's own threads (the heartbeat thread) that die: a garbled
# response stream kills them, and the consumer then just stalls.
THREAD_DEATHS = []
_default_excepthook = threading.excepthook


def _excepthook(args):
    THREAD_DEATHS.append("%s: %s: %s" % (args.thread.name if args.thread else "?",
                                         args.exc_type.__name__, args.exc_value))
    _default_excepthook(args)


threading.excepthook = _excepthook

NPART = 6
ALL = set(range(NPART))
SESSION_MS = 6000  # the broker's group.min.session.timeout.ms
HEARTBEAT_MS = 500

API_JOIN_GROUP = 11
API_HEARTBEAT = 12
API_LEAVE_GROUP = 13
API_SYNC_GROUP = 14
E_UNKNOWN_MEMBER_ID = 25
E_INVALID_SESSION_TIMEOUT = 26
E_REBALANCE_IN_PROGRESS = 27

B = None


def setup_broker():
    global B
    if B is None or not B.running:
        B = Broker(overrides={"num.partitions": NPART, "group.initial.rebalance.delay.ms": 0},
                   name="kp-groups")
    return B


def create_topic(topic):
    """Auto-create through Metadata; check it has NPART partitions."""
    with w.Conn("127.0.0.1", B.port, timeout=timeout(10)) as c:
        def ready():
            md = c.metadata([topic])
            t = md["topics"][0]
            return t["error"] == 0 and len(t["partitions"]) == NPART
        wait_until(ready, 10, "topic %s with %d partitions" % (topic, NPART), interval=0.2)


# --- a producer thread that writes the whole time ------------------------------------

class Producer(threading.Thread):
    """Writes value "<tag>-<seq>" round-robin over the partitions, ~every 5 ms,
    until stopped; remembers (partition, offset) -> value of every ack."""

    def __init__(self, topic, tag):
        super().__init__(daemon=True, name="producer-" + tag)
        self.topic, self.tag = topic, tag
        self.stop_evt = threading.Event()
        self.sent = {}          # (partition, offset) -> value
        self.error = None
        self.seq = 0
        self.p = KafkaProducer(bootstrap_servers=B.bootstrap, client_id="grp-producer",
                               acks=1, linger_ms=2, retries=0,
                               request_timeout_ms=int(timeout(15) * 1000),
                               max_block_ms=int(timeout(15) * 1000),
                               api_version_auto_timeout_ms=int(timeout(10) * 1000))

    def send_some(self, n):
        futs = []
        for _ in range(n):
            v = ("%s-%d" % (self.tag, self.seq)).encode()
            futs.append((v, self.p.send(self.topic, value=v, partition=self.seq % NPART)))
            self.seq += 1
        self.p.flush(timeout(15))
        for v, f in futs:
            md = f.get(timeout(15))
            self.sent[(md.partition, md.offset)] = v

    def run(self):
        try:
            while not self.stop_evt.is_set():
                self.send_some(3)
                time.sleep(0.005)
        except Exception as e:  # reported by finish()
            self.error = e

    def finish(self):
        self.stop_evt.set()
        self.join(timeout(20))
        assert not self.is_alive(), "producer thread did not stop"
        if self.error:
            raise AssertionError("producer failed: %r" % (self.error,))
        self.p.close(timeout(10))
        return self.sent


# --- consumers of a group, each in its own thread ------------------------------------

class Sink:
    """What every consumer consumed: (partition, offset) -> [(consumer, value)]."""

    def __init__(self):
        self.lock = threading.Lock()
        self.got = {}
        self.events = []  # (consumer, partition) in consumption order

    def add(self, who, partition, offset, value):
        with self.lock:
            self.got.setdefault((partition, offset), []).append((who, value))
            self.events.append((who, partition))

    def mark(self):
        with self.lock:
            return len(self.events)

    def since(self, mark):
        with self.lock:
            return list(self.events[mark:])

    def count(self):
        with self.lock:
            return len(self.got)

    def snapshot(self):
        with self.lock:
            return {k: list(v) for k, v in self.got.items()}


class Listener(ConsumerRebalanceListener):
    def __init__(self, member):
        self.m = member

    def on_partitions_revoked(self, revoked):
        try:
            # Commit what was consumed before anyone else may take it.
            if revoked:
                self.m.consumer.commit()
            self.m.revokes += 1
        except Exception as e:  # kafka-python would only log it
            self.m.errors.append("commit on revoke: %r" % (e,))
        with self.m.lock:
            self.m.assigned = None  # unknown until the next assignment

    def on_partitions_assigned(self, assigned):
        with self.m.lock:
            self.m.assigned = {tp.partition for tp in assigned}
            self.m.assign_history.append(set(self.m.assigned))


class Member(threading.Thread):
    def __init__(self, name, topic, group, sink):
        super().__init__(daemon=True, name=name)
        self.topic, self.group, self.sink = topic, group, sink
        self.lock = threading.Lock()
        self.assigned = None
        self.assign_history = []
        self.revokes = 0
        self.errors = []
        self.stop_evt = threading.Event()
        self.consumed = 0
        self.consumer = KafkaConsumer(
            bootstrap_servers=B.bootstrap, client_id=name, group_id=group,
            enable_auto_commit=False, auto_offset_reset="earliest",
            session_timeout_ms=SESSION_MS, heartbeat_interval_ms=HEARTBEAT_MS,
            max_poll_interval_ms=int(timeout(30) * 1000), fetch_max_wait_ms=100,
            request_timeout_ms=int(timeout(30) * 1000),
            api_version_auto_timeout_ms=int(timeout(10) * 1000))
        self.consumer.subscribe([topic], listener=Listener(self))

    def run(self):
        c = self.consumer
        try:
            while not self.stop_evt.is_set():
                batch = c.poll(timeout_ms=100, max_records=50)
                for tp, recs in batch.items():
                    for r in recs:
                        self.sink.add(self.name, tp.partition, r.offset, r.value)
                        self.consumed += 1
                if batch:
                    c.commit()
        except Exception as e:
            self.errors.append("poll loop: %r" % (e,))
        try:
            c.commit()  # once more before leaving: nothing consumed is left uncommitted
        except Exception as e:
            self.errors.append("final commit: %r" % (e,))
        c.close(autocommit=False)  # sends LeaveGroup

    def owned(self):
        with self.lock:
            return None if self.assigned is None else set(self.assigned)

    def stop(self):
        self.stop_evt.set()
        self.join(timeout(30))
        assert not self.is_alive(), "%s did not stop" % self.name
        assert not self.errors, "%s: %s" % (self.name, self.errors)


def wait_split(members, secs=30):
    """Wait until the members' assignments are disjoint, cover every partition
    and are all non-empty; return them."""
    last = []

    def ok():
        sets = [m.owned() for m in members]
        last[:] = [sets]
        for m in members:
            if m.errors:
                raise AssertionError("%s: %s" % (m.name, m.errors))
        if any(s is None or not s for s in sets):
            return False
        union = set().union(*sets)
        return union == ALL and sum(len(s) for s in sets) == NPART
    try:
        wait_until(ok, secs, "a split of %d partitions over %s" % (
            NPART, [m.name for m in members]), interval=0.1)
    except AssertionError as e:
        raise AssertionError("%s; last assignments %r" % (e, last))
    return [m.owned() for m in members]


def healthy(*members):
    """Raise at once if a member's thread hit an error (instead of timing out)."""
    if THREAD_DEATHS:
        raise AssertionError("client threads died: %s" % THREAD_DEATHS)
    for m in members:
        if m.errors:
            raise AssertionError("%s failed: %s" % (m.name, m.errors))
        if not m.is_alive() and not m.stop_evt.is_set():
            raise AssertionError("%s stopped by itself" % m.name)
    return True


def check_owned(events, owners):
    """Every (consumer, partition) event is of a partition that consumer owns."""
    bad = [(who, p) for who, p in events if p not in owners.get(who, set())]
    assert not bad, "consumed outside the assignment %r: %r" % (owners, sorted(set(bad)))
    who = {x for x, _ in events}
    assert who == set(owners), "consumers seen %r, expected %r" % (who, set(owners))


def _all_in(sink, keys):
    with sink.lock:
        return all(k in sink.got for k in keys)


def check_exactly_once(sink, sent):
    got = sink.snapshot()
    dup = {k: v for k, v in got.items() if len(v) > 1}
    assert not dup, "%d records consumed more than once, e.g. %r" % (
        len(dup), sorted(dup.items())[:5])
    missing = sorted(set(sent) - set(got))
    assert not missing, "%d records never consumed, e.g. %r" % (len(missing), missing[:10])
    extra = sorted(set(got) - set(sent))
    assert not extra, "consumed records nobody produced: %r" % extra[:10]
    for k, v in sent.items():
        assert got[k][0][1] == v, "%r: consumed %r, produced %r" % (k, got[k][0][1], v)


def admin():
    return KafkaAdminClient(bootstrap_servers=B.bootstrap, client_id="grp-admin",
                            request_timeout_ms=int(timeout(15) * 1000),
                            api_version_auto_timeout_ms=int(timeout(10) * 1000))


def end_offsets(topic):
    c = KafkaConsumer(bootstrap_servers=B.bootstrap, group_id=None,
                      request_timeout_ms=int(timeout(15) * 1000),
                      api_version_auto_timeout_ms=int(timeout(10) * 1000))
    try:
        tps = [TopicPartition(topic, p) for p in range(NPART)]
        return {tp.partition: off for tp, off in c.end_offsets(tps).items()}
    finally:
        c.close()


# --- raw group member ------------------------------------------------------------

def consumer_metadata(topics):
    """ConsumerProtocolMemberMetadata v0."""
    return w.i16(0) + w.array([w.string(t) for t in topics]) + w.kbytes(b"")


def parse_assignment(data):
    """ConsumerProtocolMemberAssignment v0 -> {topic: [partitions]}."""
    if not data:
        return {}
    r = w.Reader(data)
    r.i16()
    parts = r.array(lambda r: (r.string(), r.array(lambda r: r.i32())))
    return {t: ps for t, ps in parts or []}


class RawMember:
    """A group member speaking JoinGroup v1 / SyncGroup v0 / Heartbeat v0 by hand."""

    def __init__(self, group, topic):
        self.group, self.topic = group, topic
        self.conn = w.Conn("127.0.0.1", B.port, timeout=timeout(30))
        self.member_id = ""
        self.generation = -1

    def join_raw(self, session_ms=SESSION_MS, rebalance_ms=20000):
        body = (w.string(self.group) + w.i32(session_ms) + w.i32(rebalance_ms) +
                w.string(self.member_id) + w.string("consumer") +
                w.array([w.string("range") + w.kbytes(consumer_metadata([self.topic]))]))
        r = w.Reader(self.conn.request(API_JOIN_GROUP, 1, body, client_id="raw-member"))
        err, gen, proto, leader, mid = r.i16(), r.i32(), r.string(), r.string(), r.string()
        members = r.array(lambda r: (r.string(), r.kbytes()))
        return err, gen, proto, leader, mid, members

    def join(self, session_ms=SESSION_MS, rebalance_ms=20000):
        err, gen, proto, leader, mid, members = self.join_raw(session_ms, rebalance_ms)
        assert err == 0, "raw JoinGroup: error %d" % err
        self.member_id, self.generation = mid, gen
        return proto, leader, members

    def sync(self):
        body = (w.string(self.group) + w.i32(self.generation) + w.string(self.member_id) +
                w.array([]))
        r = w.Reader(self.conn.request(API_SYNC_GROUP, 0, body, client_id="raw-member"))
        err = r.i16()
        data = r.kbytes()
        return err, parse_assignment(data)

    def heartbeat(self):
        body = w.string(self.group) + w.i32(self.generation) + w.string(self.member_id)
        r = w.Reader(self.conn.request(API_HEARTBEAT, 0, body, client_id="raw-member"))
        return r.i16()

    def close(self):
        self.conn.close()


# --- tests ---------------------------------------------------------------------

TOPIC = "grp-kp"
GROUP = "grp-kp-g"


def test_split_leave_join_exactly_once_and_admin():
    setup_broker()
    create_topic(TOPIC)
    sink = Sink()
    prod = Producer(TOPIC, "a")
    prod.send_some(60)  # something is there before anyone joins
    prod.start()
    members = []
    try:
        c1 = Member("kp-c1", TOPIC, GROUP, sink)
        c2 = Member("kp-c2", TOPIC, GROUP, sink)
        members += [c1, c2]
        c1.start()
        c2.start()
        s1, s2 = wait_split([c1, c2])
        assert len(s1) == len(s2) == 3, "range assignor should give 3+3: %r %r" % (s1, s2)
        # Both are consuming, each from its own partitions only.
        mark = sink.mark()
        wait_until(lambda: healthy(c1, c2) and sink.mark() > mark + 300, 20,
                   "consumption with two members")
        check_owned(sink.since(mark), {"kp-c1": s1, "kp-c2": s2})

        # Admin while Stable with two members.
        a = admin()
        try:
            groups = a.list_consumer_groups()
            assert (GROUP, "consumer") in groups, groups
            desc = a.describe_consumer_groups([GROUP])
            assert len(desc) == 1, desc
            d = desc[0]
            assert d.error_code == 0 and d.group == GROUP, d
            assert d.state == "Stable", d.state
            assert d.protocol_type == "consumer" and d.protocol == "range", d
            assert len(d.members) == 2, d.members
            by_client = {m.client_id: m for m in d.members}
            assert set(by_client) == {"kp-c1", "kp-c2"}, by_client.keys()
            split = {}
            for cid, m in by_client.items():
                assert m.client_host.startswith("/127.0.0.1"), m.client_host
                assert list(m.member_metadata.subscription) == [TOPIC], m.member_metadata
                asg = dict(m.member_assignment.assignment)
                split[cid] = set(asg.get(TOPIC, []))
            assert split["kp-c1"] == c1.owned() and split["kp-c2"] == c2.owned(), (
                split, c1.owned(), c2.owned())
            offs = a.list_consumer_group_offsets(GROUP)
            assert offs, "no committed offsets listed while consuming"
            for tp, om in offs.items():
                assert tp.topic == TOPIC and 0 <= tp.partition < NPART, tp
                assert om.offset >= 0, (tp, om)
        finally:
            a.close()

        # c2 leaves: c1 takes all six.
        gen_lines = len(B.log_contains(r"group %s: generation" % GROUP))
        c2.stop()
        wait_until(lambda: healthy(c1) and c1.owned() == ALL, 20,
                   "kp-c1 owning all partitions after kp-c2 left")
        # (The broker's log reaches us through a pipe and a thread: wait.)
        wait_until(lambda: B.log_contains(r"group %s: member kp-c2-\S+ removed "
                                          r"\(left the group\)" % GROUP), 5,
                   "kp-c2's LeaveGroup in the broker log")
        wait_until(lambda: len(B.log_contains(r"group %s: generation" % GROUP)) > gen_lines, 5,
                   "a new generation in the broker log")
        mark = sink.mark()
        wait_until(lambda: healthy(c1) and sink.mark() > mark + 300, 20,
                   "consumption by kp-c1 alone")
        check_owned(sink.since(mark), {"kp-c1": ALL})

        # A third joins: split again.
        c3 = Member("kp-c3", TOPIC, GROUP, sink)
        members.append(c3)
        c3.start()
        s1, s3 = wait_split([c1, c3])
        assert len(s1) == len(s3) == 3, (s1, s3)
        mark = sink.mark()
        wait_until(lambda: healthy(c1, c3) and sink.mark() > mark + 300, 20,
                   "consumption with kp-c1 and kp-c3")
        check_owned(sink.since(mark), {"kp-c1": s1, "kp-c3": s3})

        # Stop producing; everything gets consumed, once.
        sent = prod.finish()
        wait_until(lambda: healthy(c1, c3) and _all_in(sink, sent), 30,
                   "all %d produced records to be consumed" % len(sent), interval=0.1)
        time.sleep(0.5)  # a late duplicate would show up here
        for m in (c1, c3):
            m.stop()
        check_exactly_once(sink, sent)
        assert c1.revokes >= 2, "kp-c1 went through %d rebalances" % c1.revokes

        # Empty now; the committed offsets are the end offsets.
        ends = end_offsets(TOPIC)
        assert sum(ends.values()) == len(sent), (ends, len(sent))
        a = admin()
        try:
            d = a.describe_consumer_groups([GROUP])[0]
            assert d.state == "Empty" and d.members == [], d
            assert (GROUP, "consumer") in a.list_consumer_groups()
            offs = a.list_consumer_group_offsets(GROUP)
            got = {tp.partition: om.offset for tp, om in offs.items() if tp.topic == TOPIC}
            assert got == ends, "committed %r, end offsets %r" % (got, ends)
            # Only named partitions, one never committed: -1.
            offs = a.list_consumer_group_offsets(GROUP, partitions=[
                TopicPartition(TOPIC, 0), TopicPartition("grp-kp-none", 0)])
            assert offs[TopicPartition(TOPIC, 0)].offset == ends[0], offs
            assert offs[TopicPartition("grp-kp-none", 0)].offset == -1, offs
            # An unknown group is Dead with no members.
            d = a.describe_consumer_groups(["grp-kp-unknown"])[0]
            assert d.state == "Dead" and d.members == [], d
        finally:
            a.close()
    finally:
        if prod.is_alive():
            prod.stop_evt.set()
            prod.join(timeout(20))
        for m in members:
            if m.is_alive():
                m.stop_evt.set()
                m.join(timeout(30))
    B.check_log()


TOPIC2 = "grp-kp-silent"
GROUP2 = "grp-kp-silent-g"


def test_silent_member_expires_after_session_timeout():
    setup_broker()
    create_topic(TOPIC2)
    sink = Sink()
    prod = Producer(TOPIC2, "s")
    prod.send_some(30)
    raw = None
    c1 = None
    try:
        c1 = Member("kp-s1", TOPIC2, GROUP2, sink)
        c1.start()
        wait_until(lambda: healthy(c1) and c1.owned() == ALL, 20, "kp-s1 owning all partitions")
        wait_until(lambda: healthy(c1) and _all_in(sink, prod.sent), 20,
                   "the first records consumed")

        # The raw member joins; kafka-python (leader) gives it half.
        raw = RawMember(GROUP2, TOPIC2)
        proto, leader, members = raw.join()
        assert proto == "range", proto
        assert leader != raw.member_id and members == [], (leader, raw.member_id, members)
        err, asg = raw.sync()
        assert err == 0, "raw SyncGroup: error %d" % err
        raw_parts = set(asg.get(TOPIC2, []))
        assert len(raw_parts) == 3, "raw member got %r" % asg
        t_silent = time.monotonic()
        wait_until(lambda: healthy(c1) and c1.owned() == ALL - raw_parts, 20,
                   "kp-s1 owning the other half %r" % (ALL - raw_parts))
        assert raw.heartbeat() == 0, "raw member's heartbeat while Stable"
        t_silent = time.monotonic()  # last sign of life

        # Produce while the raw member sits on its partitions.
        prod.send_some(60)
        held = {k for k in prod.sent if k[0] in raw_parts and k not in sink.got}
        assert held, "nothing produced to the silent member's partitions"
        time.sleep(2)
        assert not any(k in sink.got for k in held), \
            "records of the silent member's partitions consumed before its session expired"

        # Its session expires: the broker removes it, kp-s1 gets everything.
        wait_until(lambda: B.log_contains(r"group %s: member raw-member-\S+ removed "
                                          r"\(session timeout\)" % GROUP2),
                   SESSION_MS / 1000 + 10, "the broker to expire the silent member")
        expired_after = time.monotonic() - t_silent
        assert expired_after >= SESSION_MS / 1000 - 0.5, \
            "expired after %.1f s, session timeout is %d ms" % (expired_after, SESSION_MS)
        wait_until(lambda: healthy(c1) and c1.owned() == ALL, 20,
                   "kp-s1 owning all partitions again")
        wait_until(lambda: healthy(c1) and _all_in(sink, held), 20,
                   "the silent member's records consumed")
        assert raw.heartbeat() == E_UNKNOWN_MEMBER_ID, "late heartbeat of an expired member"

        prod.send_some(30)
        wait_until(lambda: healthy(c1) and _all_in(sink, prod.sent), 20,
                   "the last records consumed")
        c1.stop()
        check_exactly_once(sink, prod.sent)
        prod.p.close(timeout(10))
    finally:
        if raw:
            raw.close()
        if c1 and c1.is_alive():
            c1.stop_evt.set()
            c1.join(timeout(30))
    B.check_log()


def test_session_timeout_bounds():
    """group.min.session.timeout.ms (6000) and group.max.session.timeout.ms
    (1800000): outside them JoinGroup gets INVALID_SESSION_TIMEOUT and no
    member is added."""
    setup_broker()
    raw = RawMember("grp-kp-bounds", "grp-kp-bounds-t")
    try:
        for ms in (SESSION_MS - 1, 1800001):
            err, gen, _, _, mid, _ = raw.join_raw(session_ms=ms)
            assert err == E_INVALID_SESSION_TIMEOUT, "session %d ms: error %d" % (ms, err)
        assert not B.log_contains(r"group grp-kp-bounds: member"), "a member was added"
        raw.join(session_ms=1800000)  # the bounds themselves are fine
        body = w.string("grp-kp-bounds") + w.string(raw.member_id)
        r = w.Reader(raw.conn.request(API_LEAVE_GROUP, 0, body, client_id="raw-member"))
        assert r.i16() == 0
    finally:
        raw.close()


def test_teardown():
    if B is not None and B.running:
        B.stop()


if __name__ == "__main__":
    run_tests(globals())
