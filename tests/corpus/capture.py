#!/usr/bin/python3
"""capture.py - record real clients' request frames as golden frames.

Runs a TCP proxy in front of a sluiced, drives the real clients through it
(kcat, kafka-python, confluent-kafka and, when node and kafkajs are there,
kafkajs) and writes every distinct request frame it saw, size prefix
stripped, as hex to

    tests/corpus/frames/<client>-<api>-v<version>-<n>.hex

These files are the golden frames of tests/unit/protocol/test_golden.c
(decode + re-encode byte-identical) and the seed corpus of the fuzzer
(tests/fuzz/).  The broker's responses go to

    tests/corpus/responses/<client>-<api>-v<version>-<n>.hex

as fuzz inputs for the client-side decoders: the response frame, then
two bytes, api key and version (tests/fuzz/fuzz_request.c's selector).
They are sluice's own encodings, so they seed the fuzzer and are replayed
by ctest, but they are not golden.  Capturing is done by hand, not by CI:

    cmake -S . -B build-fz -DSLUICE_SANITIZE=ON && cmake --build build-fz -j2
    /usr/bin/python3 tests/corpus/capture.py --sluiced build-fz/broker/sluiced \
        [--kafkajs-dir DIR]        # a dir with node_modules/kafkajs (2.2.4)

Run it with a Python that has kafka-python (2.0.2) and confluent-kafka
(1.7.0), Debian's /usr/bin/python3 with python3-kafka and
python3-confluent-kafka.  A client that is missing is skipped, with a note.

By default the script starts its own sluiced (--sluiced), advertising the
proxy's address so that the clients' second connections (to the broker id
from Metadata) go through the proxy too.  --upstream HOST:PORT uses a
running broker instead; that broker must then advertise the proxy's
--listen address (advertised.listeners=PLAINTEXT://127.0.0.1:PORT).

The set is kept small: frames that differ only in their correlation id
are one frame, at most --per-kind frames per (client, api, version) are
kept (the first ones seen), and at most --max-files in all.  The output
directory's old *.hex files are removed first.

File format: '#' comment lines (client, api, version, length), then the
frame as hex, 32 bytes a line.  Readers ignore comments and whitespace.
"""

import argparse
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))

# Kafka's API names (protocol/api.c), for file names and comments.
API_NAMES = {
    0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit",
    9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat",
    13: "LeaveGroup", 14: "SyncGroup", 15: "DescribeGroups", 16: "ListGroups",
    17: "SaslHandshake", 18: "ApiVersions", 19: "CreateTopics", 20: "DeleteTopics",
    21: "DeleteRecords", 22: "InitProducerId", 32: "DescribeConfigs",
    33: "AlterConfigs", 36: "SaslAuthenticate", 37: "CreatePartitions",
    42: "DeleteGroups", 44: "IncrementalAlterConfigs", 47: "OffsetDelete",
    60: "DescribeCluster",
}

MAX_FRAME = 8 << 20  # anything larger is not a client request we want


def log(msg):
    print("capture: %s" % msg, file=sys.stderr, flush=True)


# --- the proxy ------------------------------------------------------------

class Recorder:
    """Every request frame seen, in order, with the client label in force."""

    def __init__(self):
        self.lock = threading.Lock()
        self.client = "unknown"
        self.frames = []     # (client, bytes)
        self.responses = []  # (client, api key, version, bytes)

    def add(self, frame):
        with self.lock:
            self.frames.append((self.client, bytes(frame)))

    def add_response(self, key, ver, frame):
        with self.lock:
            self.responses.append((self.client, key, ver, bytes(frame)))

    def set_client(self, name):
        with self.lock:
            self.client = name


class Proxy:
    """Accepts on 127.0.0.1:port, one upstream connection per client
    connection; client->broker bytes are split into frames and recorded,
    both directions are forwarded unchanged."""

    def __init__(self, rec, listen_port=0):
        self.rec = rec
        self.upstream = None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", listen_port))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.closing = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.closing = True
        try:
            self.sock.close()
        except OSError:
            pass

    def _accept(self):
        while not self.closing:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                u = socket.create_connection(self.upstream, timeout=10)
                u.settimeout(None)
            except OSError as e:
                log("upstream connect failed: %s" % e)
                c.close()
                continue
            pending = {}  # correlation id -> (api key, version), this connection
            threading.Thread(target=self._c2s, args=(c, u, pending), daemon=True).start()
            threading.Thread(target=self._s2c, args=(u, c, pending), daemon=True).start()

    def _c2s(self, c, u, pending):
        buf = bytearray()
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                buf += data
                while len(buf) >= 4:
                    (n,) = struct.unpack(">i", buf[:4])
                    if n < 0 or n > MAX_FRAME:
                        log("bad frame size %d: no longer recording this connection" % n)
                        buf = None
                        break
                    if len(buf) < 4 + n:
                        break
                    self.rec.add(buf[4:4 + n])
                    if n >= 8:
                        key, ver, corr = struct.unpack(">hhi", buf[4:12])
                        pending[corr] = (key, ver)
                    del buf[:4 + n]
                u.sendall(data)
                if buf is None:
                    self._pipe(c, u)
                    break
        except OSError:
            pass
        finally:
            _shut(u)

    def _s2c(self, u, c, pending):
        """Forward responses; record each with the (api, version) of the
        request that has its correlation id."""
        buf = bytearray()
        try:
            while True:
                data = u.recv(65536)
                if not data:
                    break
                c.sendall(data)
                buf += data
                while len(buf) >= 4:
                    (n,) = struct.unpack(">i", buf[:4])
                    if n < 4 or n > MAX_FRAME:
                        self._pipe(u, c)
                        return
                    if len(buf) < 4 + n:
                        break
                    (corr,) = struct.unpack(">i", buf[4:8])
                    kv = pending.pop(corr, None)
                    if kv:
                        self.rec.add_response(kv[0], kv[1], buf[4:4 + n])
                    del buf[:4 + n]
        except OSError:
            pass
        finally:
            _shut(c)

    @staticmethod
    def _pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    return
                b.sendall(data)
        except OSError:
            return


def _shut(s):
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass


# --- the broker -----------------------------------------------------------

class Sluiced:
    LISTENING_RE = re.compile(r"listening on (\S+):(\d+)")

    def __init__(self, exe, advertise_port):
        self.dir = tempfile.mkdtemp(prefix="golden-capture-")
        self.log_path = os.path.join(self.dir, "broker.log")
        args = [exe]
        for k, v in [("listeners", "PLAINTEXT://127.0.0.1:0"),
                     ("advertised.listeners", "PLAINTEXT://127.0.0.1:%d" % advertise_port),
                     ("log.dirs", os.path.join(self.dir, "data")),
                     ("group.initial.rebalance.delay.ms", "0"),
                     ("num.partitions", "2")]:
            args += ["--override", "%s=%s" % (k, v)]
        self.logf = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        self.port = None
        while time.monotonic() < deadline:
            with open(self.log_path) as f:
                m = self.LISTENING_RE.search(f.read())
            if m:
                self.port = int(m.group(2))
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if self.port is None:
            self.stop()
            sys.exit("capture: sluiced did not start; log:\n" + open(self.log_path).read())

    def tail(self, n=40):
        with open(self.log_path, errors="replace") as f:
            return "".join(f.readlines()[-n:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()
        bad = [l for l in open(self.log_path)
               if re.search(r"\bERROR\b|Sanitizer|runtime error", l)]
        if bad:
            log("broker log has errors (kept in %s):\n  %s" % (self.dir, "  ".join(bad[:20])))
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


# --- the client drivers ---------------------------------------------------
# Each runs in a child process (so that its connections are closed when it
# ends) against the proxy's address; it fails loudly, the capture goes on.

def drive_kcat(bootstrap, _args):
    kcat = shutil.which("kcat")
    if not kcat:
        raise SkipClient("kcat not found")
    topic = "golden-kcat"
    base = [kcat, "-b", bootstrap, "-X", "topic.metadata.refresh.interval.ms=60000"]

    def run(argv, stdin=None, tmo=30, sig=None):
        cmd = argv if sig is None else ["timeout", "-s", sig, str(tmo)] + argv
        r = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=tmo + 20)
        if r.returncode != 0 and not (sig and r.returncode == 124):
            raise RuntimeError("%s: exit %d: %s" % (" ".join(argv), r.returncode,
                                                    r.stderr.decode(errors="replace")[-500:]))
        return r.stdout

    run(base + ["-L"])
    run(base + ["-P", "-t", topic, "-p", "0", "-K", ":", "-H", "h1=v1", "-H", "h2="],
        stdin=b"k1:hello\nk2:world\n:no key\n")
    run(base + ["-P", "-t", topic, "-p", "1", "-z", "gzip"], stdin=b"gz-one\ngz-two\n")
    run(base + ["-P", "-t", topic, "-p", "1", "-z", "zstd", "-X", "acks=1"], stdin=b"zs\n")
    run(base + ["-P", "-t", topic, "-p", "0", "-X", "acks=0"], stdin=b"fire and forget\n")
    # Idempotent: InitProducerId, then batches with a producer id and sequence.
    run(base + ["-P", "-t", topic, "-p", "1", "-X", "enable.idempotence=true"],
        stdin=b"idem-1\nidem-2\n")
    run(base + ["-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q"])
    run(base + ["-C", "-t", topic, "-o", "beginning", "-e", "-q", "-c", "100"])
    # Balanced consumer; SIGINT after a few seconds: heartbeats, a commit
    # on close, LeaveGroup.
    run(base + ["-G", "kcat-group", "-o", "beginning", "-q",
                "-X", "heartbeat.interval.ms=300", "-X", "auto.commit.interval.ms=500",
                topic], tmo=6, sig="INT")
    now_ms = int(time.time() * 1000)
    run(base + ["-Q", "-t", "%s:0:%d" % (topic, now_ms - 3600 * 1000),
                "-t", "%s:1:%d" % (topic, now_ms)])


def drive_kafka_python(bootstrap, _args):
    try:
        from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
    except ImportError as e:
        raise SkipClient("kafka-python: %s" % e)
    topic = "golden-kp"
    p = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks=1)
    for i in range(3):
        p.send(topic, key=b"k%d" % i, value=b"value %d" % i, headers=[("h", b"x")],
               partition=i % 2)
    p.flush(30)
    p.close()
    p = KafkaProducer(bootstrap_servers=bootstrap, compression_type="gzip", acks="all")
    p.send(topic, value=b"gzipped", partition=0)
    p.send(topic, key=b"nullvalue", value=None, partition=0)
    p.flush(30)
    p.close()

    # assign + seek, no group: ListOffsets v1, Fetch v4
    tp0, tp1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                      consumer_timeout_ms=3000, fetch_max_wait_ms=100)
    c.assign([tp0, tp1])
    c.seek_to_beginning(tp0)
    c.seek(tp1, 1)
    list(c)
    c.end_offsets([tp0, tp1])
    c.beginning_offsets([tp0])
    c.offsets_for_times({tp0: int(time.time() * 1000) - 60000})
    c.close()

    # assign with a group id: commits with generation -1
    c = KafkaConsumer(bootstrap_servers=bootstrap, group_id="kp-assign",
                      enable_auto_commit=False, consumer_timeout_ms=2000,
                      fetch_max_wait_ms=100, auto_offset_reset="earliest")
    c.assign([tp0])
    list(c)
    c.commit()
    c.committed(tp0)
    c.close()

    # subscribe: the group protocol
    c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id="kp-group",
                      enable_auto_commit=False, auto_offset_reset="earliest",
                      heartbeat_interval_ms=200, fetch_max_wait_ms=100)
    got, deadline = 0, time.monotonic() + 30
    while got < 5 and time.monotonic() < deadline:
        for recs in c.poll(500).values():
            got += len(recs)
    c.commit()
    c.committed(tp0)
    time.sleep(1.0)  # a few heartbeats
    c.poll(100)
    c.close()  # LeaveGroup

    a = KafkaAdminClient(bootstrap_servers=bootstrap)
    a.list_consumer_groups()
    a.describe_consumer_groups(["kp-group", "kp-assign"])
    a.list_consumer_group_offsets("kp-group")
    a.list_consumer_group_offsets("kp-assign", partitions=[tp0])
    a.describe_cluster()
    a.delete_consumer_groups(["kp-assign"])
    a.close()


def drive_confluent_kafka(bootstrap, _args):
    try:
        from confluent_kafka import Consumer, Producer, TopicPartition
        from confluent_kafka.admin import AdminClient
    except ImportError as e:
        raise SkipClient("confluent-kafka: %s" % e)
    topic = "golden-ck"
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(3):
        p.produce(topic, key=b"k%d" % i, value=b"value %d" % i, partition=i % 2,
                  headers=[("h", b"v"), ("n", None)])
    p.flush(30)
    p = Producer({"bootstrap.servers": bootstrap, "compression.type": "lz4", "acks": "all"})
    p.produce(topic, value=b"lz4 " * 20, partition=0)
    p.flush(30)
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True,
                  "compression.type": "snappy"})
    for i in range(2):
        p.produce(topic, value=b"idempotent %d" % i, partition=1)
    p.flush(30)

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "ck-group",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "heartbeat.interval.ms": 200, "fetch.wait.max.ms": 100})
    c.subscribe([topic])
    got, deadline = 0, time.monotonic() + 30
    while got < 4 and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            got += 1
    c.commit(asynchronous=False)
    tp0 = TopicPartition(topic, 0)
    c.committed([tp0], timeout=10)
    c.get_watermark_offsets(tp0, timeout=10)
    c.offsets_for_times([TopicPartition(topic, 0, int(time.time() * 1000) - 60000)],
                        timeout=10)
    time.sleep(1.0)
    c.poll(0.1)
    c.close()

    a = AdminClient({"bootstrap.servers": bootstrap})
    a.list_topics(timeout=10)
    a.list_topics(topic=topic, timeout=10)
    a.list_groups(timeout=10)
    a.list_groups("ck-group", timeout=10)


KAFKAJS_DRIVER = r"""
const path = require('path');
const { Kafka, logLevel } = require(path.join(process.argv[2], 'node_modules', 'kafkajs'));
const bootstrap = process.argv[3];
const topic = 'golden-kjs';
const kafka = new Kafka({ clientId: 'golden-kafkajs', brokers: [bootstrap],
                          logLevel: logLevel.ERROR, retry: { retries: 3 } });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  await producer.send({ topic, messages: [
    { key: 'k1', value: 'hello', headers: { h: 'v' }, partition: 0 },
    { key: null, value: 'world', partition: 1 },
  ] });
  await producer.send({ topic, acks: 1, messages: [{ value: 'acks1', partition: 0 }] });
  await producer.disconnect();
  const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await idem.connect();
  await idem.send({ topic, messages: [{ value: 'idempotent', partition: 1 }] });
  await idem.disconnect();

  const consumer = kafka.consumer({ groupId: 'kjs-group', heartbeatInterval: 200,
                                    maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let got = 0;
  await consumer.run({ eachMessage: async () => { got += 1; } });
  for (let i = 0; i < 100 && got < 3; i++) await sleep(100);
  await sleep(1000);
  await consumer.disconnect();

  const admin = kafka.admin();
  await admin.connect();
  await admin.listTopics();
  await admin.fetchTopicMetadata({ topics: [topic] });
  await admin.fetchTopicOffsets(topic);
  await admin.fetchTopicOffsetsByTimestamp(topic, Date.now() - 60000);
  await admin.fetchOffsets({ groupId: 'kjs-group', topics: [topic] });
  await admin.listGroups();
  await admin.describeGroups(['kjs-group']);
  await admin.describeCluster();
  await admin.setOffsets({ groupId: 'kjs-other', topic,
                           partitions: [{ partition: 0, offset: '1' }] });
  await admin.resetOffsets({ groupId: 'kjs-other', topic, earliest: true });
  await admin.deleteGroups(['kjs-other']);
  await admin.disconnect();
})().catch((e) => { console.error(e); process.exit(1); });
"""


def drive_kafkajs(bootstrap, args):
    node = shutil.which("node")
    if not node:
        raise SkipClient("node not found")
    d = args.kafkajs_dir
    if not d or not os.path.isdir(os.path.join(d, "node_modules", "kafkajs")):
        raise SkipClient("kafkajs not found (--kafkajs-dir DIR with node_modules/kafkajs; "
                         "npm install kafkajs@2.2.4 in a temporary directory)")
    with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as f:
        f.write(KAFKAJS_DRIVER)
    try:
        r = subprocess.run([node, f.name, os.path.abspath(d), bootstrap], timeout=120,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode:
            raise RuntimeError("kafkajs driver: exit %d: %s"
                               % (r.returncode, r.stderr.decode(errors="replace")[-800:]))
    finally:
        os.unlink(f.name)


class SkipClient(Exception):
    pass


DRIVERS = {
    "kcat": drive_kcat,
    "kafka-python": drive_kafka_python,
    "confluent-kafka": drive_confluent_kafka,
    "kafkajs": drive_kafkajs,
}


def run_driver_child(name, bootstrap, args):
    """In the child process: run one driver; exit 0 ok, 3 skipped, 1 failed."""
    try:
        DRIVERS[name](bootstrap, args)
    except SkipClient as e:
        print("skipped: %s" % e, file=sys.stderr)
        sys.exit(3)
    sys.exit(0)


# --- writing the corpus ---------------------------------------------------

def frame_key(frame):
    """The frame with its correlation id zeroed: frames equal but for it
    are one frame."""
    if len(frame) >= 8:
        return frame[:4] + b"\0\0\0\0" + frame[8:]
    return frame


def select(frames, per_kind, max_files):
    seen, per, out = set(), {}, []
    for client, fr in frames:
        if len(fr) < 8:
            log("%s: a %d-byte frame, too short for a header: skipped" % (client, len(fr)))
            continue
        key, ver = struct.unpack(">hh", fr[:4])
        k = frame_key(fr)
        if k in seen:
            continue
        seen.add(k)
        kind = (client, key, ver)
        n = per.get(kind, 0)
        if n >= per_kind:
            continue
        per[kind] = n + 1
        out.append((client, key, ver, n + 1, fr))
    if len(out) > max_files:
        # Keep the first of every kind, then fill in order.
        firsts = [f for f in out if f[3] == 1]
        rest = [f for f in out if f[3] != 1]
        out = (firsts + rest)[:max_files]
    return out


def select_responses(responses, per_kind, max_files, max_size=4096):
    seen, per, out = set(), {}, []
    for client, key, ver, fr in responses:
        if len(fr) > max_size:
            continue
        k = (key, ver, b"\0\0\0\0" + fr[4:])
        if k in seen:
            continue
        seen.add(k)
        kind = (client, key, ver)
        n = per.get(kind, 0)
        if n >= per_kind:
            continue
        per[kind] = n + 1
        out.append((client, key, ver, n + 1, fr))
    return out[:max_files]


def write_response_seed(path, client, key, ver, fr):
    name = API_NAMES.get(key, "Api%d" % key)
    seed = fr + bytes([key & 0xFF, ver & 0xFF])
    with open(path, "w") as f:
        f.write("# sluiced's response to %s %s v%d (key %d), %d bytes, size prefix stripped,\n"
                "# then two bytes: api key, version (fuzz_request.c's response selector)\n"
                % (client, name, ver, key, len(fr)))
        for i in range(0, len(seed), 32):
            f.write(seed[i:i + 32].hex() + "\n")


def write_hex(path, client, key, ver, fr):
    name = API_NAMES.get(key, "Api%d" % key)
    with open(path, "w") as f:
        f.write("# %s %s v%d (key %d), %d bytes, request frame without its size prefix\n"
                % (client, name, ver, key, len(fr)))
        for i in range(0, len(fr), 32):
            f.write(fr[i:i + 32].hex() + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sluiced", default=os.path.join(SOURCE_DIR, "build", "broker", "sluiced"))
    ap.add_argument("--upstream", help="HOST:PORT of a running broker (advertising --listen)")
    ap.add_argument("--listen", type=int, default=0, help="proxy port (default: any)")
    ap.add_argument("--out", default=os.path.join(HERE, "frames"))
    ap.add_argument("--responses-out", default=os.path.join(HERE, "responses"),
                    help="response fuzz seeds ('' for none)")
    ap.add_argument("--clients", default=",".join(DRIVERS))
    ap.add_argument("--kafkajs-dir", default=os.environ.get("KAFKAJS_DIR"))
    ap.add_argument("--per-kind", type=int, default=4,
                    help="frames kept per (client, api, version)")
    ap.add_argument("--max-files", type=int, default=200)
    ap.add_argument("--run-driver", help=argparse.SUPPRESS)
    ap.add_argument("--bootstrap", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.run_driver:
        run_driver_child(args.run_driver, args.bootstrap, args)
        return

    rec = Recorder()
    proxy = Proxy(rec, args.listen)
    broker = None
    if args.upstream:
        host, port = args.upstream.rsplit(":", 1)
        proxy.upstream = (host, int(port))
    else:
        broker = Sluiced(args.sluiced, proxy.port)
        proxy.upstream = ("127.0.0.1", broker.port)
    bootstrap = "127.0.0.1:%d" % proxy.port
    log("proxy on %s -> %s:%d" % (bootstrap, *proxy.upstream))

    results = {}
    try:
        for name in [c for c in args.clients.split(",") if c]:
            if name not in DRIVERS:
                sys.exit("capture: unknown client %r (have %s)" % (name, ", ".join(DRIVERS)))
            rec.set_client(name)
            before = len(rec.frames)
            cmd = [sys.executable, os.path.abspath(__file__), "--run-driver", name,
                   "--bootstrap", bootstrap]
            if args.kafkajs_dir:
                cmd += ["--kafkajs-dir", args.kafkajs_dir]
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=300)
            time.sleep(0.5)  # let the proxy threads see the last frames
            err = r.stderr.decode(errors="replace").strip()
            status = {0: "ok", 3: "skipped"}.get(r.returncode, "FAILED")
            results[name] = status
            log("%s: %s, %d frames" % (name, status, len(rec.frames) - before))
            if r.returncode not in (0,):
                log(textwrap.indent(err[-2000:], "    "))
            if broker and broker.proc.poll() is not None:
                log("sluiced exited (status %s) during %s; its log:\n%s"
                    % (broker.proc.returncode, name, broker.tail()))
                results["sluiced"] = "FAILED"
                break
    finally:
        rec.set_client("after")
        proxy.close()
        if broker:
            broker.stop()

    sel = select(rec.frames, args.per_kind, args.max_files)
    os.makedirs(args.out, exist_ok=True)
    for f in os.listdir(args.out):
        if f.endswith(".hex"):
            os.unlink(os.path.join(args.out, f))
    total = 0
    for client, key, ver, n, fr in sel:
        name = API_NAMES.get(key, "Api%d" % key)
        path = os.path.join(args.out, "%s-%s-v%d-%d.hex" % (client, name, ver, n))
        write_hex(path, client, key, ver, fr)
        total += os.path.getsize(path)
    log("%d frames seen, %d written to %s (%d bytes)" % (len(rec.frames), len(sel), args.out,
                                                          total))
    if args.responses_out:
        rsel = select_responses(rec.responses, 2, 100)
        os.makedirs(args.responses_out, exist_ok=True)
        for f in os.listdir(args.responses_out):
            if f.endswith(".hex"):
                os.unlink(os.path.join(args.responses_out, f))
        for client, key, ver, n, fr in rsel:
            name = API_NAMES.get(key, "Api%d" % key)
            write_response_seed(os.path.join(args.responses_out, "%s-%s-v%d-%d.hex"
                                              % (client, name, ver, n)), client, key, ver, fr)
        log("%d responses seen, %d written to %s" % (len(rec.responses), len(rsel),
                                                      args.responses_out))
    kinds = {}
    for client, key, ver, _, _ in sel:
        kinds.setdefault((client, API_NAMES.get(key, str(key))), set()).add(ver)
    for (client, api), vers in sorted(kinds.items()):
        log("  %-16s %-16s v%s" % (client, api, ",".join(str(v) for v in sorted(vers))))
    if any(s == "FAILED" for s in results.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
