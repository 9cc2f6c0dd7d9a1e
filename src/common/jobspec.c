/* jobspec.c: the limits of a job spec (see jobspec.h). */
#include "jobspec.h"

#include <stdio.h>
#include <string.h>

/* Length limits of the top-level string fields; the label names the field
 * as the protocol does and the sbatch option that sets it.  Slurm checks the
 * same fields against the same limits (1024 for names and free text,
 * PATH_MAX for paths). */
static const struct {
    const char *key;
    const char *label;
    size_t max;
} str_limits[] = {
    { "name", "name (--job-name)", JOBSPEC_NAME_MAX },
    { "account", "account (--account)", JOBSPEC_NAME_MAX },
    { "comment", "comment (--comment)", JOBSPEC_NAME_MAX },
    { "submit_line", "submitting command line", JOBSPEC_EXEC_STR_MAX },
    { "partition", "partition (--partition)", JOBSPEC_NAME_MAX },
    { "qos", "qos (--qos)", JOBSPEC_NAME_MAX },
    { "reservation", "reservation (--reservation)", JOBSPEC_NAME_MAX },
    { "constraint", "constraint (--constraint)", JOBSPEC_NAME_MAX },
    { "share", "share (--share)", JOBSPEC_NAME_MAX },
    { "mail_user", "mail_user (--mail-user)", JOBSPEC_NAME_MAX },
    { "mail_type", "mail_type (--mail-type)", JOBSPEC_NAME_MAX },
    { "job_definition", "job_definition (--job-definition)", JOBSPEC_NAME_MAX },
    { "cwd", "cwd (the working directory, --chdir)", JOBSPEC_PATH_MAX },
    { "submit_dir", "submit_dir (the submit directory)", JOBSPEC_PATH_MAX },
    { "stdout", "stdout (--output)", JOBSPEC_PATH_MAX },
    { "stderr", "stderr (--error)", JOBSPEC_PATH_MAX },
    { "stdin", "stdin (--input)", JOBSPEC_PATH_MAX },
    { "command", "command (the script's path)", JOBSPEC_PATH_MAX },
    { "array", "array (--array)", 4096 },
    { "nodelist", "nodelist (--nodelist)", 64u * 1024 },
    { "exclude", "exclude (--exclude)", 64u * 1024 },
    { "dependency", "dependency (--dependency)", 128u * 1024 },
    { "script", "script", JOBSPEC_SCRIPT_MAX },
};

/* Length of the UTF-8 sequence starting at s[0] (at most len bytes), or 0
 * when it is not valid (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4;
    else
        return 0;
    if (s[0] == 0xE0)
        lo = 0xA0;
    else if (s[0] == 0xED)
        hi = 0x9F;
    else if (s[0] == 0xF0)
        lo = 0x90;
    else if (s[0] == 0xF4)
        hi = 0x8F;
    if (len < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

long utf8_invalid_at(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(u + i, len - i);
        if (!n)
            return (long)i;
        i += n;
    }
    return -1;
}

const char *utf8_check(const char *s, const char *what, sl_error_t *e)
{
    long at = s ? utf8_invalid_at(s, strlen(s)) : -1;
    if (at < 0)
        return NULL;
    sl_errprintf(e, "%s is not valid UTF-8 (byte 0x%02X at offset %ld): Sluice carries "
                    "text as UTF-8 and never alters it", what, (unsigned char)s[at], at);
    return e ? e->text : "";
}

void text_escape(const char *s, size_t len, char *out, size_t outlen)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0;
    if (!outlen)
        return;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq(u + i, len - i);
        int plain = n > 1 || (n == 1 && u[i] >= 0x20 && u[i] != 0x7F);
        size_t need = plain ? n : 4;
        if (o + need + 4 > outlen) {   /* room for "..." and the NUL */
            snprintf(out + o, outlen - o, "...");
            return;
        }
        if (plain)
            memcpy(out + o, u + i, n);
        else
            snprintf(out + o, outlen - o, "\\x%02X", u[i]);
        o += need;
        i += n ? n : 1;
    }
    out[o] = '\0';
}

static int str_check(const json_t *v, const char *label, size_t max, sl_error_t *e)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v), nul = strlen(s);
    if (nul < len)
        return sl_errprintf(e, "%s contains a NUL byte at offset %zu", label, nul);
    if (len > max)
        return sl_errprintf(e, "%s is %zu bytes long; the limit is %zu bytes", label, len, max);
    return 0;
}

/* Any string anywhere in v: no NUL byte, at most max bytes (names of object
 * members too). */
static int tree_check(const json_t *v, const char *label, size_t max, sl_error_t *e)
{
    char sub[160];
    if (json_is_string(v))
        return str_check(v, label, max, e);
    /* A member's label is only written when it fails: an environment of
     * 100,000 variables is checked on every submission. */
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (tree_check(json_array_get(v, i), "", max, NULL) == 0)
                continue;
            snprintf(sub, sizeof(sub), "%s[%zu]", label, i);
            return tree_check(json_array_get(v, i), sub, max, e);
        }
    } else if (json_is_object(v)) {
        const char *k;
        const json_t *m;
        json_object_foreach((json_t *)v, k, m) {
            char name[64];
            if (strlen(k) > max)
                return sl_errprintf(e, "%s: a member name is %zu bytes long; the limit is %zu",
                                    label, strlen(k), max);
            if (tree_check(m, "", max, NULL) == 0)
                continue;
            text_escape(k, strlen(k), name, sizeof(name));
            snprintf(sub, sizeof(sub), "%s.%s", label, name);
            return tree_check(m, sub, max, e);
        }
    }
    return 0;
}

/* The environment as execve will see it: NAME=value strings. */
static int env_check(const json_t *env, size_t *exec_bytes, sl_error_t *e)
{
    const char *k;
    const json_t *v;
    if (!env)
        return 0;
    if (!json_is_object(env))
        return sl_errprintf(e, "invalid job spec: env must be an object");
    json_object_foreach((json_t *)env, k, v) {
        char name[64];
        size_t len = strlen(k) + 1 + json_string_length(v) + 1;
        int bad_name = !*k || strchr(k, '=');
        if (!bad_name && json_is_string(v) && len <= JOBSPEC_EXEC_STR_MAX) {
            *exec_bytes += len + sizeof(char *);
            continue;
        }
        text_escape(k, strlen(k), name, sizeof(name));
        if (bad_name)
            return sl_errprintf(e, "invalid environment variable name '%s': it must be "
                                   "non-empty and hold no '='", name);
        if (!json_is_string(v))
            return sl_errprintf(e, "invalid job spec: env value of %s must be a string", name);
        return sl_errprintf(e, "environment variable %s is %zu bytes as NAME=value; "
                               "Linux's execve takes at most %u bytes per string "
                               "(MAX_ARG_STRLEN)", name, len - 1, JOBSPEC_EXEC_STR_MAX - 1);
    }
    return 0;
}

static int argv_check(const json_t *argv, size_t *exec_bytes, sl_error_t *e)
{
    if (!argv)
        return 0;
    if (!json_is_array(argv))
        return sl_errprintf(e, "invalid job spec: argv must be an array of strings");
    for (size_t i = 0; i < json_array_size(argv); i++) {
        const json_t *a = json_array_get(argv, i);
        if (!json_is_string(a))
            return sl_errprintf(e, "invalid job spec: argv[%zu] must be a string", i);
        if (json_string_length(a) + 1 > JOBSPEC_EXEC_STR_MAX)
            return sl_errprintf(e, "script argument %zu is %zu bytes; Linux's execve takes at "
                                   "most %u bytes per string (MAX_ARG_STRLEN)", i + 1,
                                json_string_length(a), JOBSPEC_EXEC_STR_MAX - 1);
        *exec_bytes += json_string_length(a) + 1 + sizeof(char *);
    }
    return 0;
}

int jobspec_check(const json_t *spec, sl_error_t *e)
{
    const char *k;
    const json_t *v;
    const json_t *env = json_object_get(spec, "env"), *argv = json_object_get(spec, "argv");
    size_t exec_bytes = 0;
    json_object_foreach((json_t *)spec, k, v) {
        const char *label = k;
        size_t max = json_is_string(v) ? JOBSPEC_NAME_MAX : JOBSPEC_EXEC_STR_MAX - 1;
        for (size_t i = 0; i < sizeof(str_limits) / sizeof(str_limits[0]); i++) {
            if (strcmp(k, str_limits[i].key) == 0) {
                label = str_limits[i].label;
                max = str_limits[i].max;
            }
        }
        if (tree_check(v, label, max, e) < 0)
            return -1;
    }
    if (env_check(env, &exec_bytes, e) < 0 || argv_check(argv, &exec_bytes, e) < 0)
        return -1;
    if (exec_bytes > JOBSPEC_EXEC_MAX)
        return sl_errprintf(e, "the environment (%zu variables) and arguments (%zu) take %zu "
                               "bytes as execve counts them (strings and pointers); Linux "
                               "accepts at most %u bytes (6 MiB) whatever the stack limit",
                            json_object_size(env), json_array_size(argv), exec_bytes,
                            JOBSPEC_EXEC_MAX);
    return 0;
}
