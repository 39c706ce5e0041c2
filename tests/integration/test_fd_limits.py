#!/usr/bin/python3
"""Out of file descriptors: an error for the request, never a failed
partition.

sluiced runs under `prlimit --nofile=N:N` (soft = hard, so it cannot
raise it) with max.connections at its default of 10000: it warns at
start that they cannot fit.  Clients then open more connections than
descriptors are left: the broker accepts what it can, the rest wait in
the listen backlog (accept backs off on EMFILE: the broker burns almost
no CPU meanwhile).  With no descriptor free, a Produce that must roll a
segment (log.segment.bytes = 1024) gets KAFKA_STORAGE_ERROR (56) and a
Fetch too, each logged as a warning, never an ERROR.  Once the extra
connections close, the waiting ones are accepted and served, and the
same partition rolls and fetches again: it was never marked failed, and
every acknowledged record is there.
"""

import os
import socket
import time

from sluice_test import Broker, require_tool, run_tests, timeout, wait_until
import kafka_wire as w

require_tool("prlimit")

NOFILE = 64
TOPIC = "fdlimit"
STORAGE_ERROR = 56
VALUE = b"v" * 600  # two batches pass log.segment.bytes = 1024: the second rolls


class LimitedBroker(Broker):
    def __init__(self, overrides, name, soft=NOFILE, hard=NOFILE):
        self.nofile = (soft, hard)
        super().__init__(overrides, name=name)

    def command(self):
        return ["prlimit", "--nofile=%d:%d" % self.nofile, "--"] + super().command()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def produce(c, value):
    return c.produce({TOPIC: {0: w.record_batch([(None, value, [])])}}, acks=-1)[TOPIC][0]


def fetch(c, offset=0):
    return c.fetch({TOPIC: {0: (offset, 1 << 20)}})[TOPIC][0]


def fetch_all(c, n):
    """The first n records, fetching on across segments (a Fetch answers
    from one segment at a time)."""
    out, offset = [], 0
    while len(out) < n:
        part = fetch(c, offset)
        assert part["error"] == 0, part
        recs = [r for b in w.parse_record_batches(part["records"]) for r in b.records]
        assert recs, "no records from offset %d" % offset
        out += [r.value for r in recs if r.offset >= offset]
        offset = recs[-1].offset + 1
    return out


def test_out_of_descriptors():
    b = LimitedBroker({"log.segment.bytes": 1024}, name="fdlimit")
    assert b.log_contains(r"RLIMIT_NOFILE is %d: .* max\.connections is 10000" % NOFILE), \
        "no warning at start\n" + b.tail()
    main = w.Conn("127.0.0.1", b.port, timeout=timeout(30))
    main.metadata([TOPIC])
    acked = []
    p = produce(main, b"first")
    assert p["error"] == 0, p
    acked.append(b"first")

    # Use up every descriptor: more connections than the broker can hold.
    extra = []
    for _ in range(NOFILE + 20):
        s = socket.create_connection(("127.0.0.1", b.port), timeout=timeout(10))
        extra.append(s)
    wait_until(lambda: b.log_contains(r"accept: Too many open files: retrying"), 20,
               "accept refused with EMFILE")
    time.sleep(0.5)
    print("# broker holds %d descriptors of %d" % (open_fds(b.proc.pid), NOFILE), flush=True)

    # Accept backs off: no spinning while clients wait in the backlog.
    cpu0 = cpu_seconds(b.proc.pid)
    time.sleep(2.0)
    cpu = cpu_seconds(b.proc.pid) - cpu0
    print("# broker CPU while out of descriptors: %.2f s in 2 s" % cpu, flush=True)
    assert cpu < 0.5, "the broker spun: %.2f s of CPU in 2 s" % cpu

    # A roll and a fetch need a descriptor: errors for the request.
    p = produce(main, VALUE)
    if p["error"] == 0:  # the first fit in the segment; the next must roll
        acked.append(VALUE)
        p = produce(main, VALUE)
    assert p["error"] == STORAGE_ERROR, p
    f = fetch(main)
    assert f["error"] == STORAGE_ERROR, f
    wait_until(lambda: b.log_contains(r"WARN.*(roll|fetch).*(Too many open files|too many open)"),
               10, "the roll or fetch failure logged as a warning")

    # Descriptors come back: the waiting connections are served, the
    # partition rolls and fetches.
    for s in extra:
        s.close()
    waited = []
    for _ in range(5):
        c = w.Conn("127.0.0.1", b.port, timeout=timeout(30))
        c.api_versions()
        waited.append(c)
    wait_until(lambda: open_fds(b.proc.pid) < NOFILE - 10, 20, "the closed connections freed")
    for i in range(3):
        v = b"after-%d-" % i + VALUE
        p = produce(main, v)
        assert p["error"] == 0, p
        acked.append(v)
    got = fetch_all(main, len(acked))
    assert got == acked, "records %r, acknowledged %r" % ([g[:12] for g in got],
                                                          [a[:12] for a in acked])
    assert len([n for n in os.listdir(os.path.join(b.data_dir, TOPIC + "-0"))
                if n.endswith(".log")]) >= 2, "no segment was rolled"
    for c in waited + [main]:
        c.close()
    b.close()  # a clean log: no ERROR line, exit 0


def test_soft_limit_raised():
    """A soft limit below the hard one is raised at start (before the
    partitions' files are opened); with room for max.connections, no
    warning."""
    b = LimitedBroker({"max.connections": 1000}, name="fdraise", soft=NOFILE, hard=4096)
    assert b.log_contains(r"RLIMIT_NOFILE raised from %d to the hard limit 4096" % NOFILE), \
        b.tail()
    assert not b.log_contains(r"WARN.*RLIMIT_NOFILE"), b.tail()
    with open("/proc/%d/limits" % b.proc.pid) as f:
        line = [l for l in f if l.startswith("Max open files")][0]
    assert line.split()[3:5] == ["4096", "4096"], line
    b.close()


if __name__ == "__main__":
    run_tests(globals())
