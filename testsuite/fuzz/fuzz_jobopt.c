/* fuzz_jobopt.c: the job submission options (jobopt*.c) as sbatch meets
 * them.  The first byte picks the way in, the rest is the input:
 *   0  a script whose #SBATCH lines are applied (jobopt_parse_script),
 *   1  a command line, words separated by NUL bytes (jobopt_parse_argv),
 *   2  one option: NAME, a NUL, then its argument (jobopt_set),
 *   3  input variables, NAME=VALUE lines (jobopt_parse_env).
 * The second byte picks the command (sbatch, srun, salloc).  Promises
 * checked: an accepted option is stored (nothing accepted is lost), the
 * job spec survives a JSON round trip as the controller will receive it,
 * and a refusal says why. */
#include "fuzz.h"
#include "jobopt_impl.h"

static const unsigned cmds[] = { JOBOPT_SBATCH, JOBOPT_SRUN, JOBOPT_SALLOC };

/* The job spec and local settings as they would be sent: encodable, and
 * decoding the text gives them back. */
static void check_sendable(const jobopt_t *o)
{
    const json_t *parts[] = { o->spec, o->local };
    for (size_t i = 0; i < 2; i++) {
        char *text = json_dumps(parts[i], JSON_COMPACT);
        json_t *back;
        FUZZ_CHECK(json_is_object(parts[i]) && text, "spec not encodable");
        back = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
        FUZZ_CHECK(back && json_equal(back, parts[i]), "spec changed in transit: %s", text);
        json_decref(back);
        free(text);
    }
}

static const struct jobopt_def *def_find(const jobopt_t *o, const char *name)
{
    for (size_t i = 0; i < jobopt_count; i++)
        if ((jobopt_table[i].cmds & o->cmd) && strcmp(jobopt_table[i].name, name) == 0)
            return &jobopt_table[i];
    return NULL;
}

static void one_option(jobopt_t *o, const char *in, size_t len)
{
    const char *name = in, *arg = NULL;
    size_t nlen = strnlen(in, len);
    const struct jobopt_def *d;
    sl_error_t e;
    char *n, *a = NULL;
    if (nlen < len)
        arg = in + nlen + 1;
    n = fuzz_str((const uint8_t *)name, nlen);
    if (arg)
        a = fuzz_str((const uint8_t *)arg, len - nlen - 1);
    if (jobopt_set(o, n, a, &e) < 0) {
        FUZZ_CHECK(e.text[0], "--%s refused without a message", n);
    } else if ((d = def_find(o, n)) && d->field) {
        const json_t *where = d->local ? o->local : o->spec;
        /* --nodes stores nodes_min/nodes_max rather than its field. */
        FUZZ_CHECK(json_object_get(where, d->field) || json_object_get(where, "nodes_min"),
                   "--%s='%s' accepted but not stored", n, a ? a : "(none)");
    }
    free(n);
    free(a);
}

static void command_line(jobopt_t *o, const char *in, size_t len)
{
    char *argv[64];
    int argc = 0, rc;
    sl_error_t e;
    argv[argc++] = strdup("sbatch");
    for (size_t at = 0; at <= len && argc < 63;) {
        size_t w = strnlen(in + at, len - at);
        argv[argc++] = fuzz_str((const uint8_t *)in + at, w);
        at += w + 1;
    }
    argv[argc] = NULL;
    rc = jobopt_parse_argv(o, argc, argv, &e);
    FUZZ_CHECK(rc >= 1 ? rc <= argc : rc == -1 && e.text[0], "rc %d of %d words", rc, argc);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
}

/* Input variables: the NAME=VALUE lines of the input. */
static char *env_text;

static const char *env_get(const char *name)
{
    size_t n = strlen(name);
    for (const char *p = env_text; p && *p;) {
        const char *end = strchr(p, '\n');
        if (strncmp(p, name, n) == 0 && p[n] == '=') {
            static char val[4096];
            size_t vlen = (end ? (size_t)(end - p) : strlen(p)) - n - 1;
            snprintf(val, sizeof(val), "%.*s", (int)vlen, p + n + 1);
            return val;
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jobopt_t *o;
    sl_error_t e;
    char *s;
    if (size < 2 || size > 4096)
        return 0;
    /* --nodelist/--exclude of millions of names: legal, only slow.  The
     * estimate reads the words after NUL separators too. */
    s = fuzz_str(data + 2, size - 2);
    for (size_t i = 0; i < size - 2; i++)
        s[i] = s[i] ? s[i] : '\n';
    if (fuzz_hostlist_size(s) > 5000) {
        free(s);
        return 0;
    }
    free(s);
    s = fuzz_str(data + 2, size - 2);
    o = jobopt_create(cmds[data[1] % 3]);
    o->now = INT64_C(1700000000);
    switch (data[0] % 4) {
    case 0:
        if (jobopt_parse_script(o, s, &e) < 0)
            FUZZ_CHECK(strstr(e.text, "script line "), "script refused: '%s'", e.text);
        break;
    case 1:
        command_line(o, (const char *)data + 2, size - 2);
        break;
    case 2:
        one_option(o, (const char *)data + 2, size - 2);
        break;
    case 3:
        env_text = s;
        if (jobopt_parse_env(o, env_get, &e) < 0)
            FUZZ_CHECK(e.text[0], "environment refused without a message");
        env_text = NULL;
        break;
    }
    check_sendable(o);
    free(s);
    jobopt_destroy(o);
    return 0;
}
