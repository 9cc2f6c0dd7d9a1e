/* sstat: the live usage of running steps.  The controller names each
 * running step's nodes; every node's sluiced answers step_usage with what
 * the step's stepd last sampled there (every JobAcctGatherFrequency
 * seconds: usage.json); the nodes' figures are merged as at the step's end
 * (jobacct_merge_json) and printed in Slurm's sstat columns.  What Sluice
 * does not measure (pages, disk, energy, CPU frequency) prints as 0. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdutil.h"
#include "jobacct.h"
#include "jobfmt.h"

#define GET(name) static void name(const json_t *r, const void *ctx, char *buf, size_t len)

struct sstat_opts {
    int noheader, all_steps, parsable, parsable2;
    const char *format;
    json_t *want;   /* [{"job", "step" (int, -1 batch, -2 any)}] */
};

static uint64_t u64(const json_t *r, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(json_object_get(r, "usage"), key));
    return v > 0 ? (uint64_t)v : 0;
}

static const char *ustr(const json_t *r, const char *key)
{
    const char *s = json_string_value(json_object_get(json_object_get(r, "usage"), key));
    return s ? s : "";
}

GET(get_bytes_max_vsize) { jobacct_fmt_bytes(u64(r, "max_vsize"), 0, buf, len); }
GET(get_bytes_ave_vsize) { jobacct_fmt_bytes(u64(r, "ave_vsize"), 0, buf, len); }
GET(get_bytes_max_rss) { jobacct_fmt_bytes(u64(r, "max_rss"), 0, buf, len); }
GET(get_bytes_ave_rss) { jobacct_fmt_bytes(u64(r, "ave_rss"), 0, buf, len); }
GET(get_vsize_node) { snprintf(buf, len, "%s", ustr(r, "max_vsize_node")); }
GET(get_rss_node) { snprintf(buf, len, "%s", ustr(r, "max_rss_node")); }
GET(get_cpu_node) { snprintf(buf, len, "%s", ustr(r, "min_cpu_node")); }
GET(get_vsize_task) { snprintf(buf, len, "%llu", (unsigned long long)u64(r, "max_vsize_task")); }
GET(get_rss_task) { snprintf(buf, len, "%llu", (unsigned long long)u64(r, "max_rss_task")); }
GET(get_cpu_task) { snprintf(buf, len, "%llu", (unsigned long long)u64(r, "min_cpu_task")); }
GET(get_min_cpu) { jobacct_fmt_secs(u64(r, "min_cpu") / 1000000, buf, len); }
GET(get_ave_cpu) { jobacct_fmt_secs(u64(r, "ave_cpu") / 1000000, buf, len); }
GET(get_ntasks) { snprintf(buf, len, "%llu", (unsigned long long)u64(r, "ntasks")); }
GET(get_zero) { snprintf(buf, len, "0"); }
GET(get_unknown) { snprintf(buf, len, "Unknown"); }
GET(get_first_node) { snprintf(buf, len, "%s", ustr(r, "max_rss_node")); }

GET(get_totalcpu)
{
    jobacct_fmt_cpu(u64(r, "user_us") + u64(r, "sys_us"), buf, len);
}

/* TRESUsageIn*: cpu (seconds of CPU), mem (RSS) and vmem as Slurm lists
 * them; the node and task variants name where the extreme was seen. */
static void tres(const json_t *r, const char *cpu, const char *mem, const char *vmem,
                 char *buf, size_t len)
{
    char c[64], m[64], v[64];
    jobacct_fmt_secs(u64(r, cpu) / 1000000, c, sizeof(c));
    jobacct_fmt_bytes(u64(r, mem), 0, m, sizeof(m));
    jobacct_fmt_bytes(u64(r, vmem), 0, v, sizeof(v));
    snprintf(buf, len, "cpu=%s,mem=%s,vmem=%s", c, m, v);
}

GET(get_tres_ave) { tres(r, "ave_cpu", "ave_rss", "ave_vsize", buf, len); }
GET(get_tres_max) { tres(r, "ave_cpu", "max_rss", "max_vsize", buf, len); }
GET(get_tres_min) { tres(r, "min_cpu", "ave_rss", "ave_vsize", buf, len); }

GET(get_tres_tot)
{
    char c[64], m[64];
    jobacct_fmt_secs((u64(r, "user_us") + u64(r, "sys_us")) / 1000000, c, sizeof(c));
    jobacct_fmt_bytes(u64(r, "tot_rss"), 0, m, sizeof(m));
    snprintf(buf, len, "cpu=%s,mem=%s", c, m);
}

GET(get_tres_maxnode)
{
    snprintf(buf, len, "cpu=%s,mem=%s,vmem=%s", ustr(r, "min_cpu_node"), ustr(r, "max_rss_node"),
             ustr(r, "max_vsize_node"));
}

GET(get_tres_maxtask)
{
    snprintf(buf, len, "cpu=%llu,mem=%llu,vmem=%llu", (unsigned long long)u64(r, "min_cpu_task"),
             (unsigned long long)u64(r, "max_rss_task"),
             (unsigned long long)u64(r, "max_vsize_task"));
}

GET(get_empty) { (void)r; buf[0] = '\0'; }

/* Slurm 22.05's sstat fields with its default widths; the default format
 * is every one of them, in this order. */
static const struct jobfmt_field fields[] = {
    { "JobID", 0, "JobID", 12, 0, "step_label", NULL, 0 },
    { "MaxVMSize", 0, "MaxVMSize", 10, 1, NULL, get_bytes_max_vsize, 0 },
    { "MaxVMSizeNode", 0, "MaxVMSizeNode", 14, 0, NULL, get_vsize_node, 0 },
    { "MaxVMSizeTask", 0, "MaxVMSizeTask", 14, 1, NULL, get_vsize_task, 0 },
    { "AveVMSize", 0, "AveVMSize", 10, 1, NULL, get_bytes_ave_vsize, 0 },
    { "MaxRSS", 0, "MaxRSS", 10, 1, NULL, get_bytes_max_rss, 0 },
    { "MaxRSSNode", 0, "MaxRSSNode", 10, 0, NULL, get_rss_node, 0 },
    { "MaxRSSTask", 0, "MaxRSSTask", 10, 1, NULL, get_rss_task, 0 },
    { "AveRSS", 0, "AveRSS", 10, 1, NULL, get_bytes_ave_rss, 0 },
    { "MaxPages", 0, "MaxPages", 8, 1, NULL, get_zero, 0 },
    { "MaxPagesNode", 0, "MaxPagesNode", 12, 0, NULL, get_first_node, 0 },
    { "MaxPagesTask", 0, "MaxPagesTask", 12, 1, NULL, get_zero, 0 },
    { "AvePages", 0, "AvePages", 10, 1, NULL, get_zero, 0 },
    { "MinCPU", 0, "MinCPU", 10, 1, NULL, get_min_cpu, 0 },
    { "MinCPUNode", 0, "MinCPUNode", 10, 0, NULL, get_cpu_node, 0 },
    { "MinCPUTask", 0, "MinCPUTask", 10, 1, NULL, get_cpu_task, 0 },
    { "AveCPU", 0, "AveCPU", 10, 1, NULL, get_ave_cpu, 0 },
    { "NTasks", 0, "NTasks", 8, 1, NULL, get_ntasks, 0 },
    { "AveCPUFreq", 0, "AveCPUFreq", 10, 1, NULL, get_zero, 0 },
    { "ReqCPUFreqMin", 0, "ReqCPUFreqMin", 13, 1, NULL, get_unknown, 0 },
    { "ReqCPUFreqMax", 0, "ReqCPUFreqMax", 13, 1, NULL, get_unknown, 0 },
    { "ReqCPUFreqGov", 0, "ReqCPUFreqGov", 13, 1, NULL, get_unknown, 0 },
    { "ConsumedEnergy", 0, "ConsumedEnergy", 14, 1, NULL, get_zero, 0 },
    { "MaxDiskRead", 0, "MaxDiskRead", 12, 1, NULL, get_zero, 0 },
    { "MaxDiskReadNode", 0, "MaxDiskReadNode", 15, 0, NULL, get_first_node, 0 },
    { "MaxDiskReadTask", 0, "MaxDiskReadTask", 15, 1, NULL, get_zero, 0 },
    { "AveDiskRead", 0, "AveDiskRead", 12, 1, NULL, get_zero, 0 },
    { "MaxDiskWrite", 0, "MaxDiskWrite", 12, 1, NULL, get_zero, 0 },
    { "MaxDiskWriteNode", 0, "MaxDiskWriteNode", 16, 0, NULL, get_first_node, 0 },
    { "MaxDiskWriteTask", 0, "MaxDiskWriteTask", 16, 1, NULL, get_zero, 0 },
    { "AveDiskWrite", 0, "AveDiskWrite", 12, 1, NULL, get_zero, 0 },
    { "TRESUsageInAve", 0, "TRESUsageInAve", 14, 0, NULL, get_tres_ave, 0 },
    { "TRESUsageInMax", 0, "TRESUsageInMax", 14, 0, NULL, get_tres_max, 0 },
    { "TRESUsageInMaxNode", 0, "TRESUsageInMaxNode", 18, 0, NULL, get_tres_maxnode, 0 },
    { "TRESUsageInMaxTask", 0, "TRESUsageInMaxTask", 18, 0, NULL, get_tres_maxtask, 0 },
    { "TRESUsageInMin", 0, "TRESUsageInMin", 14, 0, NULL, get_tres_min, 0 },
    { "TRESUsageInMinNode", 0, "TRESUsageInMinNode", 18, 0, NULL, get_tres_maxnode, 0 },
    { "TRESUsageInMinTask", 0, "TRESUsageInMinTask", 18, 0, NULL, get_tres_maxtask, 0 },
    { "TRESUsageInTot", 0, "TRESUsageInTot", 14, 0, NULL, get_tres_tot, 0 },
    { "TRESUsageOutAve", 0, "TRESUsageOutAve", 15, 0, NULL, get_empty, 0 },
    { "TRESUsageOutMax", 0, "TRESUsageOutMax", 15, 0, NULL, get_empty, 0 },
    { "TRESUsageOutMaxNode", 0, "TRESUsageOutMaxNode", 19, 0, NULL, get_empty, 0 },
    { "TRESUsageOutMaxTask", 0, "TRESUsageOutMaxTask", 19, 0, NULL, get_empty, 0 },
    { "TRESUsageOutMin", 0, "TRESUsageOutMin", 15, 0, NULL, get_empty, 0 },
    { "TRESUsageOutMinNode", 0, "TRESUsageOutMinNode", 19, 0, NULL, get_empty, 0 },
    { "TRESUsageOutMinTask", 0, "TRESUsageOutMinTask", 19, 0, NULL, get_empty, 0 },
    { "TRESUsageOutTot", 0, "TRESUsageOutTot", 15, 0, NULL, get_empty, 0 },
    { "TotalCPU", 0, "TotalCPU", 10, 1, NULL, get_totalcpu, 0 },
    { NULL, 0, NULL, 0, 0, NULL, NULL, 0 },
};

static char *default_format(void)
{
    size_t n = 0;
    char *s;
    for (size_t i = 0; fields[i].name && strcmp(fields[i].name, "TotalCPU"); i++)
        n += strlen(fields[i].name) + 1;
    s = calloc(1, n + 1);
    for (size_t i = 0; s && fields[i].name && strcmp(fields[i].name, "TotalCPU"); i++)
        strcat(strcat(s, i ? "," : ""), fields[i].name);
    return s;
}

static void usage(FILE *out)
{
    fputs("Usage: sstat [-a] [-n] [-p|-P] [-o FIELDS] -j JOBID[.STEP][,...]\n"
          "  -j, --jobs=LIST         jobs or steps (JOBID, JOBID.STEP, JOBID.batch)\n"
          "  -a, --allsteps          every running step of the jobs, the batch step too\n"
          "  -o, --format=FIELDS     fields to print (-e lists them), FIELD%WIDTH\n"
          "  -e, --helpformat        list the fields\n"
          "  -n, --noheader          no header\n"
          "  -p, --parsable          '|' after every field\n"
          "  -P, --parsable2         '|' between fields\n"
          "  -V, --version           the Slurm and Sluice versions\n", out);
}

/* "123", "123.4", "123.batch": appended to o->want. */
static void want_add(struct sstat_opts *o, const char *word)
{
    char *end;
    long long job = strtoll(word, &end, 10), step = -2;
    if (end == word || job <= 0)
        cmd_die("Invalid job id: %s", word);
    if (*end == '.' && !strcmp(end + 1, "batch"))
        step = -1;
    else if (*end == '.' && !strcmp(end + 1, "extern"))
        cmd_die("%s: there is no extern step in Sluice", word);
    else if (*end == '.') {
        char *e2;
        step = strtoll(end + 1, &e2, 10);
        if (e2 == end + 1 || *e2 || step < 0)
            cmd_die("Invalid job step id: %s", word);
    } else if (*end)
        cmd_die("Invalid job id: %s", word);
    json_array_append_new(o->want, json_pack("{s:I, s:I}", "job", job, "step", step));
}

static void parse_jobs(struct sstat_opts *o, const char *arg)
{
    char *copy = strdup(arg), *save = NULL;
    for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save))
        want_add(o, w);
    free(copy);
}

/* The {host, port} of every node, by name. */
static json_t *node_addrs(void)
{
    json_t *reply = cmd_call("node_list", json_object()), *by = json_object(), *n;
    size_t i;
    json_array_foreach(json_object_get(reply, "nodes"), i, n)
        json_object_set_new(by, cmd_str(n, "name"),
                            json_pack("{s:s, s:I}", "host", cmd_str(n, "hostname"), "port",
                                      (json_int_t)cmd_int(n, "port")));
    json_decref(reply);
    return by;
}

/* The step's usage merged over its nodes; NULL with a message printed. */
static json_t *step_usage(const json_t *step, json_t *addrs)
{
    json_t *names = json_object_get(step, "node_names"), *name, *step_id;
    size_t i, n = json_array_size(names), got = 0;
    json_t **per = calloc(n ? n : 1, sizeof(*per)), *merged = NULL;
    step_id = json_object_get(step, "step_id");
    json_array_foreach(names, i, name) {
        json_t *a = json_object_get(addrs, json_string_value(name)), *reply;
        sl_error_t e;
        sl_client_t *cl = a ? client_open_node(cmd_conf_load(), json_string_value(name),
                                               cmd_str(a, "host"), (int)cmd_int(a, "port"), &e)
                            : NULL;
        json_t *body = json_pack("{s:s, s:I, s:I}", "node", json_string_value(name), "job_id",
                                 (json_int_t)cmd_int(step, "job_id"), "step_id",
                                 json_is_integer(step_id) ? json_integer_value(step_id) : -1);
        reply = cl ? client_call(cl, "step_usage", body, &e) : (json_decref(body), NULL);
        if (!a)
            snprintf(e.text, sizeof(e.text), "node %s is not known", json_string_value(name));
        if (reply)
            per[got++] = json_incref(json_object_get(reply, "usage"));
        else
            fprintf(stderr, "sstat: error: %s: %s\n", cmd_str(step, "id"), e.text);
        json_decref(reply);
        client_close(cl);
    }
    if (got == n && n)
        merged = jobacct_merge_json(per, got);
    for (i = 0; i < got; i++)
        json_decref(per[i]);
    free(per);
    return merged;
}

/* Which of job's running steps a request selects. */
static int selected(const json_t *want, const json_t *step, int all, int job_has_numbered)
{
    json_t *sid = json_object_get(step, "step_id");
    json_int_t w = json_integer_value(json_object_get(want, "step"));
    json_int_t s = json_is_integer(sid) ? json_integer_value(sid) : -1;
    if (w != -2)
        return w == s;
    /* No step named: the numbered steps, or the batch step when there is
     * none (or with -a, every step). */
    return all || s >= 0 || !job_has_numbered;
}

static int show(struct sstat_opts *o, jobfmt_t *f)
{
    json_t *addrs = node_addrs(), *w;
    size_t i;
    int rc = 0;
    if (!o->noheader)
        jobfmt_print_header(f, stdout);
    json_array_foreach(o->want, i, w) {
        json_int_t job = json_integer_value(json_object_get(w, "job"));
        sl_error_t e;
        json_t *reply = cmd_try("step_list", json_pack("{s:[I]}", "job_ids", job), &e);
        json_t *steps = reply ? json_object_get(reply, "steps") : NULL, *st;
        size_t k, shown = 0;
        int numbered = 0;
        json_array_foreach(steps, k, st)
            numbered |= json_is_integer(json_object_get(st, "step_id"));
        json_array_foreach(steps, k, st) {
            json_t *u;
            if (strcmp(cmd_str(st, "state"), "RUNNING") != 0 ||
                !selected(w, st, o->all_steps, numbered))
                continue;
            if (!(u = step_usage(st, addrs))) {
                rc = 1;
                continue;
            }
            json_t *row = json_pack("{s:s, s:o}", "step_label", cmd_str(st, "id"), "usage", u);
            jobfmt_print_row(f, row, NULL, stdout);
            json_decref(row);
            shown++;
        }
        if (!reply)
            fprintf(stderr, "sstat: error: %s\n", e.text);
        else if (!shown && json_integer_value(json_object_get(w, "step")) == -2)
            fprintf(stderr, "sstat: error: No steps running for job %lld\n", (long long)job);
        else if (!shown)
            fprintf(stderr, "sstat: error: couldn't get steps for job %lld\n", (long long)job);
        if (!reply || !shown)
            rc = 1;
        json_decref(reply);
    }
    json_decref(addrs);
    return rc;
}

static const struct option long_opts[] = {
    { "jobs", required_argument, NULL, 'j' },    { "allsteps", no_argument, NULL, 'a' },
    { "format", required_argument, NULL, 'o' },  { "fields", required_argument, NULL, 'o' },
    { "noheader", no_argument, NULL, 'n' },      { "parsable", no_argument, NULL, 'p' },
    { "parsable2", no_argument, NULL, 'P' },     { "helpformat", no_argument, NULL, 'e' },
    { "help", no_argument, NULL, 'h' },          { "usage", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },       { NULL, 0, NULL, 0 },
};

/* Static, so that what an early exit (cmd_die, -V) leaves is still reachable. */
static struct sstat_opts o;

int main(int argc, char **argv)
{
    sl_error_t e;
    char *def = NULL;
    jobfmt_t *f;
    int c, rc;
    o.want = json_array();
    cmd_init("sstat");
    cmd_args_utf8(argc, argv);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":j:ao:npPehV", long_opts, NULL)) != -1) {
        switch (c) {
        case 'j': parse_jobs(&o, optarg); break;
        case 'a': o.all_steps = 1; break;
        case 'o': o.format = optarg; break;
        case 'n': o.noheader = 1; break;
        case 'p': o.parsable = 1; break;
        case 'P': o.parsable2 = 1; break;
        case 'e':
            for (size_t i = 0; fields[i].name; i++)
                printf("%s%s", fields[i].name, fields[i + 1].name ? (i % 6 == 5 ? "\n" : " ") : "\n");
            return 0;
        case 'h': usage(stdout); return 0;
        case 'V': cmd_version(); return 0;
        default: cmd_die_getopt(c, argv);
        }
    }
    for (; optind < argc; optind++)   /* Slurm takes a bare job id too */
        parse_jobs(&o, argv[optind]);
    if (!json_array_size(o.want))
        cmd_die("You didn't give me any jobs to stat.");
    if (!o.format)
        o.format = def = default_format();
    if (!(f = jobfmt_parse(o.format, JOBFMT_SACCT, fields, &e)))
        cmd_die("%s", e.text);
    if (o.parsable || o.parsable2)
        jobfmt_set_parsable(f, "|", o.parsable && !o.parsable2);
    rc = show(&o, f);
    jobfmt_destroy(f);
    free(def);
    json_decref(o.want);
    cmd_fini();
    return rc;
}
