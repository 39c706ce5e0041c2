/*
 * faults_admin.c - sluiced --faults's line protocol (faults_admin.h).
 *
 * One client at a time, one command a line, one reply a line:
 *   errors API CODE [CODE...]   the next requests of API answer these codes
 *   delay API|all MS            hold API's requests MS ms (0: no more)
 *   close                       close every client connection
 *   pause MS                    an outage of MS ms (0: end it now)
 *   clear                       forget queued errors and delays
 *   pending API                 how many queued errors are left for API
 * API is a key number or a name ("Produce"); codes are Kafka's numbers.
 * Blocking sockets on a thread of its own: the loop never waits on it.
 */
#include "faults_admin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../base/log.h"
#include "faults.h"

#define ADMIN_LINE_MAX 4096
#define ADMIN_CODES_MAX 1000

struct faults_admin {
    broker *b;
    int listen_fd, stop_fd, port;
    pthread_t thread;
};

/* A key number or an API's name; -1 if neither (or "all" when allowed). */
static int parse_api(const char *s, bool allow_all)
{
    char *end;
    long v;

    if (allow_all && !strcasecmp(s, "all"))
        return -1;
    v = strtol(s, &end, 10);
    if (*s && !*end)
        return v >= 0 && v < API_KEY_MAX ? (int)v : -2;
    for (int k = 0; k < API_KEY_MAX; k++)
        if (api_name((int16_t)k) && !strcasecmp(api_name((int16_t)k), s))
            return k;
    return -2;
}

static bool parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;

    if (!s)
        return false;
    errno = 0;
    *out = strtol(s, &end, 10);
    return *s && !*end && !errno && *out >= lo && *out <= hi;
}

void faults_admin_command(broker *b, char *line, char *reply, size_t n)
{
    char *save = NULL, *cmd = strtok_r(line, " \t\r", &save);
    char *arg = cmd ? strtok_r(NULL, " \t\r", &save) : NULL;
    char err[256] = "";
    long v;
    int api;

    if (!cmd) {
        snprintf(reply, n, "error: empty command");
    } else if (!strcmp(cmd, "errors") || !strcmp(cmd, "pending")) {
        int16_t codes[ADMIN_CODES_MAX];
        int count = 0;
        char *c;

        api = arg ? parse_api(arg, false) : -2;
        if (api < 0) {
            snprintf(reply, n, "error: unknown API '%s'", arg ? arg : "");
            return;
        }
        if (!strcmp(cmd, "pending")) {
            snprintf(reply, n, "ok %d", faults_pending(b, (int16_t)api));
            return;
        }
        while ((c = strtok_r(NULL, " \t\r", &save)) != NULL) {
            if (count == ADMIN_CODES_MAX || !parse_int(c, -32768, 32767, &v)) {
                snprintf(reply, n, "error: bad error code '%s' (at most %d codes)", c,
                         ADMIN_CODES_MAX);
                return;
            }
            codes[count++] = (int16_t)v;
        }
        if (faults_push_errors(b, (int16_t)api, count, codes, err, sizeof err))
            snprintf(reply, n, "error: %s", err);
        else
            snprintf(reply, n, "ok");
    } else if (!strcmp(cmd, "delay")) {
        api = arg ? parse_api(arg, true) : -2;
        if (api < -1 || !parse_int(strtok_r(NULL, " \t\r", &save), 0, 3600000, &v))
            snprintf(reply, n, "error: usage: delay API|all MS");
        else if (faults_delay(b, (int16_t)api, (int)v, err, sizeof err))
            snprintf(reply, n, "error: %s", err);
        else
            snprintf(reply, n, "ok");
    } else if (!strcmp(cmd, "close")) {
        faults_close_connections(b);
        snprintf(reply, n, "ok");
    } else if (!strcmp(cmd, "pause")) {
        if (!parse_int(arg, 0, 3600000, &v)) {
            snprintf(reply, n, "error: usage: pause MS");
            return;
        }
        faults_pause(b, (int)v);
        snprintf(reply, n, "ok");
    } else if (!strcmp(cmd, "clear")) {
        faults_clear(b);
        snprintf(reply, n, "ok");
    } else {
        snprintf(reply, n, "error: unknown command '%s' (errors, delay, close, pause, clear, "
                           "pending)", cmd);
    }
}

/* Wait for fd to be readable; false once the admin is stopping. */
static bool wait_readable(faults_admin *a, int fd)
{
    struct pollfd p[2] = { { fd, POLLIN, 0 }, { a->stop_fd, POLLIN, 0 } };

    while (poll(p, 2, -1) < 0)
        if (errno != EINTR)
            return false;
    return !(p[1].revents & POLLIN);
}

static void serve_client(faults_admin *a, int fd)
{
    char buf[ADMIN_LINE_MAX], reply[512];
    size_t len = 0;

    while (wait_readable(a, fd)) {
        ssize_t got = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        char *nl;

        if (got <= 0)
            return;
        len += (size_t)got;
        buf[len] = 0;
        while ((nl = memchr(buf, '\n', len)) != NULL) {
            size_t used = (size_t)(nl - buf) + 1;

            *nl = 0;
            faults_admin_command(a->b, buf, reply, sizeof reply - 1); /* room for \n */
            sl_info("faults", "admin: '%s': %s", buf, reply);
            strcat(reply, "\n");
            if (send(fd, reply, strlen(reply), MSG_NOSIGNAL) < 0)
                return;
            memmove(buf, buf + used, len - used);
            len -= used;
        }
        if (len == sizeof buf - 1)
            return; /* a line too long to be a command */
    }
}

static void *admin_thread(void *arg)
{
    faults_admin *a = arg;

    while (wait_readable(a, a->listen_fd)) {
        int fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);

        if (fd < 0)
            continue;
        serve_client(a, fd);
        close(fd);
    }
    return NULL;
}

faults_admin *faults_admin_start(broker *b, char *errstr, size_t errstr_size)
{
    faults_admin *a = calloc(1, sizeof *a);
    struct sockaddr_in sin = { .sin_family = AF_INET };
    socklen_t len = sizeof sin;

    if (!a) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    a->b = b;
    a->stop_fd = eventfd(0, EFD_CLOEXEC);
    a->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (a->stop_fd < 0 || a->listen_fd < 0 ||
        bind(a->listen_fd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
        listen(a->listen_fd, 16) < 0 ||
        getsockname(a->listen_fd, (struct sockaddr *)&sin, &len) < 0 ||
        pthread_create(&a->thread, NULL, admin_thread, a) != 0) {
        snprintf(errstr, errstr_size, "faults admin interface: %s", strerror(errno));
        if (a->listen_fd >= 0)
            close(a->listen_fd);
        if (a->stop_fd >= 0)
            close(a->stop_fd);
        free(a);
        return NULL;
    }
    a->port = ntohs(sin.sin_port);
    sl_notice("faults", "faults admin interface listening on 127.0.0.1:%d", a->port);
    return a;
}

int faults_admin_port(const faults_admin *a)
{
    return a->port;
}

void faults_admin_stop(faults_admin *a)
{
    uint64_t one = 1;

    if (!a)
        return;
    if (write(a->stop_fd, &one, sizeof one) < 0)
        sl_warn("faults", "admin stop: %s", strerror(errno));
    pthread_join(a->thread, NULL);
    close(a->listen_fd);
    close(a->stop_fd);
    free(a);
}
