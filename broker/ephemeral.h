/*
 * ephemeral.h - a throw-away broker's settings (sluiced --ephemeral and
 * the embedding API): 127.0.0.1, a free port, no initial rebalance
 * delay, and a new data directory removed at the end.
 */
#ifndef SL_EPHEMERAL_H
#define SL_EPHEMERAL_H

#include <stddef.h>

#include "config.h"

/* Test-friendly defaults: set them before other settings so those win. */
int ephemeral_defaults(broker_config *cfg, char *err, size_t n);
/* A new directory (into dir) as log.dirs, unless log.dirs was set: dir
 * is then "".  It is made under $TMPDIR, else under /dev/shm when that
 * is a writable directory (memory: the syncs of a new data directory
 * cost nothing there, and the data is thrown away anyway), else /tmp. */
int ephemeral_dir(broker_config *cfg, char *dir, size_t dirsz, char *err, size_t n);
/* Remove the directory and all in it (nothing of it is kept). */
void ephemeral_remove(const char *dir);

#endif
