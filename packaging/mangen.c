/*
 * mangen.c - prints sluice-server.properties(5) from the broker's key
 * table (config_print_man), at build time: the page lists exactly the
 * settings `sluiced --help` lists.  Usage: sluice-mangen VERSION > page
 */
#include <stdio.h>

#include "config.h"

int main(int argc, char **argv)
{
    const char *version = argc > 1 ? argv[1] : "";

    printf(".TH SLUICE\\-SERVER.PROPERTIES 5 \"\" \"sluice %s\" \"File Formats\"\n"
           ".SH NAME\n"
           "sluice\\-server.properties \\- settings of the sluiced broker\n"
           ".SH SYNOPSIS\n"
           ".B /etc/sluice/server.properties\n"
           ".SH DESCRIPTION\n"
           "The settings of\n"
           ".BR sluiced (8)\n"
           "use Apache Kafka's names.  The file is read at start\\-up, then each\n"
           ".B \\-\\-override\n"
           ".I key=value\n"
           "on the command line in order.\n"
           "An unknown key or a bad value stops the broker with a message naming\n"
           "the key (exit status 2).\n"
           ".PP\n"
           "The file holds\n"
           ".I key=value\n"
           "lines (also\n"
           ".I key: value\n"
           "or\n"
           ".IR \"key value\" );\n"
           "lines starting with # or ! are comments, and a line ending in a\n"
           "backslash continues on the next.\n"
           ".SH SETTINGS\n",
           version);
    config_print_man(stdout);
    printf(".SH FILES\n"
           ".TP\n"
           ".I /etc/sluice/server.properties\n"
           "The file the systemd unit\n"
           ".B sluiced.service\n"
           "gives the broker.\n"
           ".SH SEE ALSO\n"
           ".BR sluiced (8),\n"
           ".BR sluice\\-batch (1)\n");
    return ferror(stdout) ? 1 : 0;
}
