/* scontrol_kv.c: see scontrol_kv.h.  The tables follow the controller's
 * QueueName= and SchedulingPolicyName= keys (src/common/conf_queue.c). */
#define _GNU_SOURCE
#include "scontrol_kv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "hostlist.h"
#include "parse.h"

#define SECONDS_MAX 315360000L      /* ten years, as the config allows */
#define QUEUE_PARTS_MAX 16

static const char *const queue_states[] = { "ENABLED", "DISABLED", NULL };
static const char *const queue_names[] = { "Name", "QueueName", NULL };
static const char *const policy_names[] = { "Name", "PolicyName", "SchedulingPolicyName",
                                            NULL };

static const struct sc_key queue_keys[] = {
    { "Priority", SCK_INT, 0, 1000000, NULL },
    { "Partitions", SCK_LIST, 1, QUEUE_PARTS_MAX, NULL },
    { "State", SCK_CHOICE, 0, 0, queue_states },
    { "SchedulingPolicy", SCK_TEXT, 0, 0, NULL },
    { "MaxRunnableTime", SCK_INT, 0, SECONDS_MAX, NULL },
    { "Reason", SCK_TEXT, 0, 0, NULL },
    { NULL, SCK_TEXT, 0, 0, NULL },
};

static const struct sc_key policy_keys[] = {
    { "ShareDecaySeconds", SCK_INT, 0, SECONDS_MAX, NULL },
    { "ComputeReservation", SCK_INT, 0, 99, NULL },
    { "ShareDistribution", SCK_SHARES, 0, 0, NULL },
    { NULL, SCK_TEXT, 0, 0, NULL },
};

/* Elastic partitions: what scontrol update PartitionName= may change. */
static const char *const part_names[] = { "PartitionName", NULL };
static const char *const part_states[] = { "ENABLED", "DISABLED", "UP", NULL };
static const struct sc_key part_keys[] = {
    { "MinvCPUs", SCK_INT, 0, 10000000, NULL },
    { "MaxvCPUs", SCK_INT, 0, 10000000, NULL },
    { "State", SCK_CHOICE, 0, 0, part_states },
    { NULL, SCK_TEXT, 0, 0, NULL },
};

const struct sc_entity sc_queue = { "queue", queue_names, queue_keys };
const struct sc_entity sc_partition = { "partition", part_names, part_keys };
const struct sc_entity sc_policy = { "scheduling policy", policy_names, policy_keys };

/* "Priority, Partitions, ..." for messages. */
static void key_names(const struct sc_key *keys, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (; keys->name; keys++)
        n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? ", " : "",
                              keys->name);
}

static int check_list(const struct sc_key *k, const char *val, sl_error_t *e)
{
    sl_error_t why;
    hostlist_t *hl = hostlist_expand(val, &why);
    size_t n;
    if (!hl)
        return sl_errprintf(e, "Invalid %s value '%s': %s", k->name, val, why.text);
    n = hostlist_count(hl);
    hostlist_destroy(hl);
    if (n < (size_t)k->min || n > (size_t)k->max)
        return sl_errprintf(e, "Invalid %s value '%s': give %ld to %ld names, in spill-over "
                               "order", k->name, val, k->min, k->max);
    return 0;
}

static int check_shares(const struct sc_key *k, const char *val, sl_error_t *e)
{
    struct conf_share *shares;
    size_t n;
    sl_error_t why;
    if (conf_shares_parse(val, &shares, &n, &why) < 0)
        return sl_errprintf(e, "Invalid %s value '%s': %s", k->name, val, why.text);
    for (size_t i = 0; i < n; i++)
        free(shares[i].id);
    free(shares);
    return 0;
}

/* The value to send, or NULL with e set. */
static const char *value_check(const struct sc_key *k, const char *val, sl_error_t *e)
{
    long v;
    switch (k->kind) {
    case SCK_TEXT:
        return val;
    case SCK_INT:
        if (parse_int(val, k->min, k->max, NULL, &v, NULL) < 0) {
            sl_errprintf(e, "Invalid %s value '%s': a whole number from %ld to %ld is needed",
                         k->name, val, k->min, k->max);
            return NULL;
        }
        return val;
    case SCK_CHOICE:
        for (const char *const *c = k->choices; *c; c++)
            if (strcasecmp(*c, val) == 0)
                return *c;
        sl_errprintf(e, "Invalid %s value '%s': use %s or %s", k->name, val, k->choices[0],
                     k->choices[1]);
        return NULL;
    case SCK_LIST:
        return check_list(k, val, e) < 0 ? NULL : val;
    case SCK_SHARES:
        return check_shares(k, val, e) < 0 ? NULL : val;
    }
    return NULL;
}

static int is_name_key(const struct sc_entity *ent, const char *key, size_t klen)
{
    for (const char *const *n = ent->name_keys; *n; n++)
        if (strlen(*n) == klen && strncasecmp(*n, key, klen) == 0)
            return 1;
    return 0;
}

static const struct sc_key *key_find(const struct sc_key *k, const char *key, size_t klen)
{
    for (; k->name; k++)
        if (strlen(k->name) == klen && strncasecmp(k->name, key, klen) == 0)
            return k;
    return NULL;
}

/* One word into out; -1 with e set. */
static int kv_word(const struct sc_entity *ent, const char *word, json_t *out, sl_error_t *e)
{
    const char *eq = strchr(word, '=');
    size_t klen = eq ? (size_t)(eq - word) : 0;
    const struct sc_key *k;
    const char *val;
    char names[256];
    if (!eq || klen == 0)
        return sl_errprintf(e, "Invalid input: %s (expected Key=Value)", word);
    if (is_name_key(ent, word, klen)) {
        if (json_object_get(out, "name"))
            return sl_errprintf(e, "the %s name is given twice", ent->what);
        if (!eq[1])
            return sl_errprintf(e, "Invalid %.*s value: empty", (int)klen, word);
        return json_object_set_new(out, "name", json_string(eq + 1));
    }
    if (!(k = key_find(ent->keys, word, klen))) {
        key_names(ent->keys, names, sizeof(names));
        return sl_errprintf(e, "Unknown %s key '%.*s' (use %s)", ent->what, (int)klen, word,
                            names);
    }
    if (json_object_get(json_object_get(out, "keys"), k->name))
        return sl_errprintf(e, "%s is given twice", k->name);
    if (!(val = value_check(k, eq + 1, e)))
        return -1;
    return json_object_set_new(json_object_get(out, "keys"), k->name, json_string(val));
}

json_t *sc_kv_parse(const struct sc_entity *ent, int argc, char *const *argv, sl_error_t *e)
{
    json_t *out = json_pack("{s:{}}", "keys");
    for (int i = 0; i < argc; i++) {
        if (kv_word(ent, argv[i], out, e) < 0) {
            json_decref(out);
            return NULL;
        }
    }
    if (!json_object_get(out, "name")) {
        json_decref(out);
        sl_errprintf(e, "No %s name specified (Name=...)", ent->what);
        return NULL;
    }
    return out;
}
