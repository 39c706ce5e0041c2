/* test_log.c - base/log: log.level parsing, levels per subsystem, JSON
 * escaping and the JSON line format. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

static sl_log_levels parse_ok(const char *spec)
{
    sl_log_levels lv;
    char err[256] = "";

    cr_assert_eq(sl_log_parse_levels(spec, &lv, err, sizeof err), 0, "'%s': %s", spec, err);
    return lv;
}

Test(log, parse_default_only)
{
    sl_log_levels lv = parse_ok("warn");

    cr_assert_eq(lv.def, SL_LOG_WARN);
    cr_assert_eq(lv.n, 0);
    cr_assert_eq(parse_ok("ERROR").def, SL_LOG_ERROR);
    cr_assert_eq(parse_ok(" Debug ").def, SL_LOG_DEBUG);
    cr_assert_eq(parse_ok("warning").def, SL_LOG_WARN);
}

Test(log, parse_subsystems)
{
    sl_log_levels lv = parse_ok("info, storage=debug ,net = error,storage=warn");

    cr_assert_eq(lv.def, SL_LOG_INFO);
    cr_assert_eq(lv.n, 2);
    cr_assert_str_eq(lv.sub[0].name, "storage");
    cr_assert_eq(lv.sub[0].level, SL_LOG_WARN, "the last of a subsystem wins");
    cr_assert_str_eq(lv.sub[1].name, "net");
    cr_assert_eq(lv.sub[1].level, SL_LOG_ERROR);
    lv = parse_ok("net=debug");
    cr_assert_eq(lv.def, SL_LOG_INFO, "no default named: info");
    cr_assert_eq(lv.n, 1);
}

Test(log, parse_rejects)
{
    static const char *const bad[] = {
        "", "verbose", "info,", ",info", "info,,net=debug", "net=", "=debug",
        "net=loud", "bad name=debug", "info;net=debug", "trace",
        "a_very_long_subsystem_name_indeed=debug",
    };
    sl_log_levels lv;
    char err[256];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        cr_expect_eq(sl_log_parse_levels(bad[i], &lv, err, sizeof err), -1, "'%s' accepted",
                     bad[i]);
        cr_expect_neq(err[0], 0, "'%s': no reason given", bad[i]);
    }
}

Test(log, parse_too_many_subsystems)
{
    char spec[1024] = "info";
    sl_log_levels lv;
    char err[256];

    for (int i = 0; i <= SL_LOG_MAX_SUBSYS; i++)
        snprintf(spec + strlen(spec), sizeof spec - strlen(spec), ",s%d=debug", i);
    cr_assert_eq(sl_log_parse_levels(spec, &lv, err, sizeof err), -1);
}

Test(log, parse_format)
{
    sl_log_format f;

    cr_assert_eq(sl_log_parse_format("json", &f), 0);
    cr_assert_eq(f, SL_LOG_JSON);
    cr_assert_eq(sl_log_parse_format("TEXT", &f), 0);
    cr_assert_eq(f, SL_LOG_TEXT);
    cr_assert_eq(sl_log_parse_format("xml", &f), -1);
    cr_assert_eq(sl_log_parse_format("", &f), -1);
}

Test(log, levels_per_subsystem)
{
    sl_log_levels lv = parse_ok("warn,net=debug,storage=error");

    sl_log_apply_levels(&lv);
    cr_assert(sl_log_enabled(SL_LOG_DEBUG, "net"));
    cr_assert(!sl_log_enabled(SL_LOG_INFO, "broker"));
    cr_assert(sl_log_enabled(SL_LOG_WARN, "broker"));
    cr_assert(!sl_log_enabled(SL_LOG_WARN, "storage"));
    cr_assert(sl_log_enabled(SL_LOG_ERROR, "storage"));
    cr_assert(!sl_log_enabled(SL_LOG_DEBUG, "netx"), "a prefix is not the subsystem");

    /* Applying again forgets the subsystems not named any more. */
    lv = parse_ok("info");
    sl_log_apply_levels(&lv);
    cr_assert(!sl_log_enabled(SL_LOG_DEBUG, "net"));
    cr_assert(sl_log_enabled(SL_LOG_WARN, "storage"));
    cr_assert(sl_log_enabled(SL_LOG_INFO, "broker"));
    sl_log_set_level(SL_LOG_ERROR);
    cr_assert(!sl_log_enabled(SL_LOG_WARN, "broker"));
    sl_log_set_level(SL_LOG_INFO);
}

/* Names are kept for good once applied (a logger may be reading one);
 * past the table's size new ones are refused, the others still work. */
Test(log, subsystem_table_full)
{
    sl_log_levels lv = { .def = SL_LOG_WARN, .n = SL_LOG_MAX_SUBSYS };

    for (int i = 0; i < SL_LOG_MAX_SUBSYS; i++) {
        snprintf(lv.sub[i].name, sizeof lv.sub[i].name, "old%d", i);
        lv.sub[i].level = SL_LOG_DEBUG;
    }
    sl_log_apply_levels(&lv);
    /* Then one old name and new ones: the old one's level applies, the
     * new ones find no room and get the default. */
    for (int i = 1; i < SL_LOG_MAX_SUBSYS; i++)
        snprintf(lv.sub[i].name, sizeof lv.sub[i].name, "new%d", i);
    sl_log_apply_levels(&lv);
    cr_assert(sl_log_enabled(SL_LOG_DEBUG, "old0"));
    cr_assert(!sl_log_enabled(SL_LOG_DEBUG, "old1"), "not named again: the default");
    cr_assert(!sl_log_enabled(SL_LOG_DEBUG, "new1"), "no room: the default");
    cr_assert(sl_log_enabled(SL_LOG_WARN, "new1"));
    sl_log_set_level(SL_LOG_INFO);
    cr_assert(!sl_log_enabled(SL_LOG_DEBUG, "old0"), "a name kept, its level cleared");
}

static int evaluated(int *n)
{
    return ++*n;
}

/* A line whose level is off is dropped before its arguments are
 * evaluated (the cheap path); one that is on evaluates them once. */
Test(log, off_is_not_evaluated)
{
    int n = 0;

    sl_log_set_level(SL_LOG_WARN);
    sl_debug("net", "%d", evaluated(&n));
    sl_info("broker", "%d", evaluated(&n));
    cr_assert_eq(n, 0);
    sl_log_set_level(SL_LOG_ERROR + 1); /* silence, as tests/crash does */
    sl_error("broker", "%d", evaluated(&n));
    cr_assert_eq(n, 0);
    sl_log_set_level(SL_LOG_INFO);
}

static void esc_is(const char *in, const char *want)
{
    char out[256];

    sl_log_json_escape(out, sizeof out, in);
    cr_assert_str_eq(out, want, "escaping '%s'", in);
}

Test(log, json_escape)
{
    esc_is("plain text", "plain text");
    esc_is("say \"hi\" \\ bye", "say \\\"hi\\\" \\\\ bye");
    esc_is("a\nb\tc\rd\be\ff", "a\\nb\\tc\\rd\\be\\ff");
    esc_is("\x01\x1f\x7f", "\\u0001\\u001f\x7f");
    esc_is("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
           "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    esc_is("bad \xff byte", "bad \\ufffd byte");
    esc_is("cut \xc3", "cut \\ufffd");
    esc_is("overlong \xc0\xaf", "overlong \\ufffd\\ufffd");
    esc_is("surrogate \xed\xa0\x80", "surrogate \\ufffd\\ufffd\\ufffd");
    esc_is("too big \xf4\x90\x80\x80", "too big \\ufffd\\ufffd\\ufffd\\ufffd");
}

Test(log, json_escape_truncates_whole)
{
    char out[8];
    size_t n = sl_log_json_escape(out, sizeof out, "ab\"\"\"\"");

    /* "ab" + two escaped quotes fit in 7 characters; a third would not,
     * and half an escape is never written. */
    cr_assert_eq(n, 6);
    cr_assert_str_eq(out, "ab\\\"\\\"");
    n = sl_log_json_escape(out, 4, "\xe2\x82\xac\xe2\x82\xac");
    cr_assert_eq(n, 3);
    cr_assert_str_eq(out, "\xe2\x82\xac");
}

/* Run fn with stderr going to a file; the text written comes back. */
static char *capture_stderr(void (*fn)(void))
{
    char path[] = "/tmp/sluice-test-log-XXXXXX", *buf = calloc(1, 8192);
    int fd = mkstemp(path), saved = dup(2);
    FILE *f;

    cr_assert(fd >= 0 && saved >= 0 && buf);
    fflush(stderr);
    dup2(fd, 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    f = fdopen(fd, "r");
    rewind(f);
    fread(buf, 1, 8191, f);
    fclose(f);
    unlink(path);
    return buf;
}

static void log_some_json(void)
{
    sl_log_levels lv = parse_ok("warn,net=debug");

    sl_log_apply_levels(&lv);
    sl_log_set_format(SL_LOG_JSON);
    sl_debug("net", "peer \"%s\"\n", "x\xff");
    sl_info("broker", "hidden");
    sl_warn("broker", "shown");
    sl_notice("broker", "always");
    sl_log_set_format(SL_LOG_TEXT);
    sl_log_set_level(SL_LOG_INFO);
}

Test(log, json_lines)
{
    char *out = capture_stderr(log_some_json);
    char *l1 = out, *l2, *l3, *end;

    l2 = strchr(l1, '\n');
    cr_assert(l2, "%s", out);
    *l2++ = 0;
    l3 = strchr(l2, '\n');
    cr_assert(l3, "%s", out);
    *l3++ = 0;
    end = strchr(l3, '\n');
    cr_assert(end && end[1] == 0, "three lines: %s", out);
    *end = 0;
    /* {"time":"2026-11-23T10:00:00.123Z", ... */
    cr_assert_eq(strncmp(l1, "{\"time\":\"", 9), 0, "%s", l1);
    cr_assert_eq(l1[9 + 4], '-');
    cr_assert_eq(l1[9 + 10], 'T');
    cr_assert_eq(l1[9 + 19], '.');
    cr_assert_eq(strncmp(l1 + 9 + 23, "Z\",", 3), 0, "%s", l1);
    cr_assert_str_eq(l1 + 9 + 26,
                     "\"level\":\"DEBUG\",\"subsystem\":\"net\","
                     "\"message\":\"peer \\\"x\\ufffd\\\"\\n\"}");
    cr_assert(strstr(l2, "\"level\":\"WARN\",\"subsystem\":\"broker\",\"message\":\"shown\"}"),
              "%s", l2);
    cr_assert(strstr(l3, "\"level\":\"INFO\",\"subsystem\":\"broker\",\"message\":\"always\"}"),
              "%s", l3);
    free(out);
}
