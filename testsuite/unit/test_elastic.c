/* Unit tests: elastic partitions (src/common/elastic.c, conf_elastic.c):
 * the catalogue, each strategy's choice of type, the vCPU budget (with a
 * random model against a brute-force reference), and the config keys. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "conf.h"
#include "elastic.h"
#include "unit.h"

#define CATALOG TOP_SRCDIR "/etc/instance-types.json"

static struct elastic_type *load_catalog(size_t *n)
{
    json_error_t je;
    sl_error_t e;
    struct elastic_type *t;
    json_t *doc = json_load_file(CATALOG, 0, &je);
    ck_assert_msg(doc != NULL, "%s: %s", CATALOG, je.text);
    ck_assert_msg(elastic_catalog_parse(doc, &t, n, &e) == 0, "%s", e.text);
    json_decref(doc);
    return t;
}

static const struct elastic_type *find(const struct elastic_type *t, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(t[i].name, name))
            return &t[i];
    return NULL;
}

START_TEST(catalog_shipped)
{
    size_t n;
    struct elastic_type *t = load_catalog(&n);
    ck_assert_uint_ge(n, 15);
    const struct elastic_type *g = find(t, n, "g5.xlarge"), *c = find(t, n, "c6i.large");
    ck_assert_ptr_nonnull(g);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(c->vcpus, 2);
    ck_assert_uint_eq(c->memory_mb, 4096);
    ck_assert_uint_eq(g->gpus, 1);
    ck_assert_str_eq(g->gpu_type, "a10g");
    free(t);
}
END_TEST

START_TEST(catalog_errors)
{
    static const char *const bad[] = {
        "{}", "{\"types\": []}",
        "{\"types\": [{\"name\": \"x\", \"vcpus\": 0, \"memory_mb\": 1, \"price\": 1, "
        "\"spot_price\": 1, \"spot_score\": 5}]}",
        "{\"types\": [{\"name\": \"x\", \"vcpus\": 1, \"memory_mb\": 1, \"gpus\": 1, "
        "\"price\": 1, \"spot_price\": 1, \"spot_score\": 5}]}",
        "{\"types\": [{\"name\": \"x\", \"vcpus\": 1, \"memory_mb\": 1, \"price\": 1, "
        "\"spot_price\": 1, \"spot_score\": 11}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct elastic_type *t;
        size_t n;
        sl_error_t e;
        json_t *doc = json_loads(bad[i], 0, NULL);
        ck_assert_int_eq(elastic_catalog_parse(doc, &t, &n, &e), -1);
        ck_assert(e.text[0]);
        json_decref(doc);
    }
}
END_TEST

static const char *ranked_first_fit(const struct elastic_type *t, size_t n, int strategy,
                                    uint32_t cpus, uint64_t mem)
{
    size_t ord[64];
    elastic_rank(t, n, strategy, ord);
    long i = elastic_pick(t, ord, n, cpus, mem, 0);
    return i < 0 ? "none" : t[i].name;
}

START_TEST(strategies)
{
    size_t n;
    struct elastic_type *t = load_catalog(&n);
    /* BEST_FIT: the cheapest type that fits. */
    ck_assert_str_eq(ranked_first_fit(t, n, ES_BEST_FIT, 1, 1000), "c6i.large");
    ck_assert_str_eq(ranked_first_fit(t, n, ES_BEST_FIT, 3, 1000), "c6i.xlarge");
    ck_assert_str_eq(ranked_first_fit(t, n, ES_BEST_FIT, 2, 12000), "r6i.large");
    ck_assert_str_eq(ranked_first_fit(t, n, ES_BEST_FIT, 200, 1000), "none");
    /* Capacity-optimized: the deepest pool (m6i: score 9), cheapest first. */
    ck_assert_str_eq(ranked_first_fit(t, n, ES_SPOT_CAPACITY_OPTIMIZED, 1, 1000), "m6i.large");
    ck_assert_str_eq(ranked_first_fit(t, n, ES_SPOT_CAPACITY_OPTIMIZED, 5, 1000), "m6i.2xlarge");
    /* Price-capacity: spot price per unit of pool depth. */
    ck_assert_str_eq(ranked_first_fit(t, n, ES_SPOT_PRICE_CAPACITY_OPTIMIZED, 1, 1000),
                     "c6i.large");
    free(t);
}
END_TEST

/* Random catalogues and jobs: BEST_FIT's pick is the cheapest fitting type. */
START_TEST(best_fit_model)
{
    unsigned seed = 12345;
    for (int round = 0; round < 2000; round++) {
        struct elastic_type t[12];
        size_t n = 1 + (size_t)(rand_r(&seed) % 12), ord[12];
        for (size_t i = 0; i < n; i++) {
            memset(&t[i], 0, sizeof(t[i]));
            snprintf(t[i].name, sizeof(t[i].name), "t%zu", i);
            t[i].vcpus = 1u << (rand_r(&seed) % 7);
            t[i].memory_mb = (uint64_t)t[i].vcpus * (1 + rand_r(&seed) % 8) * 1024;
            t[i].price = (1 + rand_r(&seed) % 1000) / 100.0;
        }
        uint32_t cpus = 1 + (uint32_t)(rand_r(&seed) % 64);
        uint64_t mem = (uint64_t)(rand_r(&seed) % 200000);
        elastic_rank(t, n, ES_BEST_FIT, ord);
        long got = elastic_pick(t, ord, n, cpus, mem, 0);
        long want = -1;
        for (size_t i = 0; i < n; i++) {
            if (t[i].vcpus < cpus || t[i].memory_mb < mem)
                continue;
            if (want < 0 || t[i].price < t[want].price ||
                (t[i].price == t[want].price && (t[i].vcpus < t[want].vcpus ||
                 (t[i].vcpus == t[want].vcpus && strcmp(t[i].name, t[want].name) < 0))))
                want = (long)i;
        }
        ck_assert_int_eq(got, want);
    }
}
END_TEST

/* The reference: what each strategy chooses, straight from its definition
 * (doc/guide-elastic.md), without elastic_rank or elastic_choose. */
static int ref_better(const struct elastic_type *a, const struct elastic_type *b, int strategy)
{
    double ka = a->price, kb = b->price;
    if (strategy == ES_SPOT_CAPACITY_OPTIMIZED)
        ka = -a->spot_score, kb = -b->spot_score;
    if (strategy == ES_SPOT_PRICE_CAPACITY_OPTIMIZED)
        ka = a->spot_price / a->spot_score, kb = b->spot_price / b->spot_score;
    if (ka != kb)
        return ka < kb;
    if (strategy == ES_SPOT_CAPACITY_OPTIMIZED && a->spot_price != b->spot_price)
        return a->spot_price < b->spot_price;
    if (a->vcpus != b->vcpus)
        return a->vcpus < b->vcpus;
    return strcmp(a->name, b->name) < 0;
}

static long ref_choose(const struct elastic_type *t, size_t n, const int *fit, int strategy,
                       uint32_t count, uint32_t cur, uint32_t max, int *allowed)
{
    long best = -1, within = -1, over = -1;
    for (size_t i = 0; i < n; i++) {
        uint64_t total = cur + (uint64_t)t[i].vcpus * count;
        if (!fit[i])
            continue;
        if (best < 0 || ref_better(&t[i], &t[best], strategy))
            best = (long)i;
        if (total <= max && (within < 0 || ref_better(&t[i], &t[within], strategy)))
            within = (long)i;
        if (total - t[i].vcpus < max && (over < 0 || ref_better(&t[i], &t[over], strategy)))
            over = (long)i;
    }
    *allowed = 0;
    if (best < 0)
        return -1;
    if (strategy == ES_BEST_FIT) {
        *allowed = cur + (uint64_t)t[best].vcpus * count <= max;
        return best;
    }
    if (strategy == ES_BEST_FIT_PROGRESSIVE && (within >= 0 || over >= 0)) {
        *allowed = 1;
        return within >= 0 ? within : over;
    }
    *allowed = cur + (uint64_t)t[best].vcpus * (count - 1) < max;
    return best;
}

/* Random catalogues, jobs and budgets: elastic_choose over elastic_rank's
 * order picks what the reference does, for every strategy. */
START_TEST(choose_model)
{
    unsigned seed = 777;
    for (int round = 0; round < 20000; round++) {
        struct elastic_type t[10];
        size_t n = 1 + (size_t)(rand_r(&seed) % 10), ord[10];
        int strategy = rand_r(&seed) % 4, fit[10], rfit[10], allowed, want_ok;
        uint32_t vc[10];
        for (size_t i = 0; i < n; i++) {
            memset(&t[i], 0, sizeof(t[i]));
            snprintf(t[i].name, sizeof(t[i].name), "t%zu", i);
            t[i].vcpus = 1u << (rand_r(&seed) % 6);
            t[i].memory_mb = (uint64_t)t[i].vcpus * (1 + rand_r(&seed) % 8) * 1024;
            t[i].gpus = rand_r(&seed) % 4 == 0 ? 1 + rand_r(&seed) % 4 : 0;
            t[i].price = (1 + rand_r(&seed) % 50) / 10.0;
            t[i].spot_price = (1 + rand_r(&seed) % 50) / 20.0;
            t[i].spot_score = 1 + rand_r(&seed) % 10;
        }
        uint32_t cpus = 1 + (uint32_t)(rand_r(&seed) % 32), gpus = rand_r(&seed) % 5 == 0;
        uint64_t mem = (uint64_t)(rand_r(&seed) % 100000);
        uint32_t count = 1 + (uint32_t)(rand_r(&seed) % 4);
        uint32_t max = (uint32_t)(rand_r(&seed) % 128), cur = max ? rand_r(&seed) % (max + 1) : 0;
        for (size_t i = 0; i < n; i++)
            fit[i] = t[i].vcpus >= cpus && t[i].memory_mb >= mem && t[i].gpus >= gpus;
        elastic_rank(t, n, strategy, ord);
        for (size_t r = 0; r < n; r++) {
            vc[r] = t[ord[r]].vcpus;
            rfit[r] = fit[ord[r]];
        }
        long r = elastic_choose(strategy, vc, rfit, n, count, cur, max, &allowed);
        long got = r < 0 ? -1 : (long)ord[r];
        long want = ref_choose(t, n, fit, strategy, count, cur, max, &want_ok);
        ck_assert_msg(got == want && (got < 0 || allowed == want_ok),
                      "round %d strategy %d: got %ld (%d), want %ld (%d)", round, strategy, got,
                      allowed, want, want_ok);
    }
}
END_TEST

START_TEST(choose_cases)
{
    /* Ranked: 2, 4, 8 vCPUs (cheapest first); the job fits the 4 and 8. */
    uint32_t vc[] = { 2, 4, 8 };
    int fits[] = { 0, 1, 1 }, ok;
    ck_assert_int_eq(elastic_choose(ES_BEST_FIT, vc, fits, 3, 1, 0, 8, &ok), 1);
    ck_assert(ok);
    /* BEST_FIT waits rather than take another type. */
    ck_assert_int_eq(elastic_choose(ES_BEST_FIT, vc, fits, 3, 1, 6, 8, &ok), 1);
    ck_assert(!ok);
    /* PROGRESSIVE: two 4s pass 8 from 2; the overshoot rule lets the first pass. */
    ck_assert_int_eq(elastic_choose(ES_BEST_FIT_PROGRESSIVE, vc, fits, 3, 2, 2, 8, &ok), 1);
    ck_assert(ok);
    /* A cheaper type over the budget, a dearer one within: the dearer one. */
    uint32_t vc2[] = { 16, 4 };
    int fits2[] = { 1, 1 };
    ck_assert_int_eq(elastic_choose(ES_BEST_FIT_PROGRESSIVE, vc2, fits2, 2, 1, 2, 8, &ok), 1);
    ck_assert(ok);
    ck_assert_int_eq(elastic_choose(ES_SPOT_CAPACITY_OPTIMIZED, vc2, fits2, 2, 1, 2, 8, &ok), 0);
    ck_assert(ok);     /* one instance past MaxvCPUs */
    ck_assert_int_eq(elastic_choose(ES_SPOT_CAPACITY_OPTIMIZED, vc2, fits2, 2, 1, 8, 8, &ok), 0);
    ck_assert(!ok);
    int none[] = { 0, 0 };
    ck_assert_int_eq(elastic_choose(ES_BEST_FIT, vc2, none, 2, 1, 0, 8, &ok), -1);
}
END_TEST

START_TEST(budget)
{
    uint32_t two[] = { 2, 2 }, eight[] = { 8 };
    ck_assert(elastic_budget_allows(ES_BEST_FIT, 4, 8, two, 2));
    ck_assert(!elastic_budget_allows(ES_BEST_FIT, 6, 8, two, 2));
    ck_assert(!elastic_budget_allows(ES_BEST_FIT, 2, 8, eight, 1));
    /* One instance may pass MaxvCPUs with the other strategies, no more. */
    ck_assert(elastic_budget_allows(ES_BEST_FIT_PROGRESSIVE, 2, 8, eight, 1));
    ck_assert(!elastic_budget_allows(ES_BEST_FIT_PROGRESSIVE, 8, 8, eight, 1));
    ck_assert(!elastic_budget_allows(ES_SPOT_CAPACITY_OPTIMIZED, 6, 8, two, 2));
    ck_assert(elastic_budget_allows(ES_BEST_FIT, 8, 8, NULL, 0));
    ck_assert_uint_eq(elastic_names_for(ES_BEST_FIT, 8, 3), 2);
    ck_assert_uint_eq(elastic_names_for(ES_BEST_FIT_PROGRESSIVE, 8, 3), 3);
    ck_assert_uint_eq(elastic_names_for(ES_BEST_FIT, 2, 4), 0);
    ck_assert_uint_eq(elastic_names_for(ES_BEST_FIT, 10000000, 1), ELASTIC_MAX_PER_TYPE);
}
END_TEST

/* vCPU accounting: random scale-outs and scale-ins through the budget never
 * leave the partition above MaxvCPUs (BEST_FIT) or above MaxvCPUs plus one
 * instance (the others). */
START_TEST(budget_model)
{
    unsigned seed = 99;
    for (int strategy = ES_BEST_FIT; strategy <= ES_SPOT_PRICE_CAPACITY_OPTIMIZED; strategy++) {
        for (int round = 0; round < 500; round++) {
            uint32_t max = 1 + (uint32_t)(rand_r(&seed) % 64), cur = 0, biggest = 0;
            uint32_t running[256];
            size_t nrun = 0;
            for (int step = 0; step < 100; step++) {
                if (nrun && rand_r(&seed) % 3 == 0) {       /* scale in one */
                    size_t k = (size_t)rand_r(&seed) % nrun;
                    cur -= running[k];
                    running[k] = running[--nrun];
                    continue;
                }
                uint32_t add[3];
                size_t nadd = 1 + (size_t)(rand_r(&seed) % 3);
                for (size_t i = 0; i < nadd; i++) {
                    add[i] = 1u << (rand_r(&seed) % 5);
                    biggest = add[i] > biggest ? add[i] : biggest;
                }
                if (nrun + nadd > 256 || !elastic_budget_allows(strategy, cur, max, add, nadd))
                    continue;
                for (size_t i = 0; i < nadd; i++)
                    cur += (running[nrun++] = add[i]);
                if (strategy == ES_BEST_FIT)
                    ck_assert_uint_le(cur, max);
                else
                    ck_assert_uint_lt(cur, max + biggest);
            }
        }
    }
}
END_TEST

/* conf_load of a file with the given text (and the shipped catalogue). */
static conf_t *load(const char *text, sl_error_t *e)
{
    char path[] = "/tmp/test_elastic_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "InstanceTypeCatalog=%s\nCloudType=cloud/local\n%s", CATALOG, text);
    fclose(f);
    conf_t *c = conf_load(path, e);
    unlink(path);
    return c;
}

START_TEST(conf_generates_nodes)
{
    sl_error_t e;
    conf_t *c = load("PartitionName=ela Elastic=YES MaxvCPUs=8 MinvCPUs=2 "
                     "InstanceTypes=c6i.xlarge,c6i.large,c6i.2xlarge NodePort=20001 "
                     "ScaleDownDelay=60\n", &e);
    ck_assert_msg(c != NULL, "%s", e.text);
    const struct conf_partition *p = conf_part_find(c, "ela");
    ck_assert_str_eq(p->nodes_expr, "ela-[1-7]");
    ck_assert_uint_eq(p->nnodes, 7);
    ck_assert_int_eq(p->suspend_time, 60);
    const struct conf_node *n1 = conf_node_find(c, "ela-1"), *n7 = conf_node_find(c, "ela-7");
    ck_assert_str_eq(n1->instance_type, "c6i.large");   /* cheapest first */
    ck_assert_str_eq(n1->instance_types, "c6i.large");   /* BEST_FIT: no fallback */
    ck_assert_uint_eq(n1->cpus, 2);
    ck_assert_uint_eq(n1->weight, 1);
    ck_assert_int_eq(n1->cloud, 1);
    ck_assert_int_eq(n1->port, 20001);
    ck_assert_str_eq(n7->instance_type, "c6i.2xlarge");
    ck_assert_str_eq(n7->features, "c6i.2xlarge");
    ck_assert_uint_eq(n7->weight, 3);
    ck_assert_int_eq(n7->port, 20007);
    conf_destroy(c);

    c = load("GresTypes=gpu\nPartitionName=gpu Elastic=YES MaxvCPUs=8 Purchasing=spot "
             "AllocationStrategy=SPOT_CAPACITY_OPTIMIZED InstanceTypes=g5.xlarge,c6i\n", &e);
    ck_assert_msg(c != NULL, "%s", e.text);
    const struct conf_node *g = NULL;
    for (size_t i = 0; i < c->nnodes; i++)
        if (!strcmp(c->nodes[i].instance_type, "g5.xlarge"))
            g = &c->nodes[i];
    ck_assert_ptr_nonnull(g);
    ck_assert_str_eq(g->gres, "gpu:a10g:1");
    ck_assert_int_eq(g->spot, 1);
    ck_assert_str_eq(g->hostname, g->name);   /* no NodePort: a host each */
    /* Not BEST_FIT: larger types follow as fallbacks. */
    const struct conf_node *small = conf_node_find(c, "gpu-1");
    ck_assert_ptr_nonnull(strchr(small->instance_types, ','));
    conf_destroy(c);
}
END_TEST

START_TEST(conf_errors)
{
    static const struct { const char *text, *want; } cases[] = {
        { "PartitionName=a Elastic=YES MaxvCPUs=4 MinvCPUs=8 InstanceTypes=c6i.large\n",
          "MinvCPUs (8) exceeds MaxvCPUs (4)" },
        { "PartitionName=a Elastic=YES MaxvCPUs=4 InstanceTypes=c6i.huge\n",
          "'c6i.huge' is not in the catalogue" },
        { "PartitionName=a Elastic=YES MaxvCPUs=4 InstanceTypes=c6i.large "
          "AllocationStrategy=CHEAPEST\n", "'CHEAPEST' is not one of BEST_FIT" },
        { "PartitionName=a MaxvCPUs=4\n", "MaxvCPUs needs Elastic=YES" },
        { "PartitionName=a Elastic=YES MaxvCPUs=4 InstanceTypes=c6i.large "
          "AllocationStrategy=SPOT_CAPACITY_OPTIMIZED\n", "needs Purchasing=spot" },
        { "PartitionName=a Elastic=YES InstanceTypes=c6i.large\n", "needs MaxvCPUs" },
        { "PartitionName=a Elastic=YES MaxvCPUs=4\n", "needs InstanceTypes" },
        { "PartitionName=a Elastic=YES MaxvCPUs=1 InstanceTypes=c6i.large\n",
          "every instance type has more vCPUs than MaxvCPUs=1" },
        { "PartitionName=a Elastic=YES MaxvCPUs=4 InstanceTypes=c6i.large Purchasing=cheap\n",
          "'cheap' is not on-demand or spot" },
        { "PartitionName=a Elastic=YES MaxvCPUs=4 InstanceTypes=c6i.large BidPercentage=50\n",
          "BidPercentage needs Purchasing=spot" },
        { "PartitionName=a Elastic=YES MaxvCPUs=4 InstanceTypes=p4d.24xlarge Purchasing=spot "
          "BidPercentage=1 AllocationStrategy=BEST_FIT_PROGRESSIVE\n", "within BidPercentage=1" },
        { "NodeName=n1\nPartitionName=a Elastic=YES MaxvCPUs=4 Nodes=n1 "
          "InstanceTypes=c6i.large\n", "Nodes= is not allowed" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sl_error_t e;
        conf_t *c = load(cases[i].text, &e);
        ck_assert_msg(c == NULL, "accepted: %s", cases[i].text);
        ck_assert_msg(strstr(e.text, cases[i].want), "%s: got '%s'", cases[i].text, e.text);
        if (!strstr(cases[i].want, "catalogue") && !strstr(cases[i].want, "every") &&
            !strstr(cases[i].want, "within"))
            ck_assert_msg(strstr(e.text, ":3:") || strstr(e.text, ":4:"),
                          "no file:line in '%s'", e.text);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("elastic");
    TCase *tc = tcase_create("elastic");
    tcase_add_test(tc, catalog_shipped);
    tcase_add_test(tc, catalog_errors);
    tcase_add_test(tc, strategies);
    tcase_add_test(tc, best_fit_model);
    tcase_add_test(tc, choose_model);
    tcase_add_test(tc, choose_cases);
    tcase_add_test(tc, budget);
    tcase_add_test(tc, budget_model);
    tcase_add_test(tc, conf_generates_nodes);
    tcase_add_test(tc, conf_errors);
    suite_add_tcase(s, tc);
    return unit_run(s);
}
