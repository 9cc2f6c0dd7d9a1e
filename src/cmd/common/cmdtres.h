/* cmdtres.h: a job's trackable resources (TRES) and its per-node
 * allocation, as scontrol and sacct print them (cmdtres.c). */
#ifndef SL_CMDTRES_H
#define SL_CMDTRES_H

#include <stddef.h>
#include <jansson.h>

/* "cpu=4,mem=1G,node=1,billing=4,gres/gpu=2" (scontrol's order) or, sorted,
 * "billing=4,cpu=4,gres/gpu=2,mem=1G,node=1" (sacct's AllocTRES).  A job
 * not yet allocated gives what it asks for, or "" with allocated_only. */
void cmd_tres(const json_t *rec, int sorted, int allocated_only, char *buf, size_t len);
/* scontrol show job -d: "JOB_GRES=gpu:h200:2" then, per node,
 * "Nodes=n1 CPU_IDs=0-3 Mem=1024 GRES=gpu:h200:2(IDX:0-1)", the lines
 * joined by sep. */
void cmd_alloc_detail(const json_t *rec, const char *sep, char *buf, size_t len);

#endif
