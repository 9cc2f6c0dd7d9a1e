/* jobopt_model.c: the setters of the job model's options: --array,
 * --dependency, --kill-on-invalid-dep, --attempts, --retry-rule, --begin,
 * --signal, --job-definition and --param, and fair share's --share,
 * --sched-priority and --nice.  Each checks its value as the
 * controller will, so a mistake is reported before anything is sent, and
 * stores it as doc/protocol.md ("The job model") asks. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "depend.h"
#include "idset.h"
#include "jobopt_impl.h"
#include "parse.h"

#define RETRY_RULES_MAX 5
#define ATTEMPTS_MAX 10
#define SIGNAL_TIME_MAX 65535   /* as Slurm: the warning time is 16 bits */
#define SIGNAL_TIME_DEFAULT 60
#define JOBDEF_NAME_MAX 128     /* AWS: up to 128 of [A-Za-z0-9_-] */
#define PATTERN_MAX 512         /* AWS: retry rule patterns */
#define SHARE_ID_MAX 255        /* AWS: shareIdentifier */
#define SCHED_PRIORITY_MAX 9999 /* AWS: schedulingPriority 0-9999 */
#define NICE_MAX 10000          /* as Slurm: -10000 to 10000 */
#define NICE_DEFAULT 100        /* as Slurm: --nice with no value */

/* "Invalid --NAME specification: 'ARG': " before the detail already in e. */
static int jo_invalid_why(const struct jobopt_def *d, const char *arg, sl_error_t *e)
{
    return sl_errprefix(e, "Invalid --%s specification: '%s'", d->name, arg);
}

JO_SETTER(jo_set_array)
{
    idset_t *s = idset_decode(arg, o->max_array_size, NULL, e);
    if (!s)
        return -1;   /* "invalid array specification '5-2': range 5-2 runs backwards" */
    idset_destroy(s);
    json_object_set_new(o->spec, d->field, json_string(arg));
    return 0;
}

JO_SETTER(jo_set_dependency)
{
    struct deplist dl;
    if (depend_parse(arg, &dl, e) < 0)
        return -1;   /* "invalid dependency 'x': unknown dependency type 'x'" */
    depend_free(&dl);
    json_object_set_new(o->spec, d->field, json_string(arg));
    return 0;
}

/* Strictly yes or no, as Slurm's --kill-on-invalid-dep. */
JO_SETTER(jo_set_yesno)
{
    int yes = strcasecmp(arg, "yes") == 0;
    if (!yes && strcasecmp(arg, "no") != 0)
        return sl_errprintf(e, "Invalid --%s specification: '%s' (use yes or no)", d->name,
                            arg);
    json_object_set_new(o->spec, d->field, json_boolean(yes));
    return 0;
}

JO_SETTER(jo_set_attempts)
{
    uint64_t v;
    if (parse_u64(arg, 1, ATTEMPTS_MAX, d->name, &v, NULL) < 0)
        return sl_errprintf(e, "Invalid --%s specification: '%s': attempts must be between "
                               "1 and %d", d->name, arg, ATTEMPTS_MAX);
    json_object_set_new(o->spec, d->field, json_integer((json_int_t)v));
    return 0;
}

/* The keys of a retry rule, in the order the messages list them. */
static const char *const rule_keys[] = { "onExitCode", "onReason", "onStatusReason" };
#define NRULE_KEYS (sizeof(rule_keys) / sizeof(rule_keys[0]))

/* AWS's pattern syntax: exit codes are digits; reasons letters, digits,
 * '.', ':' and blanks (we also allow '_' and '-', which our reasons use);
 * either may end in '*'. */
static int rule_pattern_check(size_t key, const char *pat, size_t len, sl_error_t *e)
{
    if (len == 0)
        return sl_errprintf(e, "%s needs a pattern", rule_keys[key]);
    if (len > PATTERN_MAX)
        return sl_errprintf(e, "%s pattern is longer than %d characters", rule_keys[key],
                            PATTERN_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)pat[i];
        if (c == '*' && i == len - 1)
            continue;
        if (key == 0 && !isdigit(c))
            return sl_errprintf(e, "onExitCode pattern '%.*s' must be digits, optionally "
                                   "ending in '*'", (int)len, pat);
        if (key != 0 && !isalnum(c) && !strchr(".:_- \t", c))
            return sl_errprintf(e, "%s pattern '%.*s' may hold letters, digits, '.', ':', "
                                   "'_', '-' and blanks, optionally ending in '*'",
                                rule_keys[key], (int)len, pat);
    }
    return 0;
}

/* One ",KEY=PATTERN" item (without the comma); seen marks keys given. */
static int rule_item_check(const char *item, size_t len, unsigned *seen, sl_error_t *e)
{
    const char *eq = memchr(item, '=', len);
    size_t klen = eq ? (size_t)(eq - item) : 0;
    if (!eq)
        return sl_errprintf(e, "expected KEY=PATTERN at '%.*s'", (int)len, item);
    for (size_t k = 0; k < NRULE_KEYS; k++) {
        if (strlen(rule_keys[k]) != klen || strncasecmp(rule_keys[k], item, klen) != 0)
            continue;
        if (*seen & (1u << k))
            return sl_errprintf(e, "%s is given twice", rule_keys[k]);
        *seen |= 1u << k;
        return rule_pattern_check(k, eq + 1, len - klen - 1, e);
    }
    return sl_errprintf(e, "unknown key '%.*s' (use onExitCode, onReason or onStatusReason)",
                        (int)klen, item);
}

/* ACTION[,onExitCode=PAT][,onReason=PAT][,onStatusReason=PAT] */
static int retry_rule_check(const char *rule, sl_error_t *e)
{
    size_t alen = strcspn(rule, ",");
    unsigned seen = 0;
    const char *p = rule + alen;
    if (!((alen == 5 && strncasecmp(rule, "RETRY", 5) == 0)
          || (alen == 4 && strncasecmp(rule, "EXIT", 4) == 0)))
        return sl_errprintf(e, "unknown action '%.*s' (use RETRY or EXIT)", (int)alen, rule);
    while (*p == ',') {
        size_t len = strcspn(++p, ",");
        if (rule_item_check(p, len, &seen, e) < 0)
            return -1;
        p += len;
    }
    return 0;
}

JO_SETTER(jo_set_retry_rule)
{
    json_t *rules = json_object_get(o->spec, d->field);
    if (retry_rule_check(arg, e) < 0)
        return jo_invalid_why(d, arg, e);
    if (!rules)
        json_object_set_new(o->spec, d->field, rules = json_array());
    if (json_array_size(rules) >= RETRY_RULES_MAX)
        return sl_errprintf(e, "too many --%s options: at most %d", d->name,
                            RETRY_RULES_MAX);
    json_array_append_new(rules, json_string(arg));
    return 0;
}

JO_SETTER(jo_set_begin)
{
    int64_t t;
    if (parse_datetime(arg, o->now ? o->now : (int64_t)time(NULL), &t, e) < 0)
        return sl_errprefix(e, "Invalid --%s specification", d->name);
    json_object_set_new(o->spec, d->field, json_integer(t));
    return 0;
}

/* [B:]SIG[@SECS]: B: signals the batch shell only. */
JO_SETTER(jo_set_signal)
{
    const char *p = arg, *at = strchr(arg, '@');
    char sig[32];
    int batch = 0, signum;
    uint64_t secs = SIGNAL_TIME_DEFAULT;
    if (strncasecmp(p, "B:", 2) == 0)
        batch = 1, p += 2;
    else if (p[0] && p[1] == ':')
        return sl_errprintf(e, "Invalid --%s specification: '%s': only the B: prefix is "
                               "supported", d->name, arg);
    snprintf(sig, sizeof(sig), "%.*s", at ? (int)(at - p) : (int)strlen(p), p);
    if (parse_signal(sig, &signum, e) < 0)
        return jo_invalid_why(d, arg, e);
    if (at && parse_u64(at + 1, 0, SIGNAL_TIME_MAX, "time", &secs, NULL) < 0)
        return sl_errprintf(e, "Invalid --%s specification: '%s': the time must be 0 to %d "
                               "seconds", d->name, arg, SIGNAL_TIME_MAX);
    json_object_set_new(o->spec, "warn_signal", json_integer(signum));
    json_object_set_new(o->spec, "warn_time", json_integer((json_int_t)secs));
    json_object_set_new(o->spec, "warn_batch_only", json_boolean(batch));
    return 0;
}

/* NAME[:REVISION]: AWS names, a positive revision. */
JO_SETTER(jo_set_jobdef)
{
    size_t n = strcspn(arg, ":");
    uint64_t rev;
    if (n == 0 || n > JOBDEF_NAME_MAX || !isalnum((unsigned char)arg[0])
        || strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != n)
        return sl_errprintf(e, "Invalid --%s specification: '%s': a name is 1 to %d letters, "
                               "digits, '-' and '_', starting with a letter or digit",
                            d->name, arg, JOBDEF_NAME_MAX);
    if (arg[n] == ':' && parse_u64(arg + n + 1, 1, INT32_MAX, "revision", &rev, NULL) < 0)
        return sl_errprintf(e, "Invalid --%s specification: '%s': the revision must be a "
                               "positive number", d->name, arg);
    json_object_set_new(o->spec, d->field, json_string(arg));
    return 0;
}

/* KEY=VALUE into the "parameters" object; a key given again is replaced. */
JO_SETTER(jo_set_param)
{
    const char *eq = strchr(arg, '=');
    size_t klen = eq ? (size_t)(eq - arg) : 0;
    json_t *params = json_object_get(o->spec, d->field);
    char *key;
    if (!eq || klen == 0)
        return sl_errprintf(e, "Invalid --%s specification: '%s' (use KEY=VALUE)", d->name,
                            arg);
    if (strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
        != klen)
        return sl_errprintf(e, "Invalid --%s specification: '%s': a key is letters, digits, "
                               "'_', '.' and '-'", d->name, arg);
    if (!(key = strndup(arg, klen)))
        return sl_errprintf(e, "out of memory");
    if (!params)
        json_object_set_new(o->spec, d->field, params = json_object());
    json_object_set_new(params, key, json_string(eq + 1));
    free(key);
    return 0;
}

/* A share identifier: what ShareDistribution entries match, so none of its
 * separators (',' ':') nor the wildcard '*'. */
JO_SETTER(jo_set_share)
{
    size_t n = strlen(arg);
    if (n == 0 || n > SHARE_ID_MAX
        || strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@-")
               != n)
        return sl_errprintf(e, "Invalid --%s specification: '%s': a share identifier is 1 to "
                               "%d letters, digits, '_', '.', '@' and '-'", d->name, arg,
                            SHARE_ID_MAX);
    json_object_set_new(o->spec, d->field, json_string(arg));
    return 0;
}

JO_SETTER(jo_set_sched_priority)
{
    uint64_t v;
    if (parse_u64(arg, 0, SCHED_PRIORITY_MAX, d->name, &v, NULL) < 0)
        return sl_errprintf(e, "Invalid --%s specification: '%s': it must be from 0 to %d",
                            d->name, arg, SCHED_PRIORITY_MAX);
    json_object_set_new(o->spec, d->field, json_integer((json_int_t)v));
    return 0;
}

/* --nice alone means 100; negative values are the controller's to refuse
 * (administrators only). */
JO_SETTER(jo_set_nice)
{
    long v = NICE_DEFAULT;
    if (arg && parse_int(arg, -NICE_MAX, NICE_MAX, d->name, &v, NULL) < 0)
        return sl_errprintf(e, "Invalid --%s specification: '%s': it must be from %d to %d",
                            d->name, arg, -NICE_MAX, NICE_MAX);
    json_object_set_new(o->spec, d->field, json_integer(v));
    return 0;
}
