/*
 * msg_group_int.h - helpers shared by the group codecs (msg_coordinator.c,
 * msg_join.c, msg_offsets.c, msg_groups_admin.c), private to them: the
 * non-nullable BYTES and the []string forms that msg_int.h lacks.
 */
#ifndef SL_MSG_GROUP_INT_H
#define SL_MSG_GROUP_INT_H

#include "msg_group.h"
#include "msg_int.h"

/* BYTES the schema says are never null. */
static inline sl_bytes msg_get_bytes_nn(kbuf_rd *r, bool flex)
{
    sl_bytes b = kbuf_get_bytes(r, flex);

    if (kbuf_ok(r) && b.null)
        kbuf_fail(r, SL_E_MALFORMED);
    return b;
}

static inline void msg_put_bytes_nn(kbuf_wr *w, bool flex, sl_bytes b)
{
    kbuf_put_bytes(w, flex, b.null ? msg_empty() : b);
}

/* []string, not nullable, elements never null. */
static inline sl_bytes *msg_get_str_array(kbuf_rd *r, bool flex, sl_arena *a, int32_t *count)
{
    int32_t n = msg_get_count(r, flex, msg_str_min(flex));
    sl_bytes *v = msg_alloc(r, a, n, sizeof *v);

    for (int32_t i = 0; v && i < n && kbuf_ok(r); i++)
        v[i] = msg_get_str_nn(r, flex);
    *count = kbuf_ok(r) ? n : 0;
    return v;
}

static inline void msg_put_str_array(kbuf_wr *w, bool flex, const sl_bytes *v, int32_t count)
{
    int32_t n = msg_put_count(w, flex, count, false);

    for (int32_t i = 0; i < n; i++)
        msg_put_str_nn(w, flex, v[i]);
}

#endif
