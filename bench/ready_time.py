#!/usr/bin/python3
"""bench/ready_time.py - how soon `sluiced --ephemeral` serves, as a test
fixture sees it.

Starts `sluiced --ephemeral --ready-file F` --runs times, one after the
other, and for each measures from just before the process is spawned to:

  ready:  the broker says it listens (sd_notify READY=1 on a socket of our
          own when sluiced is built with libsystemd: no polling error; else
          the ready file, polled every 0.2 ms);
  served: a first ApiVersions request, sent on a new connection once ready,
          is answered;

then stops it (SIGTERM) and waits for its exit.  Prints min, median, p90
and max of each, in ms.

  [TMPDIR=DIR] bench/ready_time.py [--build DIR] [--runs N]

--build defaults to ./build; use a Release build (-DCMAKE_BUILD_TYPE=Release):
a sanitizer build is several times slower.  Figures: docs/testing.md.
"""

import argparse
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time


def api_versions(addr):
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)))
    client_id = b"bench"
    # ApiVersions v0: api_key 18, version 0, correlation id 1, client id.
    body = struct.pack(">hhih", 18, 0, 1, len(client_id)) + client_id
    s.sendall(struct.pack(">i", len(body)) + body)
    size = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
    resp = s.recv(size, socket.MSG_WAITALL)
    s.close()
    corr, err = struct.unpack(">ih", resp[:6])
    if corr != 1 or err != 0:
        raise RuntimeError("bad ApiVersions response")


def one_run(sluiced, work, use_notify):
    ready = os.path.join(work, "addr")
    env = dict(os.environ, TMPDIR=work)
    sock = None
    if use_notify:
        path = os.path.join(work, "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(10)
        env["NOTIFY_SOCKET"] = path
    else:
        env.pop("NOTIFY_SOCKET", None)
    t0 = time.perf_counter()
    p = subprocess.Popen([sluiced, "--ephemeral", "--ready-file", ready], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if sock:
            while b"READY=1" not in sock.recv(4096):
                pass
        else:
            while not os.path.exists(ready):
                if p.poll() is not None:
                    raise RuntimeError("sluiced exited %d" % p.returncode)
                time.sleep(0.0002)
        t_ready = time.perf_counter()
        with open(ready) as f:
            api_versions(f.read().strip())
        t_served = time.perf_counter()
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(30)
        if sock:
            sock.close()
            os.unlink(os.path.join(work, "notify"))
    return (t_ready - t0) * 1000, (t_served - t0) * 1000


def summary(name, xs):
    xs = sorted(xs)
    p90 = xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]
    print("%-7s min %6.2f  median %6.2f  p90 %6.2f  max %6.2f ms  (%d runs)"
          % (name, xs[0], statistics.median(xs), p90, xs[-1], len(xs)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    sluiced = os.path.join(args.build, "broker", "sluiced")
    if not os.access(sluiced, os.X_OK):
        sys.exit("no %s: build first (cmake -S . -B %s -DCMAKE_BUILD_TYPE=Release && "
                 "cmake --build %s)" % (sluiced, args.build, args.build))
    linked = subprocess.run(["ldd", sluiced], capture_output=True, text=True).stdout
    use_notify = "libsystemd" in linked
    print("sluiced: %s; ready = %s" % (sluiced, "sd_notify READY=1" if use_notify
                                       else "ready file (polled every 0.2 ms)"))
    work = tempfile.mkdtemp(prefix="sluice-ready-")
    fs = subprocess.run(["stat", "-f", "-c", "%T", work], capture_output=True,
                        text=True).stdout.strip()
    # The start fsyncs meta.properties and the offsets log: the file system
    # under $TMPDIR counts (tmpfs makes them free).
    print("data under %s (%s); load average %s" % (os.path.dirname(work), fs,
                                                   " ".join("%.1f" % x for x in os.getloadavg())))
    ready, served = [], []
    try:
        one_run(sluiced, work, use_notify)  # warm the page cache
        for _ in range(args.runs):
            r, s = one_run(sluiced, work, use_notify)
            ready.append(r)
            served.append(s)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary("ready", ready)
    summary("served", served)


if __name__ == "__main__":
    main()
