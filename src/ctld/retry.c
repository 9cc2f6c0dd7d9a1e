/* retry.c: retry strategies (AWS Batch evaluateOnExit).  A rule is
 * "ACTION[,onExitCode=PAT][,onReason=PAT][,onStatusReason=PAT]"; a pattern
 * matches exactly, or as a prefix when it ends in '*'.  The first rule whose
 * given patterns all match decides; with rules and no match, or no rules,
 * the job is retried while attempts remain.  onReason matches the failure
 * reason (NonZeroExitCode, NodeFail, or a launch failure's text);
 * onStatusReason matches how the attempt ended (FAILED, NODE_FAIL,
 * OUT_OF_MEMORY). */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "ctld.h"

#define RETRY_MAX_RULES 5

struct rule {
    int retry;
    char exit_code[64], reason[256], status_reason[256];
};

static const struct {
    const char *key;
    size_t off;
} rule_keys[] = {
    { "onExitCode", offsetof(struct rule, exit_code) },
    { "onReason", offsetof(struct rule, reason) },
    { "onStatusReason", offsetof(struct rule, status_reason) },
};

static int rule_parse(const char *text, struct rule *r, sl_error_t *e)
{
    char buf[1024];
    char *save = NULL;
    memset(r, 0, sizeof(*r));
    snprintf(buf, sizeof(buf), "%s", text);
    char *action = strtok_r(buf, ",", &save);
    if (!action || (strcasecmp(action, "RETRY") && strcasecmp(action, "EXIT")))
        return sl_errprintf(e, "invalid retry rule '%s': it must start with RETRY or EXIT", text);
    r->retry = !strcasecmp(action, "RETRY");
    for (char *kv = strtok_r(NULL, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        size_t k = 0, nkeys = sizeof(rule_keys) / sizeof(rule_keys[0]);
        if (eq)
            *eq = '\0';
        while (k < nkeys && strcasecmp(kv, rule_keys[k].key))
            k++;
        if (!eq || k == nkeys || !eq[1])
            return sl_errprintf(e, "invalid retry rule '%s': expected onExitCode=, onReason= or "
                                   "onStatusReason= with a pattern, got '%s'", text, kv);
        char *pat = (char *)r + rule_keys[k].off;
        snprintf(pat, k == 0 ? sizeof(r->exit_code) : sizeof(r->reason), "%s", eq + 1);
        if (k == 0) {
            for (const char *p = pat; *p; p++) {
                if (!isdigit((unsigned char)*p) && !(*p == '*' && !p[1]))
                    return sl_errprintf(e, "invalid retry rule '%s': onExitCode takes digits, "
                                           "optionally ending in *", text);
            }
        }
    }
    return 0;
}

int retry_rules_check(json_t *rules, sl_error_t *e)
{
    size_t i;
    json_t *v;
    struct rule r;
    if (!json_is_array(rules))
        return sl_errprintf(e, "retry_rules must be a list of strings");
    if (json_array_size(rules) > RETRY_MAX_RULES)
        return sl_errprintf(e, "too many retry rules: at most %d", RETRY_MAX_RULES);
    json_array_foreach(rules, i, v) {
        if (!json_is_string(v) || rule_parse(json_string_value(v), &r, e) < 0)
            return json_is_string(v) ? -1 : sl_errprintf(e, "retry rules must be strings");
    }
    return 0;
}

static int pattern_match(const char *pat, const char *value)
{
    size_t n = strlen(pat);
    if (!*pat)
        return 1;   /* not given */
    if (pat[n - 1] == '*')
        return strncmp(pat, value, n - 1) == 0;
    return strcmp(pat, value) == 0;
}

int retry_wanted(const struct job *j, enum job_end end, const char *reason)
{
    if (end == END_CANCELLED || end == END_TIMEOUT || end == END_COMPLETED)
        return 0;
    if (j->restart_count + 1 >= (j->attempts ? j->attempts : 1))
        return 0;
    char code[16];
    snprintf(code, sizeof(code), "%d", j->exit_code);
    const char *why = reason ? reason : job_end_name(end);
    size_t i;
    json_t *v;
    json_array_foreach(j->retry_rules, i, v) {
        struct rule r;
        if (rule_parse(json_string_value(v), &r, NULL) < 0)
            continue;
        if (pattern_match(r.exit_code, code) && pattern_match(r.reason, why) &&
            pattern_match(r.status_reason, job_end_name(end)))
            return r.retry;
    }
    return 1;
}
