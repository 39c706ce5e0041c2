/*
 * batch.h - what the files of sluice-batch share: exit codes, option
 * parsing helpers, time and duration syntax, atomic file writes, the
 * progress line, and each command's entry point.
 */
#ifndef SLB_BATCH_H
#define SLB_BATCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../sluice.h"

/* Exit codes (docs/sluice-batch.md and --help list them). */
enum {
    SLB_EXIT_OK = 0,
    SLB_EXIT_FAIL = 1,        /* broker unreachable, I/O, delivery failed */
    SLB_EXIT_USAGE = 2,
    SLB_EXIT_BUSY = 3,        /* another export of this group/dir runs */
    SLB_EXIT_BAD_INPUT = 4,   /* load stopped at a malformed record */
    SLB_EXIT_CHECKPOINT = 5,  /* an input changed since its checkpoint */
    SLB_EXIT_LAG = 6,         /* lag above --max-lag */
    SLB_EXIT_STALE = 7,       /* staleness above --max-staleness */
    SLB_EXIT_LAG_STALE = 8,   /* both */
    SLB_EXIT_INTERRUPTED = 130
};

/* Set by SIGINT/SIGTERM; commands stop at the next safe point. */
extern volatile sig_atomic_t slb_stop;
void slb_signals(void);

int cmd_load(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_lag(int argc, char **argv);

/* "250ms", "60s", "5m", "2h", "1d"; a bare number is seconds.  -1 if bad. */
int64_t slb_parse_duration(const char *s);
/* ISO 8601 ("2024-05-01", "2024-05-01T12:00:00Z", with ".123", "+02:00"),
 * or "@<epoch ms>".  Milliseconds since the epoch, or INT64_MIN if bad. */
int64_t slb_parse_time(const char *s);
/* "2024-05-01T12:00:00.123Z" into buf. */
void slb_format_time(int64_t ms, char *buf, size_t n);
/* Strictly an integer (optionally signed)? */
bool slb_parse_int(const char *s, int64_t *out);

/* Write data to path through path.tmp, fsync, rename, fsync the dir. */
int slb_write_atomic(const char *path, const void *data, size_t n);
int slb_fsync_dir(const char *path);
int slb_mkdirs(const char *path);

/* A client from --bootstrap; prints the reason and returns NULL on error.
 * create: may Metadata auto-create topics (load only). */
slc_client *slb_client(const char *bootstrap, bool create);

/* Progress line on stderr, only when stderr is a terminal. */
typedef struct slb_progress {
    bool tty;
    int64_t start, last;
    const char *what;
} slb_progress;

void slb_progress_init(slb_progress *p, const char *what);
/* done/total in the command's unit (bytes for load, records for export;
 * total < 0: unknown), records and bytes so far. */
void slb_progress_update(slb_progress *p, int64_t done, int64_t total, int64_t records,
                         int64_t bytes);
void slb_progress_end(slb_progress *p);
double slb_elapsed_s(const slb_progress *p);

#endif
