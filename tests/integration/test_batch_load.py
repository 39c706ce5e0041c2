#!/usr/bin/python3
"""sluice-batch load against sluiced, read back with kcat.

Lines, CSV (RFC 4180 quoting, key and timestamp columns) and JSON Lines
(key, timestamp and headers fields) go in and come back exactly; a rerun
after success loads nothing and says so; a load killed with SIGKILL half
way and rerun loads the rest and duplicates nothing; a broker restarted
under a running load (same port) costs nothing and duplicates nothing; a
malformed record stops the load (exit 4) with file and line, nothing after
it is recorded as loaded, and a rerun after fixing the file completes it;
--on-error skip goes past it; an input changed before its checkpoint
position is refused (exit 5).
"""

import atexit
import csv
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from sluice_test import Broker, require_tool, run_tests, sluiced_path, timeout, wait_until

KCAT = require_tool("kcat")


def batch_path():
    p = os.environ.get("SLUICE_BATCH")
    if p:
        return p
    return os.path.join(os.path.dirname(os.path.dirname(sluiced_path())), "client",
                        "sluice-batch")


SB = batch_path()
if not os.path.exists(SB):
    print("SKIP: sluice-batch not found at %s" % SB, flush=True)
    print("0 passed, 0 failed, 1 skipped", flush=True)
    raise SystemExit(77)

B = None
WORK = tempfile.mkdtemp(prefix="sluice-it-load-")
if not os.environ.get("SLUICE_TEST_KEEP"):
    atexit.register(shutil.rmtree, WORK, True)


def sb(*args, stdin=None, secs=120):
    r = subprocess.run([SB] + [str(a) for a in args], input=stdin, capture_output=True,
                       timeout=timeout(secs), cwd=WORK)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def kcat_all(topic, broker=None, expect=None):
    """Every message of the topic as kcat -J dicts, in partition/offset order."""
    cmd = [KCAT, "-b", broker.bootstrap if broker else bk(), "-C", "-t", topic, "-o", "beginning", "-e",
           "-J", "-q", "-X", "check.crcs=true"]
    r = subprocess.run(cmd, capture_output=True, timeout=timeout(120))
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    msgs = [json.loads(l) for l in r.stdout.split(b"\n") if l.strip()]
    msgs.sort(key=lambda m: (m["partition"], m["offset"]))
    if expect is not None:
        assert len(msgs) == expect, "read %d messages, expected %d" % (len(msgs), expect)
    return msgs


def write(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w", newline="") as f:
        f.write(text)
    return path


def ckpt(name):
    with open(os.path.join(WORK, name)) as f:
        return json.load(f)


def bk():
    """The shared broker's bootstrap address (started on first use)."""
    global B
    if B is None:
        B = Broker({"num.partitions": 3}, name="load")
    return B.bootstrap


def test_lines_then_rerun_loads_nothing():
    lines = ["line %d %s" % (i, "x" * (i % 50)) for i in range(5000)]
    path = write("lines.txt", "\n".join(lines) + "\n")
    rc, out, err = sb("load", "--bootstrap", bk(), "--topic", "lines", path)
    assert rc == 0, err
    assert "5000 records sent" in out, out
    got = kcat_all("lines", expect=5000)
    assert sorted(m["payload"] for m in got) == sorted(lines)
    assert all(m["key"] is None for m in got)
    # Records without a key are dealt round-robin by record number.
    assert {m["partition"] for m in got} == {0, 1, 2}
    rc, out, err = sb("load", "--bootstrap", bk(), "--topic", "lines", path)
    assert rc == 0, err
    assert "already loaded" in out and "nothing to do" in out, out
    kcat_all("lines", expect=5000)
    # Appended lines: only they are loaded.
    with open(path, "a") as f:
        f.write("appended 1\nappended 2\n")
    rc, out, err = sb("load", "--bootstrap", bk(), "--topic", "lines", path)
    assert rc == 0 and "2 records sent" in out, (out, err)
    got = kcat_all("lines", expect=5002)
    assert sorted(m["payload"] for m in got) == sorted(lines + ["appended 1", "appended 2"])


def test_csv_key_and_timestamp():
    rows = [["id", "ts", "text"]]
    for i in range(300):
        text = "plain %d" % i
        if i % 7 == 0:
            text = 'has "quotes", commas\nand a newline %d' % i
        if i % 11 == 0:
            text = ""
        rows.append(["k%d" % (i % 13), str(1_700_000_000_000 + i) if i % 2 else
                     "2023-11-14T22:13:20.%03dZ" % (i % 1000), text])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path = write("rows.csv", buf.getvalue())
    rc, out, err = sb("load", "--bootstrap", bk(), "--topic", "csv", "--format", "csv",
                      "--key", "id", "--timestamp", "ts", "--compression", "zstd", path)
    assert rc == 0, err
    got = kcat_all("csv", expect=300)
    byval = {}
    for m in got:
        v = json.loads(m["payload"])
        assert list(v.keys()) == ["id", "ts", "text"], v
        assert m["key"] == v["id"]
        byval[(v["id"], v["ts"], v["text"])] = m
    for r in rows[1:]:
        m = byval[tuple(r)]
        ts = int(r[1]) if r[1].isdigit() else 1_700_000_000_000 + int(r[1][20:23])
        assert m["ts"] == ts, (m, r)


def test_jsonl_key_timestamp_headers():
    recs = []
    for i in range(400):
        recs.append({"id": "user-%d" % (i % 17), "at": 1_700_000_000_000 + i * 1000,
                     "h": {"trace": "t%d" % i, "empty": "", "nothing": None},
                     "n": i, "s": "é ünïcødé %d" % i})
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\n\n"
    path = write("recs.jsonl", text)
    rc, out, err = sb("load", "--bootstrap", bk(), "--topic", "jsonl", "--format",
                      "jsonl", "--key", "id", "--timestamp", "at", "--headers", "h",
                      "--compression", "gzip", path)
    assert rc == 0, err
    got = kcat_all("jsonl", expect=400)
    lines = {l for l in text.split("\n") if l}
    for m in got:
        assert m["payload"] in lines
        r = json.loads(m["payload"])
        assert m["key"] == r["id"]
        assert m["ts"] == r["at"]
        assert m["headers"] == ["trace", r["h"]["trace"], "empty", "", "nothing", None], m


def _exactly(topic, lines):
    got = kcat_all(topic)
    payloads = [m["payload"] for m in got]
    assert len(payloads) == len(set(payloads)), "duplicates: %d records, %d distinct" % (
        len(payloads), len(set(payloads)))
    missing = set(lines) - set(payloads)
    assert not missing, "%d records missing" % len(missing)
    assert len(payloads) == len(lines)


def _records_in(name):
    try:
        return list(ckpt(name)["inputs"].values())[0]["records"]
    except (OSError, ValueError, IndexError, KeyError):
        return 0


def test_sigkill_half_way_then_rerun():
    # Through a pipe, so the load cannot finish before the kill however
    # fast it is: half the input, wait for a checkpoint, let more records
    # be acknowledged past it, SIGKILL, then rerun with the whole input.
    lines = ["rec-%07d %s" % (i, "y" * (i % 64)) for i in range(300_000)]
    data = ("\n".join(lines) + "\n").encode()
    ck = os.path.join(WORK, "kill.json")
    p = subprocess.Popen([SB, "load", "--bootstrap", bk(), "--topic", "killed",
                          "--checkpoint", ck, "--batch-bytes", "65536", "-"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         cwd=WORK)
    p.stdin.write(data[:len(data) // 2])
    p.stdin.flush()
    wait_until(lambda: _records_in("kill.json") > 0, 60, "a partial checkpoint")
    time.sleep(0.3)
    p.send_signal(signal.SIGKILL)
    p.wait()
    p.stdin.close()
    e = list(ckpt("kill.json")["inputs"].values())[0]
    assert not e["complete"] and 0 < e["records"] < len(lines), e
    rc, out, err = sb("load", "--bootstrap", bk(), "--topic", "killed", "--checkpoint", ck, "-",
                      stdin=data)
    assert rc == 0, err
    _exactly("killed", lines)
    e = list(ckpt("kill.json")["inputs"].values())[0]
    assert e["complete"] and e["records"] == len(lines), e


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_broker_restart_under_a_running_load():
    port = _free_port()
    b = Broker({"num.partitions": 2, "listeners": "PLAINTEXT://127.0.0.1:%d" % port},
               name="restart")
    lines = ["r-%07d %s" % (i, "z" * (i % 50)) for i in range(200_000)]
    data = ("\n".join(lines) + "\n").encode()
    ck = os.path.join(WORK, "restart.json")
    p = subprocess.Popen([SB, "load", "--bootstrap", b.bootstrap, "--topic", "restarted",
                          "--checkpoint", ck, "--batch-bytes", "32768", "-"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         cwd=WORK)
    p.stdin.write(data[:len(data) // 2])
    p.stdin.flush()
    wait_until(lambda: _records_in("restart.json") > 0, 60, "a partial checkpoint")
    b.kill()
    time.sleep(0.3)
    b.start()
    out, err = p.communicate(input=data[len(data) // 2:], timeout=timeout(180))
    if p.returncode != 0:
        # Allowed: the load gave up while the broker was away; a rerun
        # completes it.
        assert p.returncode == 1, err
        rc, o2, err = sb("load", "--bootstrap", b.bootstrap, "--topic", "restarted",
                         "--checkpoint", ck, "-", stdin=data)
        assert rc == 0, err
    _exactly_b(b, "restarted", lines)
    b.close()


def _exactly_b(b, topic, lines):
    got = kcat_all(topic, broker=b)
    payloads = [m["payload"] for m in got]
    assert len(payloads) == len(set(payloads)), "duplicates"
    assert set(payloads) == set(lines), "%d missing" % len(set(lines) - set(payloads))


def test_bad_input_stops_then_fixed_rerun_completes():
    good = [json.dumps({"n": i}) for i in range(10)]
    text = "\n".join(good[:4] + ['{"n": 4, broken'] + good[5:]) + "\n"
    path = write("bad.jsonl", text)
    ck = os.path.join(WORK, "bad.json")
    rc, out, err = sb("load", "--bootstrap", bk(), "--topic", "bad", "--format",
                      "jsonl", "--checkpoint", ck, path)
    assert rc == 4, (rc, out, err)
    assert "%s:5:" % path in err, err
    got = kcat_all("bad", expect=4)
    assert sorted(m["payload"] for m in got) == sorted(good[:4])
    e = list(ckpt("bad.json")["inputs"].values())[0]
    assert e["records"] == 4 and e["line"] == 4 and not e["complete"], e
    assert e["position"] == len("\n".join(good[:4]) + "\n"), e
    # Fix the bad line (after the checkpoint position): the rerun goes on.
    write("bad.jsonl", "\n".join(good) + "\n")
    rc, out, err = sb("load", "--bootstrap", bk(), "--topic", "bad", "--format",
                      "jsonl", "--checkpoint", ck, path)
    assert rc == 0, err
    got = kcat_all("bad", expect=10)
    assert sorted(m["payload"] for m in got) == sorted(good)


def test_bad_input_skip():
    text = '{"a":1}\nnot json\n{"a":2}\n[1,2]\n{"a":3}\n'
    path = write("skip.jsonl", text)
    rc, out, err = sb("load", "--bootstrap", bk(), "--topic", "skip", "--format",
                      "jsonl", "--key", "a", "--on-error", "skip", path)
    assert rc == 0, err
    assert "%s:2:" % path in err and "%s:4:" % path in err, err
    assert "2 bad" in out, out
    got = kcat_all("skip", expect=3)
    assert sorted(m["key"] for m in got) == ["1", "2", "3"]


def test_changed_input_is_refused():
    path = write("change.txt", "a\nb\nc\n")
    rc, out, err = sb("load", "--bootstrap", bk(), "--topic", "change", path)
    assert rc == 0, err
    write("change.txt", "A\nb\nc\nd\n")
    rc, out, err = sb("load", "--bootstrap", bk(), "--topic", "change", path)
    assert rc == 5, (rc, out, err)
    assert "differs" in err, err
    kcat_all("change", expect=3)


def test_stdin_and_usage():
    rc, out, err = sb("load", "--bootstrap", bk(), "--topic", "stdin", "--checkpoint",
                      "stdin.json", "-", stdin=b"one\ntwo\nthree")
    assert rc == 0, err
    assert sorted(m["payload"] for m in kcat_all("stdin", expect=3)) == ["one", "three", "two"]
    rc, out, err = sb("load", "--bootstrap", bk(), "--topic", "stdin", "--checkpoint",
                      "stdin.json", "-", stdin=b"one\ntwo\nthree")
    assert rc == 0 and "already loaded" in out, (out, err)
    rc, out, err = sb("load", "--topic", "x", "f")
    assert rc == 2, (rc, err)
    rc, out, err = sb("load", "--help")
    assert rc == 0 and "exit:" in out


if __name__ == "__main__":
    run_tests(globals())
