/*
 * mock_cluster.c - librdkafka's mock cluster as a stand-alone broker for
 * the integration tests: a Kafka-compatible broker that is not sluiced, to
 * check that the client library (client/) and sluice-batch work against
 * another implementation.
 *
 *     sl_mock_cluster [--brokers N] [--topic NAME:PARTITIONS]...
 *                     [--api KEY:MIN:MAX]...
 *
 * Prints the bootstrap address ("127.0.0.1:PORT,...") on one line of
 * stdout, then serves until SIGINT or SIGTERM.  --api narrows (or, with
 * -1:-1, removes) what ApiVersions offers for an API key, to test the
 * client's fallbacks.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: sl_mock_cluster [--brokers N] [--topic NAME:PARTITIONS]... "
                    "[--api KEY:MIN:MAX]...\n");
    return 2;
}

/* Apply the --topic and --api options (argv was checked by main). */
static int configure(rd_kafka_mock_cluster_t *mc, int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        char name[256];
        int parts, key, vmin, vmax;
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;

        if (!strcmp(argv[i], "--topic")) {
            const char *colon = strrchr(argv[i + 1], ':');

            if (!colon || colon == argv[i + 1] || (size_t)(colon - argv[i + 1]) >= sizeof(name) ||
                (parts = atoi(colon + 1)) <= 0)
                return usage();
            memcpy(name, argv[i + 1], (size_t)(colon - argv[i + 1]));
            name[colon - argv[i + 1]] = 0;
            err = rd_kafka_mock_topic_create(mc, name, parts, 1);
        } else if (!strcmp(argv[i], "--api")) {
            if (sscanf(argv[i + 1], "%d:%d:%d", &key, &vmin, &vmax) != 3)
                return usage();
            err = rd_kafka_mock_set_apiversion(mc, (int16_t)key, (int16_t)vmin, (int16_t)vmax);
        }
        if (err) {
            fprintf(stderr, "sl_mock_cluster: %s %s: %s\n", argv[i], argv[i + 1],
                    rd_kafka_err2str(err));
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    char errstr[512];
    int brokers = 1, rc;
    rd_kafka_conf_t *conf;
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mc;

    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc || (strcmp(argv[i], "--brokers") && strcmp(argv[i], "--topic") &&
                              strcmp(argv[i], "--api")))
            return usage();
        if (!strcmp(argv[i], "--brokers") && (brokers = atoi(argv[i + 1])) <= 0)
            return usage();
    }
    /* The mock cluster needs a client instance for its bookkeeping only. */
    conf = rd_kafka_conf_new();
    /* Quiet the notice that this instance has no bootstrap.servers. */
    rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof(errstr));
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "sl_mock_cluster: %s\n", errstr);
        return 1;
    }
    mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        fprintf(stderr, "sl_mock_cluster: cannot create the mock cluster\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    rc = configure(mc, argc, argv);
    if (rc == 0) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);
        /* A short sleep, not pause(): a signal between the test and the
         * pause would be missed. */
        while (!stop)
            usleep(100 * 1000);
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return rc;
}
