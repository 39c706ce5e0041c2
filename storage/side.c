/*
 * side.c - small side files kept in a partition's directory for the
 * layers above (storage.h, plog_side_*).
 *
 * They are replaced by write to a temporary file and rename, so a reader
 * sees the old file or the new one, but they are not synced: after a
 * power loss a file may be missing, old or torn, and its reader checks
 * what it reads.  That keeps them off the fsync path of appends.  They go
 * through the log's sl_io like every other file of the partition.
 */
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
    sl_io *io = plog_env_io(l->env);
    char path[PATH_MAX], tmp[PATH_MAX];
    sl_err e;
    int fd;

    if ((e = side_path(l, name, "", path, sizeof path)) != SL_OK ||
        (e = side_path(l, name, ".tmp", tmp, sizeof tmp)) != SL_OK)
        return e;
    fd = io->ops->open(io, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return (sl_err)fd;
    e = (sl_err)io->ops->pwrite_sync(io, fd, data, len, 0);
    io->ops->close(io, fd);
    if (e == SL_OK)
        e = (sl_err)io->ops->rename(io, tmp, path);
    if (e != SL_OK)
        io->ops->unlink(io, tmp);
    return e;
}

sl_err plog_side_read(plog *l, const char *name, size_t max, uint8_t **data, size_t *len)
{
    sl_io *io = plog_env_io(l->env);
    char path[PATH_MAX];
    struct stat st;
    uint8_t *buf;
    int64_t got;
    sl_err e;
    int fd;

    *data = NULL;
    *len = 0;
    if ((e = side_path(l, name, "", path, sizeof path)) != SL_OK)
        return e;
    fd = io->ops->open(io, path, O_RDONLY, 0);
    if (fd < 0)
        return (sl_err)fd;
    if (fstat(fd, &st) < 0 || st.st_size < 0) {
        io->ops->close(io, fd);
        return SL_E_IO;
    }
    if ((uint64_t)st.st_size > max) {
        io->ops->close(io, fd);
        return SL_E_RANGE;
    }
    buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!buf) {
        io->ops->close(io, fd);
        return SL_E_NOMEM;
    }
    got = io->ops->pread(io, fd, buf, (size_t)st.st_size, 0);
    io->ops->close(io, fd);
    if (got < 0) {
        free(buf);
        return (sl_err)got;
    }
    *data = buf;
    *len = (size_t)got; /* shorter if it shrank under us: the reader checks */
    return SL_OK;
}

sl_err plog_side_remove(plog *l, const char *name)
{
    sl_io *io = plog_env_io(l->env);
    char path[PATH_MAX];
    sl_err e = side_path(l, name, "", path, sizeof path);

    if (e != SL_OK)
        return e;
    e = (sl_err)io->ops->unlink(io, path);
    return e == SL_E_NOTFOUND ? SL_OK : e;
}
