/*
 * arena.h - a bump allocator freed whole (nginx pools).
 *
 * Decoded requests live in an arena tied to the request and are freed with
 * it.  Allocation fails (NULL) past the arena's limit, so a hostile request
 * cannot make the broker allocate without bound.
 */
#ifndef SL_ARENA_H
#define SL_ARENA_H

#include <stddef.h>

typedef struct sl_arena_chunk sl_arena_chunk;
typedef struct sl_arena {
    sl_arena_chunk *head;
    size_t used_total;  /* bytes handed out so far */
    size_t limit;       /* 0: no limit */
} sl_arena;

void sl_arena_init(sl_arena *a, size_t limit);
/* 16-byte aligned, zeroed memory; NULL when the limit would be passed. */
void *sl_arena_alloc(sl_arena *a, size_t n);
/* n * size with overflow check; zeroed. */
void *sl_arena_calloc(sl_arena *a, size_t nmemb, size_t size);
void sl_arena_free(sl_arena *a);

#endif
