/*
 * faults.h - faults on demand for tests (in the manner of librdkafka's
 * mock cluster): answer the next N requests of an API with an error,
 * delay an API's requests, close every client connection, or stop
 * serving for a while.  Only the embedding API (sluice_broker.h) and
 * sluiced --faults reach these; a broker nobody asks injects nothing.
 *
 * The commands are thread-safe: they record the fault under a lock and
 * wake the loop (broker_wake), which applies what needs the loop.
 */
#ifndef SL_FAULTS_H
#define SL_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"
#include "broker.h"

typedef struct faults faults;

faults *faults_new(void);
void faults_free(faults *f);

/* Whether an injected error can be answered for this API (a well-formed
 * response with the code in every error field). */
bool faults_error_supported(int16_t api_key);

/* --- thread-safe commands ------------------------------------------------ */

/* Queue errors for the next n requests of api_key, in order; an error
 * code of 0 lets one request through.  SL_E_INVAL (errstr says why) for
 * an API without injected-error support or a bad count. */
sl_err faults_push_errors(broker *b, int16_t api_key, int n, const int16_t *codes,
                          char *errstr, size_t errstr_size);
/* Hold each request of api_key (-1: every API) for ms before handling
 * it; 0 ends the delay. */
sl_err faults_delay(broker *b, int16_t api_key, int ms, char *errstr, size_t errstr_size);
/* Close every client connection now. */
void faults_close_connections(broker *b);
/* Close every client connection and refuse new ones for ms (0 ends an
 * outage early). */
void faults_pause(broker *b, int ms);
/* Forget all queued errors and delays. */
void faults_clear(broker *b);
/* Queued errors of api_key not yet answered. */
int faults_pending(broker *b, int16_t api_key);

/* --- loop thread ---------------------------------------------------------- */

/* Apply commands that need the loop (broker_wake's completion). */
void faults_on_wake(broker *b);
/* In an injected outage: accept nothing. */
bool faults_paused(const broker *b);
/* Called by dispatch before the handler: true when a fault took r (it
 * is answered with an error, or held to be dispatched later). */
bool faults_intercept(breq *r);
/* The broker is stopping: end an outage, let held requests go. */
void faults_stop(broker *b);

/* faults_resp.c: answer r with error_code in each of its error fields
 * (false when its API has no support). */
bool faults_answer_error(breq *r, int16_t error_code);

#endif
