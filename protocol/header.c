/* header.c - request and response headers (see header.h). */
#include "header.h"

#include "api.h"

sl_err msg_req_header_peek(kbuf_rd *r, msg_req_header *out)
{
    r->field = "request_header";
    out->api_key = kbuf_get_i16(r);
    out->api_version = kbuf_get_i16(r);
    out->correlation_id = kbuf_get_i32(r);
    out->client_id = SL_BYTES_NULL;
    return r->err;
}

sl_err msg_req_header_finish(kbuf_rd *r, msg_req_header *h)
{
    /* Every API we know uses header v1+ (client id); ControlledShutdown v0
     * is the one header-v0 request, and we do not serve it. */
    r->field = "client_id";
    h->client_id = kbuf_get_str(r, false);
    if (api_is_flexible(h->api_key, h->api_version)) {
        r->field = "header_tags";
        kbuf_skip_tags(r);
    }
    return r->err;
}

sl_err msg_req_header_decode(kbuf_rd *r, msg_req_header *out)
{
    if (msg_req_header_peek(r, out))
        return r->err;
    return msg_req_header_finish(r, out);
}

void msg_req_header_encode(kbuf_wr *w, const msg_req_header *h)
{
    kbuf_put_i16(w, h->api_key);
    kbuf_put_i16(w, h->api_version);
    kbuf_put_i32(w, h->correlation_id);
    kbuf_put_str(w, false, h->client_id);
    kbuf_put_tags(w, api_is_flexible(h->api_key, h->api_version));
}

bool msg_resp_header_flex(int16_t api_key, int16_t api_version)
{
    return api_key != API_API_VERSIONS && api_is_flexible(api_key, api_version);
}

void msg_resp_header_encode(kbuf_wr *w, int16_t api_key, int16_t api_version,
                            int32_t correlation_id)
{
    kbuf_put_i32(w, correlation_id);
    kbuf_put_tags(w, msg_resp_header_flex(api_key, api_version));
}

sl_err msg_resp_header_decode(kbuf_rd *r, int16_t api_key, int16_t api_version,
                              int32_t *correlation_id)
{
    *correlation_id = kbuf_get_i32(r);
    if (msg_resp_header_flex(api_key, api_version))
        kbuf_skip_tags(r);
    return r->err;
}
