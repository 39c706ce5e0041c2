/* test_dispatch.c - the dispatch table is sane and docs/protocol.md agrees. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "broker/broker.h"
#include "protocol/api.h"

Test(dispatch, table_is_sane)
{
    for (int i = 0; i < api_table_len; i++) {
        const api_entry *e = &api_table[i];

        cr_assert_not_null(api_name(e->key), "key %d has no name", e->key);
        cr_assert(e->min >= 0 && e->min <= e->max, "%s: bad range", api_name(e->key));
        cr_assert_not_null(e->handler);
        cr_assert_eq(api_find(e->key), e, "%s listed twice", api_name(e->key));
    }
    cr_assert_null(api_find(999));
    cr_assert_null(api_find(-1));
}

/* Every "| Name | key | min-max |" row of docs/protocol.md's first table
 * must be an entry of the table, and every entry must have a row. */
Test(dispatch, docs_protocol_matches_table)
{
    char path[4096], line[2048];
    int seen[API_KEY_MAX] = { 0 };
    int rows = 0;
    FILE *f;

    snprintf(path, sizeof path, "%s/docs/protocol.md", SLUICE_SOURCE_DIR);
    f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    while (fgets(line, sizeof line, f)) {
        char name[64];
        int key, min, max;
        const api_entry *e;

        if (sscanf(line, "| %63s | %d | %d-%d |", name, &key, &min, &max) != 4)
            continue;
        rows++;
        e = api_find((int16_t)key);
        cr_assert_not_null(e, "docs list %s (key %d), which the broker does not serve", name,
                           key);
        cr_assert_str_eq(name, api_name(e->key), "docs name key %d %s", key, name);
        cr_assert(min == e->min && max == e->max, "docs say %s %d-%d, table says %d-%d", name,
                  min, max, e->min, e->max);
        seen[key]++;
    }
    fclose(f);
    for (int i = 0; i < api_table_len; i++)
        cr_assert_eq(seen[api_table[i].key], 1, "%s missing from docs/protocol.md (or twice)",
                     api_name(api_table[i].key));
    cr_assert_eq(rows, api_table_len);
}
