/*
 * header.h - request header v0-v2 and response header v0/v1.
 *
 * Request header v0: api_key i16, api_version i16, correlation_id i32;
 * v1 adds client_id as an int16-length nullable string (even in flexible
 * versions); v2 (flexible requests) adds a tagged-field section.
 * Response header v0: correlation_id; v1 (flexible responses) adds tags,
 * except ApiVersions whose response header is always v0 (KIP-511).
 */
#ifndef SL_HEADER_H
#define SL_HEADER_H

#include <stdbool.h>
#include <stdint.h>

#include "kbuf.h"

typedef struct msg_req_header {
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    sl_bytes client_id; /* borrowed */
} msg_req_header;

/* Read the fixed part (key, version, correlation id) only: enough to
 * answer or refuse a request we cannot parse further. */
sl_err msg_req_header_peek(kbuf_rd *r, msg_req_header *out);
/* Read the rest of the header (client id, tags) after peek; the header
 * version follows from the api key and version. */
sl_err msg_req_header_finish(kbuf_rd *r, msg_req_header *h);
/* Whole header in one call. */
sl_err msg_req_header_decode(kbuf_rd *r, msg_req_header *out);
void msg_req_header_encode(kbuf_wr *w, const msg_req_header *h);

/* Does the response to (key, version) carry a v1 header (tags)? */
bool msg_resp_header_flex(int16_t api_key, int16_t api_version);
void msg_resp_header_encode(kbuf_wr *w, int16_t api_key, int16_t api_version,
                            int32_t correlation_id);
sl_err msg_resp_header_decode(kbuf_rd *r, int16_t api_key, int16_t api_version,
                              int32_t *correlation_id);

#endif
