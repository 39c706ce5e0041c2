"""rss - a broker's memory as the kernel sees it (/proc/<pid>/status).

Under ASan, run the broker with quarantine_size_mb=16 in ASAN_OPTIONS
(asan_small_quarantine() does it), so that RSS measures the broker and
not ASan's 256 MiB quarantine of freed memory.
"""

import os
import threading


def asan_small_quarantine():
    """Set quarantine_size_mb=16 in ASAN_OPTIONS (for brokers started
    afterwards), unless the environment chose a size."""
    if "ASAN_OPTIONS" not in os.environ or "quarantine_size_mb" not in os.environ["ASAN_OPTIONS"]:
        opts = os.environ.get("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
        os.environ["ASAN_OPTIONS"] = opts + ":quarantine_size_mb=16"


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmPeak", "VmSize", "VmHWM", "Threads"):
                out[k] = int(v.split()[0])  # kB (Threads: a count)
    return out


def rss_mb(pid):
    return proc_status(pid)["VmRSS"] / 1024.0


class RssWatch:
    """Samples a broker's VmRSS every 50 ms in a thread; phase() marks a
    new baseline and returns the previous phase's (baseline, peak)."""

    def __init__(self, broker):
        self.pid = broker.proc.pid
        self.lock = threading.Lock()
        self.base = self.peak = self.last = rss_mb(self.pid)
        self.stop = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stop.wait(0.05):
            try:
                v = rss_mb(self.pid)
            except (OSError, KeyError):
                return
            with self.lock:
                self.last = v
                self.peak = max(self.peak, v)

    def start_phase(self):
        with self.lock:
            self.base = self.peak = self.last = rss_mb(self.pid)
            return self.base

    def result(self):
        with self.lock:
            return self.base, self.peak, self.last

    def close(self):
        self.stop.set()
        self.t.join(2)
