/*
 * roundtrip.c - a user's program against the installed client library:
 * built by test_deb.py with `pkg-config --cflags --libs sluice` from the
 * unpacked .deb.  Produces argv[3..] to a topic, then reads the topic from
 * the start and prints every value, one per line.
 * Usage: roundtrip BOOTSTRAP TOPIC VALUE...
 */
#include <sluice.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *what, slc_client *c, sl_err e)
{
    fprintf(stderr, "roundtrip: %s: %s (%s) %s\n", what, slc_err_str(e), slc_err_name(e),
            c ? slc_client_errstr(c) : "");
    return 1;
}

static int produce(slc_client *c, const char *topic, int n, char **values)
{
    slc_producer_conf pc;
    slc_producer *p;
    sl_err e = SL_OK;

    slc_producer_conf_init(&pc);
    p = slc_producer_new(c, &pc);
    if (!p)
        return fail("producer", c, SL_E_NOMEM);
    for (int i = 0; i < n && !e; i++)
        e = slc_produce(p, topic, 0, SL_BYTES_NULL, sl_bytes_str(values[i]), NULL, 0, -1,
                        NULL);
    if (!e)
        e = slc_producer_flush(p, 30000);
    slc_producer_free(p);
    return e ? fail("produce", c, e) : 0;
}

static int consume_all(slc_client *c, const char *topic)
{
    slc_consumer_conf cc;
    slc_consumer *k;
    const slc_message *m;
    int32_t part = 0;
    int64_t end = -1;
    sl_err e;

    if ((e = slc_list_offsets(c, topic, 1, &part, &(int64_t){ SLC_OFFSET_LATEST }, &end,
                              NULL)))
        return fail("list offsets", c, e);
    slc_consumer_conf_init(&cc);
    k = slc_consumer_new(c, &cc);
    if (!k)
        return fail("consumer", c, SL_E_NOMEM);
    e = slc_consumer_assign(k, topic, 1, &part, NULL);
    while (!e && slc_consumer_position(k, 0) < end) {
        e = slc_consumer_poll(k, 10000, &m);
        if (!e && !m->err)
            printf("%.*s\n", (int)m->value.n, (const char *)m->value.p);
    }
    slc_consumer_free(k);
    return e ? fail("consume", c, e) : 0;
}

int main(int argc, char **argv)
{
    slc_conf conf;
    slc_client *c;
    char errstr[256];
    int rc;

    if (argc < 3) {
        fprintf(stderr, "usage: roundtrip BOOTSTRAP TOPIC VALUE...\n");
        return 2;
    }
    slc_conf_init(&conf);
    conf.bootstrap = argv[1];
    c = slc_client_new(&conf, errstr, sizeof errstr);
    if (!c) {
        fprintf(stderr, "roundtrip: %s\n", errstr);
        return 1;
    }
    rc = produce(c, argv[2], argc - 3, argv + 3);
    if (!rc)
        rc = consume_all(c, argv[2]);
    slc_client_free(c);
    return rc;
}
