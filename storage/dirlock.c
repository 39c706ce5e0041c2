/*
 * dirlock.c - one broker per data directory: <dir>/.lock held with flock,
 * as Kafka holds its .lock file.
 *
 * The lock lives as long as the open file: it dies with the process, so
 * a broker killed with SIGKILL leaves nothing to clean up.  The holder
 * writes its pid into the file, so that a second broker can say who is
 * in the way.  The file itself is never removed (removing it would let a
 * third broker lock a new file while the second still holds the old one).
 */
#include "storage_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define LOCK_FILE ".lock"

/* The pid the holder wrote, or 0 if none can be read yet. */
static long lock_holder(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    long pid = 0;

    if (n > 0) {
        buf[n] = 0;
        if (sscanf(buf, "%ld", &pid) != 1)
            pid = 0;
    }
    return pid;
}

sl_err storage_dir_lock(const char *dir, int *fd_out, char *errstr, size_t errstr_size)
{
    char path[4200], pid[32];
    int fd, n;

    *fd_out = -1;
    snprintf(path, sizeof path, "%s/" LOCK_FILE, dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(errstr, errstr_size, "log.dirs %s: cannot open %s: %s", dir, path,
                 strerror(errno));
        return SL_E_IO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        long holder = e == EWOULDBLOCK ? lock_holder(fd) : 0;

        if (e != EWOULDBLOCK)
            snprintf(errstr, errstr_size, "log.dirs %s: cannot lock %s: %s", dir, path,
                     strerror(e));
        else if (holder > 0)
            snprintf(errstr, errstr_size,
                     "log.dirs %s is in use by another broker (pid %ld holds %s)", dir, holder,
                     path);
        else
            snprintf(errstr, errstr_size, "log.dirs %s is in use by another broker (%s is locked)",
                     dir, path);
        close(fd);
        return SL_E_IO;
    }
    n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        /* The pid is only for the message above: the lock still holds. */
    }
    *fd_out = fd;
    return SL_OK;
}

void storage_dir_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}
