/*
 * checkpoint.c - the load checkpoint file (checkpoint.h), in JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "checkpoint.h"

static void entry_clear(ckpt_entry *e)
{
    free(e->name);
    free(e->producer_ids);
    free(e->next_offsets);
    memset(e, 0, sizeof(*e));
}

void ckpt_free(ckpt *c)
{
    if (!c)
        return;
    for (int32_t i = 0; i < c->n; i++)
        entry_clear(&c->entries[i]);
    free(c->entries);
    free(c->path);
    free(c->topic);
    free(c);
}

ckpt_entry *ckpt_get(ckpt *c, const char *name, bool create)
{
    ckpt_entry *v;

    for (int32_t i = 0; i < c->n; i++)
        if (!strcmp(c->entries[i].name, name))
            return &c->entries[i];
    if (!create)
        return NULL;
    v = realloc(c->entries, sizeof(*v) * (size_t)(c->n + 1));
    if (!v)
        return NULL;
    c->entries = v;
    v = &c->entries[c->n];
    memset(v, 0, sizeof(*v));
    v->name = strdup(name);
    if (!v->name)
        return NULL;
    c->n++;
    return v;
}

static bool get_u64(json_t *o, const char *k, uint64_t *out)
{
    json_t *v = json_object_get(o, k);

    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = (uint64_t)json_integer_value(v);
    return true;
}

static bool parse_entry(ckpt_entry *e, json_t *o)
{
    const char *fp = json_string_value(json_object_get(o, "fingerprint"));
    json_t *pids = json_object_get(o, "producer_ids");
    json_t *offs = json_object_get(o, "next_offsets");
    uint64_t parts = 0;
    size_t i;
    json_t *v;

    if (!fp || strncmp(fp, "xxh3:", 5) || !get_u64(o, "position", &e->position) ||
        !get_u64(o, "line", &e->line) || !get_u64(o, "records", &e->records) ||
        !get_u64(o, "partitions", &parts) || !json_is_array(pids) ||
        (!json_is_array(offs) && !json_is_null(offs)))
        return false;
    e->fingerprint = strtoull(fp + 5, NULL, 16);
    e->complete = json_is_true(json_object_get(o, "complete"));
    e->partitions = (int32_t)parts;
    e->producer_ids = calloc(json_array_size(pids) + 1, sizeof(int64_t));
    if (!e->producer_ids)
        return false;
    json_array_foreach(pids, i, v) e->producer_ids[e->nproducer_ids++] = json_integer_value(v);
    if (json_is_array(offs)) {
        if (json_array_size(offs) != parts)
            return false;
        e->next_offsets = calloc(parts + 1, sizeof(int64_t));
        if (!e->next_offsets)
            return false;
        json_array_foreach(offs, i, v) e->next_offsets[i] = json_integer_value(v);
    }
    return true;
}

ckpt *ckpt_load(const char *path, const char *topic, char *errstr, size_t errstr_size)
{
    ckpt *c = calloc(1, sizeof(*c));
    json_error_t je;
    json_t *root, *inputs, *o;
    const char *name, *t;
    FILE *f;

    if (!c)
        return NULL;
    c->path = strdup(path);
    c->topic = strdup(topic);
    if (!c->path || !c->topic)
        goto bad;
    f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return c;
        snprintf(errstr, errstr_size, "checkpoint %s: %s", path, strerror(errno));
        goto fail;
    }
    root = json_loadf(f, 0, &je);
    fclose(f);
    if (!root) {
        snprintf(errstr, errstr_size, "checkpoint %s: line %d: %s", path, je.line, je.text);
        goto fail;
    }
    t = json_string_value(json_object_get(root, "topic"));
    if (!t || strcmp(t, topic)) {
        snprintf(errstr, errstr_size, "checkpoint %s belongs to topic '%s', not '%s'", path,
                 t ? t : "?", topic);
        json_decref(root);
        goto fail;
    }
    inputs = json_object_get(root, "inputs");
    json_object_foreach(inputs, name, o) {
        ckpt_entry *e = ckpt_get(c, name, true);

        if (!e || !parse_entry(e, o)) {
            snprintf(errstr, errstr_size, "checkpoint %s: bad entry for %s", path, name);
            json_decref(root);
            goto fail;
        }
    }
    json_decref(root);
    return c;
bad:
    snprintf(errstr, errstr_size, "out of memory");
fail:
    ckpt_free(c);
    return NULL;
}

int ckpt_save(const ckpt *c)
{
    json_t *root = json_object(), *inputs = json_object();
    char *text;
    int rc;

    if (!root || !inputs)
        return -1;
    json_object_set_new(root, "version", json_integer(1));
    json_object_set_new(root, "topic", json_string(c->topic));
    for (int32_t i = 0; i < c->n; i++) {
        const ckpt_entry *e = &c->entries[i];
        json_t *o = json_object(), *pids = json_array(), *offs;
        char fp[32];

        snprintf(fp, sizeof(fp), "xxh3:%016" PRIx64, e->fingerprint);
        json_object_set_new(o, "fingerprint", json_string(fp));
        json_object_set_new(o, "position", json_integer((json_int_t)e->position));
        json_object_set_new(o, "line", json_integer((json_int_t)e->line));
        json_object_set_new(o, "records", json_integer((json_int_t)e->records));
        json_object_set_new(o, "complete", json_boolean(e->complete));
        json_object_set_new(o, "partitions", json_integer(e->partitions));
        for (int32_t j = 0; j < e->nproducer_ids; j++)
            json_array_append_new(pids, json_integer(e->producer_ids[j]));
        json_object_set_new(o, "producer_ids", pids);
        if (e->next_offsets) {
            offs = json_array();
            for (int32_t j = 0; j < e->partitions; j++)
                json_array_append_new(offs, json_integer(e->next_offsets[j]));
        } else {
            offs = json_null();
        }
        json_object_set_new(o, "next_offsets", offs);
        json_object_set_new(inputs, e->name, o);
    }
    json_object_set_new(root, "inputs", inputs);
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!text)
        return -1;
    rc = slb_write_atomic(c->path, text, strlen(text));
    free(text);
    return rc;
}
