/* test_cmdsched.c: what the commands compute and check for queues, policies
 * and fair share, apart from the controller: scontrol's Key=Value words for
 * queues and policies (scontrol_kv.c), sshare's NormShares and FairShare
 * (sshare_fields.c) and sprio's weighted and normalized factors
 * (sprio_fields.c), each checked by the exact text or value. */
#define _GNU_SOURCE
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scontrol_kv.h"
#include "sprio.h"
#include "sshare.h"
#include "unit.h"

#define MAXW 8

static void assert_json(const json_t *got, const char *want, const char *what)
{
    json_error_t je;
    json_t *w = json_loads(want, 0, &je);
    char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
    ck_assert_msg(w != NULL, "bad expected JSON '%s': %s", want, je.text);
    ck_assert_msg(json_equal(got, w), "%s: got %s, want %s", what, g, want);
    free(g);
    json_decref(w);
}

static int nwords(char *const *w)
{
    int n = 0;
    while (n < MAXW && w[n])
        n++;
    return n;
}

static const struct {
    const struct sc_entity *ent;
    char *words[MAXW];
    const char *want;
} kv_ok[] = {
    { &sc_queue, { "Name=q1", "priority=10", "PARTITIONS=batch,debug", "state=disabled", NULL },
      "{\"name\":\"q1\",\"keys\":{\"Priority\":\"10\",\"Partitions\":\"batch,debug\","
      "\"State\":\"DISABLED\"}}" },
    { &sc_queue, { "QueueName=q2", "SchedulingPolicy=fair", "MaxRunnableTime=600",
                   "Reason=MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT", NULL },
      "{\"name\":\"q2\",\"keys\":{\"SchedulingPolicy\":\"fair\",\"MaxRunnableTime\":\"600\","
      "\"Reason\":\"MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT\"}}" },
    { &sc_queue, { "QueueName=q3", "SchedulingPolicy=", "Partitions=p[1-3]", NULL },
      "{\"name\":\"q3\",\"keys\":{\"SchedulingPolicy\":\"\",\"Partitions\":\"p[1-3]\"}}" },
    { &sc_queue, { "queuename=q4", NULL }, "{\"name\":\"q4\",\"keys\":{}}" },
    { &sc_policy, { "Name=fair", "ShareDecaySeconds=3600", "ComputeReservation=10",
                    "ShareDistribution=teamA:0.5,teamB*:1.0", NULL },
      "{\"name\":\"fair\",\"keys\":{\"ShareDecaySeconds\":\"3600\","
      "\"ComputeReservation\":\"10\",\"ShareDistribution\":\"teamA:0.5,teamB*:1.0\"}}" },
    { &sc_policy, { "PolicyName=p", "computereservation=0", NULL },
      "{\"name\":\"p\",\"keys\":{\"ComputeReservation\":\"0\"}}" },
    { &sc_policy, { "SchedulingPolicyName=p", NULL }, "{\"name\":\"p\",\"keys\":{}}" },
};

START_TEST(test_kv_ok)
{
    for (size_t i = 0; i < sizeof(kv_ok) / sizeof(kv_ok[0]); i++) {
        sl_error_t e = { "" };
        json_t *got = sc_kv_parse(kv_ok[i].ent, nwords(kv_ok[i].words), kv_ok[i].words, &e);
        ck_assert_msg(got != NULL, "case %zu: %s", i, e.text);
        assert_json(got, kv_ok[i].want, kv_ok[i].words[0]);
        json_decref(got);
    }
}
END_TEST

static const struct {
    const struct sc_entity *ent;
    char *words[MAXW];
    const char *error;
} kv_bad[] = {
    { &sc_queue, { "Name=q", "Priority", NULL }, "Invalid input: Priority (expected Key=Value)" },
    { &sc_queue, { "Name=q", "=5", NULL }, "Invalid input: =5 (expected Key=Value)" },
    { &sc_queue, { "Name=q", "Prio=5", NULL }, "Unknown queue key 'Prio' (use Priority, "
      "Partitions, State, SchedulingPolicy, MaxRunnableTime, Reason)" },
    { &sc_queue, { "Name=q", "Priority=-1", NULL },
      "Invalid Priority value '-1': a whole number from 0 to 1000000 is needed" },
    { &sc_queue, { "Name=q", "Priority=high", NULL },
      "Invalid Priority value 'high': a whole number from 0 to 1000000 is needed" },
    { &sc_queue, { "Name=q", "State=UP", NULL },
      "Invalid State value 'UP': use ENABLED or DISABLED" },
    { &sc_queue, { "Name=q", "MaxRunnableTime=10m", NULL },
      "Invalid MaxRunnableTime value '10m': a whole number from 0 to 315360000 is needed" },
    { &sc_queue, { "Name=q", "Partitions=", NULL },
      "Invalid Partitions value '': give 1 to 16 names, in spill-over order" },
    { &sc_queue, { "Name=q", "Partitions=p[1-17]", NULL },
      "Invalid Partitions value 'p[1-17]': give 1 to 16 names, in spill-over order" },
    { &sc_queue, { "Name=q", "Priority=1", "priority=2", NULL }, "Priority is given twice" },
    { &sc_queue, { "Name=q", "QueueName=r", NULL }, "the queue name is given twice" },
    { &sc_queue, { "Name=", NULL }, "Invalid Name value: empty" },
    { &sc_queue, { "Priority=1", NULL }, "No queue name specified (Name=...)" },
    { &sc_policy, { "Name=p", "ComputeReservation=100", NULL },
      "Invalid ComputeReservation value '100': a whole number from 0 to 99 is needed" },
    { &sc_policy, { "Name=p", "ShareDistribution=a", NULL },
      "Invalid ShareDistribution value 'a': bad share 'a': use ID:WEIGHT or PREFIX*:WEIGHT "
      "with a weight > 0" },
    { &sc_policy, { "Name=p", "ShareDistribution=a:0", NULL },
      "Invalid ShareDistribution value 'a:0': bad share 'a:0': use ID:WEIGHT or "
      "PREFIX*:WEIGHT with a weight > 0" },
    { &sc_policy, { "Name=p", "Priority=1", NULL }, "Unknown scheduling policy key "
      "'Priority' (use ShareDecaySeconds, ComputeReservation, ShareDistribution)" },
    { &sc_policy, { "ShareDecaySeconds=1", NULL },
      "No scheduling policy name specified (Name=...)" },
};

START_TEST(test_kv_bad)
{
    for (size_t i = 0; i < sizeof(kv_bad) / sizeof(kv_bad[0]); i++) {
        sl_error_t e = { "" };
        json_t *got = sc_kv_parse(kv_bad[i].ent, nwords(kv_bad[i].words), kv_bad[i].words, &e);
        ck_assert_msg(got == NULL, "case %zu accepted", i);
        ck_assert_str_eq(e.text, kv_bad[i].error);
    }
}
END_TEST

static double field(const json_t *shares, size_t i, const char *key)
{
    return json_number_value(json_object_get(json_array_get(shares, i), key));
}

/* Two shares of weights 0.5 and 1.0 in one policy: NormShares 2/3 and 1/3;
 * with equal usage, FairShare 2^(-0.5/(2/3)) and 2^(-0.5/(1/3)).  The
 * cluster-wide shares are a policy of their own; no usage gives 1. */
START_TEST(test_fairshare)
{
    json_error_t je;
    json_t *s = json_loads(
        "[{\"policy\":\"fair\",\"share\":\"a\",\"weight\":0.5,\"effective_usage\":0.5},"
        " {\"policy\":\"fair\",\"share\":\"b\",\"weight\":1.0,\"effective_usage\":0.5},"
        " {\"policy\":\"(cluster)\",\"share\":\"a\",\"weight\":1.0,\"effective_usage\":1.0},"
        " {\"policy\":\"(cluster)\",\"share\":\"c\",\"weight\":1.0,\"effective_usage\":0}]",
        0, &je);
    ck_assert_ptr_nonnull(s);
    sshare_fairshare(s);
    ck_assert_double_eq_tol(field(s, 0, "norm_share"), 2.0 / 3, 1e-12);
    ck_assert_double_eq_tol(field(s, 1, "norm_share"), 1.0 / 3, 1e-12);
    ck_assert_double_eq_tol(field(s, 0, "fairshare"), pow(2, -0.75), 1e-12);
    ck_assert_double_eq_tol(field(s, 1, "fairshare"), pow(2, -1.5), 1e-12);
    ck_assert_double_eq_tol(field(s, 2, "norm_share"), 0.5, 1e-12);
    ck_assert_double_eq_tol(field(s, 2, "fairshare"), 0.25, 1e-12);
    ck_assert_double_eq_tol(field(s, 3, "fairshare"), 1.0, 1e-12);
    sshare_sort(s);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(s, 0), "share")), "a");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(s, 1), "share")), "c");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(s, 2), "policy")),
                     "fair");
    json_decref(s);
}
END_TEST

static char *render(const struct jobfmt_field *table, const char *spec,
                    enum jobfmt_style style, const json_t *rec, const void *ctx)
{
    sl_error_t e = { "" };
    jobfmt_t *f = jobfmt_parse(spec, style, table, &e);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    ck_assert_msg(f != NULL, "'%s': %s", spec, e.text);
    jobfmt_print_header(f, m);
    jobfmt_print_row(f, rec, ctx, m);
    fclose(m);
    jobfmt_destroy(f);
    return text;
}

START_TEST(test_sshare_fields)
{
    json_t *r = json_pack("{s:s,s:s,s:f,s:f,s:f,s:f,s:f,s:i,s:i}", "policy", "fair", "share",
                          "a", "weight", 0.5, "norm_share", 2.0 / 3, "raw_usage", 1234.6,
                          "effective_usage", 0.25, "fairshare", 0.771105, "running_cpus", 4,
                          "pending", 2);
    char *t = render(sshare_fields, "Policy,Share,Weight,NormShares,RawUsage,EffectvUsage,"
                     "FairShare,RunCPUs,Pending", JOBFMT_SACCT, r, NULL);
    ck_assert_str_eq(t,
        "Policy       Share          Weight  NormShares    RawUsage  EffectvUsage  FairShare "
        " RunCPUs  Pending \n"
        "------------ ------------ -------- ----------- ----------- ------------- ---------- "
        "-------- -------- \n"
        "fair         a                 0.5    0.666667        1235      0.250000   0.771105 "
        "       4        2 \n");
    free(t);
    json_decref(r);
}
END_TEST

/* Weighted is factor x weight, rounded; NICE weighted is nice x weight. */
START_TEST(test_sprio_fields)
{
    json_t *reply = json_pack("{s:s,s:{s:i,s:i,s:i,s:i,s:i}}", "priority_type",
                              "priority/multifactor", "weights", "age", 1000, "fairshare",
                              10000, "jobsize", 100, "partition", 500, "nice", 2);
    json_t *job = json_pack("{s:i,s:s,s:s,s:s,s:i,s:f,s:f,s:f,s:f,s:i}", "job_id", 42,
                            "user", "alice", "queue", "q1", "share", "a", "priority", 5896,
                            "age", 0.5, "fairshare", 0.5, "jobsize", 0.25, "partition", 1.0,
                            "nice", 50);
    json_t *w = json_pack("{s:b}", "weights_row", 1);
    struct sprio_ctx ctx;
    char *t;
    sprio_ctx_init(&ctx, reply);
    t = render(sprio_fields, "%.6i %-3r %.5Y %.5A %.6F %.3J %.4P %.4N", JOBFMT_PERCENT, job,
               &ctx);
    ck_assert_str_eq(t, " JOBID QUE PRIOR   AGE FAIRSH JOB PART NICE\n"
                        "    42 q1   5896   500   5000  25  500  100\n");
    free(t);
    t = render(sprio_fields, "%i %y %a %f %j %p %n %s %u", JOBFMT_PERCENT, job, &ctx);
    ck_assert_str_eq(t, "JOBID PRIORITY AGE FAIRSHARE JOBSIZE PARTITION NICE SHARE USER\n"
                        "42 0.0000013728 0.5000000 0.5000000 0.2500000 1.0000000 50 a alice\n");
    free(t);
    t = render(sprio_fields, "%.8i|%Y|%A|%F|%J|%P|%N", JOBFMT_PERCENT, w, &ctx);
    ck_assert_str_eq(t, "   JOBID|PRIORITY|AGE|FAIRSHARE|JOBSIZE|PARTITION|NICE\n"
                        " Weights||1000|10000|100|500|2\n");
    free(t);
    /* priority/basic: the priority, every factor 0. */
    json_object_set_new(reply, "priority_type", json_string("priority/basic"));
    sprio_ctx_init(&ctx, reply);
    t = render(sprio_fields, "%i %Y %A %F %J %P %N %f", JOBFMT_PERCENT, job, &ctx);
    ck_assert_str_eq(t, "JOBID PRIORITY AGE FAIRSHARE JOBSIZE PARTITION NICE FAIRSHARE\n"
                        "42 5896 0 0 0 0 0 0.0000000\n");
    free(t);
    json_decref(w);
    json_decref(job);
    json_decref(reply);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cmdsched");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_kv_ok);
    tcase_add_test(tc, test_kv_bad);
    tcase_add_test(tc, test_fairshare);
    tcase_add_test(tc, test_sshare_fields);
    tcase_add_test(tc, test_sprio_fields);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
