#!/usr/bin/python3
"""bench/io_backends.py - produce throughput on io_uring and on the epoll
fallback, side by side in one run.

Starts two sluiced from the same build, one with io.backend=io_uring and
one with io.backend=epoll (what a container that refuses io_uring gets),
each on its own temporary data dir, then alternates rounds:

  for each round: for acks in (1, all): for backend in (io_uring, epoll):
      kcat -P -l FILE -X acks=A -X linger.ms=5 into a fresh one-partition topic

FILE holds --records lines of --size bytes (1 KiB by default).  The time
of each kcat run gives records/s and MB/s; the record count left in the
topic is checked (high watermark).  Meanwhile a second connection sends an
ApiVersions request every 10 ms and times the answer: how long the event
loop keeps other clients waiting under that load (a loop that waited for
fdatasync would show it here).  The table shows the median of the rounds
and the spread (lowest and highest), epoll/io_uring, and the probe's
median and worst round trip over all rounds.

  bench/io_backends.py [--build DIR] [--records N] [--size BYTES] [--rounds R]

--build defaults to ./build; use a Release build (sanitizers slow the
broker several times).  Exit 0 unless a run fails or a count differs, 77
if kcat, the broker or python3-confluent-kafka is missing or io_uring is
refused here (nothing to compare).
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

BACKENDS = ("io_uring", "epoll")
ACKS = ("1", "all")


def start_broker(sluiced, work, backend):
    d = os.path.join(work, backend)
    os.makedirs(d)
    log = open(os.path.join(d, "broker.log"), "w")
    p = subprocess.Popen([sluiced, "--override", "listeners=PLAINTEXT://127.0.0.1:0",
                          "--override", "log.dirs=%s/data" % d,
                          "--override", "io.backend=%s" % backend],
                         stdout=log, stderr=subprocess.STDOUT)
    for _ in range(400):
        text = open(log.name).read()
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", text)
        if m:
            return p, "127.0.0.1:%s" % m.group(1)
        if p.poll() is not None:
            break
        time.sleep(0.05)
    p.kill()
    raise RuntimeError("sluiced (io.backend=%s) did not start:\n%s" % (
        backend, open(log.name).read()[-2000:]))


class Probe(threading.Thread):
    """ApiVersions v0 round trips on their own connection, every 10 ms."""

    def __init__(self, bootstrap):
        super().__init__(daemon=True)
        host, port = bootstrap.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        self.rtts = []
        self.stop = threading.Event()

    def run(self):
        corr = 0
        while not self.stop.is_set():
            corr += 1
            body = struct.pack(">hhih", 18, 0, corr, 5) + b"probe"
            t0 = time.monotonic()
            self.sock.sendall(struct.pack(">i", len(body)) + body)
            size = struct.unpack(">i", self._recv(4))[0]
            self._recv(size)
            self.rtts.append((time.monotonic() - t0) * 1000)
            time.sleep(0.01)
        self.sock.close()

    def _recv(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise RuntimeError("probe connection closed")
            buf += chunk
        return buf


def high_watermark(ck, bootstrap, topic):
    c = ck.Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-count"})
    try:
        return c.get_watermark_offsets(ck.TopicPartition(topic, 0), timeout=30)[1]
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    sluiced = os.path.join(a.build, "broker", "sluiced")
    kcat = shutil.which("kcat")
    try:
        import confluent_kafka as ck
    except ImportError:
        ck = None
    if not kcat or not ck or not os.path.exists(sluiced):
        print("bench/io_backends: needs %s, kcat and python3-confluent-kafka" % sluiced,
              file=sys.stderr)
        return 77
    work = tempfile.mkdtemp(prefix="sluice-bench-io-")
    brokers = {}
    try:
        for b in BACKENDS:
            try:
                brokers[b] = start_broker(sluiced, work, b)
            except RuntimeError as e:
                print("bench/io_backends: %s" % e, file=sys.stderr)
                return 77 if "io_uring setup failed" in str(e) else 1
        path = os.path.join(work, "input.txt")
        body = "x" * max(0, a.size - 12)  # 10 digits, a space, the newline
        with open(path, "w") as f:
            for i in range(a.records):
                f.write("%010d %s\n" % (i, body))
        mb = os.path.getsize(path) / 1e6
        print("%d records of %d bytes (%.0f MB) per run, one partition, %d rounds, "
              "kcat linger.ms=5" % (a.records, a.size, mb, a.rounds), flush=True)
        res = {(b, k): [] for b in BACKENDS for k in ACKS}
        rtts = {(b, k): [] for b in BACKENDS for k in ACKS}
        for r in range(a.rounds):
            for acks in ACKS:
                for b in BACKENDS:
                    proc, bootstrap = brokers[b]
                    topic = "bench-%s-acks%s-%d" % (b, acks, r)
                    probe = Probe(bootstrap)
                    probe.start()
                    t0 = time.monotonic()
                    p = subprocess.run([kcat, "-P", "-b", bootstrap, "-t", topic, "-p", "0",
                                        "-l", "-X", "acks=%s" % ("-1" if acks == "all" else acks),
                                        "-X", "linger.ms=5", "-z", "none", path],
                                       capture_output=True)
                    dt = time.monotonic() - t0
                    probe.stop.set()
                    probe.join(30)
                    rtts[(b, acks)] += probe.rtts
                    if p.returncode != 0:
                        print("kcat into %s failed: %s" % (b, p.stderr.decode()[-2000:]),
                              file=sys.stderr)
                        return 1
                    n = high_watermark(ck, bootstrap, topic)
                    if n != a.records:
                        print("%s: %d records in %s, expected %d" % (b, n, topic, a.records),
                              file=sys.stderr)
                        return 1
                    res[(b, acks)].append(a.records / dt)
                    print("round %d acks=%-3s %-8s %8.0f rec/s %7.1f MB/s" % (
                        r, acks, b, a.records / dt, mb / dt), flush=True)
        print()
        print("| acks | backend | records/s median (min-max) | MB/s median | epoll/io_uring "
              "| probe ms median / max |")
        print("|---|---|---|---|---|---|")
        for acks in ACKS:
            base = statistics.median(res[("io_uring", acks)])
            for b in BACKENDS:
                v = res[(b, acks)]
                med = statistics.median(v)
                rt = rtts[(b, acks)] or [float("nan")]
                print("| %s | %s | %.0f (%.0f-%.0f) | %.1f | %s | %.2f / %.1f |" % (
                    acks, b, med, min(v), max(v), med * a.size / 1e6,
                    "%.2f" % (med / base) if b == "epoll" else "",
                    statistics.median(rt), max(rt)))
        return 0
    finally:
        for proc, _ in brokers.values():
            proc.terminate()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
