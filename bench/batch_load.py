#!/usr/bin/python3
"""bench/batch_load.py - sluice-batch load throughput against kcat, same run.

Starts one sluiced (port 0, temporary data dir), writes one input file of
--lines lines of --size bytes, then loads it into two fresh topics of the
same broker, alternating the tools --rounds times:

  sluice-batch load --compression C        (idempotent, acks=all, checkpoint)
  kcat -P -l FILE -X acks=all -X enable.idempotence=true -z C -X linger.ms=5

and prints records/s and MB/s for each round and the median, plus the
ratio.  Both tools read the same file and must leave the same number of
records in their topic (checked with ListOffsets through sluice-batch lag).

  bench/batch_load.py [--build DIR] [--lines N] [--size BYTES] [--rounds R]
                      [--compression none|gzip|lz4|zstd|snappy]

--build defaults to ./build (a release build: sanitizers slow both the broker
and the client several times).  Exit 0 unless a tool fails or counts differ.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--compression", default="lz4")
    a = ap.parse_args()
    sluiced = os.path.join(a.build, "broker", "sluiced")
    sb = os.path.join(a.build, "client", "sluice-batch")
    kcat = shutil.which("kcat")
    for p in (sluiced, sb, kcat):
        if not p or not os.path.exists(p):
            print("bench/batch_load: missing %s" % p, file=sys.stderr)
            return 77
    work = tempfile.mkdtemp(prefix="sluice-bench-load-")
    log = open(os.path.join(work, "broker.log"), "w")
    broker = subprocess.Popen([sluiced, "--override", "listeners=PLAINTEXT://127.0.0.1:0",
                               "--override", "log.dirs=%s/data" % work,
                               "--override", "num.partitions=3"],
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        port = None
        for _ in range(200):
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", open(log.name).read())
            if m:
                port = int(m.group(1))
                break
            time.sleep(0.05)
        if not port:
            print("bench/batch_load: sluiced did not start", file=sys.stderr)
            return 1
        bootstrap = "127.0.0.1:%d" % port
        path = os.path.join(work, "input.txt")
        body = "x" * max(0, a.size - 12)
        with open(path, "w") as f:
            for i in range(a.lines):
                f.write("%010d %s\n" % (i, body))
        mb = os.path.getsize(path) / 1e6
        print("input: %d lines, %.1f MB; broker %s; compression %s; %d rounds" % (
            a.lines, mb, bootstrap, a.compression, a.rounds))
        res = {"sluice-batch": [], "kcat": []}
        for r in range(a.rounds):
            for tool in ("sluice-batch", "kcat"):
                topic = "bench-%s-%d" % ("sb" if tool == "sluice-batch" else "kcat", r)
                if tool == "sluice-batch":
                    cmd = [sb, "load", "--bootstrap", bootstrap, "--topic", topic,
                           "--compression", a.compression, "--checkpoint",
                           os.path.join(work, topic + ".ckpt"), path]
                else:
                    cmd = [kcat, "-P", "-b", bootstrap, "-t", topic, "-l", "-X", "acks=all",
                           "-X", "enable.idempotence=true", "-X", "linger.ms=5",
                           "-z", a.compression if a.compression != "none" else "none", path]
                t0 = time.monotonic()
                p = subprocess.run(cmd, capture_output=True)
                dt = time.monotonic() - t0
                if p.returncode != 0:
                    print("%s failed (%d): %s" % (tool, p.returncode, p.stderr.decode()[-2000:]),
                          file=sys.stderr)
                    return 1
                n = count(sb, bootstrap, topic)
                if n != a.lines:
                    print("%s left %d records, expected %d" % (tool, n, a.lines),
                          file=sys.stderr)
                    return 1
                res[tool].append(dt)
                print("round %d %-12s %6.2f s  %9.0f rec/s  %7.1f MB/s" % (
                    r, tool, dt, a.lines / dt, mb / dt), flush=True)
        med = {t: statistics.median(v) for t, v in res.items()}
        for t in ("sluice-batch", "kcat"):
            print("median %-12s %6.2f s  %9.0f rec/s  %7.1f MB/s" % (
                t, med[t], a.lines / med[t], mb / med[t]))
        print("sluice-batch / kcat throughput: %.2f" % (med["kcat"] / med["sluice-batch"]))
        return 0
    finally:
        broker.terminate()
        broker.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def count(sb, bootstrap, topic):
    p = subprocess.run([sb, "lag", "--bootstrap", bootstrap, "--group", "bench-count",
                        "--topic", topic], capture_output=True)
    total = 0
    for line in p.stdout.decode().splitlines():
        f = line.split()
        if len(f) >= 5 and f[0] == topic:
            total += int(f[3])
    return total


if __name__ == "__main__":
    sys.exit(main())
