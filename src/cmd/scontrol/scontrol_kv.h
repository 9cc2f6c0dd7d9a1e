/* scontrol_kv.h: the Key=Value words of scontrol's queue and policy verbs
 * (create, update), checked against a table before anything is sent, so a
 * typo gets a message naming the key and what it accepts.  Keys are sent
 * under their canonical spelling whatever case the user typed: the
 * controller keeps run-time changes by key name. */
#ifndef SL_SCONTROL_KV_H
#define SL_SCONTROL_KV_H

#include <jansson.h>
#include "error.h"

enum sc_kind {
    SCK_TEXT,      /* anything, "" included (clears) */
    SCK_INT,       /* a whole number from min to max */
    SCK_CHOICE,    /* one of choices, any case; sent as listed */
    SCK_LIST,      /* 1 to max names: "a,b" or "p[1-3]" */
    SCK_SHARES,    /* ID:WEIGHT,PREFIX*:WEIGHT with weights > 0 */
};

struct sc_key {
    const char *name;               /* NULL ends a table */
    enum sc_kind kind;
    long min, max;
    const char *const *choices;     /* SCK_CHOICE: NULL-ended */
};

struct sc_entity {
    const char *what;               /* "queue", "scheduling policy" */
    const char *const *name_keys;   /* words naming it: "Name", "QueueName"; NULL-ended */
    const struct sc_key *keys;
};

extern const struct sc_entity sc_queue, sc_policy, sc_partition;

/* Words "Key=Value" -> {"name": N, "keys": {"Canonical": "value", ...}}.
 * NULL with e set on a word without '=', an unknown key, a bad value, a
 * key given twice or no name. */
json_t *sc_kv_parse(const struct sc_entity *ent, int argc, char *const *argv, sl_error_t *e);

#endif
