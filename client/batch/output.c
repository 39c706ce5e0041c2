/*
 * output.c - export writers (output.h).
 *
 * JSON Lines, one object per record, keys in this order:
 *   {"topic":..,"partition":..,"offset":..,"timestamp":..,"key":..,"value":..,
 *    "headers":[[key, value], ...]}
 * key, value and header values are JSON null for null, a string when the
 * bytes are valid UTF-8, else {"base64": "..."}.
 * CSV (RFC 4180, CRLF): a header row topic,partition,offset,timestamp,key,
 * value,headers; key and value as raw bytes (null and empty both empty),
 * headers as the JSON array above; fields quoted when they hold a comma,
 * quote, CR or LF.
 * Avro object container (libavro, codec "null"), schema sluice.Record
 * {key, value: [null, bytes], headers: [{key: string, value: [null,
 * bytes]}], timestamp: long (timestamp-millis), partition: int, offset:
 * long}.
 */
#include <avro.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "output.h"

struct out_file {
    int format;
    char final[PATH_MAX], tmp[PATH_MAX];
    FILE *f;                     /* jsonl, csv */
    avro_schema_t schema;        /* avro */
    avro_value_iface_t *iface;
    avro_value_t rec;
    avro_file_writer_t aw;
    uint64_t count;
    bool failed;
};

static const char RECORD_SCHEMA[] =
    "{\"type\":\"record\",\"name\":\"Record\",\"namespace\":\"sluice\",\"fields\":["
    "{\"name\":\"key\",\"type\":[\"null\",\"bytes\"]},"
    "{\"name\":\"value\",\"type\":[\"null\",\"bytes\"]},"
    "{\"name\":\"headers\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\","
    "\"name\":\"Header\",\"fields\":[{\"name\":\"key\",\"type\":\"string\"},"
    "{\"name\":\"value\",\"type\":[\"null\",\"bytes\"]}]}}},"
    "{\"name\":\"timestamp\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
    "{\"name\":\"partition\",\"type\":\"int\"},"
    "{\"name\":\"offset\",\"type\":\"long\"}]}";

int out_format_parse(const char *s)
{
    return !strcmp(s, "jsonl") ? OUT_JSONL : !strcmp(s, "csv") ? OUT_CSV
                                             : !strcmp(s, "avro") ? OUT_AVRO : -1;
}

const char *out_format_ext(int format)
{
    return format == OUT_JSONL ? "jsonl" : format == OUT_CSV ? "csv" : "avro";
}

uint64_t out_count(const out_file *o) { return o->count; }

out_file *out_open(int format, const char *final_path, char *errstr, size_t errstr_size)
{
    out_file *o = calloc(1, sizeof(*o));
    const char *slash = strrchr(final_path, '/');

    if (!o)
        return NULL;
    o->format = format;
    snprintf(o->final, sizeof(o->final), "%s", final_path);
    /* .NAME.tmp in the same directory, so rename is atomic. */
    if (slash)
        snprintf(o->tmp, sizeof(o->tmp), "%.*s/.%s.tmp", (int)(slash - final_path), final_path,
                 slash + 1);
    else
        snprintf(o->tmp, sizeof(o->tmp), ".%s.tmp", final_path);
    unlink(o->tmp);
    o->f = fopen(o->tmp, "wb");
    if (!o->f) {
        snprintf(errstr, errstr_size, "%s: %s", o->tmp, strerror(errno));
        free(o);
        return NULL;
    }
    if (format == OUT_CSV) {
        fputs("topic,partition,offset,timestamp,key,value,headers\r\n", o->f);
    } else if (format == OUT_AVRO) {
        if (avro_schema_from_json_length(RECORD_SCHEMA, sizeof(RECORD_SCHEMA) - 1, &o->schema) ||
            !(o->iface = avro_generic_class_from_schema(o->schema)) ||
            avro_generic_value_new(o->iface, &o->rec) ||
            avro_file_writer_create_with_codec_fp(o->f, o->tmp, 1, o->schema, &o->aw, "null",
                                                  0)) {
            snprintf(errstr, errstr_size, "%s: avro: %s", o->tmp, avro_strerror());
            fclose(o->f);
            unlink(o->tmp);
            free(o);
            return NULL;
        }
        o->f = NULL; /* the avro writer owns it now */
    }
    return o;
}

/* --- json ------------------------------------------------------------------ */

static json_t *json_of_bytes(sl_bytes b)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    json_t *s, *o;
    char *enc;
    size_t j = 0;

    if (b.null)
        return json_null();
    s = json_stringn(b.n ? (const char *)b.p : "", b.n);
    if (s)
        return s;
    enc = malloc((b.n + 2) / 3 * 4 + 1);
    if (!enc)
        return NULL;
    for (size_t i = 0; i < b.n; i += 3) {
        uint32_t v = (uint32_t)b.p[i] << 16 | (i + 1 < b.n ? (uint32_t)b.p[i + 1] << 8 : 0) |
                     (i + 2 < b.n ? b.p[i + 2] : 0);

        enc[j++] = tbl[v >> 18];
        enc[j++] = tbl[(v >> 12) & 63];
        enc[j++] = i + 1 < b.n ? tbl[(v >> 6) & 63] : '=';
        enc[j++] = i + 2 < b.n ? tbl[v & 63] : '=';
    }
    enc[j] = 0;
    o = json_pack("{s:s}", "base64", enc);
    free(enc);
    return o;
}

static json_t *json_headers(const slc_message *m)
{
    json_t *a = json_array();

    for (int32_t i = 0; a && i < m->header_count; i++)
        json_array_append_new(a, json_pack("[o,o]", json_of_bytes(m->headers[i].key),
                                           json_of_bytes(m->headers[i].value)));
    return a;
}

static int write_jsonl(out_file *o, const slc_message *m)
{
    json_t *j = json_object();
    char *s;
    int rc;

    json_object_set_new(j, "topic", json_string(m->topic));
    json_object_set_new(j, "partition", json_integer(m->partition));
    json_object_set_new(j, "offset", json_integer(m->offset));
    json_object_set_new(j, "timestamp", json_integer(m->timestamp));
    json_object_set_new(j, "key", json_of_bytes(m->key));
    json_object_set_new(j, "value", json_of_bytes(m->value));
    json_object_set_new(j, "headers", json_headers(m));
    s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!s)
        return -1;
    rc = fputs(s, o->f) < 0 || fputc('\n', o->f) == EOF ? -1 : 0;
    free(s);
    return rc;
}

/* --- csv ------------------------------------------------------------------- */

static void csv_field(FILE *f, const uint8_t *p, size_t n)
{
    bool quote = false;

    if (n == 0)
        return;
    for (size_t i = 0; i < n && !quote; i++)
        quote = p[i] == ',' || p[i] == '"' || p[i] == '\r' || p[i] == '\n';
    if (!quote) {
        fwrite(p, 1, n, f);
        return;
    }
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"')
            fputc('"', f);
        fputc(p[i], f);
    }
    fputc('"', f);
}

static int write_csv(out_file *o, const slc_message *m)
{
    json_t *h = json_headers(m);
    char *hs = h ? json_dumps(h, JSON_COMPACT) : NULL;

    json_decref(h);
    if (!hs)
        return -1;
    csv_field(o->f, (const uint8_t *)m->topic, strlen(m->topic));
    fprintf(o->f, ",%d,%lld,%lld,", m->partition, (long long)m->offset,
            (long long)m->timestamp);
    csv_field(o->f, m->key.p, m->key.n);
    fputc(',', o->f);
    csv_field(o->f, m->value.p, m->value.n);
    fputc(',', o->f);
    csv_field(o->f, (const uint8_t *)hs, strlen(hs));
    free(hs);
    return fputs("\r\n", o->f) < 0 ? -1 : 0;
}

/* --- avro ------------------------------------------------------------------ */

static int set_nullable(avro_value_t *field, sl_bytes b)
{
    avro_value_t branch;

    if (b.null)
        return avro_value_set_branch(field, 0, &branch) || avro_value_set_null(&branch);
    return avro_value_set_branch(field, 1, &branch) ||
           avro_value_set_bytes(&branch, (void *)(b.n ? b.p : (const uint8_t *)""), b.n);
}

static int write_avro(out_file *o, const slc_message *m)
{
    avro_value_t f, hs, h, hk, hv;
    int rc = 0;

    avro_value_reset(&o->rec);
    rc |= avro_value_get_by_index(&o->rec, 0, &f, NULL) || set_nullable(&f, m->key);
    rc |= avro_value_get_by_index(&o->rec, 1, &f, NULL) || set_nullable(&f, m->value);
    rc |= avro_value_get_by_index(&o->rec, 2, &hs, NULL);
    for (int32_t i = 0; !rc && i < m->header_count; i++) {
        char *k = strndup(m->headers[i].key.n ? (const char *)m->headers[i].key.p : "",
                          m->headers[i].key.n);

        if (!k)
            return -1;
        rc |= avro_value_append(&hs, &h, NULL) || avro_value_get_by_index(&h, 0, &hk, NULL) ||
              avro_value_set_string_len(&hk, k, m->headers[i].key.n + 1) ||
              avro_value_get_by_index(&h, 1, &hv, NULL) ||
              set_nullable(&hv, m->headers[i].value);
        free(k);
    }
    rc |= avro_value_get_by_index(&o->rec, 3, &f, NULL) || avro_value_set_long(&f, m->timestamp);
    rc |= avro_value_get_by_index(&o->rec, 4, &f, NULL) || avro_value_set_int(&f, m->partition);
    rc |= avro_value_get_by_index(&o->rec, 5, &f, NULL) || avro_value_set_long(&f, m->offset);
    if (!rc)
        rc = avro_file_writer_append_value(o->aw, &o->rec);
    return rc ? -1 : 0;
}

/* Avro long: zigzag varint. */
static bool get_long(const uint8_t *p, size_t n, size_t *at, int64_t *out)
{
    uint64_t v = 0;

    for (int shift = 0; shift < 64; shift += 7) {
        if (*at >= n)
            return false;
        uint8_t b = p[(*at)++];

        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
            return true;
        }
    }
    return false;
}

/*
 * libavro draws the 16-byte sync marker from rand() seeded with the time,
 * so two runs differ.  Walk the container (header map, then blocks of
 * count, size, data, sync) and put a marker derived from the file name in
 * every place the random one was.
 */
static int fix_sync(const char *path, const char *name)
{
    XXH128_hash_t hh = XXH3_128bits(name, strlen(name));
    uint8_t sync[16], *p = NULL;
    size_t n = 0, at = 4, cap = 0;
    FILE *f = fopen(path, "r+b");
    int64_t count, len;
    int rc = -1;

    if (!f)
        return -1;
    for (;;) {
        if (n == cap) {
            uint8_t *q = realloc(p, cap = cap ? cap * 2 : 1 << 16);

            if (!q)
                goto out;
            p = q;
        }
        size_t k = fread(p + n, 1, cap - n, f);

        if (k == 0)
            break;
        n += k;
    }
    memcpy(sync, &hh.high64, 8);
    memcpy(sync + 8, &hh.low64, 8);
    if (n < 4 || memcmp(p, "Obj\x01", 4))
        goto out;
    /* metadata map: blocks of entries until a zero count */
    while (get_long(p, n, &at, &count) && count != 0) {
        if (count < 0) {
            count = -count;
            if (!get_long(p, n, &at, &len))
                goto out;
        }
        for (int64_t i = 0; i < 2 * count; i++) {
            if (!get_long(p, n, &at, &len) || len < 0 || (uint64_t)len > n - at)
                goto out;
            at += (size_t)len;
        }
    }
    if (n - at < 16)
        goto out;
    memcpy(p + at, sync, 16);
    at += 16;
    while (at < n) {
        if (!get_long(p, n, &at, &count) || !get_long(p, n, &at, &len) || len < 0 ||
            (uint64_t)len > n - at || n - at - (size_t)len < 16)
            goto out;
        at += (size_t)len;
        memcpy(p + at, sync, 16);
        at += 16;
    }
    if (fseek(f, 0, SEEK_SET) || fwrite(p, 1, n, f) != n || fflush(f))
        goto out;
    rc = 0;
out:
    if (fclose(f))
        rc = -1;
    free(p);
    return rc;
}

int out_write(out_file *o, const slc_message *m)
{
    int rc;

    if (o->failed)
        return -1;
    rc = o->format == OUT_JSONL ? write_jsonl(o, m)
         : o->format == OUT_CSV ? write_csv(o, m) : write_avro(o, m);
    if (rc)
        o->failed = true;
    else
        o->count++;
    return rc;
}

int out_close(out_file *o, bool commit)
{
    int rc = o->failed ? -1 : 0;
    const char *base = strrchr(o->final, '/');

    if (o->format == OUT_AVRO) {
        if (avro_file_writer_close(o->aw))
            rc = -1;
        avro_value_decref(&o->rec);
        avro_value_iface_decref(o->iface);
        avro_schema_decref(o->schema);
        if (!rc && commit)
            rc = fix_sync(o->tmp, base ? base + 1 : o->final);
    } else if (fclose(o->f)) {
        rc = -1;
    }
    if (!rc && commit) {
        int fd = open(o->tmp, O_RDONLY);

        if (fd < 0 || fsync(fd))
            rc = -1;
        if (fd >= 0)
            close(fd);
        if (!rc && rename(o->tmp, o->final))
            rc = -1;
    }
    if (rc || !commit)
        unlink(o->tmp);
    free(o);
    return commit ? rc : 0;
}
