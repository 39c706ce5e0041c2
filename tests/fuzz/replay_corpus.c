/*
 * replay_corpus.c - run the fuzz driver (fuzz_request.c) over the corpora,
 * without libFuzzer, in the normal test build (SQLite's fuzzcheck, H2O's
 * replayed corpora; STYLE.md habit 10).  ctest runs it as
 * fuzz_replay_corpus, so ASan and UBSan look at every golden frame and
 * every fuzzer finding in every test run.
 *
 *   replay_corpus DIR...
 *
 * Each file of each DIR (names starting with '.' and *.md skipped) is one
 * input: *.hex files are decoded from hex (tests/corpus/frames), the rest
 * are raw bytes (tests/fuzz/corpus).  Every input is also replayed cut
 * short at every length below its own (up to 64 KiB), since truncation is
 * the commonest hostile input.  A broken check in the driver aborts; ASan
 * and UBSan abort on what they find.  Exit 0 when every directory was read
 * and at least one input was replayed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/corpus_files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PREFIX_MAX (64u << 10)

int main(int argc, char **argv)
{
    long files = 0, inputs = 0;
    int bad = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR...\n", argv[0]);
        return 2;
    }
    for (int d = 1; d < argc; d++) {
        int n;
        char **paths = corpus_list(argv[d], NULL, &n);

        if (!paths) {
            fprintf(stderr, "replay_corpus: cannot read directory %s\n", argv[d]);
            bad = 1;
            continue;
        }
        for (int i = 0; i < n; i++) {
            size_t len;
            uint8_t *buf;

            if (corpus_has_suffix(paths[i], ".md"))
                continue;
            buf = corpus_read(paths[i], &len);
            if (!buf) {
                fprintf(stderr, "replay_corpus: cannot read %s\n", paths[i]);
                bad = 1;
                continue;
            }
            fprintf(stderr, "%s\n", paths[i]); /* the culprit, if what follows aborts */
            LLVMFuzzerTestOneInput(buf, len);
            inputs++;
            if (len <= PREFIX_MAX) {
                for (size_t k = 0; k < len; k++) {
                    uint8_t *p = malloc(k ? k : 1); /* exact: ASan sees over-reads */

                    if (!p)
                        abort();
                    if (k)
                        memcpy(p, buf, k);
                    LLVMFuzzerTestOneInput(p, k);
                    free(p);
                    inputs++;
                }
            }
            free(buf);
            files++;
        }
        corpus_free_list(paths, n);
    }
    printf("replay_corpus: %ld files, %ld inputs (with their truncations) replayed\n", files,
           inputs);
    if (files == 0) {
        fprintf(stderr, "replay_corpus: no input found\n");
        return 1;
    }
    return bad;
}
