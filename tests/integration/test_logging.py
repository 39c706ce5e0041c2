#!/usr/bin/python3
"""Logs: log.format=json (every line one JSON object with time, level,
subsystem and message), log.level per subsystem (warn,net=debug shows
net's debug lines and hides broker's info ones), SIGHUP re-reading the
properties file (a new level takes effect, a bad one is refused with a
WARN and changes nothing), --log-level, and an auto-created topic logged
as "created topic" like one made by CreateTopics."""

import json
import os
import re
import signal

from sluice_test import Broker, require_module, run_tests, timeout, wait_until

require_module("confluent_kafka")
from confluent_kafka import Producer  # noqa: E402

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
LEVELS = {"DEBUG", "INFO", "WARN", "ERROR"}


def produce(b, topic):
    """One record through a new connection (auto-creating the topic)."""
    p = Producer({"bootstrap.servers": b.bootstrap, "socket.timeout.ms": 10000})
    p.produce(topic, b"x")
    assert p.flush(timeout(30)) == 0, "record to %s not delivered" % topic


def json_lines(b):
    """Every line of the run, parsed; fails on one that is not an object
    with the four keys."""
    out = []
    for line in b.lines():
        try:
            obj = json.loads(line)
        except ValueError:
            raise AssertionError("not JSON: %r" % line)
        assert isinstance(obj, dict), line
        assert set(obj) == {"time", "level", "subsystem", "message"}, line
        assert TIME_RE.match(obj["time"]), line
        assert obj["level"] in LEVELS, line
        out.append(obj)
    return out


def write_props(path, **kv):
    with open(path, "w") as f:
        for k, v in kv.items():
            f.write("%s=%s\n" % (k.replace("_", "."), v))


def count(objs, sub, level, pattern=""):
    r = re.compile(pattern)
    return sum(1 for o in objs if o["subsystem"] == sub and o["level"] == level
               and r.search(o["message"]))


def sighup(b, props, sub, level, pattern, **settings):
    """Rewrite the file, send SIGHUP and wait for the broker's answer."""
    write_props(props, **settings)
    b.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: count(json_lines(b), sub, level, pattern), 10,
               "%s %s line /%s/" % (sub, level, pattern))


def created_without_net_debug(b, topic):
    """Auto-create topic: admin's INFO line is shown, no net DEBUG line."""
    mark = len(b.lines())
    produce(b, topic)
    wait_until(lambda: count(json_lines(b)[mark:], "admin", "INFO",
                             "^created topic %s " % topic), 10, "%s's creation logged" % topic)
    assert count(json_lines(b)[mark:], "net", "DEBUG") == 0, b.tail()


def test_json_levels_and_sighup():
    b = Broker(start=False)
    props = os.path.join(b.root, "server.properties")
    write_props(props, log_format="json", log_level="warn,net=debug")
    b.extra_args = [props]
    b.start()
    try:
        produce(b, "json-one")
        wait_until(lambda: count(json_lines(b), "net", "DEBUG", r"^connection \d+ from "), 10,
                   "net's debug lines")
        objs = json_lines(b)
        assert count(objs, "broker", "INFO", "^listening on ") == 1, b.tail()
        # Apart from 'listening on' (always logged), nothing at INFO from
        # broker or admin: the topic's creation is not shown.
        hidden = [o for o in objs if o["level"] == "INFO" and o["subsystem"] != "net"
                  and not o["message"].startswith("listening on ")]
        assert not hidden, hidden

        # New levels through the file and SIGHUP.
        sighup(b, props, "broker", "INFO",
               r"^SIGHUP: log.level warn,net=debug -> info,net=warn",
               log_format="json", log_level="info,net=warn")
        created_without_net_debug(b, "json-two")

        # A bad value: a WARN, and the levels stay.
        sighup(b, props, "broker", "WARN", "log.level.*loud.*logging settings unchanged",
               log_format="json", log_level="loud")
        created_without_net_debug(b, "json-three")

        # Back to text.
        write_props(props, log_format="text", log_level="info")
        b.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: b.log_contains(r"^\S+Z INFO  broker: SIGHUP: log.level "
                                          r"info,net=warn -> info, log.format json -> text"),
                   10, "the SIGHUP line in text")
    finally:
        b.close()


def test_log_level_option_wins():
    b = Broker(start=False)
    props = os.path.join(b.root, "server.properties")
    write_props(props, log_level="debug")
    b.extra_args = [props, "--log-level", "warn"]
    b.start()
    try:
        produce(b, "opt-one")
        assert not b.log_contains(r" (DEBUG|INFO ) (net|admin): "), b.tail()
        assert not b.log_contains("sluiced .*: node "), b.tail()
        # SIGHUP: --log-level still applies after the file.
        write_props(props, log_level="info")
        b.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: b.log_contains("SIGHUP: log.level=warn log.format=text unchanged")
                   or b.log_contains("SIGHUP: log.level warn ->"), 10, "the SIGHUP answer")
        assert not b.log_contains("SIGHUP: log.level warn ->"), b.tail()
    finally:
        b.close()


def test_bad_settings_refused_at_start():
    for kv in ("log.level=loud", "log.level=info,net", "log.format=xml"):
        b = Broker(overrides=dict([kv.split("=", 1)]), start=False)
        try:
            b.start()
        except Exception as e:  # BrokerError: exited with status 2
            assert "status 2" in str(e) and kv.split("=")[0] in str(e), str(e)
        else:
            raise AssertionError("%s accepted" % kv)
        finally:
            b.close(check=False)


def test_auto_created_topic_logged():
    for parts in (1, 20):  # made on the loop, and on the worker pool
        b = Broker(overrides={"num.partitions": parts})
        try:
            produce(b, "auto-%d" % parts)
            wait_until(lambda: b.log_contains(r" INFO  admin: created topic auto-%d \(%d "
                                              r"partitions\)" % (parts, parts)), 10,
                       "the creation of auto-%d logged" % parts)
        finally:
            b.close()


run_tests(globals())
