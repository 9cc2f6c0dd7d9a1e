/* db.h: the controller's SQLite database under StateSaveLocation.
 *
 * Writes go into one open transaction that ctld commits once per loop
 * iteration (grouped commit): many submissions share one fsync.  A write or
 * commit that fails is fatal: the controller stops rather than acknowledge
 * something that is not durable, and restarts from the last commit. */
#ifndef CTLD_DB_H
#define CTLD_DB_H

#include <stdint.h>
#include <jansson.h>
#include "error.h"

struct db;

struct db *db_open(const char *dir, sl_error_t *e);
void db_close(struct db *d);

void db_job_insert(struct db *d, json_t *rec, json_t *spec);
void db_job_update(struct db *d, json_t *rec);
void db_node_save(struct db *d, const char *name, json_t *rec);
int db_in_txn(const struct db *d);
void db_commit(struct db *d);

uint32_t db_max_job_id(struct db *d);
/* The stored record of job id, or NULL. */
json_t *db_job_get(struct db *d, uint32_t id);
/* The submitted spec (script, env, argv), or NULL. */
json_t *db_job_spec(struct db *d, uint32_t id);
/* The newest record of one array task, or NULL. */
json_t *db_task_get(struct db *d, uint32_t array_id, int32_t task);
/* Keep the record of an attempt that was retried (sacct --duplicates). */
void db_attempt_insert(struct db *d, json_t *rec);
/* Records of earlier attempts of the jobs in list (each has job_id), appended. */
void db_attempts_append(struct db *d, json_t *jobs);

/* Job steps (the step record of doc/protocol.md; step_id "batch" is kept
 * as -2).  db_step_save inserts or replaces; db_steps_of gives a job's
 * steps, the batch step first, then by id. */
void db_step_save(struct db *d, json_t *rec);
json_t *db_steps_of(struct db *d, uint32_t job_id);

/* Delete finished jobs that ended before `before` (and their attempts). */
int db_purge(struct db *d, int64_t before);

/* Job definitions. */
int db_jobdef_add(struct db *d, const char *name, json_t *def, int64_t now, sl_error_t *e);
json_t *db_jobdef_list(struct db *d, const char *name, int revision, int all);
int db_jobdef_set_status(struct db *d, const char *name, int revision, const char *status);

/* Queues and policies changed at run time: {"name": record}. */
json_t *db_queues_load(struct db *d);
json_t *db_policies_load(struct db *d);
void db_queue_save(struct db *d, const char *name, json_t *rec);   /* steals rec */
void db_policy_save(struct db *d, const char *name, json_t *rec);  /* steals rec */
/* Reservations (resv.c), kept whole by name; a deleted one as {"deleted": true}. */
json_t *db_resvs_load(struct db *d);
void db_resv_save(struct db *d, const char *name, json_t *rec);    /* steals rec */
/* Fair-share usage: [{"policy","id","usage","updated"}]. */
json_t *db_shares_load(struct db *d);
void db_share_save(struct db *d, const char *policy, const char *id, double usage, int64_t t);

/* Call fn for every job not in a terminal state, in id order. */
int db_jobs_active(struct db *d, int (*fn)(json_t *rec, void *arg), void *arg, sl_error_t *e);
/* Node records by name: {"n1": {...}}. */
json_t *db_nodes_load(struct db *d);

struct acct_filter {
    uint32_t *ids;
    size_t nids;
    int64_t start, end;       /* jobs that existed in [start, end] (0 = open) */
    int all_users;
    uint32_t *uids;
    size_t nuids;
    int ended_only;           /* only jobs that ended (end_time set) */
};
/* Records matching the filter, oldest first. */
json_t *db_acct_query(struct db *d, const struct acct_filter *f, sl_error_t *e);

#endif
