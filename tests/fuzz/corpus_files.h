/*
 * corpus_files.h - reading the frame corpora, shared by the golden-frame
 * test (tests/unit/protocol/test_golden.c) and the corpus replayer
 * (tests/fuzz/replay_corpus.c).
 *
 * Two kinds of files:
 *   tests/corpus/frames/\*.hex  golden request frames captured from real
 *       clients (tests/corpus/capture.py): '#' starts a comment that runs
 *       to the end of the line, whitespace is ignored, the rest is pairs
 *       of hex digits.
 *   tests/fuzz/corpus/\*        fuzzer findings and regression inputs, raw
 *       bytes as libFuzzer writes them.
 * Every buffer comes back malloc()ed at exactly its length (at least one
 * byte allocated), so ASan sees a read one past the end.
 */
#ifndef SL_TESTS_CORPUS_FILES_H
#define SL_TESTS_CORPUS_FILES_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline bool corpus_has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);

    return n >= m && strcmp(s + n - m, suf) == 0;
}

/* The whole file, raw; NULL if it cannot be read. */
static inline uint8_t *corpus_read_raw(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;

    if (!f)
        return NULL;
    for (;;) {
        size_t got;

        if (n == cap) {
            uint8_t *nb = realloc(buf, cap ? cap * 2 : 4096);

            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap = cap ? cap * 2 : 4096;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    {
        /* Exactly sized, so ASan catches an over-read. */
        uint8_t *exact = malloc(n ? n : 1);

        if (exact && n)
            memcpy(exact, buf, n);
        free(buf);
        *len = n;
        return exact;
    }
}

static inline int corpus_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A .hex file decoded; NULL if unreadable or not well-formed hex. */
static inline uint8_t *corpus_read_hex(const char *path, size_t *len)
{
    size_t tn, n = 0;
    uint8_t *text = corpus_read_raw(path, &tn), *out;
    int hi = -1;
    bool comment = false;

    if (!text)
        return NULL;
    out = malloc(tn / 2 + 1);
    if (!out) {
        free(text);
        return NULL;
    }
    for (size_t i = 0; i < tn; i++) {
        int c = text[i], v;

        if (comment) {
            comment = c != '\n';
            continue;
        }
        if (c == '#') {
            comment = true;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        v = corpus_hexval(c);
        if (v < 0)
            goto bad;
        if (hi < 0) {
            hi = v;
        } else {
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0)
        goto bad;
    free(text);
    {
        uint8_t *exact = malloc(n ? n : 1);

        if (exact && n)
            memcpy(exact, out, n);
        free(out);
        *len = n;
        return exact;
    }
bad:
    free(text);
    free(out);
    return NULL;
}

/* A corpus file: hex if its name ends in .hex, else raw. */
static inline uint8_t *corpus_read(const char *path, size_t *len)
{
    return corpus_has_suffix(path, ".hex") ? corpus_read_hex(path, len)
                                           : corpus_read_raw(path, len);
}

static inline int corpus_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The regular files of dir (names not starting with '.'; only those ending
 * in suffix when suffix is not NULL), sorted, as a malloc()ed array of
 * malloc()ed full paths; *count is set.  NULL only when the directory
 * cannot be opened (or memory runs out).  Free with corpus_free_list().
 */
static inline char **corpus_list(const char *dir, const char *suffix, int *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **v = NULL;
    int n = 0, cap = 0;

    *count = 0;
    if (!d)
        return NULL;
    while ((e = readdir(d)) != NULL) {
        size_t len;
        char *path;

        if (e->d_name[0] == '.')
            continue;
        if (suffix && !corpus_has_suffix(e->d_name, suffix))
            continue;
        if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN)
            continue;
        if (n == cap) {
            char **nv = realloc(v, sizeof *v * (size_t)(cap ? cap * 2 : 64));

            if (!nv)
                break;
            v = nv;
            cap = cap ? cap * 2 : 64;
        }
        len = strlen(dir) + strlen(e->d_name) + 2;
        path = malloc(len);
        if (!path)
            break;
        snprintf(path, len, "%s/%s", dir, e->d_name);
        v[n++] = path;
    }
    closedir(d);
    if (!v)
        v = calloc(1, sizeof *v); /* an empty directory is not a failure */
    if (n)
        qsort(v, (size_t)n, sizeof *v, corpus_cmp_names);
    *count = n;
    return v;
}

static inline void corpus_free_list(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static inline const char *corpus_basename(const char *path)
{
    const char *s = strrchr(path, '/');

    return s ? s + 1 : path;
}

#endif
