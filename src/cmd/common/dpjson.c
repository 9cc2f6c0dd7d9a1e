/* dpjson.c: see dpjson.h. */
#include "dpjson.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdutil.h"

json_t *dp_meta(const char *type, const char *name)
{
    return json_pack("{s:{s:s, s:s}, s:{s:{s:i, s:i, s:i}, s:s}, s:{s:s}}", "plugin", "type",
                     type, "name", name, "Slurm", "version", "major", 22, "micro", 8, "minor", 5,
                     "release", CMD_SLURM_VERSION, "sluice", "version", PACKAGE_VERSION);
}

void dp_print(int yaml, const char *type, const char *name, const char *key, json_t *items)
{
    json_t *doc = json_pack("{s:o, s:[], s:o}", "meta", dp_meta(type, name), "errors", key,
                            items);
    /* Slurm prints keys in the order it sets them; tools read keys, and
     * sorted output diffs well. */
    if (yaml)
        dp_yaml(doc, stdout);
    else if (json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) == 0)
        putchar('\n');
    json_decref(doc);
}

void dp_put(json_t *o, const char *path, json_t *v)
{
    char key[64];
    const char *slash;
    while ((slash = strchr(path, '/'))) {
        size_t n = (size_t)(slash - path) < sizeof(key) - 1 ? (size_t)(slash - path)
                                                            : sizeof(key) - 1;
        memcpy(key, path, n);
        key[n] = '\0';
        json_t *next = json_object_get(o, key);
        if (!json_is_object(next)) {
            next = json_object();
            json_object_set_new(o, key, next);
        }
        o = next;
        path = slash + 1;
    }
    json_object_set_new(o, path, v ? v : json_null());
}

json_t *dp_count(int64_t v)
{
    return v < 0 ? json_null() : json_integer((json_int_t)v);
}

json_t *dp_str(const char *s)
{
    return json_string(s ? s : "");
}

int64_t dp_wait_status(int64_t code, int64_t sig)
{
    return sig > 0 ? sig : (code & 0xff) << 8;
}

json_t *dp_exit_code(int ended, int64_t code, int64_t sig)
{
    if (!ended)
        return json_pack("{s:s, s:n}", "status", "PENDING", "return_code");
    if (sig > 0)
        return json_pack("{s:s, s:n, s:{s:I, s:s}}", "status", "SIGNALED", "return_code",
                         "signal", "signal_id", (json_int_t)sig, "name",
                         strsignal((int)sig));
    return json_pack("{s:s, s:I}", "status", code ? "ERROR" : "SUCCESS", "return_code",
                     (json_int_t)code);
}

static const struct {
    int id;
    const char *type, *name, *key;
} tres_names[] = {
    { DP_TRES_CPU, "cpu", "", "cpu" },          { DP_TRES_MEM, "mem", "", "mem" },
    { DP_TRES_NODE, "node", "", "node" },       { DP_TRES_BILLING, "billing", "", "billing" },
    { DP_TRES_VMEM, "vmem", "", "vmem" },       { DP_TRES_GPU, "gres", "gpu", "gres/gpu" },
};
#define N_TRES (sizeof(tres_names) / sizeof(tres_names[0]))

json_t *dp_tres(int id, int64_t count)
{
    for (size_t i = 0; i < N_TRES; i++)
        if (tres_names[i].id == id)
            return json_pack("{s:s, s:s, s:i, s:I}", "type", tres_names[i].type, "name",
                             tres_names[i].name, "id", id, "count", (json_int_t)count);
    return json_pack("{s:s, s:s, s:i, s:I}", "type", "", "name", "", "id", id, "count",
                     (json_int_t)count);
}

/* "100M", "4G", "12" (a count) -> MB for memory, the number otherwise. */
static int64_t tres_count(const char *v, int mem)
{
    char *end;
    double n = strtod(v, &end);
    if (!mem)
        return (int64_t)n;
    switch (*end) {
    case 'K': return (int64_t)(n / 1024);
    case 'G': return (int64_t)(n * 1024);
    case 'T': return (int64_t)(n * 1024 * 1024);
    default: return (int64_t)n;
    }
}

json_t *dp_tres_list(const char *tres)
{
    json_t *out = json_array();
    char *copy = strdup(tres ? tres : ""), *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq)
            continue;
        *eq = '\0';
        for (size_t i = 0; i < N_TRES; i++)
            if (!strcmp(item, tres_names[i].key))
                json_array_append_new(out, dp_tres(tres_names[i].id,
                                                   tres_count(eq + 1, tres_names[i].id ==
                                                                          DP_TRES_MEM)));
    }
    free(copy);
    return out;
}

json_t *dp_user_name(int64_t uid)
{
    struct passwd *pw = uid >= 0 ? getpwuid((uid_t)uid) : NULL;
    return pw ? json_string(pw->pw_name) : json_null();
}

json_t *dp_group_name(int64_t gid)
{
    struct group *gr = gid >= 0 ? getgrgid((gid_t)gid) : NULL;
    return gr ? json_string(gr->gr_name) : json_null();
}
