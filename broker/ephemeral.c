/* ephemeral.c - a throw-away broker's settings and directory (ephemeral.h). */
#include "ephemeral.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ephemeral_defaults(broker_config *cfg, char *err, size_t n)
{
    if (config_set(cfg, "listeners", "PLAINTEXT://127.0.0.1:0", err, n) ||
        config_set(cfg, "group.initial.rebalance.delay.ms", "0", err, n))
        return -1;
    return 0;
}

int ephemeral_dir(broker_config *cfg, char *dir, size_t dirsz, char *err, size_t n)
{
    broker_config def;
    const char *tmpdir = getenv("TMPDIR");

    dir[0] = 0;
    config_defaults(&def);
    if (strcmp(def.log_dirs, cfg->log_dirs))
        return 0;
    if (!tmpdir || !*tmpdir)
        tmpdir = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, dirsz, "%s/sluiced-XXXXXX", tmpdir);
    if (!mkdtemp(dir)) {
        /* err is shorter than a path can be: keep the message's end. */
        snprintf(err, n, "ephemeral broker: cannot make a directory %.300s: %s", dir,
                 strerror(errno));
        dir[0] = 0;
        return -1;
    }
    return config_set(cfg, "log.dirs", dir, err, n) ? -1 : 0;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void ephemeral_remove(const char *dir)
{
    if (dir && dir[0])
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
