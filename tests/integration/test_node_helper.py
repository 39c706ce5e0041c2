#!/usr/bin/python3
"""contrib/node/sluice.js, the Node test helper: runs
tests/integration/js/sluice_helper.test.js under node:test with kafkajs
(see that file for what it checks) against the sluiced under test.
Skipped (exit 77) when node or kafkajs is missing.
"""

import os
import subprocess

from sluice_test import require_tool, run_tests, sluiced_path, timeout

JS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js")
NODE = require_tool("node")
if not os.path.isfile(os.path.join(JS_DIR, "node_modules", "kafkajs", "package.json")):
    print("SKIP: kafkajs is not installed (scripts/install-deps)")
    raise SystemExit(77)


def test_node_helper():
    env = dict(os.environ, SLUICED=sluiced_path())
    r = subprocess.run([NODE, "--test", os.path.join(JS_DIR, "sluice_helper.test.js")],
                       cwd=JS_DIR, env=env, capture_output=True, text=True,
                       timeout=timeout(80))
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    assert "# pass 4" in out and "# fail 0" in out, out[-4000:]


if __name__ == "__main__":
    run_tests(globals())
