/* Unit tests: the controller's effective GPUs of a node (src/ctld/node_gpus.c):
 * configured Gres= against reported GPUs, AutoDetect, "Low GPUs", and the
 * Gres/GresUsed strings scontrol shows. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "node_gpus.h"
#include "unit.h"

/* 8 CPUs on 2 sockets; GPUs given as "type@bus" words, two per socket. */
static topo_t *reported(const char *const *gpus)
{
    topo_t *t = topo_synth(2, 4, 1, NULL);
    for (int i = 0; gpus && gpus[i]; i++) {
        char bus[32];
        snprintf(bus, sizeof(bus), "0000:%02x:00.0", 0x10 * (i + 1));
        idset_t *cpus = idset_decode(i < 2 ? "0-3" : "4-7", 8, NULL, NULL);
        topo_add_gpu(t, gpus[i], "nvidia", "", bus, i, cpus, NULL);
        idset_destroy(cpus);
    }
    return t;
}

static struct conf_node node_with(const char *gres)
{
    struct conf_node n;
    memset(&n, 0, sizeof(n));
    if (gres)
        ck_assert_int_eq(conf_gres_parse(gres, &n.gres_list, &n.ngres, NULL), 0);
    return n;
}

static const struct {
    const char *gpus[5];      /* reported types, in bus order */
    const char *gres;         /* configured Gres=, NULL for none */
    int off;                  /* AutoDetect=off */
    const char *want;         /* effective: "type@bus" ... (bus "-" synthesized) */
    const char *low;          /* the drain reason, "" for none */
} cases[] = {
    /* No Gres=: what the node reports, or nothing with AutoDetect=off. */
    { { "h200", "h200", NULL }, NULL, 0, "h200@10 h200@20", "" },
    { { "h200", "h200", NULL }, NULL, 1, "", "" },
    /* Gres= takes the first N of its type, by bus id. */
    { { "v100", "a100", "a100", "a100", NULL }, "gpu:a100:2", 0, "a100@20 a100@30", "" },
    { { "v100", "a100", NULL }, "gpu:a100:2,gpu:v100:1", 0, "v100@10 a100@20 a100@-",
      "Low GPUs: node reports 1 gpu:a100, configured 2" },
    { { "v100", "a100", NULL }, "gpu:a100:2,gpu:v100:1", 1, "v100@10 a100@20 a100@-", "" },
    /* Untyped entries take any GPU left; unknown models fill typed entries. */
    { { "v100", "a100", "a100", NULL }, "gpu:a100:1,gpu:2", 0, "v100@10 a100@20 a100@30", "" },
    { { "gpu", "gpu", NULL }, "gpu:H200:2", 0, "H200@10 H200@20", "" },
    { { "a100", "a100", NULL }, "gpu:4", 0, "a100@10 a100@20 gpu@- gpu@-",
      "Low GPUs: node reports 2 gpu, configured 4" },
    /* Case does not matter for types. */
    { { "a100", NULL }, "gpu:A100:1", 0, "A100@10", "" },
    /* No GPUs reported at all. */
    { { NULL }, "gpu:a100:1", 0, "a100@-", "Low GPUs: node reports 0 gpu:a100, configured 1" },
};

static void describe(const topo_t *t, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < t->ngpus && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%s@%.2s", i ? " " : "", t->gpus[i].type,
                               t->gpus[i].bus_id[0] ? t->gpus[i].bus_id + 5 : "-");
}

START_TEST(effective)
{
    topo_t *base = reported(cases[_i].gpus);
    struct conf_node cfg = node_with(cases[_i].gres);
    char low[256], got[512];
    topo_t *t = node_gpus_effective(base, &cfg, cases[_i].off, low, sizeof(low));
    describe(t, got, sizeof(got));
    ck_assert_msg(!strcmp(got, cases[_i].want), "case %d: got '%s', want '%s'", _i, got,
                  cases[_i].want);
    ck_assert_str_eq(low, cases[_i].low);
    ck_assert_uint_eq(t->ncpus, 8);
    /* Matched GPUs keep their locality; stand-ins are local to all. */
    for (uint32_t i = 0; i < t->ngpus; i++)
        if (!t->gpus[i].bus_id[0])
            ck_assert_uint_eq(idset_count(t->gpus[i].cpus), 8);
    topo_destroy(t);
    topo_destroy(base);
    conf_gres_free(cfg.gres_list, cfg.ngres);
}
END_TEST

START_TEST(gres_strings)
{
    const char *gpus[] = { "a100", "a100", "v100", NULL };
    topo_t *t = reported(gpus);
    char buf[256];
    node_gres_string(t, buf, sizeof(buf));
    ck_assert_str_eq(buf, "gpu:a100:2,gpu:v100:1");
    node_gres_used_string(t, NULL, buf, sizeof(buf));
    ck_assert_str_eq(buf, "gpu:a100:0(IDX:N/A),gpu:v100:0(IDX:N/A)");
    idset_t *used = idset_create(3);
    idset_set(used, 1);
    idset_set(used, 2);
    node_gres_used_string(t, used, buf, sizeof(buf));
    ck_assert_str_eq(buf, "gpu:a100:1(IDX:1),gpu:v100:1(IDX:2)");
    idset_set(used, 0);
    node_gres_used_string(t, used, buf, sizeof(buf));
    ck_assert_str_eq(buf, "gpu:a100:2(IDX:0-1),gpu:v100:1(IDX:2)");
    /* truncation is quiet and stays terminated */
    node_gres_used_string(t, used, buf, 10);
    ck_assert_str_eq(buf, "gpu:a100:");
    idset_destroy(used);
    topo_destroy(t);
    const char *mixed[] = { "a100", "gpu", "gpu", NULL };
    t = reported(mixed);
    node_gres_string(t, buf, sizeof(buf));
    ck_assert_str_eq(buf, "gpu:a100:1,gpu:2");
    node_gres_used_string(t, NULL, buf, sizeof(buf));
    ck_assert_str_eq(buf, "gpu:a100:0(IDX:N/A),gpu:0(IDX:N/A)");
    topo_destroy(t);
    t = reported(NULL);
    node_gres_string(t, buf, sizeof(buf));
    ck_assert_str_eq(buf, "");
    node_gres_used_string(t, NULL, buf, sizeof(buf));
    ck_assert_str_eq(buf, "");
    topo_destroy(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("node_gpus");
    TCase *tc = tcase_create("node_gpus");
    tcase_add_loop_test(tc, effective, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, gres_strings);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
