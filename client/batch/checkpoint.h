/*
 * checkpoint.h - sluice-batch load's checkpoint file: per input, how far it
 * is loaded and the proof that it is the same input.
 *
 * A JSON file (jansson), replaced atomically (write, fsync, rename, fsync
 * the directory) at every commit.  Per input, keyed by its real path ("-"
 * for stdin):
 *   fingerprint   XXH3-64 of the input's first `position` bytes
 *   position      bytes loaded: every record before it is acknowledged
 *                 with acks=all (or was found already in the topic)
 *   line, records lines and records before position
 *   complete      the input ended at position when last loaded
 *   partitions    partitions the records were spread over
 *   producer_ids  the producer ids of every run since position was 0
 *   next_offsets  per partition, the log offset after the last record
 *                 before position (or the log end when the load began)
 * A rerun reads the topic from next_offsets: records there written by one
 * of producer_ids are this input's records after position, already loaded;
 * their count per partition is how many to skip (load.c).
 */
#ifndef SLB_CHECKPOINT_H
#define SLB_CHECKPOINT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ckpt_entry {
    char *name;
    uint64_t fingerprint;
    uint64_t position, line, records;
    bool complete;
    int32_t partitions;
    int64_t *producer_ids;
    int32_t nproducer_ids;
    int64_t *next_offsets;     /* partitions entries, or NULL */
} ckpt_entry;

typedef struct ckpt {
    char *path;
    char *topic;
    ckpt_entry *entries;
    int32_t n;
} ckpt;

/* Load (a missing file is an empty checkpoint).  NULL with errstr on a
 * bad file or one written for another topic. */
ckpt *ckpt_load(const char *path, const char *topic, char *errstr, size_t errstr_size);
void ckpt_free(ckpt *c);
/* The entry of an input, created empty if asked; borrowed from c. */
ckpt_entry *ckpt_get(ckpt *c, const char *name, bool create);
/* Write the whole checkpoint atomically: 0, or -1 (errno). */
int ckpt_save(const ckpt *c);

#endif
