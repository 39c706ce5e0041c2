"""kafka_wire - hand-built Kafka requests over raw sockets (stdlib only).

Enough of the wire protocol to poke a broker directly: request framing
(header v1), ApiVersions v0, Metadata v1/v4, Produce v7, Fetch v4 and
ListOffsets v1, and RecordBatch v2 (magic 2) with CRC-32C computed here.
Every socket operation has a timeout.
"""

import socket
import struct
import time

API_PRODUCE = 0
API_FETCH = 1
API_LIST_OFFSETS = 2
API_METADATA = 3
API_API_VERSIONS = 18

# --- CRC-32C (Castagnoli), reflected polynomial 0x82F63B78 -------------------

def _make_crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _make_crc32c_table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    t = _CRC32C_TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283, "crc32c self-check"


# --- primitive encoders ----------------------------------------------------

def i8(v):
    return struct.pack(">b", v)


def i16(v):
    return struct.pack(">h", v)


def i32(v):
    return struct.pack(">i", v)


def u32(v):
    return struct.pack(">I", v)


def i64(v):
    return struct.pack(">q", v)


def string(s):
    """Kafka STRING / NULLABLE_STRING (int16 length, -1 = null)."""
    if s is None:
        return i16(-1)
    if isinstance(s, str):
        s = s.encode()
    return i16(len(s)) + s


def kbytes(b):
    """Kafka BYTES / NULLABLE_BYTES (int32 length, -1 = null)."""
    if b is None:
        return i32(-1)
    return i32(len(b)) + b


def array(items, enc=lambda x: x):
    """Kafka ARRAY (int32 count, -1 = null) of already-encoded or enc()ed items."""
    if items is None:
        return i32(-1)
    items = list(items)
    return i32(len(items)) + b"".join(enc(x) for x in items)


def zigzag_varint(v):
    """Signed (zigzag) varint as used inside records."""
    z = (v << 1) ^ (v >> 63)
    z &= (1 << 64) - 1
    out = bytearray()
    while True:
        if z < 0x80:
            out.append(z)
            return bytes(out)
        out.append((z & 0x7F) | 0x80)
        z >>= 7


# --- reader ------------------------------------------------------------------

class ShortRead(Exception):
    pass


class Reader:
    def __init__(self, data, pos=0):
        self.data = data
        self.pos = pos

    def remaining(self):
        return len(self.data) - self.pos

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise ShortRead("need %d bytes at %d of %d" % (n, self.pos, len(self.data)))
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def _u(self, fmt, n):
        return struct.unpack(fmt, self.take(n))[0]

    def i8(self):
        return self._u(">b", 1)

    def i16(self):
        return self._u(">h", 2)

    def i32(self):
        return self._u(">i", 4)

    def u32(self):
        return self._u(">I", 4)

    def i64(self):
        return self._u(">q", 8)

    def string(self):
        n = self.i16()
        return None if n < 0 else self.take(n).decode("utf-8", "replace")

    def kbytes(self):
        n = self.i32()
        return None if n < 0 else self.take(n)

    def array(self, fn):
        n = self.i32()
        if n < 0:
            return None
        return [fn(self) for _ in range(n)]

    def varint(self):
        shift = 0
        z = 0
        while True:
            b = self.take(1)[0]
            z |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
            if shift > 63:
                raise ShortRead("varint too long")
        return (z >> 1) ^ -(z & 1)


# --- RecordBatch v2 ------------------------------------------------------------

def encode_record(offset_delta, key, value, headers=(), timestamp_delta=0, attributes=0):
    body = (i8(attributes) + zigzag_varint(timestamp_delta) + zigzag_varint(offset_delta))
    body += zigzag_varint(-1) if key is None else zigzag_varint(len(key)) + key
    body += zigzag_varint(-1) if value is None else zigzag_varint(len(value)) + value
    body += zigzag_varint(len(headers))
    for hk, hv in headers:
        if isinstance(hk, str):
            hk = hk.encode()
        body += zigzag_varint(len(hk)) + hk
        body += zigzag_varint(-1) if hv is None else zigzag_varint(len(hv)) + hv
    return zigzag_varint(len(body)) + body


def record_batch(records, base_timestamp=None, base_offset=0, producer_id=-1,
                 producer_epoch=-1, base_sequence=-1, attributes=0, corrupt_crc=False,
                 last_offset_delta=None, magic=2, record_count=None, max_timestamp=None):
    """Build one uncompressed RecordBatch v2.

    records: list of (key, value, headers) or (key, value, headers, timestamp_delta).
    corrupt_crc: flip the CRC so the batch must be refused (CORRUPT_MESSAGE).
    max_timestamp: the header's maxTimestamp as sent (default: the right one).
    """
    if base_timestamp is None:
        base_timestamp = int(time.time() * 1000)
    recs = b""
    max_ts = base_timestamp
    for i, r in enumerate(records):
        key, value, headers = r[0], r[1], r[2]
        tsd = r[3] if len(r) > 3 else 0
        max_ts = max(max_ts, base_timestamp + tsd)
        recs += encode_record(i, key, value, headers, tsd)
    n = len(records) if record_count is None else record_count
    lod = (len(records) - 1) if last_offset_delta is None else last_offset_delta
    if max_timestamp is not None:
        max_ts = max_timestamp
    after_crc = (i16(attributes) + i32(lod) + i64(base_timestamp) + i64(max_ts) +
                 i64(producer_id) + i16(producer_epoch) + i32(base_sequence) + i32(n) + recs)
    crc = crc32c(after_crc)
    if corrupt_crc:
        crc ^= 0xDEADBEEF
    # batchLength counts from partitionLeaderEpoch to the end.
    body = i32(0) + i8(magic) + u32(crc) + after_crc
    return i64(base_offset) + i32(len(body)) + body


class Record:
    __slots__ = ("offset", "timestamp", "key", "value", "headers")

    def __init__(self, offset, timestamp, key, value, headers):
        self.offset, self.timestamp, self.key = offset, timestamp, key
        self.value, self.headers = value, headers

    def __repr__(self):
        return "Record(%d, ts=%d, key=%r, value=%r, headers=%r)" % (
            self.offset, self.timestamp, self.key, self.value, self.headers)


class Batch:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def parse_record_batches(data, check_crc=True, allow_partial=True):
    """Parse a record set (as in a Fetch response) into Batch objects.

    A trailing partial batch is ignored when allow_partial (Kafka allows it)."""
    out = []
    pos = 0
    while pos < len(data):
        if len(data) - pos < 61:
            if allow_partial:
                break
            raise ShortRead("partial batch header at %d" % pos)
        base_offset, batch_len = struct.unpack_from(">qi", data, pos)
        end = pos + 12 + batch_len
        if end > len(data):
            if allow_partial:
                break
            raise ShortRead("partial batch at %d" % pos)
        r = Reader(data[:end], pos + 12)
        leader_epoch = r.i32()
        magic = r.i8()
        crc = r.u32()
        if magic != 2:
            raise ValueError("batch at %d: magic %d" % (pos, magic))
        crc_start = r.pos
        if check_crc and crc32c(data[crc_start:end]) != crc:
            raise ValueError("batch at offset %d: CRC-32C mismatch" % base_offset)
        attributes = r.i16()
        last_offset_delta = r.i32()
        base_ts = r.i64()
        max_ts = r.i64()
        producer_id = r.i64()
        producer_epoch = r.i16()
        base_sequence = r.i32()
        count = r.i32()
        records = []
        if attributes & 0x7:
            raise ValueError("compressed batches are not parsed here")
        for _ in range(count):
            length = r.varint()
            rec_end = r.pos + length
            r.i8()
            ts_delta = r.varint()
            off_delta = r.varint()
            kl = r.varint()
            key = None if kl < 0 else r.take(kl)
            vl = r.varint()
            value = None if vl < 0 else r.take(vl)
            nh = r.varint()
            headers = []
            for _ in range(nh):
                hkl = r.varint()
                hk = r.take(hkl).decode()
                hvl = r.varint()
                hv = None if hvl < 0 else r.take(hvl)
                headers.append((hk, hv))
            if r.pos != rec_end:
                raise ValueError("record length mismatch in batch %d" % base_offset)
            records.append(Record(base_offset + off_delta, base_ts + ts_delta, key, value,
                                  headers))
        if r.pos != end:
            raise ValueError("batch %d: %d trailing bytes" % (base_offset, end - r.pos))
        out.append(Batch(base_offset=base_offset, length=batch_len, leader_epoch=leader_epoch,
                         magic=magic, crc=crc, attributes=attributes,
                         last_offset_delta=last_offset_delta, base_timestamp=base_ts,
                         max_timestamp=max_ts, producer_id=producer_id,
                         producer_epoch=producer_epoch, base_sequence=base_sequence,
                         count=count, records=records))
        pos = end
    return out


# --- requests ------------------------------------------------------------------

def request_header(api_key, api_version, correlation_id, client_id="sluice-raw",
                   flexible=False):
    """Request header v1 (v0 fields + nullable client_id); v2 (flexible
    requests) adds an empty tagged-field section."""
    h = i16(api_key) + i16(api_version) + i32(correlation_id) + string(client_id)
    return h + b"\x00" if flexible else h


def frame(payload):
    return i32(len(payload)) + payload


def api_versions_body():
    return b""


def metadata_body(topics, version=1, allow_auto_create=True):
    """topics: list of names, or None for all topics (v1+)."""
    body = array(None if topics is None else [string(t) for t in topics])
    if version >= 4:
        body += i8(1 if allow_auto_create else 0)
    return body


def produce_body(topic_data, acks=1, timeout_ms=10000, transactional_id=None):
    """Produce v3-v7.  topic_data: {topic: {partition: record_set_bytes}}."""
    topics = []
    for t, parts in topic_data.items():
        ps = [i32(p) + kbytes(recs) for p, recs in parts.items()]
        topics.append(string(t) + array(ps))
    return string(transactional_id) + i16(acks) + i32(timeout_ms) + array(topics)


def fetch_body(topics, max_wait_ms=0, min_bytes=0, max_bytes=50 << 20, isolation_level=0):
    """Fetch v4.  topics: {topic: {partition: (fetch_offset, partition_max_bytes)}}."""
    ts = []
    for t, parts in topics.items():
        ps = [i32(p) + i64(off) + i32(pmax) for p, (off, pmax) in parts.items()]
        ts.append(string(t) + array(ps))
    return (i32(-1) + i32(max_wait_ms) + i32(min_bytes) + i32(max_bytes) + i8(isolation_level)
            + array(ts))


def list_offsets_body(topics):
    """ListOffsets v1.  topics: {topic: {partition: timestamp}} (-1 latest, -2 earliest)."""
    ts = []
    for t, parts in topics.items():
        ps = [i32(p) + i64(ts_) for p, ts_ in parts.items()]
        ts.append(string(t) + array(ps))
    return i32(-1) + array(ts)


# --- responses -----------------------------------------------------------------

def parse_api_versions_v0(body):
    r = Reader(body)
    err = r.i16()
    keys = r.array(lambda r: (r.i16(), r.i16(), r.i16()))
    return err, {k: (lo, hi) for k, lo, hi in (keys or [])}


def uvarint(v):
    out = bytearray()
    while True:
        if v < 0x80:
            out.append(v)
            return bytes(out)
        out.append((v & 0x7F) | 0x80)
        v >>= 7


def compact_string(s):
    if s is None:
        return b"\x00"
    if isinstance(s, str):
        s = s.encode()
    return uvarint(len(s) + 1) + s


def read_uvarint(r):
    shift = v = 0
    while True:
        b = r.take(1)[0]
        v |= (b & 0x7F) << shift
        if not b & 0x80:
            return v
        shift += 7


def api_versions_v3_body(software="sluice-test", version="1.0"):
    return compact_string(software) + compact_string(version) + b"\x00"


def parse_api_versions_v3(body):
    """ApiVersions v3 response body (its header is v0: no tags)."""
    r = Reader(body)
    err = r.i16()
    n = read_uvarint(r) - 1
    keys = {}
    for _ in range(max(n, 0)):
        k, lo, hi = r.i16(), r.i16(), r.i16()
        assert read_uvarint(r) == 0, "unexpected tagged fields in an api key entry"
        keys[k] = (lo, hi)
    throttle = r.i32()
    tags = read_uvarint(r)
    return err, keys, throttle, tags, r.remaining()


def parse_metadata_v1(body):
    r = Reader(body)
    brokers = r.array(lambda r: (r.i32(), r.string(), r.i32(), r.string()))
    controller = r.i32()

    def part(r):
        return {"error": r.i16(), "partition": r.i32(), "leader": r.i32(),
                "replicas": r.array(lambda r: r.i32()), "isr": r.array(lambda r: r.i32())}

    def topic(r):
        return {"error": r.i16(), "name": r.string(), "internal": r.i8(),
                "partitions": r.array(part)}

    topics = r.array(topic)
    return {"brokers": brokers, "controller": controller, "topics": topics,
            "trailing": r.remaining()}


def parse_produce_v7(body):
    r = Reader(body)

    def part(r):
        return {"partition": r.i32(), "error": r.i16(), "base_offset": r.i64(),
                "log_append_time": r.i64(), "log_start_offset": r.i64()}

    topics = r.array(lambda r: (r.string(), r.array(part)))
    r.i32()  # throttle_time_ms
    return {name: {p["partition"]: p for p in parts} for name, parts in topics}


def parse_fetch_v4(body):
    r = Reader(body)
    r.i32()  # throttle

    def part(r):
        p = {"partition": r.i32(), "error": r.i16(), "high_watermark": r.i64(),
             "last_stable_offset": r.i64()}
        p["aborted"] = r.array(lambda r: (r.i64(), r.i64()))
        p["records"] = r.kbytes()
        return p

    topics = r.array(lambda r: (r.string(), r.array(part)))
    return {name: {p["partition"]: p for p in parts} for name, parts in topics}


def parse_list_offsets_v1(body):
    r = Reader(body)

    def part(r):
        return {"partition": r.i32(), "error": r.i16(), "timestamp": r.i64(), "offset": r.i64()}

    topics = r.array(lambda r: (r.string(), r.array(part)))
    return {name: {p["partition"]: p for p in parts} for name, parts in topics}


# --- connection ------------------------------------------------------------------

class Closed(Exception):
    """The broker closed the connection."""


class Conn:
    """One TCP connection to the broker; every operation is bounded by `timeout`."""

    def __init__(self, host, port, timeout=10.0):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.corr = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send_raw(self, data):
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError) as e:
            raise Closed("send: %s" % e)

    def send(self, api_key, api_version, body, client_id="sluice-raw", flexible=False):
        self.corr += 1
        self.send_raw(frame(request_header(api_key, api_version, self.corr, client_id,
                                           flexible) + body))
        return self.corr

    def _recv_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            try:
                chunk = self.sock.recv(n - len(buf))
            except ConnectionResetError as e:
                raise Closed("recv: %s" % e)
            if not chunk:
                raise Closed("connection closed by broker after %d of %d bytes" % (len(buf), n))
            buf += chunk
        return bytes(buf)

    def recv(self):
        """One response frame: (correlation_id, body after the v0 header)."""
        size = struct.unpack(">i", self._recv_exact(4))[0]
        if size < 4 or size > 1 << 30:
            raise ValueError("bad response size %d" % size)
        data = self._recv_exact(size)
        return struct.unpack(">i", data[:4])[0], data[4:]

    def request(self, api_key, api_version, body, client_id="sluice-raw", flexible=False):
        corr = self.send(api_key, api_version, body, client_id, flexible)
        rc, rbody = self.recv()
        if rc != corr:
            raise AssertionError("correlation id %d, expected %d" % (rc, corr))
        return rbody

    def closed_by_peer(self, wait=5.0):
        """True if the broker closes the connection within `wait` s without
        sending anything; raises AssertionError if it sends bytes instead;
        False if the connection is still open after `wait`."""
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        finally:
            self.sock.settimeout(self.timeout)
        if data:
            raise AssertionError("expected the connection to be closed, got %d bytes: %r" % (
                len(data), data[:64]))
        return True

    # Convenience wrappers.
    def api_versions(self):
        return parse_api_versions_v0(self.request(API_API_VERSIONS, 0, b""))

    def metadata(self, topics, version=1, allow_auto_create=True):
        assert version in (1, 4)
        body = self.request(API_METADATA, version, metadata_body(topics, version,
                                                                 allow_auto_create))
        if version == 4:
            # v4 response = v1 + throttle_time_ms first + cluster_id after brokers.
            r = Reader(body)
            r.i32()
            brokers = r.array(lambda r: (r.i32(), r.string(), r.i32(), r.string()))
            r.string()
            rest = i32(len(brokers)) + b"".join(
                i32(n) + string(h) + i32(p) + string(rk) for n, h, p, rk in brokers)
            return parse_metadata_v1(rest + body[r.pos:])
        return parse_metadata_v1(body)

    def produce(self, topic_data, acks=1, timeout_ms=10000):
        return parse_produce_v7(self.request(API_PRODUCE, 7, produce_body(topic_data, acks,
                                                                           timeout_ms)))

    def fetch(self, topics, max_wait_ms=0, min_bytes=0, max_bytes=50 << 20):
        return parse_fetch_v4(self.request(API_FETCH, 4, fetch_body(topics, max_wait_ms,
                                                                     min_bytes, max_bytes)))

    def list_offsets(self, topics):
        return parse_list_offsets_v1(self.request(API_LIST_OFFSETS, 1, list_offsets_body(topics)))
