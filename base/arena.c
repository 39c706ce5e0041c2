/* arena.c - chunked bump allocator. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sl_arena_chunk {
    sl_arena_chunk *next;
    size_t cap, used;
    _Alignas(16) unsigned char data[];
};

#define SL_ARENA_CHUNK 8192

void sl_arena_init(sl_arena *a, size_t limit)
{
    a->head = NULL;
    a->used_total = 0;
    a->limit = limit;
}

void *sl_arena_alloc(sl_arena *a, size_t n)
{
    sl_arena_chunk *c = a->head;
    size_t need = (n + 15) & ~(size_t)15;
    void *p;

    if (need < n || (a->limit && (need > a->limit || a->used_total > a->limit - need)))
        return NULL;
    if (!c || c->cap - c->used < need) {
        size_t cap = need > SL_ARENA_CHUNK ? need : SL_ARENA_CHUNK;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->cap = cap;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    p = c->data + c->used;
    c->used += need;
    a->used_total += need;
    memset(p, 0, n);
    return p;
}

void *sl_arena_calloc(sl_arena *a, size_t nmemb, size_t size)
{
    if (size && nmemb > SIZE_MAX / size)
        return NULL;
    return sl_arena_alloc(a, nmemb * size);
}

void sl_arena_free(sl_arena *a)
{
    sl_arena_chunk *c = a->head, *next;

    for (; c; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
    a->used_total = 0;
}
