"""pytest_sluice - a throw-away Kafka-compatible broker for a pytest session.

Enable it in a conftest.py (with this directory on sys.path/PYTHONPATH):

    pytest_plugins = ["pytest_sluice"]

or on the command line: `pytest -p pytest_sluice`.  Then any test can ask
for `sluice_bootstrap`, "127.0.0.1:PORT" of one `sluiced --ephemeral`
started for the whole session (its data in a new temporary directory, all
of it removed at the end).

sluiced is found, in this order: the --sluiced option, $SLUICED, PATH, then
the build trees of the checkout this file sits in (build*/broker/sluiced,
the newest).  If none has it, the fixture fails with a message that says
where it looked.  Settings: the `sluice_overrides` ini option (key=value
lines) goes to sluiced as --override; $SLUICE_START_TIMEOUT (seconds,
default 30) bounds the start.  The broker's log is kept in pytest's
basetemp (sluiced.log) and its tail shown if the start fails.
"""

import glob
import os
import shutil
import signal
import subprocess
import time

import pytest

__all__ = ["find_sluiced", "start_sluiced", "SluicedNotFound"]


class SluicedNotFound(RuntimeError):
    pass


def _build_tree_candidates():
    checkout = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    found = glob.glob(os.path.join(checkout, "build*", "broker", "sluiced"))
    return checkout, sorted(found, key=os.path.getmtime, reverse=True)


def find_sluiced(explicit=None):
    """The path of sluiced, or SluicedNotFound saying where it looked."""
    tried = []
    for what, path in (("--sluiced", explicit), ("$SLUICED", os.environ.get("SLUICED"))):
        if path:
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
            raise SluicedNotFound("%s is %r, which is not an executable file" % (what, path))
        tried.append("%s (not set)" % what)
    on_path = shutil.which("sluiced")
    if on_path:
        return on_path
    tried.append("PATH")
    checkout, built = _build_tree_candidates()
    for path in built:
        if os.access(path, os.X_OK):
            return path
    tried.append(os.path.join(checkout, "build*", "broker", "sluiced"))
    raise SluicedNotFound(
        "sluiced not found; looked in: %s.  Install the sluice package, build it "
        "(cmake -S . -B build && cmake --build build), or set SLUICED=/path/to/sluiced"
        % ", ".join(tried))


def start_sluiced(sluiced, workdir, overrides=(), start_timeout=30.0):
    """Start `sluiced --ephemeral`; returns (process, bootstrap, log path)."""
    os.makedirs(workdir, exist_ok=True)
    ready = os.path.join(workdir, "sluiced.addr")
    log_path = os.path.join(workdir, "sluiced.log")
    cmd = [sluiced, "--ephemeral", "--ready-file", ready]
    for kv in overrides:
        cmd += ["--override", kv]
    env = dict(os.environ, TMPDIR=workdir)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + start_timeout
    while not os.path.exists(ready):
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            with open(log_path) as f:
                tail = "".join(f.readlines()[-20:])
            raise RuntimeError("sluiced did not start (%s, exit %s); its log:\n%s"
                               % (" ".join(cmd), proc.returncode, tail))
        time.sleep(0.002)
    with open(ready) as f:
        return proc, f.read().strip(), log_path


def stop_sluiced(proc, stop_timeout=30.0):
    """SIGTERM (a clean stop), SIGKILL if it takes longer than stop_timeout."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(stop_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def pytest_addoption(parser):
    parser.addoption("--sluiced", default=None, help="path of the sluiced binary")
    parser.addini("sluice_overrides", "sluiced settings for sluice_bootstrap, key=value lines",
                  type="linelist", default=[])


@pytest.fixture(scope="session")
def sluice_bootstrap(request, tmp_path_factory):
    """HOST:PORT of a sluiced --ephemeral shared by the whole session."""
    try:
        sluiced = find_sluiced(request.config.getoption("--sluiced"))
    except SluicedNotFound as e:
        pytest.fail(str(e), pytrace=False)
    workdir = str(tmp_path_factory.mktemp("sluice"))
    proc, bootstrap, _ = start_sluiced(
        sluiced, workdir, request.config.getini("sluice_overrides"),
        float(os.environ.get("SLUICE_START_TIMEOUT", "30")))
    yield bootstrap
    stop_sluiced(proc)
