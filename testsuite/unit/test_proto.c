/* Unit tests: protocol framing (proto.c). */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <event2/buffer.h>
#include "fields.h"
#include "proto.h"
#include "unit.h"

static int fds[2];

static void setup(void)
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
}

static void teardown(void)
{
    close(fds[0]);
    close(fds[1]);
}

static void send_raw(const void *hdr_and_body, size_t len)
{
    ck_assert_int_eq(write(fds[0], hdr_and_body, len), (ssize_t)len);
}

START_TEST(roundtrip)
{
    sl_error_t e;
    json_t *msg = proto_request("job_submit", 7, json_pack("{s:s}", "name", "x"));
    ck_assert_int_eq(proto_write(fds[0], msg, &e), 0);
    json_t *got = proto_read(fds[1], &e);
    ck_assert_ptr_nonnull(got);
    ck_assert(json_equal(msg, got));
    ck_assert_str_eq(json_string_value(json_object_get(got, "op")), "job_submit");
    json_decref(msg);
    json_decref(got);
}
END_TEST

START_TEST(large_frame_roundtrip)
{
    sl_error_t e;
    size_t n = 200000;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    big[n] = '\0';
    json_t *msg = proto_reply(1, json_pack("{s:s}", "script", big));
    /* A writer thread is not needed: the socket buffer may be smaller than
     * the frame, so read from a child. */
    pid_t pid = fork();
    if (pid == 0) {
        _exit(proto_write(fds[0], msg, &e) == 0 ? 0 : 1);
    }
    json_t *got = proto_read(fds[1], &e);
    int status = 1;
    waitpid(pid, &status, 0);
    ck_assert_int_eq(status, 0);
    ck_assert_ptr_nonnull(got);
    ck_assert(json_equal(msg, got));
    json_decref(msg);
    json_decref(got);
    free(big);
}
END_TEST

START_TEST(oversized_frame_refused)
{
    sl_error_t e;
    uint32_t hdr = htonl(PROTO_MAX_FRAME + 1u);
    send_raw(&hdr, 4);
    ck_assert_ptr_null(proto_read(fds[1], &e));
    ck_assert_ptr_nonnull(strstr(e.text, "exceeds"));
}
END_TEST

static void check_bad_body(const char *body, const char *expect)
{
    sl_error_t e;
    char buf[256];
    uint32_t hdr = htonl((uint32_t)strlen(body));
    memcpy(buf, &hdr, 4);
    memcpy(buf + 4, body, strlen(body));
    send_raw(buf, 4 + strlen(body));
    ck_assert_ptr_null(proto_read(fds[1], &e));
    ck_assert_msg(strstr(e.text, expect), "'%s' should mention '%s'", e.text, expect);
}

START_TEST(malformed_json_refused)
{
    check_bad_body("{\"op\": ", "malformed JSON");
}
END_TEST

START_TEST(non_object_refused)
{
    check_bad_body("[1,2,3]", "not a JSON object");
}
END_TEST

/* Found by fuzzing: jansson stops at a NUL, so "{}\0junk" read as "{}". */
START_TEST(nul_byte_refused)
{
    sl_error_t e;
    static const char frame[] = "\0\0\0\010{}\0junk!";
    send_raw(frame, 12);
    ck_assert_ptr_null(proto_read(fds[1], &e));
    ck_assert_msg(strstr(e.text, "NUL byte at offset 2"), "got '%s'", e.text);
    ck_assert_ptr_null(proto_decode("{}\0", 3, &e));
}
END_TEST

START_TEST(truncated_frame_is_an_error)
{
    sl_error_t e;
    uint32_t hdr = htonl(100);
    send_raw(&hdr, 4);
    send_raw("{\"a\":", 5);
    close(fds[0]);
    fds[0] = -1;
    ck_assert_ptr_null(proto_read(fds[1], &e));
    ck_assert_ptr_nonnull(strstr(e.text, "closed"));
}
END_TEST

START_TEST(evbuffer_partial_frames)
{
    struct evbuffer *buf = evbuffer_new();
    json_t *msg = proto_request("ping", 3, NULL), *got = NULL;
    sl_error_t e;
    struct evbuffer *whole = evbuffer_new();
    ck_assert_int_eq(proto_put(whole, msg), 0);
    size_t len = evbuffer_get_length(whole);
    unsigned char *bytes = evbuffer_pullup(whole, -1);
    /* Feed one byte at a time: nothing until the last byte arrives. */
    for (size_t i = 0; i < len; i++) {
        evbuffer_add(buf, bytes + i, 1);
        int rc = proto_take(buf, &got, &e);
        ck_assert_int_eq(rc, i + 1 == len ? 1 : 0);
    }
    ck_assert(json_equal(msg, got));
    ck_assert_uint_eq(evbuffer_get_length(buf), 0);
    json_decref(got);
    json_decref(msg);
    evbuffer_free(buf);
    evbuffer_free(whole);
}
END_TEST

START_TEST(evbuffer_oversized_refused)
{
    struct evbuffer *buf = evbuffer_new();
    json_t *got = NULL;
    sl_error_t e;
    uint32_t hdr = htonl(PROTO_MAX_FRAME + 10u);
    evbuffer_add(buf, &hdr, 4);
    ck_assert_int_eq(proto_take(buf, &got, &e), -1);
    ck_assert_ptr_null(got);
    evbuffer_free(buf);
}
END_TEST

START_TEST(error_reply_shape)
{
    json_t *m = proto_error(9, "ENOENT", "Invalid job id specified");
    json_t *err = json_object_get(m, "error");
    ck_assert_int_eq(json_integer_value(json_object_get(m, "id")), 9);
    ck_assert_str_eq(json_string_value(json_object_get(err, "code")), "ENOENT");
    ck_assert_str_eq(json_string_value(json_object_get(err, "message")),
                     "Invalid job id specified");
    json_decref(m);
}
END_TEST

/* Item 8 of issue 9: a message quoting invalid UTF-8 must still encode. */
START_TEST(error_with_invalid_utf8)
{
    static const struct { const char *in, *out; } cases[] = {
        { "plain", "plain" },
        { "caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac" },   /* valid kept */
        { "Bogus\xff\xfeKey", "Bogus\\xFF\\xFEKey" },
        { "cut \xe2\x82", "cut \\xE2\\x82" },               /* truncated sequence */
        { "\xc0\xaf", "\\xC0\\xAF" },                        /* overlong '/' */
        { "\xed\xa0\x80", "\\xED\\xA0\\x80" },              /* a surrogate */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *m = proto_error(1, "EINVAL", cases[i].in);
        ck_assert_ptr_nonnull(m);
        const char *got = json_string_value(json_object_get(json_object_get(m, "error"),
                                                            "message"));
        ck_assert_str_eq(got, cases[i].out);
        json_decref(m);
    }
}
END_TEST

/* Item 6: the field tables (fields.c). */
static const struct field_spec F_test[] = {
    FIELD("job_ids", FT_JOBIDS, .min = 1, .max = 100),
    FIELD("name", FT_STR, .flags = F_REQUIRED),
    FIELD("signal", FT_INT, .min = 0, .max = 64),
    FIELD("env", FT_STRMAP),
    FIELD("all", FT_BOOL),
    FIELD("opt", FT_STR, .flags = F_NULL),
    FIELDS_END,
};

static const char *check_body(const char *text, int open)
{
    static sl_error_t e;
    json_t *body = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(body);
    int rc = fields_check(F_test, open, body, &e);
    json_decref(body);
    return rc < 0 ? e.text : NULL;
}

START_TEST(field_types)
{
    ck_assert_ptr_null(check_body("{\"name\":\"x\",\"job_ids\":[1,\"2_3\"],\"signal\":9,"
                                  "\"env\":{\"A\":\"b\"},\"all\":false,\"opt\":null}", 0));
    static const struct { const char *body, *words; } bad[] = {
        { "{}", "missing field 'name'" },
        { "{\"name\":1}", "field 'name' must be a string, not an integer" },
        { "{\"name\":\"x\",\"job_ids\":\"1,2\"}", "'job_ids' must be an array of job ids" },
        { "{\"name\":\"x\",\"job_ids\":[true]}", "'job_ids'" },
        { "{\"name\":\"x\",\"job_ids\":[0]}", "'job_ids'" },
        { "{\"name\":\"x\",\"job_ids\":null}", "not null" },
        { "{\"name\":\"x\",\"signal\":65}", "'signal' must be an integer from 0 to 64" },
        { "{\"name\":\"x\",\"signal\":1.5}", "a number with a fraction" },
        { "{\"name\":\"x\",\"env\":{\"A\":1}}", "an object of strings" },
        { "{\"name\":\"x\",\"all\":1}", "a boolean" },
        { "{\"name\":\"x\",\"job_id\":5}", "unknown field 'job_id' (this operation takes "
                                          "job_ids, name," },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *err = check_body(bad[i].body, 0);
        ck_assert_msg(err && strstr(err, bad[i].words), "%s: %s", bad[i].body,
                      err ? err : "accepted");
    }
    /* Open tables let unknown fields through but still check known ones. */
    ck_assert_ptr_null(check_body("{\"name\":\"x\",\"newer\":[1]}", 1));
    ck_assert_ptr_nonnull(check_body("{\"name\":2,\"newer\":[1]}", 1));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("proto");
    TCase *tc = tcase_create("framing");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, roundtrip);
    tcase_add_test(tc, large_frame_roundtrip);
    tcase_add_test(tc, oversized_frame_refused);
    tcase_add_test(tc, malformed_json_refused);
    tcase_add_test(tc, non_object_refused);
    tcase_add_test(tc, nul_byte_refused);
    tcase_add_test(tc, truncated_frame_is_an_error);
    tcase_add_test(tc, evbuffer_partial_frames);
    tcase_add_test(tc, evbuffer_oversized_refused);
    tcase_add_test(tc, error_reply_shape);
    tcase_add_test(tc, error_with_invalid_utf8);
    tcase_add_test(tc, field_types);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
