/*
 * output.h - sluice-batch export's output files: JSON Lines, CSV, Avro.
 *
 * A file is written under a temporary name beside its final one and
 * renamed (after fsync) only when out_close commits it, so a reader never
 * sees a partial file.  Output is a pure function of the records written:
 * the same records give byte-identical files (Avro's sync marker, random
 * in libavro, is replaced by one derived from the final name).
 */
#ifndef SLB_OUTPUT_H
#define SLB_OUTPUT_H

#include <stdbool.h>

#include "../sluice.h"

enum { OUT_JSONL, OUT_CSV, OUT_AVRO };

typedef struct out_file out_file;

/* "jsonl", "csv", "avro" -> OUT_*, or -1. */
int out_format_parse(const char *s);
const char *out_format_ext(int format);
/* Create the temporary file for final_path.  NULL with errstr. */
out_file *out_open(int format, const char *final_path, char *errstr, size_t errstr_size);
/* 0, or -1 on a write error. */
int out_write(out_file *o, const slc_message *m);
uint64_t out_count(const out_file *o);
/* commit: fsync and rename into place (the caller fsyncs the directory);
 * else remove the temporary file.  Frees o.  0 or -1. */
int out_close(out_file *o, bool commit);

#endif
