/* config.c - the Kafka-named settings table, parsing and validation. */
#include "config.h"

#include <arpa/inet.h>
#include <bsd/string.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef enum { CT_STRING, CT_INT, CT_BOOL } config_type;

typedef struct config_key {
    const char *name;
    const char *alias; /* Kafka's other name for the same setting */
    config_type type;
    size_t off;
    size_t size; /* strings: buffer size */
    int64_t min, max;
    const char *def;
    const char *help;
} config_key;

#define OFF(f) offsetof(broker_config, f)
#define STR(f) OFF(f), sizeof(((broker_config *)0)->f)

static const config_key keys[] = {
    { "listeners", NULL, CT_STRING, STR(listeners), 0, 0, "PLAINTEXT://127.0.0.1:9092",
      "Where to listen, PLAINTEXT://host:port; port 0 picks a free port" },
    { "advertised.listeners", NULL, CT_STRING, STR(advertised_listeners), 0, 0, "",
      "Address given to clients in Metadata; default: the listener" },
    { "log.dirs", "log.dir", CT_STRING, STR(log_dirs), 0, 0, "/tmp/sluice-logs",
      "Data directory (one directory)" },
    { "broker.id", "node.id", CT_INT, OFF(broker_id), 0, 0, 2147483647, "0",
      "This broker's id, kept in meta.properties" },
    { "num.partitions", NULL, CT_INT, OFF(num_partitions), 0, 1, 100000, "1",
      "Partitions of an auto-created topic" },
    { "auto.create.topics.enable", NULL, CT_BOOL, OFF(auto_create_topics), 0, 0, 1, "true",
      "Create a topic when a client asks Metadata for an unknown one" },
    { "log.segment.bytes", NULL, CT_INT, OFF(log_segment_bytes), 0, 1024, 2147483647,
      "1073741824", "Roll to a new segment file past this size" },
    { "log.index.interval.bytes", NULL, CT_INT, OFF(index_interval_bytes), 0, 0, 2147483647,
      "4096", "Bytes of log between two offset index entries" },
    { "log.index.size.max.bytes", NULL, CT_INT, OFF(index_max_bytes), 0, 4096, 2147483647,
      "10485760", "Largest offset index file per segment" },
    { "message.max.bytes", NULL, CT_INT, OFF(message_max_bytes), 0, 0, 2147483647,
      "1048588", "Largest record batch a producer may send" },
    { "fetch.max.bytes", NULL, CT_INT, OFF(fetch_max_bytes), 0, 1024, 2147483647, "57671680",
      "Largest Fetch response (records), whatever the request's max_bytes; one batch "
      "over it still goes so a consumer progresses" },
    { "socket.request.max.bytes", NULL, CT_INT, OFF(socket_request_max_bytes), 0, 64,
      2147483647, "104857600", "Largest request frame; larger ones close the connection" },
    { "max.connections", NULL, CT_INT, OFF(max_connections), 0, 1, 1000000, "10000",
      "Connections accepted at once; more are closed on accept" },
    { "queued.max.requests", NULL, CT_INT, OFF(queued_max_requests), 0, 1, 1000, "32",
      "Requests of one connection in flight before the broker stops reading it" },
    { "background.threads", NULL, CT_INT, OFF(background_threads), 0, 1, 64, "4",
      "Worker threads for slow work kept off the event loop (cold reads, creating topics)" },
    { "connections.max.idle.ms", NULL, CT_INT, OFF(connections_max_idle_ms), 0, 1, INT64_MAX,
      "600000", "Close a connection with no traffic and nothing in flight for this long" },
    { "io.backend", NULL, CT_STRING, STR(io_backend), 0, 0, "auto",
      "auto (io_uring, else epoll with a warning), io_uring (refuse to start without it) "
      "or epoll" },
    { "queued.max.request.bytes", NULL, CT_INT, OFF(queued_max_request_bytes), 0, -1,
      INT64_MAX, "268435456",
      "Request bytes held by all connections before the broker stops reading new ones "
      "(-1: no limit)" },
    { "queued.max.request.bytes.per.connection", NULL, CT_INT,
      OFF(queued_max_request_bytes_per_conn), 0, -1, INT64_MAX, "67108864",
      "Request bytes one connection may hold before the broker stops reading it; the frame "
      "being read is always finished (-1: no limit)" },
    { "fetch.max.wait.cap.ms", NULL, CT_INT, OFF(fetch_max_wait_cap_ms), 0, 0, INT32_MAX,
      "30000", "Longest a Fetch waits for min_bytes, whatever its max_wait_ms asks" },
    { "max.connections.per.ip", NULL, CT_INT, OFF(max_connections_per_ip), 0, 0, INT32_MAX,
      "2147483647", "Connections accepted at once from one IP address" },
    { "max.connections.per.ip.overrides", NULL, CT_STRING, STR(max_connections_per_ip_overrides),
      0, 0, "", "Per-address exceptions to max.connections.per.ip: ip:count,ip:count" },
    { "max.connection.creation.rate", NULL, CT_INT, OFF(max_connection_creation_rate), 0, 1,
      INT32_MAX, "2147483647",
      "New connections accepted per second; past it accepting is delayed" },

    { "log.retention.hours", NULL, CT_INT, OFF(log_retention_hours), 0, -1, INT32_MAX, "168",
      "Keep segments this long (-1: forever); log.retention.minutes/.ms take precedence" },
    { "log.retention.minutes", NULL, CT_INT, OFF(log_retention_minutes), 0, -2, INT32_MAX,
      "-2", "Retention in minutes (-1: forever; unset by default)" },
    { "log.retention.ms", NULL, CT_INT, OFF(log_retention_ms), 0, -2, INT64_MAX, "-2",
      "Retention in ms (-1: forever; unset by default)" },
    { "log.retention.bytes", NULL, CT_INT, OFF(log_retention_bytes), 0, -1, INT64_MAX, "-1",
      "Largest size of a partition before old segments are deleted (-1: no limit)" },
    { "log.retention.check.interval.ms", NULL, CT_INT, OFF(log_retention_check_interval_ms), 0,
      1, INT64_MAX, "300000", "How often retention is checked" },
    { "log.roll.hours", NULL, CT_INT, OFF(log_roll_hours), 0, 1, INT32_MAX, "168",
      "Roll a segment this old even if not full; log.roll.ms takes precedence" },
    { "log.roll.ms", NULL, CT_INT, OFF(log_roll_ms), 0, -2, INT64_MAX, "-2",
      "Roll a segment this old, in ms (unset by default)" },
    { "log.flush.interval.messages", NULL, CT_INT, OFF(log_flush_interval_messages), 0, 1,
      INT64_MAX, "9223372036854775807", "fdatasync a partition after this many messages" },
    { "log.flush.interval.ms", NULL, CT_INT, OFF(log_flush_interval_ms), 0, -2, INT64_MAX,
      "-2", "fdatasync a partition at least this often (unset: only for acks=all and rolls)" },
    { "log.message.timestamp.type", NULL, CT_STRING, STR(log_message_timestamp_type), 0, 0,
      "CreateTime", "CreateTime (the producer's) or LogAppendTime (the broker's clock)" },

    { "group.min.session.timeout.ms", NULL, CT_INT, OFF(group_min_session_timeout_ms), 0, 0,
      INT32_MAX, "6000", "Smallest session timeout a group member may ask for" },
    { "group.max.session.timeout.ms", NULL, CT_INT, OFF(group_max_session_timeout_ms), 0, 0,
      INT32_MAX, "1800000", "Largest session timeout a group member may ask for" },
    { "group.initial.rebalance.delay.ms", NULL, CT_INT, OFF(group_initial_rebalance_delay_ms), 0,
      0, INT32_MAX, "3000", "Wait this long for more members when an empty group first fills" },
    { "offsets.retention.minutes", NULL, CT_INT, OFF(offsets_retention_minutes), 0, 1,
      INT32_MAX, "10080", "Forget the committed offsets of a group empty this long" },
    { "offsets.retention.check.interval.ms", NULL, CT_INT,
      OFF(offsets_retention_check_interval_ms), 0, 1, INT64_MAX, "600000",
      "How often expired offsets are looked for" },
    { "producer.id.expiration.ms", NULL, CT_INT, OFF(producer_id_expiration_ms), 0, 1,
      INT32_MAX, "86400000", "Forget an idempotent producer's sequence state idle this long" },
    { "producer.id.expiration.check.interval.ms", NULL, CT_INT,
      OFF(producer_id_expiration_check_interval_ms), 0, 1, INT32_MAX, "600000",
      "How often idle producer states are looked for and snapshots written" },
    { "log.level", NULL, CT_STRING, STR(log_level), 0, 0, "info",
      "Least severe level logged (error, warn, info, debug), a default and per subsystem: "
      "info,storage=debug; SIGHUP re-reads it" },
    { "log.format", NULL, CT_STRING, STR(log_format), 0, 0, "text",
      "text, or json (one object per line: time, level, subsystem, message); SIGHUP "
      "re-reads it" },
};

#define NKEYS (sizeof keys / sizeof keys[0])

static const config_key *find_key(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (!strcmp(keys[i].name, name) || (keys[i].alias && !strcmp(keys[i].alias, name)))
            return &keys[i];
    return NULL;
}

static sl_err set_one(broker_config *c, const config_key *k, const char *value,
                      char *errstr, size_t errstr_size)
{
    char *p = (char *)c + k->off;

    switch (k->type) {
    case CT_STRING:
        if (strlcpy(p, value, k->size) >= k->size) {
            snprintf(errstr, errstr_size, "config %s: value too long", k->name);
            return SL_E_INVAL;
        }
        return SL_OK;
    case CT_BOOL:
        if (!strcasecmp(value, "true")) {
            *(bool *)p = true;
        } else if (!strcasecmp(value, "false")) {
            *(bool *)p = false;
        } else {
            snprintf(errstr, errstr_size, "config %s: expected true or false, got '%s'",
                     k->name, value);
            return SL_E_INVAL;
        }
        return SL_OK;
    case CT_INT: {
        char *end;
        long long v;

        errno = 0;
        v = strtoll(value, &end, 10);
        if (errno || end == value || *end) {
            snprintf(errstr, errstr_size, "config %s: expected an integer, got '%s'",
                     k->name, value);
            return SL_E_INVAL;
        }
        if (v < k->min || v > k->max) {
            snprintf(errstr, errstr_size, "config %s: %lld is outside [%lld, %lld]", k->name,
                     v, (long long)k->min, (long long)k->max);
            return SL_E_INVAL;
        }
        *(int64_t *)p = v;
        return SL_OK;
    }
    }
    return SL_E_INVAL;
}

void config_defaults(broker_config *c)
{
    char err[256];

    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < NKEYS; i++)
        (void)set_one(c, &keys[i], keys[i].def, err, sizeof err);
}

sl_err config_set(broker_config *c, const char *key, const char *value,
                  char *errstr, size_t errstr_size)
{
    const config_key *k = find_key(key);

    if (!k) {
        snprintf(errstr, errstr_size, "unknown config key '%s' (see --help)", key);
        return SL_E_NOTFOUND;
    }
    return set_one(c, k, value, errstr, errstr_size);
}

static char *trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

sl_err config_load_file(broker_config *c, const char *path, char *errstr, size_t errstr_size)
{
    FILE *f = fopen(path, "r");
    char line[8192], logical[16384];
    int lineno = 0, start = 0;
    sl_err err = SL_OK;

    if (!f) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        return SL_E_NOTFOUND;
    }
    logical[0] = 0;
    while (!err && fgets(line, sizeof line, f)) {
        char *s, *key, *value, *sep;
        size_t n;

        lineno++;
        s = trim(line);
        if (!logical[0]) {
            start = lineno;
            if (*s == '#' || *s == '!' || !*s)
                continue;
        }
        n = strlen(s);
        if (n && s[n - 1] == '\\') {
            s[n - 1] = 0;
            strlcat(logical, s, sizeof logical);
            continue;
        }
        if (strlcat(logical, s, sizeof logical) >= sizeof logical) {
            snprintf(errstr, errstr_size, "%s:%d: line too long", path, start);
            err = SL_E_INVAL;
            break;
        }
        key = logical;
        sep = key + strcspn(key, "=: \t");
        if (!*sep) {
            snprintf(errstr, errstr_size, "%s:%d: expected key=value", path, start);
            err = SL_E_INVAL;
            break;
        }
        value = sep + 1;
        *sep = 0;
        key = trim(key);
        value = trim(value);
        if (*value == '=' || *value == ':')
            value = trim(value + 1);
        {
            char inner[512];

            err = config_set(c, key, value, inner, sizeof inner);
            if (err)
                snprintf(errstr, errstr_size, "%s:%d: %s", path, start, inner);
        }
        logical[0] = 0;
    }
    fclose(f);
    return err;
}

/* "PLAINTEXT://host:port" -> host, port.  Empty host means all addresses,
 * as in Kafka; "[::1]" brackets are allowed for IPv6. */
static sl_err parse_listener(const char *key, const char *v, char *host, int *port,
                             char *errstr, size_t errstr_size)
{
    const char *p = v, *colon;
    char *end;
    long n;

    if (strchr(v, ',')) {
        snprintf(errstr, errstr_size, "config %s: one listener only, got '%s'", key, v);
        return SL_E_INVAL;
    }
    if (!strncmp(p, "PLAINTEXT://", 12)) {
        p += 12;
    } else if (strstr(p, "://")) {
        snprintf(errstr, errstr_size, "config %s: only PLAINTEXT:// is supported, got '%s'",
                 key, v);
        return SL_E_INVAL;
    }
    colon = strrchr(p, ':');
    if (!colon) {
        snprintf(errstr, errstr_size, "config %s: expected PLAINTEXT://host:port, got '%s'",
                 key, v);
        return SL_E_INVAL;
    }
    n = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end || n < 0 || n > 65535) {
        snprintf(errstr, errstr_size, "config %s: bad port in '%s'", key, v);
        return SL_E_INVAL;
    }
    if (*p == '[' && colon > p && colon[-1] == ']') {
        p++;
        colon--;
    }
    if ((size_t)(colon - p) >= CONFIG_HOST_MAX) {
        snprintf(errstr, errstr_size, "config %s: host too long", key);
        return SL_E_INVAL;
    }
    memcpy(host, p, (size_t)(colon - p));
    host[colon - p] = 0;
    *port = (int)n;
    return SL_OK;
}

/* max.connections.per.ip.overrides, Kafka's "ip:count,ip:count": calls
 * fn for each entry (the address in numeric form) until it returns true;
 * SL_E_INVAL with errstr for a malformed list. */
static sl_err each_ip_override(const char *list, bool (*fn)(void *ud, const char *ip, int64_t n),
                               void *ud, char *errstr, size_t errstr_size)
{
    const char *p = list;

    while (*p) {
        size_t len = strcspn(p, ",");
        char item[CONFIG_HOST_MAX], host[CONFIG_HOST_MAX], *colon, *end;
        unsigned char addr[sizeof(struct in6_addr)];
        long long n;
        int af = AF_INET;

        if (len >= sizeof item) {
            snprintf(errstr, errstr_size, "config max.connections.per.ip.overrides: entry too long");
            return SL_E_INVAL;
        }
        memcpy(item, p, len);
        item[len] = 0;
        p += len + (p[len] == ',');
        if (!len)
            continue; /* "a:1,,b:2" and a trailing comma, as Kafka's list parsing */
        colon = strrchr(item, ':');
        errno = 0;
        n = colon ? strtoll(colon + 1, &end, 10) : -1;
        if (colon) {
            *colon = 0;
            af = strchr(item, ':') ? AF_INET6 : AF_INET;
        }
        if (!colon || errno || end == colon + 1 || *end || n < 0 || n > INT32_MAX ||
            inet_pton(af, item, addr) != 1 || !inet_ntop(af, addr, host, sizeof host)) {
            snprintf(errstr, errstr_size,
                     "config max.connections.per.ip.overrides: expected ip:count,ip:count "
                     "(numeric addresses), got '%s'", list);
            return SL_E_INVAL;
        }
        if (fn && fn(ud, host, n))
            return SL_OK;
    }
    return SL_OK;
}

typedef struct ip_lookup {
    const char *ip;
    int64_t n;
} ip_lookup;

static bool ip_match(void *ud, const char *ip, int64_t n)
{
    ip_lookup *l = ud;

    if (strcmp(ip, l->ip))
        return false;
    l->n = n;
    return true;
}

int64_t config_ip_max_connections(const broker_config *c, const char *ip)
{
    ip_lookup l = { ip, c->max_connections_per_ip };
    char err[8];

    (void)each_ip_override(c->max_connections_per_ip_overrides, ip_match, &l, err, sizeof err);
    return l.n;
}

sl_err config_finish(broker_config *c, char *errstr, size_t errstr_size)
{
    sl_err err;

    err = parse_listener("listeners", c->listeners, c->listen_host, &c->listen_port, errstr,
                         errstr_size);
    if (err)
        return err;
    if (c->advertised_listeners[0]) {
        err = parse_listener("advertised.listeners", c->advertised_listeners,
                             c->advertised_host, &c->advertised_port, errstr, errstr_size);
        if (err)
            return err;
    } else {
        strlcpy(c->advertised_host, c->listen_host[0] ? c->listen_host : "localhost",
                sizeof c->advertised_host);
        c->advertised_port = 0; /* the bound port, known after listen */
    }
    if (!c->log_dirs[0] || strchr(c->log_dirs, ',')) {
        snprintf(errstr, errstr_size, "config log.dirs: exactly one directory, got '%s'",
                 c->log_dirs);
        return SL_E_INVAL;
    }
    /* Kafka's precedence: ms, then minutes, then hours. */
    if (c->log_retention_ms != -2)
        c->retention_ms = c->log_retention_ms;
    else if (c->log_retention_minutes != -2)
        c->retention_ms = c->log_retention_minutes < 0 ? -1 : c->log_retention_minutes * 60000;
    else
        c->retention_ms = c->log_retention_hours < 0 ? -1 : c->log_retention_hours * 3600000;
    c->roll_ms = c->log_roll_ms != -2 ? c->log_roll_ms : c->log_roll_hours * 3600000;
    if (c->roll_ms <= 0) {
        snprintf(errstr, errstr_size, "config log.roll.ms: must be positive");
        return SL_E_INVAL;
    }
    if (!strcmp(c->log_message_timestamp_type, "CreateTime")) {
        c->log_append_time = false;
    } else if (!strcmp(c->log_message_timestamp_type, "LogAppendTime")) {
        c->log_append_time = true;
    } else {
        snprintf(errstr, errstr_size,
                 "config log.message.timestamp.type: CreateTime or LogAppendTime, got '%s'",
                 c->log_message_timestamp_type);
        return SL_E_INVAL;
    }
    if (strcmp(c->io_backend, "auto") && strcmp(c->io_backend, "io_uring") &&
        strcmp(c->io_backend, "epoll")) {
        snprintf(errstr, errstr_size, "config io.backend: auto, io_uring or epoll, got '%s'",
                 c->io_backend);
        return SL_E_INVAL;
    }
    if (c->group_min_session_timeout_ms > c->group_max_session_timeout_ms) {
        snprintf(errstr, errstr_size,
                 "config group.min.session.timeout.ms must not exceed group.max.session.timeout.ms");
        return SL_E_INVAL;
    }
    err = each_ip_override(c->max_connections_per_ip_overrides, NULL, NULL, errstr, errstr_size);
    if (err)
        return err;
    err = config_log_settings(c, NULL, NULL, errstr, errstr_size);
    if (err)
        return err;
    if (c->message_max_bytes > c->socket_request_max_bytes) {
        snprintf(errstr, errstr_size,
                 "config message.max.bytes (%lld) must not exceed socket.request.max.bytes (%lld)",
                 (long long)c->message_max_bytes, (long long)c->socket_request_max_bytes);
        return SL_E_INVAL;
    }
    return SL_OK;
}

sl_err config_log_settings(const broker_config *c, sl_log_levels *lv, sl_log_format *fmt,
                           char *errstr, size_t errstr_size)
{
    sl_log_levels l;
    sl_log_format f;
    char why[256];

    if (sl_log_parse_levels(c->log_level, &l, why, sizeof why)) {
        snprintf(errstr, errstr_size, "config log.level: %s", why);
        return SL_E_INVAL;
    }
    if (sl_log_parse_format(c->log_format, &f)) {
        snprintf(errstr, errstr_size, "config log.format: text or json, got '%s'", c->log_format);
        return SL_E_INVAL;
    }
    if (lv)
        *lv = l;
    if (fmt)
        *fmt = f;
    return SL_OK;
}

void config_print_help(FILE *out)
{
    fprintf(out, "Settings (server.properties or --override key=value):\n");
    for (size_t i = 0; i < NKEYS; i++) {
        fprintf(out, "  %-28s %s", keys[i].name, keys[i].help);
        if (keys[i].def[0] && strcmp(keys[i].def, "-2"))
            fprintf(out, " (default %s)", keys[i].def);
        if (keys[i].alias)
            fprintf(out, "; also %s", keys[i].alias);
        fprintf(out, "\n");
    }
}

/* Text for a man page: roff's special characters escaped. */
static void man_text(FILE *out, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", out);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", out);
        else if (*s == '-')
            fputs("\\-", out);
        else
            fputc(*s, out);
    }
}

void config_print_man(FILE *out)
{
    for (size_t i = 0; i < NKEYS; i++) {
        const config_key *k = &keys[i];

        fprintf(out, ".TP\n.B ");
        man_text(out, k->name);
        fprintf(out, "\n");
        man_text(out, k->help);
        fprintf(out, ".\n.br\n");
        if (k->type == CT_INT) {
            fprintf(out, "Integer, %lld to %lld", (long long)k->min, (long long)k->max);
            /* -2 marks "unset" in the table: it is no value a user gives. */
            if (strcmp(k->def, "-2")) {
                fprintf(out, "; default ");
                man_text(out, k->def);
            }
        } else {
            fprintf(out, "%s; default ", k->type == CT_BOOL ? "true or false" : "Text");
            man_text(out, k->def[0] ? k->def : "none");
        }
        if (k->alias) {
            fprintf(out, "; also named ");
            man_text(out, k->alias);
        }
        fprintf(out, ".\n");
    }
}

static void format_value(const broker_config *c, const config_key *k, char *buf, size_t n)
{
    const char *p = (const char *)c + k->off;

    switch (k->type) {
    case CT_STRING:
        strlcpy(buf, p, n);
        break;
    case CT_BOOL:
        strlcpy(buf, *(const bool *)p ? "true" : "false", n);
        break;
    case CT_INT:
        snprintf(buf, n, "%lld", (long long)*(const int64_t *)p);
        break;
    }
}

bool config_get(const broker_config *c, const char *key, char *buf, size_t n, bool *is_default)
{
    const config_key *k = find_key(key);

    if (!k)
        return false;
    format_value(c, k, buf, n);
    if (is_default)
        *is_default = strcmp(buf, k->def) == 0;
    return true;
}

void config_each(const broker_config *c,
                 void (*fn)(void *ud, const char *name, const char *value, bool is_default),
                 void *ud)
{
    char buf[CONFIG_PATH_MAX];

    for (size_t i = 0; i < NKEYS; i++) {
        format_value(c, &keys[i], buf, sizeof buf);
        fn(ud, keys[i].name, buf, strcmp(buf, keys[i].def) == 0);
    }
}
