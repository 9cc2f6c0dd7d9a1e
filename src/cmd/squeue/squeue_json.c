/* squeue_json.c: squeue --json in the shape of Slurm 22.05's (openapi
 * v0.0.38's job dump): {"meta", "errors", "jobs": [...]}, one job_info
 * object per record (dpjob.c; the field map is doc/json.md).  Unlike 22.05,
 * which dumps every job it holds and ignores the filters, squeue's filters
 * apply, -t's default (jobs not finished) included, as in later Slurm
 * releases and as the table shows. */
#include "cmdutil.h"
#include "dpjob.h"
#include "dpjson.h"
#include "squeue.h"

void squeue_json(const json_t *jobs, int yaml)
{
    json_t *out = json_array(), *j;
    size_t i;
    const char *cluster = cmd_conf_load()->cluster_name;
    json_array_foreach(jobs, i, j)
        json_array_append_new(out, dp_job_info(j, cluster));
    dp_print(yaml, DP_PLUGIN_V38, "jobs", out);
}
