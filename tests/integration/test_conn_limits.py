#!/usr/bin/python3
"""Per-client connection limits, under Kafka's names.

max.connections.per.ip = 3 with max.connections.per.ip.overrides =
127.0.0.2:5: a 4th connection from 127.0.0.1 and a 6th from 127.0.0.2
(both loopback, so both reach a broker on 127.0.0.1) are closed at once
without a byte; the others are served; closing one lets the next in.
A bad overrides list stops the broker at start (exit 2, naming the key).

max.connection.creation.rate = 5: 20 connections opened at once are all
served (none refused), but accepting them is spread over time: the
first 5 at once (a second's worth), then 5 per second, so the last is
answered no sooner than about 3 s after the first.
"""

import os
import socket
import subprocess
import tempfile
import time

from sluice_test import Broker, SkipTest, run_tests, sluiced_path, timeout, wait_until
import kafka_wire as w


def connect_from(port, src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout(20))
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def api_versions_ok(s, corr=1):
    """Send ApiVersions v0; True if answered, False if the broker closed."""
    try:
        s.sendall(w.frame(w.request_header(w.API_API_VERSIONS, 0, corr, "connlim")))
        head = s.recv(4)
    except (ConnectionResetError, BrokenPipeError):
        return False
    if not head:
        return False
    size = int.from_bytes(head, "big")
    got = b""
    while len(got) < size:
        chunk = s.recv(size - len(got))
        assert chunk, "closed in the middle of an answer"
        got += chunk
    assert int.from_bytes(got[:4], "big") == corr
    return True


def test_per_ip_limits_and_overrides():
    b = Broker({"max.connections.per.ip": 3,
                "max.connections.per.ip.overrides": "127.0.0.2:5,10.9.8.7:0"},
               name="connlim-ip")
    ones = [connect_from(b.port, "127.0.0.1") for _ in range(3)]
    twos = [connect_from(b.port, "127.0.0.2") for _ in range(5)]
    for s in ones + twos:
        assert api_versions_ok(s)
    extra1 = connect_from(b.port, "127.0.0.1")
    extra2 = connect_from(b.port, "127.0.0.2")
    assert not api_versions_ok(extra1), "a 4th connection from 127.0.0.1 was served"
    assert not api_versions_ok(extra2), "a 6th connection from 127.0.0.2 was served"
    wait_until(lambda: len(b.log_contains(r"max\.connections\.per\.ip \(3 for 127\.0\.0\.1\) "
                                          r"reached")) > 0, 10, "the 127.0.0.1 refusal logged")
    assert b.log_contains(r"max\.connections\.per\.ip \(5 for 127\.0\.0\.2\) reached")
    # The ones already open are unaffected.
    for s in ones + twos:
        assert api_versions_ok(s, corr=2)
    # One closes: the address may connect again (once the broker saw the close).
    ones.pop().close()

    def again():
        s = connect_from(b.port, "127.0.0.1")
        ok = api_versions_ok(s)
        if ok:
            ones.append(s)
        else:
            s.close()
        return ok
    wait_until(again, 10, "a new connection from 127.0.0.1 after one closed", interval=0.1)
    for s in ones + twos + [extra1, extra2]:
        s.close()
    b.close()


def test_dual_stack_listener_counts_ipv4():
    """On a listener on [::], an IPv4 client arrives as ::ffff:127.0.0.1;
    it is counted and matched against the overrides as 127.0.0.1."""
    if not socket.has_ipv6:
        raise SkipTest("no IPv6")
    b = Broker({"listeners": "PLAINTEXT://[::]:0", "max.connections.per.ip": 1,
                "max.connections.per.ip.overrides": "127.0.0.1:2"}, name="connlim-v6")
    socks = [connect_from(b.port, "127.0.0.1") for _ in range(3)]
    assert api_versions_ok(socks[0]) and api_versions_ok(socks[1])
    assert not api_versions_ok(socks[2]), "a 3rd connection from 127.0.0.1 was served"
    assert b.log_contains(r"max\.connections\.per\.ip \(2 for 127\.0\.0\.1\) reached")
    for s in socks:
        s.close()
    b.close()


def test_bad_overrides_refused():
    with tempfile.TemporaryDirectory(prefix="sluice-it-connlim-") as d:
        for bad in ("127.0.0.1", "127.0.0.1:x", "localhost:3", "127.0.0.1:-1", "1.2.3.4:5,x"):
            p = subprocess.run([sluiced_path(),
                                "--override", "max.connections.per.ip.overrides=" + bad,
                                "--override", "listeners=PLAINTEXT://127.0.0.1:0",
                                "--override", "log.dirs=%s/data" % d],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=timeout(20))
            out = p.stdout.decode()
            assert p.returncode == 2 and "max.connections.per.ip.overrides" in out, (bad, out)
        assert not os.path.exists(os.path.join(d, "data")), "started despite a bad setting"


def test_connection_creation_rate():
    rate, n = 5, 20
    b = Broker({"max.connection.creation.rate": rate}, name="connlim-rate")
    time.sleep(1.2)  # a full bucket: one second's worth
    t0 = time.monotonic()
    socks = [connect_from(b.port, "127.0.0.1") for _ in range(n)]
    times = []
    for s in socks:
        assert api_versions_ok(s), "a connection past the rate was refused"
        times.append(time.monotonic() - t0)
    first, last = times[rate - 1], times[-1]
    print("# %d connections at max.connection.creation.rate=%d: first %d served after %.2f s, "
          "the last after %.2f s" % (n, rate, rate, first, last), flush=True)
    # (n - rate) connections at `rate` per second after the first second's worth.
    want = (n - rate) / rate
    assert last >= want - 0.5, "the last connection was served after %.2f s, not ~%.1f" % (
        last, want)
    assert last <= timeout(want + 10), last
    for s in socks:
        s.close()
    b.close()


if __name__ == "__main__":
    run_tests(globals())
