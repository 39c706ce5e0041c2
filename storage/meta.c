/*
 * meta.c - <data_dir>/meta.properties and the random ids Kafka prints.
 *
 * The file is Kafka's (a Java properties file):
 *   version=1  broker.id=N  node.id=N  cluster.id=<22 chars>
 * It is created once, atomically (tmp, fsync, rename, fsync dir), and then
 * only read: a data directory belongs to one cluster and one broker id,
 * and a broker started with another id refuses it, as Kafka does.
 *
 * Ids (cluster ids, topic ids) are 16 random bytes written as URL-safe
 * base64 without padding, 22 chars, like Kafka's Uuid.toString().
 */
#include "storage_int.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#define META_FILE "meta.properties"

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void storage_id_encode(const uint8_t id[16], char out[23])
{
    size_t o = 0;

    for (size_t i = 0; i < 15; i += 3) {
        uint32_t v = (uint32_t)id[i] << 16 | (uint32_t)id[i + 1] << 8 | id[i + 2];

        out[o++] = b64url[v >> 18];
        out[o++] = b64url[(v >> 12) & 63];
        out[o++] = b64url[(v >> 6) & 63];
        out[o++] = b64url[v & 63];
    }
    out[o++] = b64url[id[15] >> 2];
    out[o++] = b64url[(id[15] & 3) << 4];
    out[o] = '\0';
}

static int b64_val(char c)
{
    const char *p = c ? strchr(b64url, c) : NULL;

    return p ? (int)(p - b64url) : -1;
}

bool storage_id_decode(const char *s, size_t n, uint8_t id[16])
{
    int v[22];

    if (n != 22)
        return false;
    for (size_t i = 0; i < 22; i++)
        if ((v[i] = b64_val(s[i])) < 0)
            return false;
    /* The last char carries 2 bits; the other 4 must be zero (canonical). */
    if (v[21] & 15)
        return false;
    for (size_t i = 0, o = 0; i < 20; i += 4, o += 3) {
        uint32_t x = (uint32_t)v[i] << 18 | (uint32_t)v[i + 1] << 12 | (uint32_t)v[i + 2] << 6 |
                     (uint32_t)v[i + 3];

        id[o] = (uint8_t)(x >> 16);
        id[o + 1] = (uint8_t)(x >> 8);
        id[o + 2] = (uint8_t)x;
    }
    id[15] = (uint8_t)(v[20] << 2 | v[21] >> 4);
    return true;
}

sl_err storage_random_id(uint8_t id[16])
{
    static const uint8_t metadata_topic_id[16] = { [15] = 1 };
    char text[23];

    for (;;) {
        size_t got = 0;
        bool zero = true;

        while (got < 16) {
            ssize_t r = getrandom(id + got, 16 - got, 0);

            if (r < 0) {
                if (errno == EINTR)
                    continue;
                return sl_err_from_errno(-errno);
            }
            got += (size_t)r;
        }
        for (int i = 0; i < 16; i++)
            zero = zero && id[i] == 0;
        storage_id_encode(id, text);
        /* Kafka's Uuid.randomUuid rejects these: zero means "no id", and a
         * leading '-' reads as an option on a command line. */
        if (!zero && memcmp(id, metadata_topic_id, 16) != 0 && text[0] != '-')
            return SL_OK;
    }
}

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = '\0';
    return s;
}

static bool parse_i32(const char *s, int32_t *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < INT32_MIN || v > INT32_MAX)
        return false;
    *out = (int32_t)v;
    return true;
}

/* Parse meta.properties text in place. */
static sl_err parse_meta(char *text, int32_t *id, char cluster_id[23], char *errstr,
                         size_t errstr_size)
{
    int32_t version = -1, broker = -1, node = -1;
    bool have_broker = false, have_node = false, have_cluster = false;
    uint8_t raw[16];

    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *eq, *key, *val;

        line = trim(line);
        if (*line == '#' || *line == '!' || *line == '\0')
            continue;
        eq = strchr(line, '=');
        if (!eq) {
            snprintf(errstr, errstr_size, "meta.properties: bad line \"%.40s\"", line);
            return SL_E_MALFORMED;
        }
        *eq = '\0';
        key = trim(line);
        val = trim(eq + 1);
        if (strcmp(key, "version") == 0) {
            if (!parse_i32(val, &version))
                version = -1;
        } else if (strcmp(key, "broker.id") == 0) {
            have_broker = parse_i32(val, &broker);
        } else if (strcmp(key, "node.id") == 0) {
            have_node = parse_i32(val, &node);
        } else if (strcmp(key, "cluster.id") == 0) {
            if (!storage_id_decode(val, strlen(val), raw)) {
                snprintf(errstr, errstr_size, "meta.properties: bad cluster.id \"%.40s\"", val);
                return SL_E_MALFORMED;
            }
            memcpy(cluster_id, val, 23);
            have_cluster = true;
        }
    }
    if (version != 0 && version != 1) {
        snprintf(errstr, errstr_size, "meta.properties: unsupported or missing version");
        return SL_E_MALFORMED;
    }
    if (!have_cluster || (!have_broker && !have_node) ||
        (have_broker && have_node && broker != node)) {
        snprintf(errstr, errstr_size, "meta.properties: missing or inconsistent cluster.id, "
                 "broker.id, node.id");
        return SL_E_MALFORMED;
    }
    *id = have_node ? node : broker;
    return SL_OK;
}

sl_err storage_meta_load(const char *dir, int32_t broker_id, char cluster_id[23], char *errstr,
                         size_t errstr_size)
{
    char path[PATH_MAX], text[4096], tbuf[64];
    sl_io *io = sl_io_sync_new();
    int64_t n;
    int32_t stored;
    uint8_t raw[16];
    time_t now = time(NULL);
    struct tm tm;
    sl_err e;

    if (!io) {
        snprintf(errstr, errstr_size, "out of memory");
        return SL_E_NOMEM;
    }
    if (snprintf(path, sizeof path, "%s/%s", dir, META_FILE) >= (int)sizeof path) {
        sl_io_free(io);
        snprintf(errstr, errstr_size, "path too long");
        return SL_E_RANGE;
    }
    n = sl_io_read_file(io, path, text, sizeof text);
    if (n >= 0) {
        e = parse_meta(text, &stored, cluster_id, errstr, errstr_size);
        if (e == SL_OK && stored != broker_id) {
            snprintf(errstr, errstr_size, "%s: stored node.id %" PRId32 " does not match "
                     "configured %" PRId32, path, stored, broker_id);
            e = SL_E_INVAL;
        }
        sl_io_free(io);
        return e;
    }
    if (n != SL_E_NOTFOUND) {
        sl_io_free(io);
        snprintf(errstr, errstr_size, "%s: %s", path, sl_err_str((sl_err)n));
        return (sl_err)n;
    }
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        e = sl_err_from_errno(-errno);
        sl_io_free(io);
        snprintf(errstr, errstr_size, "%s: %s", dir, sl_err_str(e));
        return e;
    }
    e = storage_random_id(raw);
    if (e == SL_OK) {
        gmtime_r(&now, &tm);
        strftime(tbuf, sizeof tbuf, "%a %b %d %H:%M:%S UTC %Y", &tm);
        storage_id_encode(raw, cluster_id);
        n = snprintf(text, sizeof text,
                     "#\n#%s\nversion=1\nbroker.id=%" PRId32 "\nnode.id=%" PRId32
                     "\ncluster.id=%s\n", tbuf, broker_id, broker_id, cluster_id);
        e = sl_io_write_file(io, dir, META_FILE, text, (size_t)n);
    }
    if (e != SL_OK)
        snprintf(errstr, errstr_size, "%s: %s", path, sl_err_str(e));
    sl_io_free(io);
    return e;
}
