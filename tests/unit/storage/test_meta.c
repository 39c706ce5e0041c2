/* test_meta.c - storage/meta.c: meta.properties, random ids in Kafka's text. */
#include "storage/storage_int.h"
#include "storage_test.h"

Test(meta, create_then_load_same_cluster_id)
{
    char *dir = st_tmpdir(), a[23], b[23], err[256] = "", buf[512];
    char *path = st_path(dir, "meta.properties");
    sl_io *io = sl_io_sync_new();
    uint8_t raw[16];

    cr_assert_eq(storage_meta_load(dir, 3, a, err, sizeof err), SL_OK, "%s", err);
    cr_assert_eq(strlen(a), 22);
    cr_assert(storage_id_decode(a, 22, raw));
    cr_assert_eq(storage_meta_load(dir, 3, b, err, sizeof err), SL_OK, "%s", err);
    cr_assert_str_eq(a, b);
    cr_assert_gt(sl_io_read_file(io, path, buf, sizeof buf), 0);
    cr_assert(strstr(buf, "\nversion=1\n"));
    cr_assert(strstr(buf, "\nbroker.id=3\n"));
    cr_assert(strstr(buf, "\nnode.id=3\n"));
    cr_assert(strstr(buf, "\ncluster.id="));
    cr_assert(strstr(buf, a));
    sl_io_free(io);
    free(path);
    st_rmdir(dir);
}

Test(meta, other_broker_id_is_refused)
{
    char *dir = st_tmpdir(), a[23], err[256] = "";

    cr_assert_eq(storage_meta_load(dir, 1, a, err, sizeof err), SL_OK);
    err[0] = '\0';
    cr_assert_eq(storage_meta_load(dir, 2, a, err, sizeof err), SL_E_INVAL);
    cr_assert(strstr(err, "does not match"), "%s", err);
    st_rmdir(dir);
}

Test(meta, reads_kafka_written_files)
{
    char *dir = st_tmpdir(), id[23], err[256] = "";
    sl_io *io = sl_io_sync_new();
    const char *kraft = "#\n#Thu Nov 23 10:00:00 UTC 2026\nnode.id=5\n"
                        "directory.id=J8aAPcfLQt2bqs1JT_rMgQ\nversion=1\n"
                        "cluster.id=MkU3OEVBNTcwNTJENDM2Qg\n";
    const char *zk = "version=0\nbroker.id=7\ncluster.id=AAAAAAAAAAAAAAAAAAAAAA\n";

    cr_assert_eq(sl_io_write_file(io, dir, "meta.properties", kraft, strlen(kraft)), SL_OK);
    cr_assert_eq(storage_meta_load(dir, 5, id, err, sizeof err), SL_OK, "%s", err);
    cr_assert_str_eq(id, "MkU3OEVBNTcwNTJENDM2Qg");
    cr_assert_eq(sl_io_write_file(io, dir, "meta.properties", zk, strlen(zk)), SL_OK);
    cr_assert_eq(storage_meta_load(dir, 7, id, err, sizeof err), SL_OK, "%s", err);
    cr_assert_eq(storage_meta_load(dir, 5, id, err, sizeof err), SL_E_INVAL);
    sl_io_free(io);
    st_rmdir(dir);
}

Test(meta, malformed_files)
{
    char *dir = st_tmpdir(), id[23], err[256];
    sl_io *io = sl_io_sync_new();
    const char *bad[] = {
        "version=2\nnode.id=1\ncluster.id=MkU3OEVBNTcwNTJENDM2Qg\n",
        "version=1\nnode.id=1\n",
        "version=1\nnode.id=1\ncluster.id=short\n",
        "version=1\nnode.id=1\nbroker.id=2\ncluster.id=MkU3OEVBNTcwNTJENDM2Qg\n",
        "version=1\ncluster.id=MkU3OEVBNTcwNTJENDM2Qg\n",
        "garbage line\n",
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(sl_io_write_file(io, dir, "meta.properties", bad[i], strlen(bad[i])), SL_OK);
        err[0] = '\0';
        cr_assert_eq(storage_meta_load(dir, 1, id, err, sizeof err), SL_E_MALFORMED, "case %zu",
                     i);
        cr_assert_neq(err[0], '\0');
    }
    sl_io_free(io);
    st_rmdir(dir);
}

Test(meta, ids_round_trip_and_are_random)
{
    uint8_t a[16], b[16], back[16];
    char text[23];
    static const uint8_t known[16] = { 0x32, 0x45, 0x37, 0x38, 0x45, 0x41, 0x35, 0x37,
                                       0x30, 0x35, 0x32, 0x44, 0x34, 0x33, 0x36, 0x42 };

    storage_id_encode(known, text);
    cr_assert_str_eq(text, "MkU3OEVBNTcwNTJENDM2Qg", "as Kafka's Uuid.toString");
    for (int i = 0; i < 200; i++) {
        cr_assert_eq(storage_random_id(a), SL_OK);
        storage_id_encode(a, text);
        cr_assert_eq(strlen(text), 22);
        cr_assert_neq(text[0], '-');
        cr_assert(storage_id_decode(text, 22, back));
        cr_assert_eq(memcmp(a, back, 16), 0);
    }
    cr_assert_eq(storage_random_id(b), SL_OK);
    cr_assert_neq(memcmp(a, b, 16), 0);
    cr_assert_not(storage_id_decode("MkU3OEVBNTcwNTJENDM2Qh", 22, back), "non-canonical tail");
    cr_assert_not(storage_id_decode("MkU3OEVBNTcwNTJENDM2Q=", 22, back));
    cr_assert_not(storage_id_decode("MkU3OEVBNTcwNTJENDM2Q", 21, back));
}
