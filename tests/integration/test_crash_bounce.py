#!/usr/bin/python3
"""The short crash proof under ctest: tests/crash/bounce.py with its
default few cycles (idempotent acks=all producers, broker SIGKILLed at
random moments and restarted).  Lost, duplicated and out of order must be
0.  The long run is `tests/crash/bounce.py --cycles 300`.
SLUICE_BOUNCE_CYCLES and SLUICE_BOUNCE_SEED override the cycles and seed.
"""

import os
import re
import subprocess
import sys

from sluice_test import require_module, run_tests, timeout

require_module("confluent_kafka")

HERE = os.path.dirname(os.path.abspath(__file__))
BOUNCE = os.path.join(HERE, "..", "crash", "bounce.py")
SUMMARY = re.compile(r"^cycles (\d+), acknowledged (\d+), read (\d+), lost (\d+), "
                     r"duplicated (\d+), out of order (\d+)$", re.M)


def test_bounce_short():
    cycles = int(os.environ.get("SLUICE_BOUNCE_CYCLES", "6"))
    cmd = [sys.executable, BOUNCE, "--cycles", str(cycles)]
    if os.environ.get("SLUICE_BOUNCE_SEED"):
        cmd += ["--seed", os.environ["SLUICE_BOUNCE_SEED"]]
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    try:
        raw, _ = p.communicate(timeout=timeout(75))
    except subprocess.TimeoutExpired:
        # SIGTERM lets bounce.py stop its broker and producers; then SIGKILL.
        p.terminate()
        try:
            raw, _ = p.communicate(timeout=timeout(40))
        except subprocess.TimeoutExpired:
            p.kill()
            raw, _ = p.communicate()
        raise AssertionError("bounce.py did not finish in %.0f s:\n%s" % (
            timeout(75), raw.decode("utf-8", "replace")[-3000:]))
    out = raw.decode("utf-8", "replace")
    print("\n".join("  | " + l for l in out.splitlines() if not l.startswith("%")), flush=True)
    m = SUMMARY.search(out)
    assert m, "bounce.py printed no summary (exit %d)" % p.returncode
    c, acked, read, lost, dup, ooo = map(int, m.groups())
    assert c == cycles, (c, cycles)
    assert (lost, dup, ooo) == (0, 0, 0), "lost %d, duplicated %d, out of order %d" % (
        lost, dup, ooo)
    assert acked > 0 and read >= acked, (acked, read)
    assert p.returncode == 0, "bounce.py exit %d" % p.returncode


if __name__ == "__main__":
    run_tests(globals())
