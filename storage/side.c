/*
 * side.c - small side files kept in a partition's directory for the
 * layers above (storage.h, plog_side_*).
 *
 * They are replaced by write to a temporary file and rename, so a reader
 * sees the old file or the new one, but they are not synced: after a
 * power loss a file may be missing, old or torn, and its reader checks
 * what it reads.  That keeps them off the fsync path of appends.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage_int.h"

static sl_err side_path(const plog *l, const char *name, const char *ext, char *out, size_t n)
{
    if (!name[0] || strchr(name, '/') || name[0] == '.')
        return SL_E_INVAL;
    if ((size_t)snprintf(out, n, "%s/%s%s", l->dir, name, ext) >= n)
        return SL_E_RANGE;
    return SL_OK;
}

sl_err plog_side_write(plog *l, const char *name, const void *data, size_t len)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    const uint8_t *p = data;
    sl_err e;
    int fd;

    if ((e = side_path(l, name, "", path, sizeof path)) != SL_OK ||
        (e = side_path(l, name, ".tmp", tmp, sizeof tmp)) != SL_OK)
        return e;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return sl_err_from_errno(-errno);
    while (len > 0) {
        ssize_t w = write(fd, p, len);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            e = w < 0 ? sl_err_from_errno(-errno) : SL_E_IO;
            close(fd);
            unlink(tmp);
            return e;
        }
        p += w;
        len -= (size_t)w;
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        e = sl_err_from_errno(-errno);
        unlink(tmp);
        return e;
    }
    return SL_OK;
}

sl_err plog_side_read(plog *l, const char *name, size_t max, uint8_t **data, size_t *len)
{
    char path[PATH_MAX];
    struct stat st;
    uint8_t *buf;
    size_t got = 0;
    sl_err e;
    int fd;

    *data = NULL;
    *len = 0;
    if ((e = side_path(l, name, "", path, sizeof path)) != SL_OK)
        return e;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? SL_E_NOTFOUND : sl_err_from_errno(-errno);
    if (fstat(fd, &st) < 0 || st.st_size < 0) {
        close(fd);
        return SL_E_IO;
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return SL_E_RANGE;
    }
    buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!buf) {
        close(fd);
        return SL_E_NOMEM;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break; /* shrank under us: hand back what is there */
        got += (size_t)r;
    }
    close(fd);
    *data = buf;
    *len = got;
    return SL_OK;
}

sl_err plog_side_remove(plog *l, const char *name)
{
    char path[PATH_MAX];
    sl_err e = side_path(l, name, "", path, sizeof path);

    if (e != SL_OK)
        return e;
    if (unlink(path) < 0 && errno != ENOENT)
        return sl_err_from_errno(-errno);
    return SL_OK;
}
