/* task.h: the node's task plugins (TaskPlugin=, task_api.h) as sluiced
 * calls them around each job and step. */
#ifndef SL_NODED_TASK_H
#define SL_NODED_TASK_H

#include <stdint.h>
#include <jansson.h>
#include "conf.h"
#include "error.h"
#include "topo.h"

typedef struct task task_t;

/* Load and initialise TaskPlugin= for node_name; NULL with the reason when
 * a plugin is unknown or cannot work here (sluiced refuses to start). */
task_t *task_create(const conf_t *conf, const char *node_name, const topo_t *topo,
                    sl_error_t *e);
void task_destroy(task_t *t);   /* accepts NULL */

/* Before a job's or step's stepd starts: every plugin adds to rec.  With no
 * cgroup plugin, a job with a memory limit gets "mem_poll_mb" (the stepd
 * polls its RSS and kills it on excess). */
int task_prepare(task_t *t, json_t *rec, sl_error_t *e);
/* Kill what is left of a job (step_id < 0) or step; then, with result,
 * let the plugins add to it ("oom") and clean up. */
void task_end(task_t *t, uint64_t job_id, int64_t step_id, json_t *result);
/* A restarted sluiced: these jobs still run here. */
void task_recover(task_t *t, const uint64_t *job_ids, size_t n);

#endif
