#!/usr/bin/python3
"""Admin APIs with kafka-python 2.0.2 and confluent-kafka 1.7.0.

CreateTopics (errors: exists, bad names, partitions, replication factor,
configs; validate_only), DeleteTopics (gone from Metadata, its directories
removed, the name usable again), CreatePartitions, DescribeConfigs
(sources), AlterConfigs, DescribeCluster-style controller checks, and a
CreateTopics config that survives a restart.
"""

import glob
import os
import time

from sluice_test import Broker, require_module, run_tests, timeout, wait_until

require_module("kafka")
require_module("confluent_kafka")

from kafka import KafkaProducer  # noqa: E402
from kafka.admin import (ConfigResource, ConfigResourceType, KafkaAdminClient,  # noqa: E402
                         NewPartitions, NewTopic)
from kafka import errors as kerr  # noqa: E402
import confluent_kafka  # noqa: E402
from confluent_kafka import admin as cadmin  # noqa: E402

B = None


def broker():
    global B
    if B is None:
        B = Broker(overrides={"num.partitions": 2}, name="admin")
    return B


def kp_admin():
    return KafkaAdminClient(bootstrap_servers=broker().bootstrap, request_timeout_ms=10000,
                            api_version_auto_timeout_ms=10000)


def ck_admin():
    return cadmin.AdminClient({"bootstrap.servers": broker().bootstrap})


def partition_dirs(topic):
    return sorted(glob.glob(os.path.join(broker().data_dir, "%s-*" % glob.escape(topic))))


def expect(exc_type, fn, *a, **kw):
    try:
        fn(*a, **kw)
    except exc_type as e:
        return e
    raise AssertionError("%s not raised" % exc_type.__name__)


def test_kafka_python_create_topics():
    a = kp_admin()
    try:
        a.create_topics([NewTopic("kp-one", 3, 1), NewTopic("kp-default", -1, -1, replica_assignments={})])
        topics = set(a.list_topics())
        assert {"kp-one", "kp-default"} <= topics, topics
        assert len(partition_dirs("kp-one")) == 3, partition_dirs("kp-one")
        assert len(partition_dirs("kp-default")) == 2, "num.partitions is the default"
        expect(kerr.TopicAlreadyExistsError, a.create_topics, [NewTopic("kp-one", 1, 1)])
        expect(kerr.InvalidTopicError, a.create_topics, [NewTopic("x" * 250, 1, 1)])
        expect(kerr.InvalidTopicError, a.create_topics, [NewTopic("a/b", 1, 1)])
        expect(kerr.InvalidPartitionsError, a.create_topics, [NewTopic("kp-zero", 0, 1)])
        expect(kerr.InvalidReplicationFactorError, a.create_topics, [NewTopic("kp-rf", 1, 3)])
        e = expect(kerr.InvalidConfigurationError, a.create_topics,
                   [NewTopic("kp-cfg", 1, 1, topic_configs={"retention.ms": "soon"})])
        assert "retention.ms" in str(e), str(e)
        expect(kerr.InvalidConfigurationError, a.create_topics,
               [NewTopic("kp-cfg", 1, 1, topic_configs={"no.such.setting": "1"})])
        a.create_topics([NewTopic("kp-validate", 4, 1)], validate_only=True)
        assert "kp-validate" not in set(a.list_topics())
        assert partition_dirs("kp-validate") == []
        for bad in ("kp-zero", "kp-rf", "kp-cfg"):
            assert partition_dirs(bad) == [], bad
        # Manual assignment onto this broker is fine.
        a.create_topics([NewTopic("kp-assigned", -1, -1,
                                  replica_assignments={0: [0], 1: [0]})])
        assert len(partition_dirs("kp-assigned")) == 2
        expect(kerr.KafkaError, a.create_topics,
               [NewTopic("kp-assigned2", -1, -1, replica_assignments={0: [5]})])
        assert partition_dirs("kp-assigned2") == []
    finally:
        a.close()


def test_kafka_python_delete_and_partitions():
    a = kp_admin()
    try:
        a.create_topics([NewTopic("kp-del", 2, 1), NewTopic("kp-grow", 1, 1)])
        p = KafkaProducer(bootstrap_servers=broker().bootstrap)
        for i in range(20):
            p.send("kp-del", b"v%d" % i, partition=i % 2)
        p.flush(timeout=timeout(10))
        p.close()
        assert len(partition_dirs("kp-del")) == 2
        a.delete_topics(["kp-del"])
        assert "kp-del" not in set(a.list_topics())
        wait_until(lambda: not glob.glob(os.path.join(broker().data_dir, "kp-del-*")),
                   timeout(5), "kp-del directories removed")
        expect(kerr.UnknownTopicOrPartitionError, a.delete_topics, ["kp-del"])
        # The name is free again: a new, empty topic.
        a.create_topics([NewTopic("kp-del", 1, 1)])
        assert len(partition_dirs("kp-del")) == 1

        a.create_partitions({"kp-grow": NewPartitions(4)})
        assert len(partition_dirs("kp-grow")) == 4
        expect(kerr.InvalidPartitionsError, a.create_partitions, {"kp-grow": NewPartitions(4)})
        expect(kerr.InvalidPartitionsError, a.create_partitions, {"kp-grow": NewPartitions(2)})
        expect(kerr.UnknownTopicOrPartitionError, a.create_partitions,
               {"kp-nope": NewPartitions(2)})
        a.create_partitions({"kp-grow": NewPartitions(6)}, validate_only=True)
        assert len(partition_dirs("kp-grow")) == 4
        # The new partitions take records.
        p = KafkaProducer(bootstrap_servers=broker().bootstrap)
        md = p.send("kp-grow", b"x", partition=3).get(timeout=timeout(10))
        assert md.partition == 3 and md.offset == 0, md
        p.close()
    finally:
        a.close()


def kp_config_entries(resp):
    err, _msg, _rtype, _rname, entries = resp.resources[0]
    assert err == 0, resp
    return {e[0]: e for e in entries}


def test_kafka_python_configs():
    a = kp_admin()
    try:
        a.create_topics([NewTopic("kp-conf", 1, 1, topic_configs={"retention.ms": "3600000"})])
        r = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "kp-conf")],
                               include_synonyms=True)
        entries = kp_config_entries(r[0])
        assert entries["retention.ms"][1] == "3600000", entries["retention.ms"]
        assert entries["retention.ms"][3] == 1, "DYNAMIC_TOPIC_CONFIG: %r" % (entries["retention.ms"],)
        assert entries["cleanup.policy"][1] == "delete"
        assert entries["segment.bytes"][3] == 5, entries["segment.bytes"]
        a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "kp-conf",
                                        configs={"retention.bytes": "1048576"})])
        entries = kp_config_entries(a.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, "kp-conf")])[0])
        assert entries["retention.bytes"][1] == "1048576"
        # AlterConfigs replaces the whole set: retention.ms is back to default.
        assert entries["retention.ms"][1] != "3600000", entries["retention.ms"]
        r = a.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "kp-conf",
                                            configs={"segment.bytes": "12"})])
        assert r.resources[0][0] == 40, r
        assert "segment.bytes" in r.resources[0][1], r
        r = a.alter_configs([ConfigResource(ConfigResourceType.BROKER, "0",
                                            configs={"num.partitions": "5"})])
        assert r.resources[0][0] == 42, r
        r = a.describe_configs([ConfigResource(ConfigResourceType.BROKER, "0")])
        entries = kp_config_entries(r[0])
        assert entries["num.partitions"][1] == "2", entries["num.partitions"]
        r = a.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "kp-missing")])
        assert r[0].resources[0][0] == 3, r
    finally:
        a.close()


def ck_wait(futures):
    out = {}
    for k, f in futures.items():
        try:
            f.result(timeout=timeout(15))
            out[k] = None
        except confluent_kafka.KafkaException as e:
            out[k] = e.args[0]
    return out


def test_confluent_admin():
    a = ck_admin()
    res = ck_wait(a.create_topics([
        cadmin.NewTopic("ck-one", num_partitions=3, replication_factor=1,
                        config={"retention.ms": "7200000"}),
        cadmin.NewTopic("ck-bad", num_partitions=1, replication_factor=2),
    ], request_timeout=timeout(15)))
    assert res["ck-one"] is None, res
    assert res["ck-bad"].code() == confluent_kafka.KafkaError.INVALID_REPLICATION_FACTOR, res
    md = a.list_topics(timeout=timeout(10))
    assert "ck-one" in md.topics and len(md.topics["ck-one"].partitions) == 3
    assert "ck-bad" not in md.topics
    assert md.controller_id == md.orig_broker_id, (md.controller_id, md.orig_broker_id)
    res = ck_wait(a.create_topics([cadmin.NewTopic("ck-one", 1, 1)]))
    assert res["ck-one"].code() == confluent_kafka.KafkaError.TOPIC_ALREADY_EXISTS, res

    res = ck_wait(a.create_partitions([cadmin.NewPartitions("ck-one", 5)]))
    assert res["ck-one"] is None, res
    assert len(a.list_topics(timeout=timeout(10)).topics["ck-one"].partitions) == 5
    res = ck_wait(a.create_partitions([cadmin.NewPartitions("ck-one", 2)]))
    assert res["ck-one"].code() == confluent_kafka.KafkaError.INVALID_PARTITIONS, res

    fs = a.describe_configs([cadmin.ConfigResource("topic", "ck-one")])
    entries = list(fs.values())[0].result(timeout=timeout(10))
    rm = entries["retention.ms"]
    assert rm.value == "7200000", rm
    assert rm.source == cadmin.ConfigSource.DYNAMIC_TOPIC_CONFIG.value, rm.source
    assert entries["segment.bytes"].source == cadmin.ConfigSource.DEFAULT_CONFIG.value

    fs = a.alter_configs([cadmin.ConfigResource("topic", "ck-one",
                                                set_config={"retention.ms": "60000"})])
    list(fs.values())[0].result(timeout=timeout(10))
    entries = list(a.describe_configs([cadmin.ConfigResource("topic", "ck-one")])
                   .values())[0].result(timeout=timeout(10))
    assert entries["retention.ms"].value == "60000"

    fs = a.describe_configs([cadmin.ConfigResource("broker", "0")])
    entries = list(fs.values())[0].result(timeout=timeout(10))
    assert entries["num.partitions"].value == "2"

    res = ck_wait(a.delete_topics(["ck-one", "ck-never"], request_timeout=timeout(15)))
    assert res["ck-one"] is None, res
    assert res["ck-never"].code() == confluent_kafka.KafkaError.UNKNOWN_TOPIC_OR_PART, res
    assert "ck-one" not in a.list_topics(timeout=timeout(10)).topics
    wait_until(lambda: not partition_dirs("ck-one"), timeout(5), "ck-one directories removed")


def test_delete_topic_drops_committed_offsets():
    a = ck_admin()
    assert ck_wait(a.create_topics([cadmin.NewTopic("ck-offs", 1, 1)]))["ck-offs"] is None
    c = confluent_kafka.Consumer({"bootstrap.servers": broker().bootstrap,
                                  "group.id": "ck-offs-g", "enable.auto.commit": False})
    try:
        tp = confluent_kafka.TopicPartition("ck-offs", 0, 5)
        c.commit(offsets=[tp], asynchronous=False)
        got = c.committed([confluent_kafka.TopicPartition("ck-offs", 0)], timeout=timeout(10))
        assert got[0].offset == 5, got
        assert ck_wait(a.delete_topics(["ck-offs"]))["ck-offs"] is None
        assert ck_wait(a.create_topics([cadmin.NewTopic("ck-offs", 1, 1)]))["ck-offs"] is None
        got = c.committed([confluent_kafka.TopicPartition("ck-offs", 0)], timeout=timeout(10))
        assert got[0].offset < 0, "the old commit went with the topic: %r" % got
    finally:
        c.close()


def test_config_survives_restart():
    a = kp_admin()
    try:
        a.create_topics([NewTopic("kp-keep", 1, 1, topic_configs={"retention.ms": "123456"})])
    finally:
        a.close()
    broker().restart()
    a = kp_admin()
    try:
        entries = kp_config_entries(a.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, "kp-keep")])[0])
        assert entries["retention.ms"][1] == "123456", entries["retention.ms"]
        assert entries["retention.ms"][3] == 1, entries["retention.ms"]
        assert "kp-grow" in set(a.list_topics())
        assert "ck-one" not in set(a.list_topics()), "a deleted topic stays deleted"
    finally:
        a.close()
    assert not glob.glob(os.path.join(broker().data_dir, "*-delete"))
    broker().check_log()


if __name__ == "__main__":
    run_tests(globals())
