#!/usr/bin/python3
"""contrib/pytest (the pytest_sluice plugin) and docs/testing.md's pytest
example, run by Debian's pytest in a fresh directory as a user would:

- the example's files, taken from docs/testing.md as written, pass with
  PYTHONPATH=contrib/pytest (kafka-python produces and consumes through
  the `sluice_bootstrap` fixture);
- the fixture is per session: two tests see one broker, which is gone
  (port closed) once pytest exits; `sluice_overrides` reaches sluiced;
- without sluiced anywhere ($SLUICED unset, not on PATH, no build tree
  next to the plugin), the fixture fails with a message saying where it
  looked, not a FileNotFoundError.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

from sluice_test import require_module, run_tests, sluiced_path, timeout

require_module("pytest")
require_module("kafka")

SRC = os.environ.get("SLUICE_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
PLUGIN_DIR = os.path.join(SRC, "contrib", "pytest")
WORK = tempfile.mkdtemp(prefix="sluice-it-pytest-")


def pytest_run(files, plugin_dir=PLUGIN_DIR, env_extra=None, drop=()):
    d = tempfile.mkdtemp(dir=WORK)
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    env = dict(os.environ, PYTHONPATH=plugin_dir, PYTHONDONTWRITEBYTECODE="1")
    env.setdefault("SLUICED", sluiced_path())
    env.update(env_extra or {})
    for k in drop:
        env.pop(k, None)
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                       cwd=d, env=env, capture_output=True, text=True, timeout=timeout(240))
    return r, d


def docs_example():
    """The files docs/testing.md shows as `NAME.py`: followed by a python block."""
    with open(os.path.join(SRC, "docs", "testing.md")) as f:
        text = f.read()
    section = text[text.index("## From Python (pytest)"):]
    files = dict(re.findall(r"^`([\w.]+\.py)`:\n\n```python\n(.*?)^```", section, re.M | re.S))
    assert "conftest.py" in files and len(files) >= 2, files.keys()
    return files


def test_docs_example_runs_as_written():
    r, _ = pytest_run(docs_example())
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"\b\d+ passed\b", r.stdout), r.stdout


SESSION_TESTS = '''
import os
from kafka import KafkaProducer, KafkaConsumer, TopicPartition

def test_one(sluice_bootstrap):
    with open("seen", "a") as f:
        f.write(sluice_bootstrap + "\\n")

def test_two(sluice_bootstrap):
    with open("seen", "a") as f:
        f.write(sluice_bootstrap + "\\n")
    p = KafkaProducer(bootstrap_servers=sluice_bootstrap)
    p.send("parts", b"x").get(timeout=30)
    assert len(p.partitions_for("parts")) == 3
    p.close()
'''


def test_one_broker_per_session_and_gone_after():
    r, d = pytest_run({"conftest.py": 'pytest_plugins = ["pytest_sluice"]\n',
                       "test_session.py": SESSION_TESTS,
                       "pytest.ini": "[pytest]\nsluice_overrides =\n    num.partitions=3\n"})
    assert r.returncode == 0, r.stdout + r.stderr
    with open(os.path.join(d, "seen")) as f:
        seen = f.read().split()
    assert len(seen) == 2 and seen[0] == seen[1] and seen[0].startswith("127.0.0.1:"), seen
    host, port = seen[0].rsplit(":", 1)
    s = socket.socket()
    try:
        assert s.connect_ex((host, int(port))) != 0, "the broker still listens after pytest"
    finally:
        s.close()


def test_clear_error_without_sluiced():
    lonely = os.path.join(WORK, "lonely")  # a copy with no build tree beside it
    os.makedirs(lonely)
    shutil.copy(os.path.join(PLUGIN_DIR, "pytest_sluice.py"), lonely)
    r, _ = pytest_run({"conftest.py": 'pytest_plugins = ["pytest_sluice"]\n',
                       "test_x.py": "def test_x(sluice_bootstrap):\n    pass\n"},
                      plugin_dir=lonely, env_extra={"PATH": "/usr/bin:/bin"}, drop=("SLUICED",))
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert "sluiced not found; looked in:" in out and "SLUICED" in out, out
    assert "FileNotFoundError" not in out, out
    r, _ = pytest_run({"conftest.py": 'pytest_plugins = ["pytest_sluice"]\n',
                       "test_x.py": "def test_x(sluice_bootstrap):\n    pass\n"},
                      env_extra={"SLUICED": "/nonexistent/sluiced"})
    out = r.stdout + r.stderr
    assert r.returncode != 0 and "$SLUICED is '/nonexistent/sluiced'" in out, out


if __name__ == "__main__":
    try:
        run_tests(globals())
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
