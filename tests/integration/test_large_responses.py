#!/usr/bin/python3
"""Responses that grow with the broker's state, not with the request
(issue 19 item 1).

A small request may ask about everything: DescribeConfigs of every topic
with every setting (Sarama's ClusterAdmin.ListTopics sends exactly this),
OffsetFetch of all of a group's partitions, DescribeGroups of many groups,
Metadata of all topics, ListGroups.  200 topics of 4 partitions and 200
groups make each answer far larger than the request; every one must be
answered in full on the same connection, and the log must never call
running out of memory a parse failure.
"""

from sluice_test import Broker, run_tests, timeout
import kafka_wire as w

NTOPICS = 200
NPARTS = 4
NGROUPS = 200
MEMBER_BYTES = 2048  # each group member's metadata and assignment

API_OFFSET_COMMIT = 8
API_OFFSET_FETCH = 9
API_JOIN_GROUP = 11
API_SYNC_GROUP = 14
API_DESCRIBE_GROUPS = 15
API_LIST_GROUPS = 16
API_DESCRIBE_CONFIGS = 32

B = None
TOPICS = ["big-%03d" % i for i in range(NTOPICS)]
GROUPS = ["grp-%03d" % i for i in range(NGROUPS)]


def conn():
    return w.Conn("127.0.0.1", B.port, timeout=timeout(30))


def setup():
    global B
    if B is None:
        B = Broker({"num.partitions": NPARTS, "group.initial.rebalance.delay.ms": 0})
        with conn() as c:
            for i in range(0, NTOPICS, 50):
                c.metadata(TOPICS[i:i + 50])
            md = topics_of(c.metadata(TOPICS))
            assert all(md[t]["error"] == 0 for t in TOPICS), md
    return B


def topics_of(md):
    return {t["name"]: t for t in md["topics"]}


def no_oom_as_parse_failure():
    bad = [ln for ln in B.lines() if "parse failure" in ln and "out of memory" in ln]
    assert not bad, bad


def test_describe_configs_of_every_topic():
    setup()
    for version in (0, 1):
        body = w.array([w.i8(2) + w.string(t) + w.array(None) for t in TOPICS])
        if version >= 1:
            body += w.i8(0)  # include_synonyms
        with conn() as c:
            r = w.Reader(c.request(API_DESCRIBE_CONFIGS, version, body))
        r.i32()  # throttle_time_ms

        def config(r):
            name, value, _ro = r.string(), r.string(), r.i8()
            if version == 0:
                r.i8()  # is_default
            else:
                r.i8()  # config_source
            r.i8()  # is_sensitive
            if version >= 1:
                r.array(lambda r: (r.string(), r.string(), r.i8()))
            return name, value

        def result(r):
            err, _msg, rtype, name = r.i16(), r.string(), r.i8(), r.string()
            return err, rtype, name, dict(r.array(config))
        results = r.array(result)
        assert [x[2] for x in results] == TOPICS, "v%d: wrong resources" % version
        for err, rtype, name, cfgs in results:
            assert err == 0 and rtype == 2, (version, name, err)
            assert cfgs.get("retention.ms") == "604800000", (version, name, cfgs)
            assert "cleanup.policy" in cfgs and "max.message.bytes" in cfgs, cfgs
    no_oom_as_parse_failure()


def test_metadata_of_all_topics():
    setup()
    with conn() as c:
        md = topics_of(c.metadata(None))
    for t in TOPICS:
        assert md[t]["error"] == 0, md[t]
        parts = sorted(p["partition"] for p in md[t]["partitions"])
        assert parts == list(range(NPARTS)), md[t]
    no_oom_as_parse_failure()


def test_offset_fetch_of_all_partitions():
    setup()
    group = "all-offsets"
    topics = [w.string(t) + w.array([w.i32(p) + w.i64(1000 + i * 10 + p) + w.string("m" * 100)
                                     for p in range(NPARTS)])
              for i, t in enumerate(TOPICS)]
    commit = w.string(group) + w.i32(-1) + w.string("") + w.i64(-1) + w.array(topics)
    with conn() as c:
        r = w.Reader(c.request(API_OFFSET_COMMIT, 2, commit))
        res = r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i16()))))
        assert len(res) == NTOPICS and all(e == 0 for _, ps in res for _, e in ps), res[:3]
        r = w.Reader(c.request(API_OFFSET_FETCH, 2, w.string(group) + w.array(None)))
        got = {}
        for name, parts in r.array(lambda r: (r.string(), r.array(
                lambda r: (r.i32(), r.i64(), r.string(), r.i16())))):
            for p, off, meta, err in parts:
                assert err == 0 and meta == "m" * 100, (name, p, err)
                got[(name, p)] = off
        assert r.i16() == 0
    want = {(t, p): 1000 + i * 10 + p for i, t in enumerate(TOPICS) for p in range(NPARTS)}
    assert got == want, "OffsetFetch of all partitions: %d of %d" % (len(got), len(want))
    no_oom_as_parse_failure()


def test_describe_and_list_many_groups():
    setup()
    with conn() as c:
        for g in GROUPS:
            meta = g.encode() * (MEMBER_BYTES // len(g))
            r = w.Reader(c.request(API_JOIN_GROUP, 0, w.string(g) + w.i32(300000) + w.string("")
                                   + w.string("consumer")
                                   + w.array([w.string("range") + w.kbytes(meta)])))
            err, gen, _proto, _leader, member = r.i16(), r.i32(), r.string(), r.string(), r.string()
            assert err == 0, (g, err)
            r = w.Reader(c.request(API_SYNC_GROUP, 0, w.string(g) + w.i32(gen) + w.string(member)
                                   + w.array([w.string(member) + w.kbytes(meta)])))
            assert r.i16() == 0, g
        r = w.Reader(c.request(API_DESCRIBE_GROUPS, 0, w.array([w.string(g) for g in GROUPS])))

        def member(r):
            return r.string(), r.string(), r.string(), r.kbytes(), r.kbytes()

        def group(r):
            return r.i16(), r.string(), r.string(), r.string(), r.string(), r.array(member)
        groups = r.array(group)
        assert [x[1] for x in groups] == GROUPS
        for err, g, state, ptype, proto, members in groups:
            assert err == 0 and state == "Stable" and proto == "range", (g, err, state)
            assert len(members) == 1 and len(members[0][3]) >= MEMBER_BYTES - 16, g
            assert members[0][4] == members[0][3], g
        r = w.Reader(c.request(API_LIST_GROUPS, 0, b""))
        assert r.i16() == 0
        listed = {name for name, _ in r.array(lambda r: (r.string(), r.string()))}
        assert set(GROUPS) <= listed, len(listed)
    no_oom_as_parse_failure()


run_tests(globals())
