/*
 * faults_admin.h - sluiced --faults: a line protocol on 127.0.0.1 through
 * which a test in any language injects faults (faults.h).  Never started
 * unless asked for; see docs/testing.md for the commands.
 */
#ifndef SL_FAULTS_ADMIN_H
#define SL_FAULTS_ADMIN_H

#include <stddef.h>

#include "broker.h"

typedef struct faults_admin faults_admin;

/* Listen on 127.0.0.1, a free port (logged as "faults admin interface
 * listening on 127.0.0.1:PORT"), and serve on a thread of its own. */
faults_admin *faults_admin_start(broker *b, char *errstr, size_t errstr_size);
int faults_admin_port(const faults_admin *a);
/* Stop serving, join the thread, free.  NULL is a no-op. */
void faults_admin_stop(faults_admin *a);
/* One command line (no newline) into reply (no newline): "ok ..." or
 * "error: ...".  The thread's work, apart for tests. */
void faults_admin_command(broker *b, char *line, char *reply, size_t reply_size);

#endif
