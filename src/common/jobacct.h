/* jobacct.h: a step's resource usage (sacct's MaxRSS, TotalCPU, ...), as
 * one node's stepd measures it, as srun and the controller sum it over the
 * step's nodes, and as sacct and seff print it in Slurm's formats.  The
 * JSON form is the step record's "usage" object (doc/protocol.md). */
#ifndef SL_JOBACCT_H
#define SL_JOBACCT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* One task's memory over the samples, and its CPU time once reaped. */
struct jobacct_task {
    uint64_t max_rss, max_vsize;     /* bytes, the largest sample */
    double sum_rss, sum_vsize;       /* over the samples, for the averages */
    uint32_t samples;
    uint64_t cpu_us;                 /* user + system, from wait4 */
    int cpu_known;                   /* the task was reaped by its stepd */
};

/* A node's or a whole step's usage.  Tasks are numbered by global rank;
 * *_node name the node where the extreme was seen. */
struct jobacct {
    uint32_t ntasks;
    uint64_t user_us, sys_us;        /* every process of the step, reaped */
    uint64_t max_rss, max_vsize;     /* the largest task's peak, bytes */
    int64_t max_rss_task, max_vsize_task;
    char max_rss_node[64], max_vsize_node[64];
    uint64_t ave_rss, ave_vsize;     /* mean over tasks of each task's mean over samples */
    uint64_t tot_rss;                /* sum of the tasks' peaks (seff's "Memory Utilized") */
    uint64_t min_cpu_us;             /* the task that used least CPU */
    int64_t min_cpu_task;
    char min_cpu_node[64];
};

/* Add one sample of a task's processes (summed RSS and VSZ, bytes). */
void jobacct_task_sample(struct jobacct_task *t, uint64_t rss, uint64_t vsize);

/* A peak seen otherwise (wait4's ru_maxrss: the largest process's): raises
 * max_rss, counts as no sample. */
void jobacct_task_peak(struct jobacct_task *t, uint64_t rss);

/* One node's usage from its n tasks (ranks first_rank...), what its stepd
 * reaped in all (user_us, sys_us) and the node's name. */
void jobacct_from_tasks(struct jobacct *a, const struct jobacct_task *tasks, size_t n,
                        int64_t first_rank, uint64_t user_us, uint64_t sys_us,
                        const char *node);

/* Sum another node's usage into a (a starts zeroed: ntasks 0). */
void jobacct_merge(struct jobacct *a, const struct jobacct *b);

json_t *jobacct_to_json(const struct jobacct *a);
/* 0, or -1 if u is not a usage object. */
int jobacct_from_json(const json_t *u, struct jobacct *a);
/* The usage objects of several nodes, summed (NULL when none is valid). */
json_t *jobacct_merge_json(json_t *const *nodes, size_t n);

/* Slurm's TotalCPU/UserCPU/SystemCPU text: [D-]HH:MM:SS, or MM:SS.mmm under
 * an hour when there is a fraction of a second, else 00:MM:SS. */
char *jobacct_fmt_cpu(uint64_t us, char *buf, size_t len);
/* Slurm's AveCPU/MinCPU text: whole seconds, as above. */
char *jobacct_fmt_secs(uint64_t secs, char *buf, size_t len);
/* Slurm's MaxRSS/MaxVMSize/AveRSS text for a byte count: divided by 1024
 * while it divides exactly (sacct's default), suffix K M G T P.  unit is
 * 0 for that, or one of "KMGTP" for sacct --units: the value in that unit,
 * with two decimals when it is not whole. */
char *jobacct_fmt_bytes(uint64_t bytes, char unit, char *buf, size_t len);
/* seff's "12.34 MB" for a count of kilobytes. */
char *jobacct_fmt_kb(double kb, char *buf, size_t len);

#endif
