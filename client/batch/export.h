/*
 * export.h - shared by export.c (one window) and follow.c (--follow).
 */
#ifndef SLB_EXPORT_H
#define SLB_EXPORT_H

#include "batch.h"
#include "output.h"

typedef struct export_ctx {
    const char *topic, *group, *out_dir;
    int format;
    slc_client *cl;
    slc_group *g;
    int32_t npart;
    int32_t *parts;          /* 0..npart-1 */
    int lock_fd;
    slb_progress prog;
} export_ctx;

/* Keep the membership alive between polls; rejoin after a rebalance.
 * SL_OK, or SL_E_EXISTS when another member took the partitions. */
sl_err export_heartbeat(export_ctx *x);
/* Commit offsets of every partition (metadata may be NULL). */
sl_err export_commit(export_ctx *x, const int64_t *offsets, const char *metadata);

/* --follow: windows of event time of every_ms each, closed once the
 * watermark (highest event time seen - lateness_ms) passes their end. */
int follow_run(export_ctx *x, const int64_t *start, int64_t every_ms, int64_t lateness_ms,
               int64_t max_windows, int64_t idle_exit_ms);

#endif
