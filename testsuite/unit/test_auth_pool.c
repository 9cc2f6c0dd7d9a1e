/* Unit tests: credentials checked off the loop (auth_pool.c), with a fake
 * auth plugin: every check is answered once, on the loop thread, after the
 * submit returned, with the checker's verdict; a pool destroyed with checks
 * outstanding cancels each of them once. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include "auth_pool.h"
#include "conf.h"
#include "unit.h"

struct answer {
    int calls, cancelled, ok;
    uid_t uid;
    gid_t gid;
    char why[128];
    pthread_t thread;
};

struct run {
    struct event_base *base;
    sl_auth_t *auth;
    sl_auth_pool_t *pool;
    int outstanding;
    int submitting;       /* set while auth_pool_submit runs */
    int during_submit;    /* answers that came from inside it (must be 0) */
};

static struct run *run_cur;

static void answered(void *arg, int cancelled, int ok, uid_t uid, gid_t gid, const char *why)
{
    struct answer *a = arg;
    a->calls++;
    a->cancelled = cancelled;
    a->ok = ok;
    a->uid = uid;
    a->gid = gid;
    a->thread = pthread_self();
    snprintf(a->why, sizeof(a->why), "%s", why ? why : "");
    if (run_cur->submitting)
        run_cur->during_submit++;
    if (--run_cur->outstanding == 0 && run_cur->base)
        event_base_loopbreak(run_cur->base);
}

static void run_start(struct run *r, int threads)
{
    memset(r, 0, sizeof(*r));
    run_cur = r;
    struct conf c = { 0 };
    c.plugin_dir = TEST_PLUGIN_DIR;
    c.auth_type = "auth/fake";
    sl_error_t e = { "" };
    r->base = event_base_new();
    r->auth = auth_create(&c, &e);
    ck_assert_msg(r->auth != NULL, "%s", e.text);
    r->pool = auth_pool_create(r->base, r->auth, threads, &e);
    ck_assert_msg(r->pool != NULL, "%s", e.text);
}

static void run_submit(struct run *r, const char *cred, struct answer *a)
{
    sl_error_t e = { "" };
    r->outstanding++;
    r->submitting = 1;
    ck_assert_int_eq(auth_pool_submit(r->pool, cred, answered, a, &e), 0);
    r->submitting = 0;
}

static void run_end(struct run *r)
{
    auth_pool_destroy(r->pool);
    auth_destroy(r->auth);
    event_base_free(r->base);
}

/* A random mix of good, slow and bad credentials on 1-4 threads, against
 * the verdict each one must get. */
START_TEST(every_check_answered_on_the_loop)
{
    enum { N = 300 };
    unsigned seed = 7u + (unsigned)_i;
    struct run r;
    run_start(&r, 1 + _i % 4);
    static struct answer ans[N];
    int expect_ok[N];
    memset(ans, 0, sizeof(ans));
    for (int i = 0; i < N; i++) {
        char cred[64];
        int kind = rand_r(&seed) % 10;
        expect_ok[i] = kind != 0;
        snprintf(cred, sizeof(cred), "%s:%d:%d", kind == 0 ? "bad" : kind == 1 ? "slow" : "ok",
                 1000 + i, 2000 + i);
        run_submit(&r, cred, &ans[i]);
    }
    event_base_dispatch(r.base);
    ck_assert_int_eq(r.outstanding, 0);
    ck_assert_int_eq(r.during_submit, 0);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(ans[i].calls, 1);
        ck_assert_int_eq(ans[i].cancelled, 0);
        ck_assert(pthread_equal(ans[i].thread, pthread_self()));
        ck_assert_int_eq(ans[i].ok, expect_ok[i]);
        if (expect_ok[i]) {
            ck_assert_int_eq(ans[i].uid, 1000 + i);
            ck_assert_int_eq(ans[i].gid, 2000 + i);
        } else {
            ck_assert_msg(strstr(ans[i].why, "not a fake credential"), "why: %s", ans[i].why);
        }
    }
    run_end(&r);
}
END_TEST

/* Destroyed with slow checks queued: each is answered exactly once, those
 * not checked yet as cancelled. */
START_TEST(destroy_cancels_what_is_left)
{
    enum { N = 40 };
    struct run r;
    run_start(&r, 1);
    static struct answer ans[N];
    memset(ans, 0, sizeof(ans));
    for (int i = 0; i < N; i++)
        run_submit(&r, "slow:5:6", &ans[i]);
    struct event_base *base = r.base;
    r.base = NULL;   /* answers come from destroy: no loop to break */
    auth_pool_destroy(r.pool);
    int cancelled = 0;
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(ans[i].calls, 1);
        cancelled += ans[i].cancelled;
    }
    ck_assert_int_gt(cancelled, N / 2);
    ck_assert_int_eq(r.outstanding, 0);
    auth_destroy(r.auth);
    event_base_free(base);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("auth_pool");
    TCase *tc = tcase_create("pool");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, every_check_answered_on_the_loop, 0, 8);
    tcase_add_test(tc, destroy_cancels_what_is_left);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
