"""sluice_test - run a real sluiced for integration tests, and a tiny runner.

Broker:
    b = Broker(overrides={"num.partitions": 3})   # starts it, waits for
    b.port, b.bootstrap                            # "listening on H:P"
    b.stop()      # SIGTERM, expect exit 0 and a clean log
    b.kill()      # SIGKILL
    b.restart()   # stop (if running) and start again on the same data dir

The broker binary is $SLUICED, else $SLUICE_SOURCE_DIR/build/broker/sluiced
(SLUICE_SOURCE_DIR defaults to the repository this file sits in), run
through $SLUICE_TEST_WRAPPER if set (the epoll run: tests/helpers/
no_io_uring.c; start sluiced with sluiced_cmd() to honour it).  Each
broker gets its own temporary directory (data dir + broker.log), removed at
the end of the run unless SLUICE_TEST_KEEP is set.  Timeouts are multiplied
by SLUICE_TEST_TIMEOUT_MULT (default 1) for slow (sanitizer) machines.

A broker's log is "clean" when it has no line with the word ERROR and no
sanitizer report (AddressSanitizer, LeakSanitizer, "runtime error").

Runner: a test file defines test_* functions and ends with
    if __name__ == "__main__":
        run_tests(globals())
They run in source order; each prints PASS/FAIL/SKIP name, and the last
line is "N passed, M failed" (", K skipped" if any).  Exit status: 1 on any
failure, 77 if everything was skipped (a required tool is missing), else 0.
Command-line arguments, if any, select tests by name (substring match).
"""

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

__all__ = [
    "Broker", "BrokerError", "SkipTest", "TestTimeout", "run_tests", "require_tool",
    "require_module", "log_message", "timeout", "TIMEOUT_MULT", "sluiced_path", "sluiced_cmd", "wait_until",
]

TIMEOUT_MULT = float(os.environ.get("SLUICE_TEST_TIMEOUT_MULT", "1") or "1")
KEEP = bool(os.environ.get("SLUICE_TEST_KEEP"))
START_TIMEOUT = 20.0
STOP_TIMEOUT = 30.0  # the broker allows connections 10 s to finish
TEST_TIMEOUT = 90.0  # hard limit per test function (each aims at < 60 s)
LOG_TAIL_LINES = 40

LISTENING_RE = re.compile(r"listening on (\S+):(\d+) \(advertised as (\S+):(\d+)\)")
# The word ERROR (log level, or a sanitizer's "ERROR: AddressSanitizer").
# Underscored names such as KAFKA_STORAGE_ERROR do not match.
BAD_LOG_RES = [
    re.compile(r"\bERROR\b"),
    re.compile(r"AddressSanitizer"),
    re.compile(r"LeakSanitizer"),
    re.compile(r"UndefinedBehaviorSanitizer"),
    re.compile(r"runtime error"),
    re.compile(r"\bSUMMARY: "),
]


def timeout(seconds):
    """A timeout scaled by SLUICE_TEST_TIMEOUT_MULT."""
    return seconds * TIMEOUT_MULT


class SkipTest(Exception):
    """Raise to skip a test (or, at import time, a whole file)."""


class BrokerError(AssertionError):
    """The broker did not start, stop or log as expected."""


class TestTimeout(AssertionError):
    pass


def _source_dir():
    env = os.environ.get("SLUICE_SOURCE_DIR")
    if env:
        return env
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def sluiced_path():
    p = os.environ.get("SLUICED")
    if p:
        return p
    return os.path.join(_source_dir(), "build", "broker", "sluiced")


def sluiced_cmd():
    """The command that starts sluiced: [$SLUICE_TEST_WRAPPER,] sluiced."""
    wrapper = os.environ.get("SLUICE_TEST_WRAPPER")
    return ([wrapper] if wrapper else []) + [sluiced_path()]


def require_tool(name):
    """Skip the whole file (exit 77) if an executable is missing."""
    path = shutil.which(name)
    if not path:
        print("SKIP: required tool '%s' not found in PATH" % name, flush=True)
        print("0 passed, 0 failed, 1 skipped", flush=True)
        sys.exit(77)
    return path


def require_module(name):
    """Skip the whole file (exit 77) if a Python module cannot be imported."""
    try:
        __import__(name)
    except ImportError as e:
        print("SKIP: required Python module '%s' missing: %s" % (name, e), flush=True)
        print("0 passed, 0 failed, 1 skipped", flush=True)
        sys.exit(77)
    return sys.modules[name]


def wait_until(pred, secs, what="condition", interval=0.05):
    """Poll pred() until true; AssertionError naming `what` after secs (scaled)."""
    deadline = time.monotonic() + timeout(secs)
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1f s waiting for %s" % (timeout(secs), what))
        time.sleep(interval)


# Every broker made in this process, for log tails on failure and cleanup.
_brokers = []


def log_message(line):
    """The message of a log line: a log.format=json object's "message",
    else the (text) line itself."""
    if line.startswith("{"):
        try:
            obj = json.loads(line)
        except ValueError:
            return line
        if isinstance(obj, dict) and isinstance(obj.get("message"), str):
            return obj["message"]
    return line


class Broker:
    """One sluiced process (and its restarts) on one temporary data dir."""

    _seq = 0

    def __init__(self, overrides=None, start=True, name=None, extra_args=None):
        Broker._seq += 1
        self.name = name or "broker%d" % Broker._seq
        self.overrides = dict(overrides or {})
        self.extra_args = list(extra_args or [])
        self.root = tempfile.mkdtemp(prefix="sluice-it-%s-" % self.name)
        self.data_dir = os.path.join(self.root, "data")
        self.log_path = os.path.join(self.root, "broker.log")
        self.proc = None
        self.port = None
        self.host = None
        self.bootstrap = None
        self.advertised = None
        self.starts = 0
        self._reader = None
        self._lines = []      # every line of every run, in order
        self._run_start = 0   # index in _lines where the current run began
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._closed = False
        self._exit_expected = False  # set by stop()/kill(): any other exit is a crash
        _brokers.append(self)
        if start:
            self.start()

    # --- process life -----------------------------------------------------

    def command(self):
        args = sluiced_cmd() + self.extra_args
        ov = {"listeners": "PLAINTEXT://127.0.0.1:0", "log.dirs": self.data_dir}
        ov.update({k: str(v) for k, v in self.overrides.items()})
        for k, v in ov.items():
            args += ["--override", "%s=%s" % (k, v)]
        return args

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        exe = sluiced_path()
        if not os.path.exists(exe):
            raise BrokerError("sluiced not found at %s (set SLUICED or build it)" % exe)
        assert not self.running, "%s already running" % self.name
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        self.starts += 1
        self._exit_expected = False
        with self._lock:
            self._run_start = len(self._lines)
        self._ready.clear()
        self.port = None
        with open(self.log_path, "a") as f:
            f.write("=== %s start #%d: %s\n" % (self.name, self.starts, " ".join(self.command())))
        self.proc = subprocess.Popen(
            self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self._reader = threading.Thread(target=self._read, args=(self.proc,), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout(START_TIMEOUT)
        while not self._ready.wait(0.05):
            if self.proc.poll() is not None:
                self._reader.join(timeout(5))
                raise BrokerError("%s exited with status %s before listening\n%s" % (
                    self.name, self.proc.returncode, self.tail()))
            if time.monotonic() > deadline:
                self._hard_kill()
                raise BrokerError("%s did not log 'listening on' within %.0f s\n%s" % (
                    self.name, timeout(START_TIMEOUT), self.tail()))
        return self

    def _read(self, proc):
        with open(self.log_path, "a", errors="replace") as log:
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                log.write(line + "\n")
                log.flush()
                with self._lock:
                    self._lines.append(line)
                if not self._ready.is_set():
                    m = LISTENING_RE.search(log_message(line))
                    if m:
                        self.host = m.group(1)
                        self.port = int(m.group(2))
                        self.advertised = (m.group(3), int(m.group(4)))
                        self.bootstrap = "127.0.0.1:%d" % self.port
                        self._ready.set()
            proc.stdout.close()

    def _wait_exit(self, secs):
        try:
            return self.proc.wait(timeout(secs))
        except subprocess.TimeoutExpired:
            return None

    def _hard_kill(self):
        self._exit_expected = True
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        if self._reader:
            self._reader.join(timeout(5))

    def stop(self, check_log=True, sig=signal.SIGTERM):
        """SIGTERM (or `sig`); require exit status 0 and (by default) a clean log."""
        assert self.proc is not None, "%s was never started" % self.name
        self._exit_expected = True
        if self.proc.poll() is not None:
            self._reader.join(timeout(5))
            raise BrokerError("%s had already exited with status %s\n%s" % (
                self.name, self.proc.returncode, self.tail()))
        name = signal.Signals(sig).name
        self.proc.send_signal(sig)
        rc = self._wait_exit(STOP_TIMEOUT)
        if rc is None:
            self._hard_kill()
            raise BrokerError("%s did not exit within %.0f s of %s (killed)\n%s" % (
                self.name, timeout(STOP_TIMEOUT), name, self.tail()))
        self._reader.join(timeout(5))
        if rc != 0:
            raise BrokerError("%s exited with status %d after %s\n%s" % (
                self.name, rc, name, self.tail()))
        if check_log:
            self.check_log()
        return rc

    def kill(self):
        """SIGKILL (a crash, as far as the data dir can tell)."""
        self.assert_alive()
        self._exit_expected = True
        self.proc.send_signal(signal.SIGKILL)
        rc = self._wait_exit(10)
        if rc is None:
            self._hard_kill()
        self._reader.join(timeout(5))
        self.check_log()  # nothing bad may have been logged before the kill

    def restart(self):
        """Stop cleanly (if running) and start again on the same data dir."""
        if self.running:
            self.stop()
        return self.start()

    def assert_alive(self):
        if not self.running:
            if self._reader:
                self._reader.join(timeout(5))
            raise BrokerError("%s died (status %s)\n%s" % (
                self.name, self.proc.returncode if self.proc else None, self.tail()))

    # --- log --------------------------------------------------------------

    def lines(self, all_runs=False):
        with self._lock:
            return list(self._lines if all_runs else self._lines[self._run_start:])

    def bad_lines(self):
        return [l for l in self.lines(all_runs=True) if any(r.search(l) for r in BAD_LOG_RES)]

    def check_log(self):
        bad = self.bad_lines()
        if bad:
            raise BrokerError("%s logged errors or sanitizer reports:\n  %s\n%s" % (
                self.name, "\n  ".join(bad[:20]), self.tail()))

    def log_contains(self, pattern):
        r = re.compile(pattern)
        return [l for l in self.lines() if r.search(l)]

    def tail(self, n=LOG_TAIL_LINES):
        lines = self.lines(all_runs=True)[-n:]
        return "--- last %d lines of %s (%s) ---\n%s\n--- end of %s log ---" % (
            len(lines), self.name, self.log_path, "\n".join(lines), self.name)

    # --- cleanup ----------------------------------------------------------

    def close(self, check=True):
        """Stop (checking a clean exit when `check`), then remove the files."""
        if self._closed:
            return
        try:
            if self.running:
                if check:
                    self.stop()
                else:
                    self._hard_kill()
            elif check and self.proc is not None and not self._exit_expected:
                self._exit_expected = True
                if self._reader:
                    self._reader.join(timeout(5))
                raise BrokerError("%s exited by itself with status %s\n%s" % (
                    self.name, self.proc.returncode, self.tail()))
            elif check and self.proc is not None:
                self.check_log()
        finally:
            if self.running:
                self._hard_kill()
            self._closed = True
            if KEEP:
                print("# kept %s files in %s" % (self.name, self.root), flush=True)
            else:
                shutil.rmtree(self.root, ignore_errors=True)


def _kill_all():
    for b in _brokers:
        try:
            b._hard_kill()
        except Exception:
            pass
        if not KEEP:
            shutil.rmtree(b.root, ignore_errors=True)


atexit.register(_kill_all)


# --- runner -------------------------------------------------------------------

def _on_alarm(signum, frame):
    raise TestTimeout("test exceeded its time limit of %.0f s" % timeout(TEST_TIMEOUT))


def _print_tails(first, exc):
    """Tails of the brokers made by the failed test, and of any still running,
    unless the failure message already carries them."""
    text = str(exc)
    for i, b in enumerate(_brokers):
        if b._closed or b.proc is None or not (i >= first or b.running):
            continue
        if "--- end of %s log ---" % b.name not in text:
            print(b.tail(), flush=True)


def run_tests(namespace, argv=None):
    argv = sys.argv[1:] if argv is None else argv
    tests = [(n, f) for n, f in namespace.items()
             if n.startswith("test_") and callable(f) and hasattr(f, "__code__")]
    tests.sort(key=lambda nf: nf[1].__code__.co_firstlineno)
    if argv:
        tests = [(n, f) for n, f in tests if any(a in n for a in argv)]
    passed = failed = skipped = 0
    signal.signal(signal.SIGALRM, _on_alarm)
    for name, fn in tests:
        t0 = time.monotonic()
        first = len(_brokers)
        signal.setitimer(signal.ITIMER_REAL, timeout(TEST_TIMEOUT))
        try:
            fn()
            signal.setitimer(signal.ITIMER_REAL, 0)
        except SkipTest as e:
            signal.setitimer(signal.ITIMER_REAL, 0)
            skipped += 1
            print("SKIP %s: %s" % (name, e), flush=True)
            continue
        except BaseException as e:  # noqa: B902 - report everything, KeyboardInterrupt too
            signal.setitimer(signal.ITIMER_REAL, 0)
            failed += 1
            traceback.print_exc(file=sys.stdout)
            _print_tails(first, e)
            print("FAIL %s (%.1f s)" % (name, time.monotonic() - t0), flush=True)
            if isinstance(e, KeyboardInterrupt):
                break
            continue
        passed += 1
        print("PASS %s (%.1f s)" % (name, time.monotonic() - t0), flush=True)
    # Teardown: every broker still running must stop cleanly.
    for b in _brokers:
        if b._closed:
            continue
        try:
            signal.setitimer(signal.ITIMER_REAL, timeout(TEST_TIMEOUT))
            b.close(check=True)
            signal.setitimer(signal.ITIMER_REAL, 0)
        except BaseException:
            signal.setitimer(signal.ITIMER_REAL, 0)
            failed += 1
            traceback.print_exc(file=sys.stdout)
            print("FAIL teardown_%s" % b.name, flush=True)
            b.close(check=False)
    summary = "%d passed, %d failed" % (passed, failed)
    if skipped:
        summary += ", %d skipped" % skipped
    print(summary, flush=True)
    if failed:
        sys.exit(1)
    if skipped and not passed:
        sys.exit(77)
    sys.exit(0)
