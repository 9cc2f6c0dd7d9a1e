/* dpjson.h: the JSON documents of --json, in the shape of Slurm 22.05's
 * (its openapi v0.0.38 plugins: squeue, sinfo and scontrol dump through
 * openapi/v0.0.38, sacct through openapi/dbv0.0.38).  Each document is
 * {"meta": ..., "errors": [], KEY: [...]}; the objects in KEY use Slurm's
 * key names and value types where the value has a meaning in Sluice, and
 * keep Sluice's own fields under a "sluice" key.  The field map is
 * doc/json.md. */
#ifndef SL_DPJSON_H
#define SL_DPJSON_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* The two plugins whose meta Slurm prints. */
#define DP_PLUGIN_V38 "openapi/v0.0.38", "Slurm OpenAPI v0.0.38"
#define DP_PLUGIN_DB38 "openapi/dbv0.0.38", "Slurm OpenAPI DB v0.0.38"

/* meta: plugin {type, name}, Slurm {version {major, micro, minor},
 * release}, and sluice {version}. */
json_t *dp_meta(const char *type, const char *name);
/* Print {"meta", "errors": [], key: items} (items stolen) on stdout, as
 * JSON or (yaml) as YAML. */
void dp_print(int yaml, const char *type, const char *name, const char *key, json_t *items);
/* --yaml: a document as YAML ("---", block mappings, "- " items, scalars
 * as JSON writes them, which YAML reads). */
void dp_yaml(const json_t *doc, FILE *out);

/* Set o[a][b][c] for path "a/b/c", making the objects on the way (Slurm's
 * data_define_dict_path); steals v. */
void dp_put(json_t *o, const char *path, json_t *v);
/* An unsigned count Slurm prints as null when unset (NO_VAL/INFINITE):
 * null for v < 0. */
json_t *dp_count(int64_t v);
/* A string, "" for NULL. */
json_t *dp_str(const char *s);

/* A job's or step's end as the wait status squeue's exit_code holds:
 * return code << 8, or the signal number. */
int64_t dp_wait_status(int64_t code, int64_t sig);
/* sacct's exit_code object: {status, return_code[, signal {signal_id,
 * name}]}; status is PENDING (not ended), SUCCESS, ERROR or SIGNALED. */
json_t *dp_exit_code(int ended, int64_t code, int64_t sig);

/* Slurm's TRES ids (its tres table's first rows). */
enum { DP_TRES_CPU = 1, DP_TRES_MEM = 2, DP_TRES_NODE = 4, DP_TRES_BILLING = 5,
       DP_TRES_VMEM = 6, DP_TRES_GPU = 1001 };
/* A TRES string "cpu=2,mem=100M,node=1" as sacct's list of {type, name,
 * id, count} (memory in MB, as Slurm's count). */
json_t *dp_tres_list(const char *tres);
/* One TRES entry {type, name, id, count}. */
json_t *dp_tres(int id, int64_t count);

/* The user or group name of an id, or null. */
json_t *dp_user_name(int64_t uid);
json_t *dp_group_name(int64_t gid);

#endif
