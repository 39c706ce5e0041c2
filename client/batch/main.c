/*
 * main.c - sluice-batch: the batch exporter's command line.
 *
 *   sluice-batch load    files into a topic (resumable, idempotent)
 *   sluice-batch export  a window of a topic into files (or --follow)
 *   sluice-batch lag     a group's lag and the topic's staleness
 *
 * Exit codes are batch.h's SLB_EXIT_*; docs/sluice-batch.md lists them.
 */
#include <stdio.h>
#include <string.h>

#include "batch.h"

static const char HELP[] =
    "usage: sluice-batch COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  load    --bootstrap HOST:PORT --topic T [--format lines|csv|jsonl] [--key F]\n"
    "          [--timestamp F] [--partitions N] [--on-error skip|stop] FILE...\n"
    "  export  --bootstrap HOST:PORT --topic T --group G --from X --to Y\n"
    "          --format jsonl|csv|avro --out DIR   (or --follow --every 60s)\n"
    "  lag     --bootstrap HOST:PORT --group G [--topic T] [--max-lag N]\n"
    "          [--max-staleness DURATION]\n"
    "\n"
    "'sluice-batch COMMAND --help' describes each.  A progress line is shown on a\n"
    "terminal; a one-line summary ends every run.\n"
    "\n"
    "exit codes:\n"
    "  0    success (including 'nothing to do')\n"
    "  1    failure: broker unreachable, I/O error, records not delivered\n"
    "  2    usage error\n"
    "  3    export: another export of this group or output directory is running\n"
    "  4    load: stopped at a malformed record (--on-error stop)\n"
    "  5    load: an input differs from what its checkpoint recorded\n"
    "  6    lag: some partition's lag is above --max-lag\n"
    "  7    lag: the topic is staler than --max-staleness\n"
    "  8    lag: both 6 and 7\n"
    "  130  interrupted (SIGINT/SIGTERM); progress is saved, rerun to continue\n";

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        fputs(HELP, argc < 2 ? stderr : stdout);
        return argc < 2 ? SLB_EXIT_USAGE : SLB_EXIT_OK;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(argv[1], "load"))
        return cmd_load(argc - 1, argv + 1);
    if (!strcmp(argv[1], "export"))
        return cmd_export(argc - 1, argv + 1);
    if (!strcmp(argv[1], "lag"))
        return cmd_lag(argc - 1, argv + 1);
    fprintf(stderr, "sluice-batch: unknown command '%s'\n%s", argv[1], HELP);
    return SLB_EXIT_USAGE;
}
