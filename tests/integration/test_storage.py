#!/usr/bin/python3
"""Storage: crash recovery of a damaged log tail, retention under load, disk full.

- A segment whose last batch was cut in the middle, and one with garbage
  appended after its last batch (each left behind by a SIGKILL), are cut
  back to the end of the last complete batch at restart; kafka-python with
  check_crcs reads every complete batch and sees no error; new appends
  continue right after the last complete batch.
- Retention (log.retention.ms=1500, small segments) deletes expired
  segments while a producer keeps writing: old segment files disappear,
  ListOffsets earliest moves up, a Fetch below the log start gets
  OFFSET_OUT_OF_RANGE, everything from the log start on is readable and
  contiguous, and the producer never sees an error.
- Disk full (a 2 MiB tmpfs; skipped if it cannot be mounted): acks=all
  produces until KAFKA_STORAGE_ERROR; the broker stays up; after the disk
  grows and the broker restarts, every acknowledged record is there.
"""

import glob
import logging
import os
import random
import shutil
import struct
import subprocess
import tempfile
import threading
import time

from sluice_test import Broker, BrokerError, SkipTest, require_module, run_tests, timeout
import kafka_wire as w

require_module("kafka")
from kafka import KafkaConsumer, TopicPartition  # noqa: E402

logging.basicConfig(level=logging.ERROR)

ERR_NONE = 0
ERR_OFFSET_OUT_OF_RANGE = 1
ERR_KAFKA_STORAGE_ERROR = 56


# --- helpers ------------------------------------------------------------------

def conn(b, secs=15):
    return w.Conn("127.0.0.1", b.port, timeout=timeout(secs))


def create_topic(b, topic):
    """Auto-create `topic` through Metadata and wait until partition 0 has a leader."""
    deadline = time.monotonic() + timeout(15)
    with conn(b) as c:
        while True:
            md = c.metadata([topic])
            t = md["topics"][0]
            if t["error"] == 0 and t["partitions"] and all(
                    p["error"] == 0 and p["leader"] >= 0 for p in t["partitions"]):
                return
            assert time.monotonic() < deadline, "topic %s not ready: %r" % (topic, t)
            time.sleep(0.05)


def produce(c, topic, values, acks=-1, partition=0):
    """One batch of `values` (no keys); returns the partition response."""
    batch = w.record_batch([(None, v, []) for v in values])
    return c.produce({topic: {partition: batch}}, acks=acks)[topic][partition]


def list_offset(c, topic, ts, partition=0):
    p = c.list_offsets({topic: {partition: ts}})[topic][partition]
    assert p["error"] == 0, "ListOffsets %s/%d ts=%d: %r" % (topic, partition, ts, p)
    return p["offset"]


def read_range(c, topic, start, end, partition=0, secs=20):
    """Fetch offsets [start, end) with raw Fetch v4; returns [(offset, value)].
    Raises OffsetOutOfRange (with .offset) if the broker answers error 1."""
    out = []
    off = start
    deadline = time.monotonic() + timeout(secs)
    while off < end:
        p = c.fetch({topic: {partition: (off, 4 << 20)}})[topic][partition]
        if p["error"] == ERR_OFFSET_OUT_OF_RANGE:
            raise OffsetOutOfRange(off)
        assert p["error"] == 0, "fetch %s/%d at %d: %r" % (topic, partition, off, p)
        got = False
        for bt in w.parse_record_batches(p["records"] or b""):
            for r in bt.records:
                if off <= r.offset < end:
                    assert r.offset == off, "gap or reorder: offset %d, expected %d" % (
                        r.offset, off)
                    out.append((r.offset, r.value))
                    off += 1
                    got = True
        if not got:
            assert time.monotonic() < deadline, "no progress fetching %s/%d at %d (hw %d)" % (
                topic, partition, off, p["high_watermark"])
            time.sleep(0.05)
    return out


class OffsetOutOfRange(Exception):
    def __init__(self, offset):
        Exception.__init__(self, "OFFSET_OUT_OF_RANGE at %d" % offset)
        self.offset = offset


def segment_batches(path):
    """Scan a .log segment: [(file_pos, end_pos, base_offset, last_offset)] of
    the complete, CRC-valid batches from the start, stopping at the first
    short or invalid one."""
    with open(path, "rb") as f:
        data = f.read()
    out = []
    pos = 0
    while pos + 61 <= len(data):
        base, blen = struct.unpack_from(">qi", data, pos)
        end = pos + 12 + blen
        if blen < 49 or end > len(data):
            break
        try:
            bts = w.parse_record_batches(data[pos:end], check_crc=True, allow_partial=False)
        except (ValueError, w.ShortRead):
            break
        assert len(bts) == 1
        out.append((pos, end, base, base + bts[0].last_offset_delta))
        pos = end
    return out, len(data)


def partition_dir(b, topic, partition=0, data_dir=None):
    return os.path.join(data_dir or b.data_dir, "%s-%d" % (topic, partition))


def segment_logs(pdir):
    return sorted(glob.glob(os.path.join(pdir, "*.log")))


def kp_consume_all(b, topic, expected_count, secs=20):
    """kafka-python (check_crcs=True) from the beginning; returns [(offset, value)].
    Any exception from poll() (a CRC error, say) propagates."""
    cons = KafkaConsumer(bootstrap_servers=b.bootstrap, client_id="sluice-it-storage",
                         group_id=None, enable_auto_commit=False, check_crcs=True,
                         auto_offset_reset="earliest", fetch_max_wait_ms=100,
                         request_timeout_ms=int(timeout(15) * 1000),
                         api_version_auto_timeout_ms=int(timeout(10) * 1000))
    try:
        assert cons.config["check_crcs"] is True
        tp = TopicPartition(topic, 0)
        cons.assign([tp])
        cons.seek_to_beginning(tp)
        got = []
        deadline = time.monotonic() + timeout(secs)
        while len(got) < expected_count and time.monotonic() < deadline:
            for recs in cons.poll(timeout_ms=200).values():
                got += [(r.offset, r.value) for r in recs]
        # A little longer: nothing past the expected records may show up.
        extra_deadline = time.monotonic() + 0.7
        while time.monotonic() < extra_deadline:
            for recs in cons.poll(timeout_ms=100).values():
                got += [(r.offset, r.value) for r in recs]
        end = cons.end_offsets([tp])[tp]
        return got, end
    finally:
        cons.close()


def _damaged_tail_case(topic, damage):
    """Produce 12 batches of 5, SIGKILL, damage(path, batches) the last segment
    -> returns the index of the first batch that must be gone; restart, check."""
    b = Broker(overrides={"num.partitions": 1, "auto.create.topics.enable": "true"})
    try:
        create_topic(b, topic)
        nb, per = 12, 5
        sent = []
        with conn(b) as c:
            for i in range(nb):
                vals = [("%s-b%02d-r%d" % (topic, i, j)).encode() * 7 for j in range(per)]
                p = produce(c, topic, vals)
                assert p["error"] == 0, p
                assert p["base_offset"] == i * per, (i, p)
                sent += list(zip(range(i * per, (i + 1) * per), vals))
        b.kill()

        logs = segment_logs(partition_dir(b, topic))
        assert logs, "no segment files in %s" % partition_dir(b, topic)
        last = logs[-1]
        batches, size = segment_batches(last)
        assert [bt[2] for bt in batches] == [i * per for i in range(nb)], (
            "segment %s holds batches %r (file size %d)" % (last, batches, size))
        assert batches[-1][1] == size, "segment %s: %d bytes after the last batch (%d)" % (
            last, size - batches[-1][1], size)
        keep = damage(last, batches)
        good_end = batches[keep - 1][1]
        n_ok = keep * per

        b.start()
        _, size_after = segment_batches(last)
        assert size_after == good_end, (
            "after restart %s is %d bytes; the last complete batch ends at %d" % (
                last, size_after, good_end))

        got, end = kp_consume_all(b, topic, n_ok)
        assert end == n_ok, "end offset %d, expected %d" % (end, n_ok)
        assert got == sent[:n_ok], "consumed %d records (first bad: %r), expected %d" % (
            len(got), next((g for g, s in zip(got, sent) if g != s), got[n_ok:n_ok + 1]),
            n_ok)

        with conn(b) as c:
            assert list_offset(c, topic, -1) == n_ok
            vals = [("%s-after-r%d" % (topic, j)).encode() for j in range(3)]
            p = produce(c, topic, vals)
            assert p["error"] == 0, p
            assert p["base_offset"] == n_ok, "new append at %d, expected %d" % (
                p["base_offset"], n_ok)
            assert read_range(c, topic, 0, n_ok + 3) == sent[:n_ok] + list(
                zip(range(n_ok, n_ok + 3), vals))
        got, end = kp_consume_all(b, topic, n_ok + 3)
        assert end == n_ok + 3 and [o for o, _ in got] == list(range(n_ok + 3)), (end, got[-5:])
        b.stop()
        # And once more after a clean restart.
        b.start()
        with conn(b) as c:
            assert list_offset(c, topic, -1) == n_ok + 3
            assert len(read_range(c, topic, 0, n_ok + 3)) == n_ok + 3
    finally:
        b.close()


# --- tests --------------------------------------------------------------------

def test_truncated_last_batch_cut_at_restart():
    def cut_middle_of_last(path, batches):
        pos, end, _, _ = batches[-1]
        with open(path, "r+b") as f:
            f.truncate(pos + (end - pos) // 2)
        return len(batches) - 1
    _damaged_tail_case("st-trunc", cut_middle_of_last)


def test_garbage_after_last_batch_cut_at_restart():
    def append_garbage(path, batches):
        rng = random.Random(20261123)
        # Something that starts like a batch header (a plausible base offset
        # and length), then random bytes: it must fail the CRC check.
        _, _, _, last = batches[-1]
        junk = w.i64(last + 1) + w.i32(700) + bytes(rng.getrandbits(8) for _ in range(500))
        with open(path, "ab") as f:
            f.write(junk)
        return len(batches)
    _damaged_tail_case("st-garbage", append_garbage)


def test_retention_under_load():
    topic = "st-retention"
    b = Broker(overrides={"num.partitions": 1, "log.segment.bytes": 4096,
                          "log.retention.ms": 1500,
                          "log.retention.check.interval.ms": 300})
    stop = threading.Event()
    acked = {}            # offset -> value
    errors = []
    try:
        create_topic(b, topic)

        def producer():
            try:
                with conn(b) as c:
                    n = 0
                    nxt = 0
                    while not stop.is_set():
                        vals = [("ret-%06d-%d-" % (n, j)).encode() + b"x" * 150 for j in range(3)]
                        p = produce(c, topic, vals)
                        if p["error"] != 0:
                            errors.append(p)
                            return
                        if p["base_offset"] != nxt:
                            errors.append(("base offset", p["base_offset"], nxt))
                            return
                        for j, v in enumerate(vals):
                            acked[nxt + j] = v
                        nxt += len(vals)
                        n += 1
                        time.sleep(0.01)
            except Exception as e:  # noqa: B902 - report it from the main thread
                errors.append(repr(e))

        pdir = partition_dir(b, topic)
        first_seg = os.path.join(pdir, "%020d.log" % 0)
        th = threading.Thread(target=producer, daemon=True)
        th.start()
        seen = set()
        starts = []
        max_files = 0
        t_end = time.monotonic() + 6.0
        with conn(b) as c:
            while time.monotonic() < t_end and not errors:
                logs = segment_logs(pdir)
                seen.update(os.path.basename(p) for p in logs)
                max_files = max(max_files, len(logs))
                starts.append(list_offset(c, topic, -2))
                time.sleep(0.2)
            stop.set()
            th.join(timeout(15))
            assert not th.is_alive(), "producer thread did not stop"
            assert not errors, "producer saw errors: %r" % errors[:3]
            hw = max(acked) + 1
            assert len(acked) == hw, "acked offsets are not contiguous from 0"
            assert hw > 300, "only %d records produced in 6 s" % hw

            assert starts == sorted(starts), "log start went backwards: %r" % starts
            assert starts[-1] > 0, "ListOffsets earliest never moved: %r" % starts
            assert not os.path.exists(first_seg), "the first segment was never deleted"
            logs = segment_logs(pdir)
            assert len(seen) > len(logs) + 3, (
                "segments seen %d, left %d: retention deleted little" % (len(seen), len(logs)))
            for p in glob.glob(os.path.join(pdir, "*.index")) + glob.glob(
                    os.path.join(pdir, "*.timeindex")):
                base = os.path.splitext(p)[0] + ".log"
                assert os.path.exists(base), "index %s outlives its segment" % p

            # Read everything from the log start, racing retention: an
            # OFFSET_OUT_OF_RANGE is only acceptable if the start moved past it.
            for attempt in range(10):
                start = list_offset(c, topic, -2)
                assert start > 0
                assert list_offset(c, topic, -1) == hw
                try:
                    got = read_range(c, topic, start, hw)
                except OffsetOutOfRange as e:
                    now = list_offset(c, topic, -2)
                    assert now > e.offset, (
                        "OFFSET_OUT_OF_RANGE at %d but the log starts at %d" % (e.offset, now))
                    continue
                break
            else:
                raise AssertionError("could not read from the log start 10 times")
            assert got == [(o, acked[o]) for o in range(start, hw)], "data mismatch"

            for off in (0, start - 1):
                p = c.fetch({topic: {0: (off, 1 << 20)}})[topic][0]
                assert p["error"] == ERR_OFFSET_OUT_OF_RANGE, (
                    "fetch at %d below the log start %d: %r" % (off, start, p))
            print("# retention: %d records, %d segments seen, %d left, log start %d" % (
                hw, len(seen), len(logs), start), flush=True)
    finally:
        stop.set()
        b.close()


def _mount_tmpfs(path, size):
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
    return r.returncode == 0, r.stdout.decode("utf-8", "replace").strip()


def _umount(path):
    for args in (["umount", path], ["umount", "-l", path]):
        if subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          timeout=20).returncode == 0:
            return


def test_disk_full_storage_error_loses_nothing_acked():
    if os.geteuid() != 0 or not shutil.which("mount"):
        raise SkipTest("needs root and mount(8) for a size-limited tmpfs")
    mnt = tempfile.mkdtemp(prefix="sluice-it-tmpfs-")
    ok, msg = _mount_tmpfs(mnt, "2m")
    if not ok:
        os.rmdir(mnt)
        raise SkipTest("cannot mount a 2 MiB tmpfs (%s)" % msg)
    b = None
    try:
        data = os.path.join(mnt, "data")
        b = Broker(overrides={"num.partitions": 1, "log.dirs": data,
                              "log.segment.bytes": 65536,
                              "log.index.size.max.bytes": 4096})
        topic = "st-full"
        create_topic(b, topic)
        rng = random.Random(56)
        acked = {}
        codes = []
        with conn(b) as c:
            nxt = 0
            for i in range(400):
                vals = [b"%06d-%d|" % (i, j) + bytes(rng.getrandbits(8) for _ in range(3000))
                        for j in range(4)]
                p = produce(c, topic, vals)
                codes.append(p["error"])
                if p["error"] == 0:
                    assert p["base_offset"] == nxt, (p, nxt)
                    for j, v in enumerate(vals):
                        acked[nxt + j] = v
                    nxt += len(vals)
                else:
                    break
            assert codes[-1] != 0, "2 MiB disk never filled after %d produces" % len(codes)
            assert codes[-1] == ERR_KAFKA_STORAGE_ERROR, (
                "first produce error was %d, expected KAFKA_STORAGE_ERROR (56)" % codes[-1])
            assert len(acked) > 50, "only %d records acknowledged before the disk was full" % (
                len(acked))
            # A few more: any answer is fine, but what is acknowledged must survive.
            for i in range(3):
                vals = [b"late-%d" % i]
                p = produce(c, topic, vals)
                codes.append(p["error"])
                if p["error"] == 0:
                    acked[p["base_offset"]] = vals[0]
        b.assert_alive()
        with conn(b) as c:
            err, keys = c.api_versions()
            assert err == 0 and w.API_PRODUCE in keys, (err, keys)
            md = c.metadata([topic], allow_auto_create=False, version=4)
            assert md["brokers"] and md["topics"][0]["name"] == topic, md

        note = ""
        try:
            b.stop(check_log=False)
        except BrokerError as e:
            note = "clean stop failed on a full disk: %s" % str(e).splitlines()[0]
            print("# NOTE %s" % note, flush=True)
            if b.running:
                b._hard_kill()

        r = subprocess.run(["mount", "-o", "remount,size=16m", mnt],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
        assert r.returncode == 0, "remount failed: %s" % r.stdout

        b.start()
        hw = max(acked) + 1
        with conn(b) as c:
            end = list_offset(c, topic, -1)
            assert end >= hw, "end offset %d after restart, acknowledged up to %d" % (end, hw - 1)
            got = dict(read_range(c, topic, 0, end))
            lost = [o for o in acked if got.get(o) != acked[o]]
            assert not lost, "%d acknowledged records lost or changed, first %d" % (
                len(lost), min(lost))
            p = produce(c, topic, [b"after-remount"])
            assert p["error"] == 0 and p["base_offset"] == end, p
        b.stop(check_log=False)
        sanit = [l for l in b.lines(all_runs=True) if any(
            s in l for s in ("AddressSanitizer", "LeakSanitizer", "runtime error",
                             "UndefinedBehaviorSanitizer"))]
        assert not sanit, "sanitizer reports:\n%s" % "\n".join(sanit[:10])
        print("# disk full: %d acked, produce codes tail %r%s" % (
            len(acked), codes[-4:], ("; " + note) if note else ""), flush=True)
    finally:
        if b is not None:
            b.close(check=False)  # the full disk legitimately logs ERROR lines
        _umount(mnt)
        try:
            os.rmdir(mnt)
        except OSError:
            pass


if __name__ == "__main__":
    run_tests(globals())
