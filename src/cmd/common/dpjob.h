/* dpjob.h: jobs, nodes and partitions as Slurm 22.05's openapi v0.0.38
 * dumps them (squeue, sinfo, scontrol --json): see dpjson.h, doc/json.md. */
#ifndef SL_DPJOB_H
#define SL_DPJOB_H

#include <jansson.h>

/* The job_info object of the controller's job record r; cluster is the
 * configured ClusterName (NULL: ""). */
json_t *dp_job_info(const json_t *r, const char *cluster);
/* A node as sinfo --json shows it, from a node_list record. */
json_t *dp_node_info(const json_t *n);
/* A partition as slurmrestd's v0.0.38 shows it, from a part_list record. */
json_t *dp_part_info(const json_t *p);

#endif
