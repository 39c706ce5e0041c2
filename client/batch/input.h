/*
 * input.h - sluice-batch load's inputs: a file or stdin read in large
 * chunks, fingerprinted with XXH3-64 as it is consumed, and parsed into
 * records as lines, CSV (RFC 4180, header row) or JSON Lines (jansson).
 *
 * Positions are byte offsets from the start of the input; line numbers
 * count '\n's consumed, so the record that starts after them is on line
 * (line + 1).  The fingerprint of the consumed prefix can be snapshotted
 * (XXH3 state copy) at any record boundary: the loader's checkpoint keeps
 * the snapshot at its committed position.
 */
#ifndef SLB_INPUT_H
#define SLB_INPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <xxhash.h>

#include "../../base/bytes.h"
#include "../../protocol/records.h"

typedef struct src src;

/* "-" is stdin.  NULL with errstr filled on failure. */
src *src_open(const char *path, char *errstr, size_t errstr_size);
void src_close(src *s);
/* fn(ctx) is called every 100 ms while the input (a pipe) has nothing to
 * read, so the caller can keep sending and acknowledging meanwhile. */
void src_on_idle(src *s, void (*fn)(void *ctx), void *ctx);
/* Size in bytes if a regular file, else -1. */
int64_t src_size(const src *s);
uint64_t src_pos(const src *s);
uint64_t src_line(const src *s);
/* Fingerprint of everything consumed so far. */
uint64_t src_digest(src *s);
/* The fingerprint state, position and line count after everything
 * consumed, or (before_last) before the last record the parser returned. */
void src_snapshot(src *s, bool before_last, XXH3_state_t *h, uint64_t *pos, uint64_t *line);
/* Consume and fingerprint n bytes without parsing: 0, or -1 if the input
 * ends first or fails. */
int src_skip(src *s, uint64_t n);

enum { FMT_LINES, FMT_CSV, FMT_JSONL };

typedef struct parser_conf {
    int format;
    const char *key_field;   /* NULL: no key */
    const char *ts_field;    /* NULL: timestamp = now */
    const char *hdr_field;   /* jsonl only: an object or [[k, v], ...] */
} parser_conf;

typedef struct parser parser;

/* One parsed record: borrowed from the parser until the next call. */
typedef struct in_record {
    sl_bytes key, value;
    int64_t timestamp;        /* -1: none */
    const rec_header *headers;
    int32_t nheaders;
    uint64_t line;            /* line the record starts on */
} in_record;

parser *parser_new(const parser_conf *pc, src *s);
void parser_free(parser *p);
/* CSV: read the header row (before any record, and before src_skip on a
 * resume).  0 or -1 (errstr). */
int parser_header(parser *p, char *errstr, size_t errstr_size);
/* 1: a record; 0: end of input; -1: a malformed record, consumed whole
 * (errstr: "line N: why"); -2: a read error. */
int parser_next(parser *p, in_record *out, char *errstr, size_t errstr_size);

#endif
