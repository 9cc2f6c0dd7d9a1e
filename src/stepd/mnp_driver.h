/* mnp_driver.h: sluice-mnp, the batch script of a multi-node parallel job
 * (job definition type multinode): it runs each node's process as a step. */
#ifndef SL_MNP_DRIVER_H
#define SL_MNP_DRIVER_H

#include <jansson.h>
#include <sys/types.h>

struct mnp_run {
    json_t *plan;            /* from SLUICE_MNP_PLAN (src/ctld/mnp.c, mnp_plan) */
    long num_nodes, main_node;
    char **nodes;            /* the allocation's node names, node index order */
    char *main_addr;         /* the main node's address as the config gives it */
    pid_t *pids;             /* each node's srun (0: not started or reaped) */
};

/* Start node i's process: srun pinned to its node, with its range's
 * command and environment and the AWS_BATCH_JOB_* node variables. */
pid_t mnp_start(const struct mnp_run *r, long i);
/* The step name of node i's process ("node-I"). */
void mnp_step_name(long i, char *buf, size_t len);

#endif
