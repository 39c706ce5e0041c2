#!/usr/bin/python3
"""sluiced under a systemd Type=notify unit: with $NOTIFY_SOCKET set it
sends READY=1 once it listens (and not before), as packaging/'s unit
expects.  The test plays systemd's part with its own datagram socket.
Skipped (exit 77) when sluiced was built without libsystemd.
"""

import os
import socket
import subprocess
import tempfile

from sluice_test import run_tests, sluiced_path, timeout

linked = subprocess.run(["ldd", sluiced_path()], capture_output=True, text=True).stdout
if "libsystemd" not in linked:
    print("SKIP: sluiced is built without libsystemd (no sd_notify)")
    raise SystemExit(77)


def test_ready_once_listening():
    work = tempfile.mkdtemp(prefix="sluice-it-notify-")
    path = os.path.join(work, "notify")
    ready = os.path.join(work, "addr")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(timeout(20))
    env = dict(os.environ, NOTIFY_SOCKET=path, TMPDIR=work)
    p = subprocess.Popen([sluiced_path(), "--ephemeral", "--ready-file", ready], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        msg = sock.recv(4096).decode()
        assert "READY=1" in msg.split("\n"), msg
        # Ready means listening: the address is out and takes connections.
        with open(ready) as f:
            host, port = f.read().strip().rsplit(":", 1)
        c = socket.create_connection((host, int(port)), timeout=timeout(5))
        c.close()
    finally:
        p.terminate()
        assert p.wait(timeout(30)) == 0
        sock.close()


if __name__ == "__main__":
    run_tests(globals())
