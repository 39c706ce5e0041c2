#!/usr/bin/python3
"""Admin APIs with kafkajs 2.2.4 (npm, pinned in tests/integration/js).

Runs tests/integration/js/admin.js against a fresh sluiced: createTopics,
fetchTopicOffsets, createPartitions, describeConfigs, deleteTopics (see
admin.js for each check), then checks the deleted topic's directories are
gone.  Skipped (exit 77) when node or kafkajs is missing.
"""

import glob
import os
import subprocess
import sys

from sluice_test import Broker, require_tool, run_tests, timeout, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
JS_DIR = os.path.join(HERE, "js")
SCRIPT = os.path.join(JS_DIR, "admin.js")

NODE = require_tool("node")
if not os.path.isfile(os.path.join(JS_DIR, "node_modules", "kafkajs", "package.json")):
    print("SKIP: kafkajs is not installed in %s/node_modules "
          "(run scripts/install-deps, or npm ci --prefix tests/integration/js)" % JS_DIR,
          flush=True)
    print("0 passed, 0 failed, 1 skipped", flush=True)
    sys.exit(77)


def test_kafkajs_admin():
    b = Broker(overrides={"auto.create.topics.enable": "false"}, name="kjs-admin")
    limit = timeout(40)
    env = dict(os.environ, ADMIN_JS_LIMIT_MS=str(int(limit * 1000)),
               KAFKAJS_NO_PARTITIONER_WARNING="1")
    try:
        try:
            p = subprocess.run([NODE, SCRIPT, b.bootstrap], cwd=JS_DIR, env=env,
                               stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=limit + timeout(10))
        except subprocess.TimeoutExpired as e:
            raise AssertionError("admin.js hung\n%s\n%s" % (
                (e.stdout or b"").decode(errors="replace")[-3000:],
                (e.stderr or b"").decode(errors="replace")[-3000:]))
        out = p.stdout.decode(errors="replace")
        err = p.stderr.decode(errors="replace")
        checks = [l for l in out.splitlines() if l.startswith("ok ")]
        if p.returncode != 0:
            raise AssertionError("admin.js exited %d after %d checks\n--- stdout\n%s\n"
                                 "--- stderr\n%s" % (p.returncode, len(checks), out[-3000:],
                                                     err[-3000:]))
        assert "admin.js: all checks passed" in out, out[-2000:]
        assert len(checks) >= 11, "only %d checks ran:\n%s" % (len(checks), out)
        print("# admin.js: %d checks" % len(checks), flush=True)
        wait_until(lambda: not glob.glob(os.path.join(b.data_dir, "kjs-admin-*")), 5,
                   "the deleted topic's directories removed")
        b.stop()
    finally:
        b.close()


if __name__ == "__main__":
    run_tests(globals())
