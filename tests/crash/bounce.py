#!/usr/bin/python3
"""bounce.py - crash proof: idempotent producers against a broker that is
SIGKILLed at random moments and restarted (Kafka's "hard bounce").

    tests/crash/bounce.py                  # short run (5 cycles), as CI does
    tests/crash/bounce.py --cycles 300     # the long one
    tests/crash/bounce.py --seed 42 --producers 6 --partitions 4

Several confluent-kafka producers (librdkafka 2.0.2, enable.idempotence,
acks=all, 5 requests in flight), each in its own thread, write
"<producer>:<partition>:<n>" to every partition of one topic in turn,
with n counting up per producer and partition.  Meanwhile the broker is
killed with SIGKILL after a random uptime (0 to --max-up seconds: some
kills land while it is still recovering or before the clients have
reconnected, some in the middle of a stream of acks=all appends and
fsyncs) and restarted at once on the same data directory and port.  In
some cycles (--startup-kills) the restart is itself killed 0-0.3 s in,
mostly while it recovers the logs, before the real restart.

After the last cycle the producers get a bounded time to deliver what
they hold, the broker is stopped cleanly and started once more, and
every partition is read back over raw Fetch.  The last line printed is

    cycles C, acknowledged A, read R, lost L, duplicated D, out of order O

lost = acknowledged but not in the log; duplicated = copies beyond the
first; out of order = places where a producer's numbers go down within a
partition.  Also printed: messages written although never acknowledged
(allowed), failed deliveries, and batches whose sequence numbers do not
follow on.  Exit status 0 when lost, duplicated and out of order are 0
and no delivery failed, 1 otherwise, 2 on a usage or harness error, 77
if confluent_kafka is missing.

The broker is $SLUICED, else <repo>/build/broker/sluiced (see
tests/helpers/sluice_test.py); SLUICE_TEST_KEEP=1 keeps its data dir.
"""

import argparse
import collections
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "helpers"))

from sluice_test import Broker, BrokerError, timeout  # noqa: E402
import kafka_wire as w  # noqa: E402

try:
    import confluent_kafka as ck
except ImportError as e:  # pragma: no cover
    print("SKIP: confluent_kafka missing: %s" % e, flush=True)
    sys.exit(77)

TOPIC = "bounce"


def bindable(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port(rng):
    """A free port below the ephemeral range: clients reconnecting to a
    dead broker's ephemeral port could connect to themselves (TCP
    self-connect) and hold it."""
    lo = 32768
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo = int(f.read().split()[0])
    except (OSError, ValueError):
        pass
    for _ in range(200):
        port = rng.randrange(10000, max(10001, lo))
        if bindable(port):
            return port
    raise RuntimeError("no free port below the ephemeral range")


def wait_port_free(port, secs=10.0):
    """Milliseconds until the port can be bound again.

    BROKER BUG (reported): sluiced keeps its listening port bound for a
    few ms after the process is reaped, killed or even cleanly stopped
    (its io_uring, which holds the listening socket, is torn down after
    the process is gone), so an immediate restart can fail with "Address
    already in use" (exit 1).  A supervisor restarting it would retry
    after a delay; so do we."""
    t0 = time.monotonic()
    while not bindable(port):
        if time.monotonic() - t0 > secs:
            raise RuntimeError("port %d still bound %.0f s after the kill" % (port, secs))
        time.sleep(0.002)
    return (time.monotonic() - t0) * 1000


class Producer:
    """One idempotent producer in its own thread, recording its acks."""

    def __init__(self, tag, bootstrap, npart, rate, seed):
        self.tag = tag
        self.npart = npart
        self.rate = rate
        self.rng = random.Random(seed)
        self.next_n = [0] * npart
        self.acked = [[] for _ in range(npart)]
        self.failed = []
        self.fatal = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.p = ck.Producer({
            "bootstrap.servers": bootstrap,
            "client.id": "bounce-" + tag,
            "enable.idempotence": True,
            "acks": "all",
            "max.in.flight.requests.per.connection": 5,
            "linger.ms": 5,
            "batch.num.messages": 100,
            "compression.type": "none",
            "message.timeout.ms": 600000,
            "retry.backoff.ms": 50,
            "reconnect.backoff.ms": 20,
            "reconnect.backoff.max.ms": 300,
            "request.timeout.ms": 10000,
            "log_level": 0,
            "error_cb": self._on_error,
        })
        self.thread = threading.Thread(target=self._run, name="bounce-" + tag, daemon=True)

    def _on_error(self, err):
        if err.fatal():
            with self.lock:
                self.fatal.append(str(err))

    def _on_delivery(self, err, msg):
        _, part, n = msg.value().split(b":")
        with self.lock:
            if err is None:
                self.acked[int(part)].append(int(n))
            else:
                self.failed.append((int(part), int(n), str(err)))

    def _run(self):
        sent = 0
        t0 = time.monotonic()
        while not self.stop.is_set():
            part = sent % self.npart
            val = ("%s:%d:%d" % (self.tag, part, self.next_n[part])).encode()
            try:
                self.p.produce(TOPIC, value=val, partition=part, on_delivery=self._on_delivery)
            except BufferError:
                self.p.poll(0.05)
                continue
            self.next_n[part] += 1
            sent += 1
            self.p.poll(0)
            # A steady rate with some jitter, so batches vary in size.
            ahead = sent / self.rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(min(ahead, 0.05) * self.rng.uniform(0.5, 1.5))

    def acked_count(self):
        with self.lock:
            return sum(len(a) for a in self.acked)

    def finish(self, secs):
        self.stop.set()
        self.thread.join(10)
        return self.p.flush(secs)

    def close(self):
        self.stop.set()
        self.thread.join(10)
        p, self.p = self.p, None
        if p is not None:
            p.flush(0)
            del p


BAD_LINE = re.compile(r"\bERROR\b|AddressSanitizer|LeakSanitizer|runtime error|SUMMARY: ")


def kill_during_startup(broker, delay):
    """Start the broker on its data dir outside the Broker object and
    SIGKILL it `delay` seconds later, likely during recovery or before it
    listens.  Returns (how far it got, bad lines it printed)."""
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
    p = subprocess.Popen(broker.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        time.sleep(delay)
    finally:
        p.kill()
        out, _ = p.communicate(timeout=30)
    text = out.decode("utf-8", "replace")
    with open(broker.log_path, "a") as f:
        f.write("=== killed during start-up after %.3f s\n%s" % (delay, text))
    got = "listening" if "listening on" in text else "starting"
    return got, [l for l in text.splitlines() if BAD_LINE.search(l)]


def read_partition(port, part, secs=120):
    """Every batch of one partition up to its high watermark (raw Fetch v4)."""
    out = []
    off = 0
    deadline = time.monotonic() + secs
    with w.Conn("127.0.0.1", port, timeout=timeout(30)) as c:
        while True:
            f = c.fetch({TOPIC: {part: (off, 8 << 20)}})[TOPIC][part]
            if f["error"] != 0:
                raise RuntimeError("fetch %s-%d at %d: error %d" % (TOPIC, part, off, f["error"]))
            batches = w.parse_record_batches(f["records"])
            out += [b for b in batches if b.base_offset + b.last_offset_delta >= off]
            if batches:
                off = batches[-1].base_offset + batches[-1].last_offset_delta + 1
            if off >= f["high_watermark"]:
                return out
            if not batches:
                raise RuntimeError("fetch at %d below high watermark %d returned nothing" % (
                    off, f["high_watermark"]))
            if time.monotonic() > deadline:
                raise RuntimeError("reading %s-%d took longer than %d s" % (TOPIC, part, secs))


def audit(port, producers, npart):
    """Compare the log with what was acknowledged."""
    r = collections.Counter()
    problems = []
    for part in range(npart):
        seen = collections.defaultdict(list)
        expect_off = None
        last_seq = {}
        for b in read_partition(port, part):
            if expect_off is not None and b.base_offset != expect_off:
                problems.append("partition %d: batch at %d, expected %d" % (
                    part, b.base_offset, expect_off))
            expect_off = b.base_offset + b.last_offset_delta + 1
            if b.count != len(b.records) or b.last_offset_delta != b.count - 1:
                problems.append("partition %d: batch at %d has count %d, %d records, "
                                "last offset delta %d" % (part, b.base_offset, b.count,
                                                          len(b.records), b.last_offset_delta))
            key = (b.producer_id, b.producer_epoch)
            if b.producer_id < 0:
                problems.append("partition %d: batch at %d without producer id" % (
                    part, b.base_offset))
            elif key in last_seq and b.base_sequence != last_seq[key] + 1:
                problems.append("partition %d: producer %d epoch %d: batch at %d starts at "
                                "sequence %d, expected %d" % (part, b.producer_id,
                                                              b.producer_epoch, b.base_offset,
                                                              b.base_sequence,
                                                              last_seq[key] + 1))
            last_seq[key] = b.base_sequence + b.last_offset_delta
            for rec in b.records:
                tag, p, n = rec.value.decode().split(":")
                if int(p) != part:
                    problems.append("record %r in partition %d" % (rec.value, part))
                seen[tag].append(int(n))
                r["read"] += 1
        for prod in producers:
            got = seen.pop(prod.tag, [])
            acked = set(prod.acked[part])
            r["acknowledged"] += len(prod.acked[part])
            r["lost"] += len(acked - set(got))
            r["duplicated"] += len(got) - len(set(got))
            r["unacknowledged_written"] += len(set(got) - acked)
            first, s = [], set()
            for n in got:
                if n not in s:
                    s.add(n)
                    first.append(n)
            r["out_of_order"] += sum(1 for a, b in zip(first, first[1:]) if b < a)
        for tag in seen:
            problems.append("partition %d: records of unknown producer %r" % (part, tag))
    return r, problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cycles", type=int, default=5, help="kill/restart cycles (default 5)")
    ap.add_argument("--producers", type=int, default=4, help="producers (default 4)")
    ap.add_argument("--partitions", type=int, default=3, help="partitions (default 3)")
    ap.add_argument("--rate", type=int, default=2000,
                    help="messages per second per producer (default 2000)")
    ap.add_argument("--max-up", type=float, default=2.0,
                    help="longest uptime before a kill, seconds (default 2)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    ap.add_argument("--startup-kills", type=float, default=0.15,
                    help="chance per cycle of one more kill during start-up (default 0.15)")
    ap.add_argument("--segment-bytes", type=int, default=1 << 20,
                    help="log.segment.bytes, small so kills also hit rolls (default 1 MiB)")
    ap.add_argument("--snapshot-ms", type=int, default=300,
                    help="producer.id.expiration.check.interval.ms: how often producer-state "
                    "snapshots are written, so kills also land between them (default 300)")
    args = ap.parse_args(argv)
    if args.cycles < 0 or args.producers < 1 or args.partitions < 1:
        ap.error("bad counts")
    seed = args.seed if args.seed is not None else random.randrange(1 << 31)
    rng = random.Random(seed)
    print("# bounce: seed %d, %d cycles, %d producers, %d partitions, broker %s" % (
        seed, args.cycles, args.producers, args.partitions,
        os.environ.get("SLUICED", "(default)")), flush=True)

    t_start = time.monotonic()
    broker = Broker({"num.partitions": args.partitions,
                     "listeners": "PLAINTEXT://127.0.0.1:%d" % free_port(random.Random()),
                     "log.segment.bytes": args.segment_bytes,
                     "producer.id.expiration.check.interval.ms": args.snapshot_ms},
                    name="bounce")
    producers = []
    status = 0
    harness_error = None
    cycles = idle_cycles = 0
    port_waits = []
    start_secs = []    # how long each restart took (until "listening on")
    first_acks = []    # restart -> first new acknowledgement, when one came before the kill
    first_ack = None
    t_started = time.monotonic()
    startup_kills = collections.Counter()
    undelivered = 0
    try:
        # The topic first, so the producers' first metadata has it.
        with w.Conn("127.0.0.1", broker.port, timeout=timeout(10)) as c:
            md = c.metadata([TOPIC])
            assert md["topics"][0]["error"] == 0, md
        producers = [Producer("p%d" % i, broker.bootstrap, args.partitions, args.rate,
                              rng.randrange(1 << 30)) for i in range(args.producers)]
        for p in producers:
            p.thread.start()
        for cycle in range(args.cycles):
            before = sum(p.acked_count() for p in producers)
            t_up = time.monotonic()
            up_for = rng.uniform(0, args.max_up)
            while time.monotonic() - t_up < up_for:
                if first_ack is None and sum(p.acked_count() for p in producers) > before:
                    first_ack = time.monotonic() - t_started
                time.sleep(0.005)
            broker.kill()
            cycles += 1
            if sum(p.acked_count() for p in producers) == before:
                idle_cycles += 1
            if first_ack is not None:
                first_acks.append(first_ack)
            port_waits.append(wait_port_free(broker.port))
            if rng.random() < args.startup_kills:
                # A release build listens ~30 ms after exec, ASan ~100 ms:
                # half the delays are short enough to hit the recovery.
                delay = rng.uniform(0, 0.03) if rng.random() < 0.5 else rng.uniform(0, 0.3)
                got, bad = kill_during_startup(broker, delay)
                startup_kills[got] += 1
                if bad:
                    raise RuntimeError("broker killed during start-up printed: %s" % bad[:5])
                port_waits.append(wait_port_free(broker.port))
            if rng.random() < 0.2:
                time.sleep(rng.uniform(0, 0.5))  # down for a while, now and then
            t0 = time.monotonic()
            broker.start()
            t_started = time.monotonic()
            start_secs.append(t_started - t0)
            first_ack = None
            if (cycle + 1) % 25 == 0:
                print("# %d cycles, %d acknowledged, %.0f s" % (
                    cycle + 1, sum(p.acked_count() for p in producers),
                    time.monotonic() - t_start), flush=True)
        # Let the producers finish what they hold; the broker stays up.
        time.sleep(0.5)
        deadline = time.monotonic() + timeout(60)
        for p in producers:
            left = p.finish(max(1.0, deadline - time.monotonic()))
            undelivered += left
        broker.stop()   # a clean stop, then one more start: nothing may change
        wait_port_free(broker.port)  # (the same bug after a clean exit)
        broker.start()
        res, problems = audit(broker.port, producers, args.partitions)
    except BrokerError as e:
        harness_error = "broker: %s" % e
        if any("stopping" in l and "received" in l for l in broker.lines()):
            harness_error += ("\n(the broker logged a stop signal it was sent: something "
                              "outside this script signalled it)")
    except Exception as e:  # noqa: B902 - report, clean up, exit 2
        harness_error = "%s: %s" % (type(e).__name__, e)
    finally:
        for p in producers:
            try:
                p.close()
            except Exception:
                pass
        try:
            if broker.running:
                broker.stop()
        except BrokerError as e:
            harness_error = harness_error or "broker: %s" % e
        broker.close(check=False)
    elapsed = time.monotonic() - t_start
    if harness_error:
        print("HARNESS ERROR: %s" % harness_error, flush=True)
        print("cycles %d, acknowledged ?, read ?, lost ?, duplicated ?, out of order ?" % cycles)
        return 2
    failed = sum(len(p.failed) for p in producers)
    fatal = [f for p in producers for f in p.fatal]
    print("# %.1f s; cycles without any new acknowledgement: %d; written but never "
          "acknowledged: %d; failed deliveries: %d; undelivered at the end: %d; "
          "sequence/offset problems: %d" % (elapsed, idle_cycles,
                                            res["unacknowledged_written"], failed,
                                            undelivered, len(problems)), flush=True)
    if start_secs:
        print("# restarts: %.3f s on average, %.3f s at most (last 10: %.3f s avg); first "
              "acknowledgement after a restart: %s" % (
                  sum(start_secs) / len(start_secs), max(start_secs),
                  sum(start_secs[-10:]) / len(start_secs[-10:]),
                  "%.3f s avg, %.3f s max (%d cycles)" % (
                      sum(first_acks) / len(first_acks), max(first_acks), len(first_acks))
                  if first_acks else "none before the next kill"), flush=True)
    print("# extra kills during start-up: %d before it listened, %d after" % (
        startup_kills["starting"], startup_kills["listening"]), flush=True)
    busy = [x for x in port_waits if x > 0]
    if busy:
        print("# the port was still bound after %d of %d SIGKILLs (up to %.1f ms; the kernel "
              "frees it with the dead broker's io_uring): waited before restarting" % (
                  len(busy), len(port_waits), max(busy)), flush=True)
    lines = broker.lines(all_runs=True)
    print("# producer state loads: %d from a snapshot, %d from the whole log, %d snapshots "
          "that no longer matched the log" % (
              sum("producer state from its snapshot" in l for l in lines),
              sum("producer state from the log" in l for l in lines),
              sum("does not match the log" in l for l in lines)), flush=True)
    for p in producers:
        for f in p.failed[:3]:
            print("#   %s: failed delivery %r" % (p.tag, f))
    for f in fatal[:5]:
        print("#   fatal producer error: %s" % f)
    for pr in problems[:10]:
        print("#   %s" % pr)
    if res["lost"] or res["duplicated"] or res["out_of_order"] or failed or fatal or \
            undelivered or problems:
        status = 1
    if res["acknowledged"] == 0:
        print("# nothing was acknowledged: the run proves nothing")
        status = 1
    print("cycles %d, acknowledged %d, read %d, lost %d, duplicated %d, out of order %d" % (
        cycles, res["acknowledged"], res["read"], res["lost"], res["duplicated"],
        res["out_of_order"]), flush=True)
    return status


def _on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # runs the cleanup: producers closed, broker stopped


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _on_sigterm)
    sys.exit(main())
