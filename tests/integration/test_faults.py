#!/usr/bin/python3
"""Faults on demand: sluiced --ephemeral --faults and its admin interface.

The line protocol on 127.0.0.1 (docs/testing.md) answers each command with
"ok" or "error: ...", refuses APIs it cannot answer with an error, and is
never there without --faults (which needs --ephemeral).

Then real clients retry through injected faults without losing or
duplicating a record: before each run the next Produce requests are set to
answer NOT_LEADER_OR_FOLLOWER (6) and REQUEST_TIMED_OUT (7); half the
records go out, the broker is paused (every connection closed, new ones
refused) for a second and a half, and the other half go out during the
outage.  Every record must be acknowledged, every injected error must have
been served ("pending" back to 0), and the topic read back must hold each
record exactly once:
  - librdkafka 2.0.2 (confluent-kafka 1.7.0), enable.idempotence=true;
  - kafka-python 2.0.2 (no idempotence: one request in flight, retries);
  - kafkajs 2.2.4, idempotent (tests/integration/js/faults.js; skipped if
    node or kafkajs is missing).
"""

import os
import re
import socket
import subprocess
import time

from sluice_test import (Broker, SkipTest, require_module, run_tests, sluiced_path, timeout,
                         wait_until)

ck = require_module("confluent_kafka")
kafka = require_module("kafka")

HERE = os.path.dirname(os.path.abspath(__file__))
JS_DIR = os.path.join(HERE, "js")
KAFKAJS = os.path.join(JS_DIR, "node_modules", "kafkajs")
ADMIN_RE = re.compile(r"faults admin interface listening on 127\.0\.0\.1:(\d+)")
N = 200
ERRORS = "errors Produce 6 7 6 7"
PAUSE_MS = 1500

B = None
ADMIN_PORT = None


def admin(cmd):
    """One command to the faults admin interface; its reply line."""
    start()
    with socket.create_connection(("127.0.0.1", ADMIN_PORT), timeout(10)) as s:
        s.sendall(cmd.encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(4096)
            assert chunk, "admin closed the connection after %r" % cmd
            buf += chunk
    return buf.decode().strip()


def start():
    """The one --faults broker these tests share, started by the first."""
    global B, ADMIN_PORT
    if B:
        return
    B = Broker(extra_args=["--ephemeral", "--faults"],
               overrides={"num.partitions": 2})
    wait_until(lambda: B.log_contains(ADMIN_RE.pattern), timeout(10), "the admin line")
    ADMIN_PORT = int(ADMIN_RE.search(B.log_contains(ADMIN_RE.pattern)[0]).group(1))


def read_back(topic, expect):
    """Every record value of topic (both partitions), from the start."""
    c = ck.Consumer({"bootstrap.servers": B.bootstrap, "group.id": "faults-check",
                     "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    c.assign([ck.TopicPartition(topic, p, 0) for p in (0, 1)])
    got = []
    deadline = time.monotonic() + timeout(30)
    while len(got) < expect and time.monotonic() < deadline:
        m = c.poll(0.2)
        if m is not None and not m.error():
            got.append(m.value().decode())
    # anything beyond would be a duplicate
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        m = c.poll(0.2)
        if m is not None and not m.error():
            got.append(m.value().decode())
    c.close()
    return got


def faults_served(before):
    """The 4 injected errors and the outage were served since `before`
    (a served() count), and the outage is over."""
    wait_until(lambda: served()[2] > before[2], timeout(15), "the outage's end")
    now = served()
    assert now[0] - before[0] == 4, "injected errors answered: %d" % (now[0] - before[0])
    assert now[1] - before[1] == 1, "outages: %d" % (now[1] - before[1])
    assert admin("pending Produce") == "ok 0", "injected errors left unserved"


def served():
    return (len(B.log_contains("with injected error")), len(B.log_contains("injected outage:")),
            len(B.log_contains("injected outage over")))


def test_admin_protocol():
    assert admin("errors Produce 6") == "ok"
    assert admin("pending Produce") == "ok 1"
    assert admin("pending 0") == "ok 1"
    assert admin("clear") == "ok"
    assert admin("pending Produce") == "ok 0"
    r = admin("errors CreateTopics 6")
    assert r.startswith("error:") and "not supported" in r, r
    assert admin("errors NoSuchApi 6").startswith("error: unknown API")
    assert admin("errors Produce six").startswith("error: bad error code")
    assert admin("errors Produce").startswith("error:")  # no codes
    assert admin("delay all x").startswith("error: usage")
    assert admin("frobnicate").startswith("error: unknown command")
    assert admin("delay Metadata 0") == "ok"


def test_faults_needs_ephemeral():
    p = subprocess.run([sluiced_path(), "--faults"], capture_output=True, text=True,
                       timeout=timeout(30))
    assert p.returncode == 2, p
    assert "--ephemeral" in p.stderr


def test_no_admin_without_faults():
    b = Broker(extra_args=["--ephemeral"])
    try:
        assert not b.log_contains("faults admin")
    finally:
        b.close()


def test_librdkafka_idempotent():
    start()
    topic = "faults-rdkafka"
    acked = []
    p = ck.Producer({"bootstrap.servers": B.bootstrap, "enable.idempotence": True,
                     "acks": "all", "linger.ms": 5, "retry.backoff.ms": 50,
                     "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 200})

    def dr(err, msg):
        assert err is None, err
        acked.append(msg.value().decode())

    p.produce(topic, b"warm-up", on_delivery=lambda e, m: None)  # topic and pid first
    assert p.flush(timeout(30)) == 0
    before = served()
    assert admin(ERRORS) == "ok"
    for i in range(N // 2):
        p.produce(topic, ("rd-%d" % i).encode(), on_delivery=dr)
    assert p.flush(timeout(60)) == 0
    assert admin("pause %d" % PAUSE_MS) == "ok"
    for i in range(N // 2, N):
        p.produce(topic, ("rd-%d" % i).encode(), on_delivery=dr)
    assert p.flush(timeout(60)) == 0
    assert len(acked) == N, len(acked)
    faults_served(before)
    got = read_back(topic, N + 1)
    got.remove("warm-up")
    assert sorted(got) == sorted("rd-%d" % i for i in range(N)), "lost or duplicated"


def test_kafka_python():
    start()
    topic = "faults-kpy"
    p = kafka.KafkaProducer(bootstrap_servers=B.bootstrap, acks="all", retries=20,
                            retry_backoff_ms=100, reconnect_backoff_ms=50,
                            reconnect_backoff_max_ms=200, max_in_flight_requests_per_connection=1,
                            request_timeout_ms=int(timeout(15) * 1000),
                            api_version_auto_timeout_ms=int(timeout(10) * 1000))
    p.send(topic, b"warm-up").get(timeout(30))
    before = served()
    assert admin(ERRORS) == "ok"
    futs = [p.send(topic, ("kp-%d" % i).encode()) for i in range(N // 2)]
    p.flush(timeout(60))
    assert admin("pause %d" % PAUSE_MS) == "ok"
    futs += [p.send(topic, ("kp-%d" % i).encode()) for i in range(N // 2, N)]
    p.flush(timeout(60))
    for f in futs:
        f.get(timeout(30))  # raises if a record failed for good
    p.close(timeout(10))
    faults_served(before)
    got = read_back(topic, N + 1)
    got.remove("warm-up")
    assert sorted(got) == sorted("kp-%d" % i for i in range(N)), "lost or duplicated"


def test_kafkajs_idempotent():
    if not os.path.isfile(os.path.join(KAFKAJS, "package.json")) or \
            subprocess.run(["which", "node"], capture_output=True).returncode:
        raise SkipTest("node or kafkajs missing")
    start()
    before = served()
    p = subprocess.run(["node", os.path.join(JS_DIR, "faults.js"), B.bootstrap, str(ADMIN_PORT),
                        "faults-kjs", str(N), str(PAUSE_MS)],
                       capture_output=True, text=True, timeout=timeout(120))
    assert p.returncode == 0, "faults.js failed:\n%s\n%s" % (p.stdout, p.stderr)
    faults_served(before)
    got = read_back("faults-kjs", N + 1)
    got.remove("warm-up")
    assert sorted(got) == sorted("kjs-%d" % i for i in range(N)), "lost or duplicated"


run_tests(globals())
