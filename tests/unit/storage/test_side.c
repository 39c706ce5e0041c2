/* test_side.c - storage/side.c: a partition's side files (plog_side_*). */
#include "storage_test.h"

Test(side, write_read_replace_remove)
{
    fixture f;
    uint8_t *data;
    size_t len;
    char *path;

    fx_init(&f, st_small_config(1 << 20, 4096));
    path = st_path(f.dir, "state.bin");
    cr_assert_eq(plog_side_read(f.log, "state.bin", 1024, &data, &len), SL_E_NOTFOUND);
    cr_assert_null(data);
    cr_assert_eq(plog_side_write(f.log, "state.bin", "hello", 5), SL_OK);
    cr_assert_eq(plog_side_read(f.log, "state.bin", 1024, &data, &len), SL_OK);
    cr_assert_eq(len, 5);
    cr_assert_eq(memcmp(data, "hello", 5), 0);
    free(data);
    /* Replaced whole, and no temporary file is left. */
    cr_assert_eq(plog_side_write(f.log, "state.bin", "hi", 2), SL_OK);
    cr_assert_eq(plog_side_read(f.log, "state.bin", 1024, &data, &len), SL_OK);
    cr_assert_eq(len, 2);
    cr_assert_eq(memcmp(data, "hi", 2), 0);
    free(data);
    {
        char *tmp = st_path(f.dir, "state.bin.tmp");

        cr_assert(!st_exists(tmp));
        free(tmp);
    }
    /* An empty file reads as empty, not as missing. */
    cr_assert_eq(plog_side_write(f.log, "state.bin", "", 0), SL_OK);
    cr_assert_eq(plog_side_read(f.log, "state.bin", 1024, &data, &len), SL_OK);
    cr_assert_eq(len, 0);
    free(data);
    cr_assert_eq(plog_side_remove(f.log, "state.bin"), SL_OK);
    cr_assert(!st_exists(path));
    cr_assert_eq(plog_side_remove(f.log, "state.bin"), SL_OK, "removing a missing one is fine");
    free(path);
    fx_fini(&f);
}

Test(side, bounds_and_names)
{
    fixture f;
    uint8_t *data;
    size_t len;

    fx_init(&f, st_small_config(1 << 20, 4096));
    cr_assert_eq(plog_side_write(f.log, "big", "0123456789", 10), SL_OK);
    cr_assert_eq(plog_side_read(f.log, "big", 9, &data, &len), SL_E_RANGE);
    cr_assert_null(data);
    cr_assert_eq(plog_side_read(f.log, "big", 10, &data, &len), SL_OK);
    free(data);
    cr_assert_eq(plog_side_write(f.log, "", "x", 1), SL_E_INVAL);
    cr_assert_eq(plog_side_write(f.log, ".hidden", "x", 1), SL_E_INVAL);
    cr_assert_eq(plog_side_write(f.log, "../escape", "x", 1), SL_E_INVAL);
    cr_assert_eq(plog_side_write(f.log, "a/b", "x", 1), SL_E_INVAL);
    cr_assert_eq(plog_side_read(f.log, "a/b", 10, &data, &len), SL_E_INVAL);
    cr_assert_eq(plog_side_remove(f.log, ".."), SL_E_INVAL);
    /* Side files do not disturb the log: it reopens with its data. */
    append_n(&f, 3, 1000, 10, NULL, NULL);
    fx_reopen(&f);
    cr_assert_eq(plog_end_offset(f.log), 3);
    cr_assert_eq(plog_side_read(f.log, "big", 10, &data, &len), SL_OK);
    cr_assert_eq(len, 10);
    free(data);
    fx_fini(&f);
}
