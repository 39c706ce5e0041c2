/*
 * input.c - inputs and their parsers for sluice-batch load (input.h).
 *
 * The buffer holds [start, end) of the input, unconsumed; a record handed
 * out borrows it until the next parser call (consuming never moves bytes,
 * only the next fill compacts them).  Formats:
 *  - lines: every line is a record's value ("\n" or "\r\n" removed); an
 *    empty line is an empty value.
 *  - jsonl: every non-blank line must be valid JSON; the value is the line
 *    as written.  --key / --timestamp / --headers name top-level fields.
 *  - csv: RFC 4180 (quoted fields with "" escapes and line breaks, CRLF or
 *    LF); the first row names the columns; the value is the row as a JSON
 *    object of strings, in column order.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "input.h"

#define CHUNK (1u << 20)
#define MAX_RECORD (64u << 20)

struct src {
    int fd;
    int64_t size;
    uint8_t *buf;
    size_t start, end, cap;
    uint64_t pos, line;
    size_t pend;              /* consumed bytes before start not yet hashed */
    uint64_t pend_lines;      /* '\n's among them */
    bool eof;
    int err;
    XXH3_state_t *h;
    void (*idle)(void *ctx);  /* called while a pipe has nothing to read */
    void *idle_ctx;
};

void src_on_idle(src *s, void (*fn)(void *ctx), void *ctx)
{
    s->idle = fn;
    s->idle_ctx = ctx;
}

src *src_open(const char *path, char *errstr, size_t errstr_size)
{
    src *s = calloc(1, sizeof(*s));
    struct stat st;

    if (!s)
        return NULL;
    s->fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
    if (s->fd < 0) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        free(s);
        return NULL;
    }
    s->size = fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
    s->h = XXH3_createState();
    s->buf = malloc(CHUNK);
    if (!s->h || !s->buf) {
        snprintf(errstr, errstr_size, "out of memory");
        src_close(s);
        return NULL;
    }
    s->cap = CHUNK;
    XXH3_64bits_reset(s->h);
    return s;
}

void src_close(src *s)
{
    if (!s)
        return;
    if (s->fd > 0)
        close(s->fd);
    XXH3_freeState(s->h);
    free(s->buf);
    free(s);
}

int64_t src_size(const src *s) { return s->size; }
uint64_t src_pos(const src *s) { return s->pos; }
uint64_t src_line(const src *s) { return s->line; }

/* Hash the last consumed record: deferred so that a caller can still take
 * the fingerprint from before it (a malformed record that stops a load). */
static void apply_pending(src *s)
{
    if (s->pend)
        XXH3_64bits_update(s->h, s->buf + s->start - s->pend, s->pend);
    s->pend = 0;
    s->pend_lines = 0;
}

uint64_t src_digest(src *s)
{
    apply_pending(s);
    return XXH3_64bits_digest(s->h);
}

void src_snapshot(src *s, bool before_last, XXH3_state_t *h, uint64_t *pos, uint64_t *line)
{
    if (!before_last)
        apply_pending(s);
    XXH3_copyState(h, s->h);
    *pos = s->pos - s->pend;
    *line = s->line - s->pend_lines;
}

/* Make at least want bytes available unless the input ends; returns what
 * is available. */
static size_t fill(src *s, size_t want)
{
    apply_pending(s);
    while (s->end - s->start < want && !s->eof && !s->err) {
        ssize_t k;

        if (s->start > 0 && s->start == s->end) {
            s->start = s->end = 0;
        } else if (s->start > s->cap / 2) {
            memmove(s->buf, s->buf + s->start, s->end - s->start);
            s->end -= s->start;
            s->start = 0;
        }
        if (s->cap - s->end < CHUNK / 4 || s->cap - s->start < want) {
            size_t cap = s->cap * 2;
            uint8_t *p;

            if (cap > 2 * MAX_RECORD + CHUNK) {
                s->err = EFBIG;
                break;
            }
            p = realloc(s->buf, cap);
            if (!p) {
                s->err = ENOMEM;
                break;
            }
            s->buf = p;
            s->cap = cap;
        }
        if (s->idle) {
            struct pollfd pfd = { .fd = s->fd, .events = POLLIN };

            while (poll(&pfd, 1, 100) == 0)
                s->idle(s->idle_ctx);
        }
        k = read(s->fd, s->buf + s->end, s->cap - s->end);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            s->err = errno;
        else if (k == 0)
            s->eof = true;
        else
            s->end += (size_t)k;
    }
    return s->end - s->start;
}

static void consume(src *s, size_t n)
{
    const uint8_t *p = s->buf + s->start, *end = p + n;

    apply_pending(s);
    while ((p = memchr(p, '\n', (size_t)(end - p)))) {
        s->line++;
        s->pend_lines++;
        p++;
    }
    s->start += n;
    s->pos += n;
    s->pend = n;
}

int src_skip(src *s, uint64_t n)
{
    while (n > 0) {
        size_t avail = fill(s, 1);
        size_t k = avail < n ? avail : (size_t)n;

        if (avail == 0)
            return -1;
        consume(s, k);
        n -= k;
    }
    return 0;
}

/* --- parsers ------------------------------------------------------------ */

struct parser {
    parser_conf conf;
    src *s;
    json_t *root;             /* the current jsonl record */
    char *owned[8];           /* strings to free at the next call */
    int nowned;
    rec_header *hdrs;
    int32_t hcap;
    /* csv */
    char **cols;
    int32_t ncols;
    int32_t key_col, ts_col;
    uint8_t *fbuf;            /* unescaped field bytes */
    size_t fcap;
    size_t *foff;             /* field i: fbuf[foff[2i], foff[2i+1]) */
    int32_t focap;
};

parser *parser_new(const parser_conf *pc, src *s)
{
    parser *p = calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    p->conf = *pc;
    p->s = s;
    p->key_col = p->ts_col = -1;
    return p;
}

static void release(parser *p)
{
    if (p->root)
        json_decref(p->root);
    p->root = NULL;
    for (int i = 0; i < p->nowned; i++)
        free(p->owned[i]);
    p->nowned = 0;
}

void parser_free(parser *p)
{
    if (!p)
        return;
    release(p);
    for (int32_t i = 0; i < p->ncols; i++)
        free(p->cols[i]);
    free(p->cols);
    free(p->hdrs);
    free(p->fbuf);
    free(p->foff);
    free(p);
}

static char *own(parser *p, char *s)
{
    if (s && p->nowned < 8)
        p->owned[p->nowned++] = s;
    return s;
}

static void errf(char *buf, size_t n, uint64_t line, const char *fmt, ...)
{
    va_list ap;
    int k = snprintf(buf, n, "%llu: ", (unsigned long long)line);

    va_start(ap, fmt);
    if (k >= 0 && (size_t)k < n)
        vsnprintf(buf + k, n - (size_t)k, fmt, ap);
    va_end(ap);
}

/* The next line: [*p, *p + *n) without its terminator; *adv is the length
 * to consume.  0 at end, 1 a line, -2 read error, -1 too long. */
static int next_line(src *s, const uint8_t **p, size_t *n, size_t *adv)
{
    size_t want = CHUNK / 2, avail = fill(s, 1);
    const uint8_t *nl;

    for (;;) {
        nl = memchr(s->buf + s->start, '\n', avail);
        if (nl || s->eof || s->err)
            break;
        if (avail > MAX_RECORD)
            return -1;
        want = avail + CHUNK;
        avail = fill(s, want);
    }
    if (s->err)
        return -2;
    if (!nl && avail == 0)
        return 0;
    *p = s->buf + s->start;
    *n = nl ? (size_t)(nl - *p) : avail;
    *adv = nl ? *n + 1 : *n;
    if (*n && (*p)[*n - 1] == '\r')
        (*n)--;
    return 1;
}

static bool blank(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

/* A timestamp from text: integer milliseconds or ISO 8601. */
static bool ts_from_text(const char *t, size_t n, int64_t *out)
{
    char buf[64];

    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, t, n);
    buf[n] = 0;
    if (slb_parse_int(buf, out))
        return true;
    *out = slb_parse_time(buf);
    return *out != INT64_MIN;
}

static bool grow_hdrs(parser *p, int32_t n)
{
    rec_header *h;

    if (n <= p->hcap)
        return true;
    h = realloc(p->hdrs, sizeof(*h) * (size_t)n);
    if (!h)
        return false;
    p->hdrs = h;
    p->hcap = n;
    return true;
}

/* A JSON value as record bytes: a string's text, null as null, else its
 * compact JSON. */
static sl_bytes json_bytes(parser *p, json_t *v)
{
    char *s;

    if (json_is_null(v))
        return SL_BYTES_NULL;
    if (json_is_string(v))
        return sl_bytes_make(json_string_value(v), json_string_length(v));
    s = own(p, json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY));
    return s ? sl_bytes_str(s) : SL_BYTES_NULL;
}

static int jsonl_fields(parser *p, in_record *out, char *err, size_t errn)
{
    json_t *v;

    if ((p->conf.key_field || p->conf.ts_field || p->conf.hdr_field) &&
        !json_is_object(p->root)) {
        errf(err, errn, out->line, "not a JSON object");
        return -1;
    }
    if (p->conf.key_field) {
        v = json_object_get(p->root, p->conf.key_field);
        if (!v) {
            errf(err, errn, out->line, "no field \"%s\" for the key", p->conf.key_field);
            return -1;
        }
        out->key = json_bytes(p, v);
    }
    if (p->conf.ts_field) {
        v = json_object_get(p->root, p->conf.ts_field);
        if (json_is_integer(v))
            out->timestamp = json_integer_value(v);
        else if (!(json_is_string(v) &&
                   ts_from_text(json_string_value(v), json_string_length(v), &out->timestamp))) {
            errf(err, errn, out->line, "field \"%s\" is not a timestamp", p->conf.ts_field);
            return -1;
        }
        if (out->timestamp < 0) {
            errf(err, errn, out->line, "negative timestamp");
            return -1;
        }
    }
    if (p->conf.hdr_field && (v = json_object_get(p->root, p->conf.hdr_field))) {
        int32_t n = 0;

        if (json_is_object(v)) {
            const char *k;
            json_t *hv;

            if (!grow_hdrs(p, (int32_t)json_object_size(v)))
                return -2;
            json_object_foreach(v, k, hv) {
                p->hdrs[n].key = sl_bytes_str(k);
                p->hdrs[n++].value = json_bytes(p, hv);
            }
        } else if (json_is_array(v)) {
            size_t i;
            json_t *pair;

            if (!grow_hdrs(p, (int32_t)json_array_size(v)))
                return -2;
            json_array_foreach(v, i, pair) {
                if (!json_is_array(pair) || json_array_size(pair) != 2 ||
                    !json_is_string(json_array_get(pair, 0))) {
                    errf(err, errn, out->line, "header %zu is not [\"key\", value]", i);
                    return -1;
                }
                p->hdrs[n].key = json_bytes(p, json_array_get(pair, 0));
                p->hdrs[n++].value = json_bytes(p, json_array_get(pair, 1));
            }
        } else if (!json_is_null(v)) {
            errf(err, errn, out->line, "field \"%s\" is not an object or array",
                 p->conf.hdr_field);
            return -1;
        }
        out->headers = p->hdrs;
        out->nheaders = n;
    }
    return 1;
}

static int next_lines_or_jsonl(parser *p, in_record *out, char *err, size_t errn)
{
    for (;;) {
        const uint8_t *line;
        size_t n, adv;
        int rc = next_line(p->s, &line, &n, &adv);

        if (rc == -1) {
            errf(err, errn, p->s->line + 1, "line longer than %u bytes", MAX_RECORD);
            return -2;
        }
        if (rc <= 0) {
            if (rc == -2)
                snprintf(err, errn, "read error: %s", strerror(p->s->err));
            return rc;
        }
        out->line = p->s->line + 1;
        consume(p->s, adv);
        if (p->conf.format == FMT_LINES) {
            out->value = sl_bytes_make(line, n);
            return 1;
        }
        if (blank(line, n))
            continue;
        json_error_t je;

        p->root = json_loadb((const char *)line, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        if (!p->root) {
            errf(err, errn, out->line, "invalid JSON at column %d: %s", je.column, je.text);
            return -1;
        }
        out->value = sl_bytes_make(line, n);
        return jsonl_fields(p, out, err, errn);
    }
}

/* --- csv ----------------------------------------------------------------- */

static bool field_put(parser *p, size_t *len, uint8_t c)
{
    if (*len == p->fcap) {
        size_t cap = p->fcap ? p->fcap * 2 : 4096;
        uint8_t *b = realloc(p->fbuf, cap);

        if (!b)
            return false;
        p->fbuf = b;
        p->fcap = cap;
    }
    p->fbuf[(*len)++] = c;
    return true;
}

static bool field_end(parser *p, int32_t *nf, size_t start, size_t end)
{
    if (2 * (*nf + 1) > p->focap) {
        int32_t cap = p->focap ? p->focap * 2 : 64;
        size_t *o = realloc(p->foff, sizeof(*o) * (size_t)cap);

        if (!o)
            return false;
        p->foff = o;
        p->focap = cap;
    }
    p->foff[2 * *nf] = start;
    p->foff[2 * *nf + 1] = end;
    (*nf)++;
    return true;
}

/*
 * Parse one CSV row from the buffer: 1 with *nf fields and *adv bytes to
 * consume, 0 at end of input, 2 if more input is needed, -1 malformed
 * (*adv: up to the end of the bad line), -2 out of memory.
 */
static int csv_row(parser *p, int32_t *nf, size_t *adv, const char **why)
{
    src *s = p->s;
    const uint8_t *b = s->buf + s->start;
    size_t n = s->end - s->start, i = 0, len = 0, fstart = 0;
    bool quoted = false, after_quote = false, at_start = true;

    *nf = 0;
    if (n == 0)
        return s->eof ? 0 : 2;
    for (;;) {
        if (i == n) {
            if (!s->eof)
                return 2;
            if (quoted) {
                *why = "unterminated quoted field";
                *adv = n;
                return -1;
            }
            if (!field_end(p, nf, fstart, len))
                return -2;
            *adv = n;
            return 1;
        }
        uint8_t c = b[i++];

        if (quoted) {
            if (c != '"') {
                if (!field_put(p, &len, c))
                    return -2;
            } else if (i < n && b[i] == '"') {
                i++;
                if (!field_put(p, &len, '"'))
                    return -2;
            } else if (i == n && !s->eof) {
                return 2; /* is it "" or the end? */
            } else {
                quoted = false;
                after_quote = true;
            }
            continue;
        }
        if (c == ',' || c == '\n' || (c == '\r' && i < n && b[i] == '\n')) {
            if (c == '\r')
                i++;
            if (!field_end(p, nf, fstart, len))
                return -2;
            fstart = len;
            after_quote = false;
            at_start = true;
            if (c != ',') {
                *adv = i;
                return 1;
            }
            continue;
        }
        if (c == '"' && at_start) {
            quoted = true;
            at_start = false;
            continue;
        }
        if (after_quote || c == '"') {
            const uint8_t *nl = memchr(b + i - 1, '\n', n - (i - 1));

            if (!nl && !s->eof)
                return 2;
            *why = after_quote ? "text after a closing quote" : "quote inside an unquoted field";
            *adv = nl ? (size_t)(nl - b) + 1 : n;
            return -1;
        }
        at_start = false;
        if (c == '\r' && i == n && !s->eof)
            return 2;
        if (!field_put(p, &len, c))
            return -2;
    }
}

/* Read one row, growing the buffer until it is whole. */
static int csv_read(parser *p, int32_t *nf, const char **why)
{
    size_t adv = 0;
    int rc;

    fill(p->s, 1);
    while ((rc = csv_row(p, nf, &adv, why)) == 2) {
        size_t have = p->s->end - p->s->start;

        if (have > MAX_RECORD) {
            *why = "record too long";
            return -2;
        }
        fill(p->s, have + CHUNK);
        if (p->s->err)
            return -2;
    }
    if (rc == 1 || rc == -1)
        consume(p->s, adv);
    return rc;
}

int parser_header(parser *p, char *errstr, size_t errstr_size)
{
    const char *why = "read error";
    int32_t nf;
    int rc;

    if (p->conf.format != FMT_CSV) {
        if (p->conf.hdr_field && p->conf.format != FMT_JSONL) {
            snprintf(errstr, errstr_size, "--headers needs --format jsonl");
            return -1;
        }
        if ((p->conf.key_field || p->conf.ts_field) && p->conf.format == FMT_LINES) {
            snprintf(errstr, errstr_size, "--key and --timestamp need --format csv or jsonl");
            return -1;
        }
        return 0;
    }
    rc = csv_read(p, &nf, &why);
    if (rc != 1) {
        snprintf(errstr, errstr_size, "1: no CSV header row (%s)",
                 rc == 0 ? "empty input" : why);
        return -1;
    }
    p->cols = calloc((size_t)nf, sizeof(char *));
    if (!p->cols)
        return -1;
    p->ncols = nf;
    for (int32_t i = 0; i < nf; i++) {
        size_t a = p->foff[2 * i], b = p->foff[2 * i + 1];

        p->cols[i] = strndup((const char *)p->fbuf + a, b - a);
        if (!p->cols[i])
            return -1;
        if (p->conf.key_field && !strcmp(p->cols[i], p->conf.key_field))
            p->key_col = i;
        if (p->conf.ts_field && !strcmp(p->cols[i], p->conf.ts_field))
            p->ts_col = i;
    }
    if (p->conf.key_field && p->key_col < 0) {
        snprintf(errstr, errstr_size, "no column \"%s\" for the key", p->conf.key_field);
        return -1;
    }
    if (p->conf.ts_field && p->ts_col < 0) {
        snprintf(errstr, errstr_size, "no column \"%s\" for the timestamp", p->conf.ts_field);
        return -1;
    }
    return 0;
}

static int next_csv(parser *p, in_record *out, char *err, size_t errn)
{
    for (;;) {
        const char *why = "read error";
        json_t *obj;
        int32_t nf;
        char *text;
        int rc;

        out->line = p->s->line + 1;
        rc = csv_read(p, &nf, &why);
        if (rc == 0)
            return 0;
        if (rc == -2) {
            errf(err, errn, out->line, "%s", why);
            return -2;
        }
        if (rc == -1) {
            errf(err, errn, out->line, "%s", why);
            return -1;
        }
        if (nf == 1 && p->foff[1] == p->foff[0] && p->ncols > 1)
            continue; /* a blank line */
        if (nf != p->ncols) {
            errf(err, errn, out->line, "%d fields, the header has %d", nf, p->ncols);
            return -1;
        }
        obj = json_object();
        for (int32_t i = 0; obj && i < nf; i++) {
            json_t *v = json_stringn((const char *)p->fbuf + p->foff[2 * i],
                                     p->foff[2 * i + 1] - p->foff[2 * i]);

            if (!v || json_object_set_new(obj, p->cols[i], v)) {
                json_decref(obj);
                errf(err, errn, out->line, "field %d is not valid UTF-8", i + 1);
                return -1;
            }
        }
        text = obj ? own(p, json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)) : NULL;
        json_decref(obj);
        if (!text)
            return -2;
        out->value = sl_bytes_str(text);
        if (p->key_col >= 0)
            out->key = sl_bytes_make(p->fbuf + p->foff[2 * p->key_col],
                                     p->foff[2 * p->key_col + 1] - p->foff[2 * p->key_col]);
        if (p->ts_col >= 0 &&
            !ts_from_text((const char *)p->fbuf + p->foff[2 * p->ts_col],
                          p->foff[2 * p->ts_col + 1] - p->foff[2 * p->ts_col],
                          &out->timestamp)) {
            errf(err, errn, out->line, "column \"%s\" is not a timestamp", p->conf.ts_field);
            return -1;
        }
        return 1;
    }
}

int parser_next(parser *p, in_record *out, char *errstr, size_t errstr_size)
{
    release(p);
    memset(out, 0, sizeof(*out));
    out->key = SL_BYTES_NULL;
    out->timestamp = -1;
    if (p->conf.format == FMT_CSV)
        return next_csv(p, out, errstr, errstr_size);
    return next_lines_or_jsonl(p, out, errstr, errstr_size);
}
