#!/usr/bin/python3
"""Consumer groups with kafkajs 2.2.4 (npm, pinned in tests/integration/js).

Runs tests/integration/js/groups.js against a fresh sluiced: a group
consumer with autoCommit, a second one with manual commitOffsets that reads
only what arrived since, and the admin client's fetchOffsets, listGroups,
describeGroups, setOffsets and deleteGroups (refused while the group has a
member, then done, then GROUP_ID_NOT_FOUND).  See groups.js for each check.

Skipped (exit 77) when node is missing or kafkajs is not installed
(scripts/install-deps runs `npm ci --prefix tests/integration/js`).
"""

import os
import subprocess
import sys

from sluice_test import Broker, require_tool, run_tests, timeout, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
JS_DIR = os.path.join(HERE, "js")
SCRIPT = os.path.join(JS_DIR, "groups.js")
GROUP = "grp-kjs-g"

NODE = require_tool("node")
if not os.path.isfile(os.path.join(JS_DIR, "node_modules", "kafkajs", "package.json")):
    print("SKIP: kafkajs is not installed in %s/node_modules "
          "(run scripts/install-deps, or npm ci --prefix tests/integration/js)" % JS_DIR,
          flush=True)
    print("0 passed, 0 failed, 1 skipped", flush=True)
    sys.exit(77)

B = None


def test_kafkajs_groups():
    global B
    B = Broker(overrides={"num.partitions": 3, "group.initial.rebalance.delay.ms": 0},
               name="kjs-groups")
    limit = timeout(70)
    env = dict(os.environ, GROUPS_JS_LIMIT_MS=str(int(limit * 1000)),
               KAFKAJS_NO_PARTITIONER_WARNING="1")
    try:
        p = subprocess.run([NODE, SCRIPT, B.bootstrap], cwd=JS_DIR, env=env,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=limit + timeout(10))
    except subprocess.TimeoutExpired as e:
        raise AssertionError("groups.js hung past %.0f s\n%s\n%s" % (
            limit + timeout(10), (e.stdout or b"").decode(errors="replace")[-3000:],
            (e.stderr or b"").decode(errors="replace")[-3000:]))
    out = p.stdout.decode(errors="replace")
    err = p.stderr.decode(errors="replace")
    checks = [l for l in out.splitlines() if l.startswith("ok ")]
    if p.returncode != 0:
        raise AssertionError("groups.js exited %d after %d checks\n--- stdout\n%s\n--- stderr\n%s"
                             % (p.returncode, len(checks), out[-3000:], err[-3000:]))
    assert "groups.js: all checks passed" in out, out[-2000:]
    assert len(checks) >= 25, "only %d checks ran:\n%s" % (len(checks), out)
    print("# groups.js: %d checks" % len(checks), flush=True)
    # kafkajs reports nothing worse than the MEMBER_ID_REQUIRED it is told to hide.
    noisy = [l for l in err.splitlines() if l.startswith("kafkajs ERROR")]
    assert not noisy, "kafkajs logged errors:\n%s" % "\n".join(noisy[:20])
    # Three members joined and left the group: the two consumers and the one
    # kafkajs's admin.setOffsets runs to commit (it joins, seeks, commits,
    # stops).
    def members():
        joined = B.log_contains(r"group %s: member kjs-groups-\S+ joined" % GROUP)
        left = B.log_contains(r"group %s: member kjs-groups-\S+ removed \(left the group\)"
                              % GROUP)
        return len(joined), len(left)
    try:
        wait_until(lambda: members() == (3, 3), 5, "3 joins and 3 leaves in the broker log")
    except AssertionError as e:
        raise AssertionError("%s: (joined, left) = %r" % (e, members()))
    B.check_log()


def test_teardown():
    if B is not None and B.running:
        B.stop()


if __name__ == "__main__":
    run_tests(globals())
