#!/usr/bin/python3
"""kcat -G (librdkafka's balanced consumer) against sluiced.

`kcat -G group topic -e -X auto.offset.reset=earliest` reads a 3-partition
topic once, every record exactly once, and exits at the end; its offsets
are committed (auto commit, and on close), as a raw OffsetFetch shows.
Run again, it reads only what was produced since; run once more with
nothing new, it reads nothing.  The broker log shows kcat join and leave.
"""

import subprocess

from sluice_test import Broker, require_tool, run_tests, timeout, wait_until
import kafka_wire as w

KCAT = require_tool("kcat")

NPART = 3
TOPIC = "grp-kcat"
GROUP = "grp-kcat-g"
API_OFFSET_FETCH = 9

B = None
SENT = {}  # (partition, offset) -> value


def kcat(args, stdin=None, secs=40):
    cmd = [KCAT, "-b", B.bootstrap, "-m", "15"] + args
    try:
        p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout(secs))
    except subprocess.TimeoutExpired as e:
        raise AssertionError("kcat %s did not finish within %.0f s; stderr: %s" % (
            " ".join(args), timeout(secs), (e.stderr or b"").decode(errors="replace")[-2000:]))
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def produce(tag, n):
    """n records, 1 per partition in turn, through raw Produce v7 (acks=1)."""
    with w.Conn("127.0.0.1", B.port, timeout=timeout(10)) as c:
        for part in range(NPART):
            vals = [("%s-%d-%d" % (tag, part, i)).encode() for i in range(n // NPART)]
            recs = w.record_batch([(None, v, []) for v in vals])
            r = c.produce({TOPIC: {part: recs}})[TOPIC][part]
            assert r["error"] == 0, r
            for i, v in enumerate(vals):
                SENT[(part, r["base_offset"] + i)] = v


def high_watermarks():
    with w.Conn("127.0.0.1", B.port, timeout=timeout(10)) as c:
        r = c.list_offsets({TOPIC: {p: -1 for p in range(NPART)}})[TOPIC]
    return {p: r[p]["offset"] for p in range(NPART)}


def offset_fetch():
    """OffsetFetch v1 by hand: {partition: committed offset}."""
    body = w.string(GROUP) + w.array([w.string(TOPIC) + w.array([w.i32(p) for p in range(NPART)])])
    with w.Conn("127.0.0.1", B.port, timeout=timeout(10)) as c:
        r = w.Reader(c.request(API_OFFSET_FETCH, 1, body))

    def part(r):
        return r.i32(), r.i64(), r.string(), r.i16()
    topics = r.array(lambda r: (r.string(), r.array(part)))
    out = {}
    for name, parts in topics:
        assert name == TOPIC, name
        for p, off, _meta, err in parts:
            assert err == 0, (p, err)
            out[p] = off
    return out


def consume_group():
    """One kcat -G run to the end: [(partition, offset, value)]."""
    rc, out, err = kcat(["-G", GROUP, "-X", "auto.offset.reset=earliest",
                         "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500",
                         "-e", "-q", "-f", "%p %o %s\\n", TOPIC])
    assert rc == 0, "kcat -G exited %d: %s" % (rc, err[-2000:])
    recs = []
    for line in out.decode().splitlines():
        p, o, v = line.split(" ", 2)
        recs.append((int(p), int(o), v.encode()))
    return recs


def check_once(recs, want_keys):
    keys = [(p, o) for p, o, _ in recs]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    assert not dup, "read more than once: %r" % dup[:10]
    missing = sorted(set(want_keys) - set(keys))
    assert not missing, "%d records not read, e.g. %r" % (len(missing), missing[:10])
    extra = sorted(set(keys) - set(want_keys))
    assert not extra, "%d records read that should not have been, e.g. %r" % (
        len(extra), extra[:10])
    for p, o, v in recs:
        assert SENT[(p, o)] == v, "%d@%d: %r, produced %r" % (p, o, v, SENT[(p, o)])


def test_group_reads_once_then_only_new():
    global B
    B = Broker(overrides={"num.partitions": NPART, "group.initial.rebalance.delay.ms": 0},
               name="kcat-groups")
    with w.Conn("127.0.0.1", B.port, timeout=timeout(10)) as c:
        md = c.metadata([TOPIC])
        assert md["topics"][0]["error"] == 0 and len(md["topics"][0]["partitions"]) == NPART, md
    produce("a", 300)
    first = consume_group()
    check_once(first, list(SENT))
    hw = high_watermarks()
    assert offset_fetch() == hw, "committed %r after the first run, end %r" % (
        offset_fetch(), hw)
    wait_until(lambda: B.log_contains(r"group %s: member rdkafka-\S+ joined" % GROUP), 5,
               "kcat's join in the broker log")
    wait_until(lambda: B.log_contains(r"group %s: member rdkafka-\S+ removed "
                                      r"\(left the group\)" % GROUP), 5,
               "kcat's LeaveGroup in the broker log")

    before = set(SENT)
    produce("b", 90)
    second = consume_group()
    check_once(second, sorted(set(SENT) - before))
    assert offset_fetch() == high_watermarks()

    third = consume_group()
    assert third == [], "nothing new, but read %r" % third[:10]
    B.check_log()


def test_teardown():
    if B is not None and B.running:
        B.stop()


if __name__ == "__main__":
    run_tests(globals())
