/*
 * sim_io.h - a crash-simulating sl_io for tests (SQLite's test6.c crash
 * VFS, adapted to storage's I/O interface).
 *
 * It runs over a real directory (`root`: one partition directory) so that
 * storage's own mmap, fstat and readdir keep working, and keeps a model of
 * what a power loss would leave of it:
 *   - per file: its content as of the last completed sync, and the writes
 *     and truncates issued since (in order);
 *   - per directory: the names as of the last sync_dir, and the creates,
 *     renames and unlinks since.
 * pwrite, datasync and unlink_async are queued and run only when the test
 * says (sim_run), in random order: a datasync covers the writes that had
 * run when it was issued, never one still queued (io_uring does not order
 * them either).  The synchronous calls run at once.
 *
 * A crash (after a chosen number of mutating operations, or on demand)
 * computes the post-crash image at once: a random prefix of the directory
 * operations since the last sync_dir survives (journaled metadata is
 * ordered); for each surviving file, every write not covered by a
 * completed sync is kept, dropped, zeroed or torn (each 512-byte sector
 * new, old or garbage) at random, each unsynced truncate kept or dropped,
 * and each 4 KiB page changed through mmap since the last sync kept or
 * lost.  From then on every operation fails with SL_E_IO, so the storage
 * above can be torn down; sim_reboot then writes the image into root and
 * starts over with everything durable.
 *
 * Not thread-safe; one root directory, whose own directory entry is
 * assumed durable.  SIM_TRACE=1 prints every modelled operation.
 */
#ifndef SL_SIM_IO_H
#define SL_SIM_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "storage/io.h"

typedef struct sim_io sim_io;

/* Boot over root (must exist): every file there is durable.  Owned. */
sim_io *sim_new(const char *root, uint64_t seed);
void sim_free(sim_io *s);
sl_io *sim_io_of(sim_io *s);

/* Run up to n queued asynchronous requests, picked at random; returns how
 * many ran (callbacks included). */
int sim_run(sim_io *s, int n);
unsigned sim_queued(const sim_io *s);

/* Crash when the n-th mutating operation from now is about to run (it
 * fails, as does everything after); n <= 0 disarms. */
void sim_crash_after(sim_io *s, long n);
/* A disk that is full now and then: that percentage of queued writes
 * land a random prefix and fail with SL_E_NOSPC, and of reserves fail. */
void sim_set_nospc(sim_io *s, unsigned percent);
/* Crash now (no-op if crashed already). */
void sim_crash(sim_io *s);
bool sim_crashed(const sim_io *s);

/* After the storage above is closed: fail what is still queued, replace
 * root's files with the crash image and boot again.  Without a crash it
 * is a clean power cycle of synced state only (a crash at this moment). */
void sim_reboot(sim_io *s);

/* Counters for the test's summary. */
typedef struct sim_stats {
    long crashes, writes_kept, writes_dropped, writes_torn, writes_zeroed, pages_lost,
        dirops_lost, writes_nospc;
} sim_stats;
sim_stats sim_get_stats(const sim_io *s);

/* The random source (xorshift64*), shared with the test's workload so one
 * seed decides everything. */
uint64_t sim_rand(sim_io *s);
static inline uint64_t sim_below(sim_io *s, uint64_t n) { return n ? sim_rand(s) % n : 0; }

#endif
