/* seff: a finished job's CPU and memory efficiency, printed as Slurm's
 * contrib seff prints it (seff(1)), from the controller's accounting
 * records (acct_query with the job's steps). */
#define _GNU_SOURCE
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmdutil.h"
#include "jobacct.h"
#include "jobfmt.h"

#define SEFF_VERSION "2.1"

static void usage(FILE *out)
{
    fputs("Usage: seff [Options] <Jobid>\n"
          "       Options:\n"
          "       -h    Help menu\n"
          "       -v    Version\n"
          "       -V    the Slurm and Sluice versions\n"
          "       -d    Debug mode: display raw Slurm data\n", out);
}

/* What seff adds up from a job's steps. */
struct seff_sum {
    uint64_t cpu_us;
    double mem_kb;           /* the largest step total (sum of its tasks' peaks) */
    double maxmem, avemem;   /* that step's largest task peak and mean task peak */
};

static uint64_t u64(const json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (uint64_t)v : 0;
}

static void steps_sum(const json_t *job, struct seff_sum *s)
{
    size_t i;
    json_t *st;
    memset(s, 0, sizeof(*s));
    json_array_foreach(json_object_get(job, "steps"), i, st) {
        json_t *u = json_object_get(st, "usage");
        if (!json_is_object(u))
            continue;
        s->cpu_us += u64(u, "user_us") + u64(u, "sys_us");
        double kb = (double)u64(u, "tot_rss") / 1024.0;
        if (kb > s->mem_kb) {
            uint64_t n = u64(u, "ntasks");
            s->mem_kb = kb;
            s->maxmem = (double)u64(u, "max_rss");
            s->avemem = n ? (double)u64(u, "tot_rss") / (double)n : 0;
        }
    }
}

static const char *group_name(const json_t *job, char *buf, size_t len)
{
    struct group *g = getgrgid((gid_t)cmd_int(job, "gid"));
    if (g)
        return g->gr_name;
    snprintf(buf, len, "%lld", (long long)cmd_int(job, "gid"));
    return buf;
}

static int64_t walltime(const json_t *job)
{
    int64_t start = cmd_int(job, "start_time"), end = cmd_int(job, "end_time");
    if (start <= 0)
        return 0;
    if (end <= 0)
        end = (int64_t)time(NULL);
    return end > start ? end - start : 0;
}

static void print_header(const json_t *job, const char *state)
{
    const conf_t *conf = cmd_conf_try();
    char gbuf[32];
    printf("Job ID: %lld\n", (long long)cmd_int(job, "job_id"));
    if (cmd_int(job, "array_job_id") > 0 && cmd_int(job, "array_task_id") >= 0)
        printf("Array Job ID: %lld_%lld\n", (long long)cmd_int(job, "array_job_id"),
               (long long)cmd_int(job, "array_task_id"));
    printf("Cluster: %s\n", conf && conf->cluster_name ? conf->cluster_name : "sluice");
    printf("User/Group: %s/%s\n", cmd_str(job, "user"), group_name(job, gbuf, sizeof(gbuf)));
    if (!strcmp(state, "PENDING") || !strcmp(state, "RUNNING"))
        printf("State: %s\n", state);
    else
        printf("State: %s (exit code %lld)\n", state, (long long)cmd_int(job, "exit_code"));
}

static void print_efficiency(const json_t *job, const char *state, int64_t ncpus,
                             int64_t nnodes)
{
    struct seff_sum s;
    char a[64], b[64], c[64];
    int64_t wall = walltime(job), core_wall = wall * ncpus;

    steps_sum(job, &s);
    uint64_t cput = (s.cpu_us + 500000) / 1000000;
    double alloc_kb = (double)cmd_int(job, "alloc_mem_mb") * 1024.0 * (double)nnodes;
    printf("CPU Utilized: %s\n", jobfmt_hms((int64_t)cput, a, sizeof(a)));
    printf("CPU Efficiency: %.2f%% of %s core-walltime\n",
           core_wall ? (double)cput / (double)core_wall * 100.0 : 0.0,
           jobfmt_hms(core_wall, b, sizeof(b)));
    printf("Job Wall-clock time: %s\n", jobfmt_hms(wall, c, sizeof(c)));
    printf("Memory Utilized: %s\n", jobacct_fmt_kb(s.mem_kb, a, sizeof(a)));
    double eff = alloc_kb > 0 ? s.mem_kb / alloc_kb * 100.0 : 0.0;
    if (cmd_int(job, "mem_per_cpu_mb") > 0)
        printf("Memory Efficiency: %.2f%% of %s (%s/core)\n", eff,
               jobacct_fmt_kb(alloc_kb, b, sizeof(b)),
               jobacct_fmt_kb(alloc_kb / (double)ncpus, c, sizeof(c)));
    else
        printf("Memory Efficiency: %.2f%% of %s (%s/node)\n", eff,
               jobacct_fmt_kb(alloc_kb, b, sizeof(b)),
               jobacct_fmt_kb(alloc_kb / (double)nnodes, c, sizeof(c)));
    if (s.maxmem > 0 && s.avemem > 0 && s.maxmem > s.avemem)
        printf("The task which had the largest memory consumption differs by %.02f%% from "
               "the average task max memory consumption\n", s.maxmem / s.avemem * 100.0);
    if (!strcmp(state, "RUNNING"))
        printf("WARNING: Efficiency statistics can only be obtained after the job has ended "
               "as seff tool is based on the accounting database data.\n");
}

static int seff_print(const json_t *job, int debug)
{
    const char *state = cmd_str(job, "slurm_state");
    int64_t ncpus = cmd_int(job, "num_cpus"), nnodes = cmd_int(job, "num_nodes");

    if (ncpus <= 0)
        ncpus = 1;
    if (nnodes <= 0)
        nnodes = 1;
    if (debug) {
        char *text = json_dumps(job, JSON_COMPACT | JSON_SORT_KEYS);
        printf("Slurm data: %s\n\n", text ? text : "");
        free(text);
    }
    print_header(job, state);
    if (ncpus == 1) {
        printf("Cores: %lld\n", (long long)ncpus);
    } else {
        printf("Nodes: %lld\n", (long long)nnodes);
        printf("Cores per node: %lld\n", (long long)(ncpus / nnodes));
    }
    if (!strcmp(state, "PENDING"))
        printf("Efficiency not available for jobs in the PENDING state.\n");
    else
        print_efficiency(job, state, ncpus, nnodes);
    return 0;
}

int main(int argc, char **argv)
{
    int c, debug = 0;
    sl_error_t e;

    cmd_init("seff");
    cmd_args_utf8(argc, argv);
    opterr = 0;
    if (argc == 2 && !strcmp(argv[1], "--version")) {   /* every command's, besides -v */
        cmd_version();
        return 0;
    }
    while ((c = getopt(argc, argv, "hvVd")) != -1) {
        switch (c) {
        case 'v': printf("seff Version %s\n", SEFF_VERSION); return 0;
        case 'V': cmd_version(); return 0;
        case 'd': debug = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (argc - optind != 1) {
        usage(stderr);
        return 1;
    }
    json_t *req = json_pack("{s:[], s:b}", "job_ids", "steps", 1);
    if (cmd_list_ids(argv[optind], json_object_get(req, "job_ids"), &e) < 0)
        cmd_die("%s", e.text);
    if (json_array_size(json_object_get(req, "job_ids")) != 1)
        cmd_die("give exactly one job id, not '%s'", argv[optind]);
    json_t *reply = cmd_call("acct_query", req);
    json_t *job = json_array_get(json_object_get(reply, "jobs"), 0);
    if (!job) {
        fprintf(stderr, "Job not found.\n");
        json_decref(reply);
        cmd_fini();
        return 2;
    }
    seff_print(job, debug);
    json_decref(reply);
    cmd_fini();
    return 0;
}
