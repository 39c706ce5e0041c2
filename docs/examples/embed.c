/* embed.c - a broker inside a test program: start it, inject a fault,
 * produce and consume through sluice's C client, stop it. */
#include <stdio.h>
#include <string.h>

#include "sluice.h"        /* the C client (client/) */
#include "sluice_broker.h" /* the broker as a library (broker/) */

static int delivered;

static void on_delivery(void *ctx, const slc_delivery *d)
{
    (void)ctx;
    if (d->err == SL_OK)
        delivered++;
}

int main(void)
{
    char err[512];
    slb_config *cfg = slb_config_new();
    slb_broker *broker;

    slb_log_level(2); /* warnings and errors only */
    if (slb_config_set(cfg, "num.partitions", "1", err, sizeof err) != 0 ||
        slb_start(cfg, &broker, err, sizeof err) != 0) {
        fprintf(stderr, "broker: %s\n", err);
        return 1;
    }
    slb_config_free(cfg);
    printf("broker ready at %s\n", slb_bootstrap(broker));

    /* The next two Produce requests fail with NOT_LEADER_OR_FOLLOWER (6):
     * the producer must retry them. */
    slb_fault_push_errors(broker, 0 /* Produce */, 2, 6, 6);

    slc_conf conf;
    slc_conf_init(&conf);
    conf.bootstrap = slb_bootstrap(broker);
    slc_client *client = slc_client_new(&conf, err, sizeof err);

    slc_producer_conf pc;
    slc_producer_conf_init(&pc); /* idempotent, acks=all */
    pc.on_delivery = on_delivery;
    slc_producer *producer = slc_producer_new(client, &pc);
    for (int i = 0; i < 10; i++) {
        char value[32];

        snprintf(value, sizeof value, "record %d", i);
        slc_produce(producer, "example", 0, SL_BYTES_NULL, sl_bytes_str(value), NULL, 0, -1,
                    NULL);
    }
    slc_producer_flush(producer, 10000);
    slc_producer_free(producer);

    slc_consumer_conf cc;
    slc_consumer_conf_init(&cc);
    slc_consumer *consumer = slc_consumer_new(client, &cc);
    int32_t partition = 0;
    int consumed = 0;
    const slc_message *m;

    slc_consumer_assign(consumer, "example", 1, &partition, NULL);
    while (consumed < 10 && slc_consumer_poll(consumer, 5000, &m) == SL_OK)
        if (m->err == SL_OK)
            consumed++;
    slc_consumer_free(consumer);
    slc_client_free(client);

    int stopped = slb_stop(broker); /* clean stop; its data directory is removed */

    printf("delivered %d, consumed %d, stopped %s\n", delivered, consumed,
           stopped == 0 ? "cleanly" : "with an error");
    return delivered == 10 && consumed == 10 && stopped == 0 ? 0 : 1;
}
