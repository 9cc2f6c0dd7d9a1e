/* conf_impl.h: what the conf*.c files share; not for use outside them.
 *
 * Every key (global, node line, partition line) is a struct conf_key in a
 * table; conf_value.c sets and prints a key's value by its type, so the
 * tables need no code of their own except for the few odd keys. */
#ifndef SL_CONF_IMPL_H
#define SL_CONF_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include "conf.h"
#include "error.h"

enum conf_type {
    CT_STRING,       /* char *, must not be empty */
    CT_OPT_STRING,   /* char *, empty means NULL */
    CT_INT,          /* int within [min, max] */
    CT_U32,          /* uint32_t within [min, max] */
    CT_SECONDS,      /* int: seconds, or a time such as 1:30 (M:S) */
    CT_SECONDS64,    /* int64_t: as CT_SECONDS */
    CT_TIME,         /* int64_t: a time limit (bare number = minutes) */
    CT_MEM,          /* uint64_t MiB with optional K/M/G/T */
    CT_BOOL,         /* int */
    CT_CHOICE,       /* char *: one of choices, stored as written there */
    CT_CUSTOM,       /* set/show below */
};

struct conf_key;
typedef int (*conf_set_fn)(const struct conf_key *k, void *obj, const char *val,
                           sl_error_t *e);
/* Writes the value as text into buf; returns buf. */
typedef const char *(*conf_show_fn)(const struct conf_key *k, const void *obj, char *buf,
                                    size_t len);

struct conf_key {
    const char *name;
    enum conf_type type;
    size_t offset;               /* of the field in the object being set */
    const char *def;             /* default as text, NULL for none */
    long min, max;               /* CT_INT, CT_U32, CT_SECONDS* */
    const char *const *choices;  /* CT_CHOICE: NULL-terminated */
    conf_set_fn set;             /* CT_CUSTOM */
    conf_show_fn show;           /* CT_CUSTOM */
    const char *doc;
};

#define CONF_FIELD(obj, k, type) ((type *)((char *)(obj) + (k)->offset))

struct conf_where;
struct conf_pair;

/* conf_value.c */
const struct conf_key *conf_key_find(const struct conf_key *tab, size_t n, const char *name);
/* Set k's field in obj from text; errors read "bad value for KEY: why". */
int conf_key_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e);
const char *conf_key_show(const struct conf_key *k, const void *obj, char *buf, size_t len);
/* Apply a record line's KEY=VALUE pairs (kv[1..n-1]) to obj through tab;
 * *set gets bit i for each tab[i] given.  Errors carry "FILE:LINE:". */
int conf_keys_apply(const struct conf_key *tab, size_t ntab, void *obj, unsigned *set,
                    const struct conf_where *w, const struct conf_pair *kv, size_t n,
                    sl_error_t *e);
/* Free k's field in obj if it owns memory (strings). */
void conf_key_free(const struct conf_key *k, void *obj);
/* Replace *dst by a copy of src (NULL allowed).  -1 on no memory. */
int conf_strset(char **dst, const char *src);

/* SuspendTime (global and per partition): seconds, or NONE/INFINITE/-1. */
/* AccountingStorageEnforce= (conf_enforce.c). */
int conf_enforce_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e);
const char *conf_enforce_show(const struct conf_key *k, const void *obj, char *buf, size_t len);
int conf_suspend_time_set(const struct conf_key *k, void *obj, const char *val, sl_error_t *e);
const char *conf_suspend_time_show(const struct conf_key *k, const void *obj, char *buf,
                                   size_t len);

/* Where a line came from, for messages. */
struct conf_where {
    const char *file;            /* owned by the parser's file list */
    int line;
};

/* One "Key=Value" on a line, value unquoted. */
struct conf_pair {
    char *key, *val;
};

struct conf_node_state;
struct conf_part_state;

/* Parser state for one conf_load. */
struct conf_parser {
    conf_t *c;
    char **files;                /* every file read, for conf_where */
    size_t nfiles;
    size_t nodes_cap, parts_cap;
    struct conf_node_state *ns;
    struct conf_part_state *ps;
    struct conf_where node_timeout_at, heartbeat_at;   /* line 0: not in the file */
};

/* conf_keys.c: the global keys. */
int conf_globals_default(conf_t *c, sl_error_t *e);
/* Returns 1 (and leaves e alone) if key is not a global key. */
int conf_global_set(conf_t *c, const char *key, const char *val, sl_error_t *e);
void conf_globals_free(conf_t *c);
/* After the files: what depends on several keys (HeartbeatInterval from
 * NodeTimeout), and the pairs that contradict each other. */
int conf_globals_finish(struct conf_parser *p, sl_error_t *e);

/* conf_node.c: NodeName lines. */
int conf_node_line(struct conf_parser *p, const struct conf_where *w,
                   const struct conf_pair *kv, size_t n, sl_error_t *e);
int conf_nodes_finish(struct conf_parser *p, sl_error_t *e);
int conf_node_is_key(const char *key);
void conf_node_state_free(struct conf_parser *p);
void conf_node_free(struct conf_node *n);

/* conf_part.c: PartitionName lines. */
int conf_part_line(struct conf_parser *p, const struct conf_where *w,
                   const struct conf_pair *kv, size_t n, sl_error_t *e);
int conf_parts_finish(struct conf_parser *p, sl_error_t *e);
int conf_part_is_key(const char *key);
void conf_part_state_free(struct conf_parser *p);
void conf_part_free(struct conf_partition *pt);
/* Where each partition was defined (by index), NULL when none was. */
const struct conf_where *conf_part_where(const struct conf_parser *p);

/* conf_elastic.c: the nodes of Elastic=YES partitions, before
 * conf_nodes_finish. */
int conf_elastic_finish(struct conf_parser *p, sl_error_t *e);

/* conf_queue.c: QueueName and SchedulingPolicyName lines. */
int conf_queue_line(struct conf_parser *p, const struct conf_where *w,
                    const struct conf_pair *kv, size_t n, sl_error_t *e);
int conf_queues_finish(struct conf_parser *p, sl_error_t *e);

#endif
