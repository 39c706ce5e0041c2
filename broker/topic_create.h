/*
 * topic_create.h - creating a topic off the loop: the catalog's three
 * steps (catalog_create_begin / _work / _end) with the work on the
 * broker's worker pool, so a topic of thousands of partitions does not
 * stall every other client.  While it is made the topic is "being
 * created" (catalog_creating): Metadata answers LEADER_NOT_AVAILABLE for
 * it and the data APIs a retriable error, as Kafka does while it elects
 * leaders.
 *
 * @loop
 */
#ifndef SL_TOPIC_CREATE_H
#define SL_TOPIC_CREATE_H

#include "broker.h"

/* err SL_OK and the published topic, or an error with nothing left. */
typedef void (*topic_created_fn)(void *ud, sl_err err, cat_topic *t);

/* Start creating `name` with nparts partitions and the override text
 * (NULL or "": none; copied).  The settings are resolved now; the
 * partitions and the overrides' file are made on a worker; then cb(ud,
 * err, t) runs on the loop (cb may be NULL).  An error means the create
 * did not start and cb will not run: catalog_create_begin's
 * (TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, ...), INVALID_CONFIG, or
 * SL_E_NOMEM. */
sl_err topic_create_start(broker *b, sl_bytes name, int32_t nparts, const char *overrides,
                          topic_created_fn cb, void *ud);

/* The INFO line of a topic made (CreateTopics or auto-created), so
 * operators see every topic's creation the same way. */
void topic_create_log(const char *name, int32_t nparts);

#endif
