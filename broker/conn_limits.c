/*
 * conn_limits.c - who may connect: max.connections.per.ip (with
 * max.connections.per.ip.overrides) and max.connection.creation.rate,
 * Kafka's per-client connection limits.
 *
 * Connections are counted per address in a tree (one node per address
 * with connections open).  The creation rate is a token bucket holding
 * at most one second's worth: accepting waits for a token, so clients
 * past the rate wait in the listen backlog, as Kafka's acceptor delays
 * them (KIP-612), and are not refused.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "broker.h"

struct ip_count {
    RB_ENTRY(ip_count) node;
    int64_t n;
    char ip[]; /* numeric form, as inet_ntop writes it */
};

static int ip_count_cmp(const struct ip_count *a, const struct ip_count *b)
{
    return strcmp(a->ip, b->ip);
}

RB_GENERATE_STATIC(ip_count_tree, ip_count, node, ip_count_cmp)

struct ip_count *connlim_acquire(broker *b, const char *ip)
{
    size_t len = strlen(ip);
    union {
        struct ip_count k;
        char buf[sizeof(struct ip_count) + INET6_ADDRSTRLEN];
    } key;
    struct ip_count *e;
    int64_t max = config_ip_max_connections(&b->cfg, ip);

    if (len >= INET6_ADDRSTRLEN)
        return NULL;
    memcpy(key.k.ip, ip, len + 1);
    e = RB_FIND(ip_count_tree, &b->ip_counts, &key.k);
    if ((e ? e->n : 0) >= max) {
        sl_warn_rl("net", "max.connections.per.ip (%lld for %s) reached: refusing a connection",
                   (long long)max, ip);
        return NULL;
    }
    if (!e) {
        e = calloc(1, sizeof *e + len + 1);
        if (!e) {
            sl_warn_rl("net", "out of memory accepting a connection");
            return NULL;
        }
        memcpy(e->ip, ip, len + 1);
        RB_INSERT(ip_count_tree, &b->ip_counts, e);
    }
    e->n++;
    return e;
}

void connlim_release(broker *b, struct ip_count *e)
{
    if (e && --e->n == 0) {
        RB_REMOVE(ip_count_tree, &b->ip_counts, e);
        free(e);
    }
}

int64_t connlim_accept_delay_ms(broker *b)
{
    double rate = (double)b->cfg.max_connection_creation_rate;
    int64_t now = sl_now_ms();

    if (b->accept_tokens_ms == 0) {
        b->accept_tokens = rate; /* a full second's worth at start */
    } else {
        b->accept_tokens += rate * (double)(now - b->accept_tokens_ms) / 1000.0;
        if (b->accept_tokens > rate)
            b->accept_tokens = rate;
    }
    b->accept_tokens_ms = now;
    if (b->accept_tokens >= 1.0)
        return 0;
    return (int64_t)((1.0 - b->accept_tokens) * 1000.0 / rate) + 1;
}

void connlim_accepted(broker *b)
{
    b->accept_tokens -= 1.0;
}
