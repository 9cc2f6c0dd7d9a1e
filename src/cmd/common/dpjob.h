/* dpjob.h: a job as Slurm 22.05's openapi v0.0.38 dumps one (squeue --json,
 * scontrol show job --json): see dpjson.h and doc/json.md. */
#ifndef SL_DPJOB_H
#define SL_DPJOB_H

#include <jansson.h>

/* The job_info object of the controller's job record r; cluster is the
 * configured ClusterName (NULL: ""). */
json_t *dp_job_info(const json_t *r, const char *cluster);
/* A node as sinfo --json shows it, from a node_list record. */
json_t *dp_node_info(const json_t *n);

#endif
