/* cmdutil.c: see cmdutil.h. */
#define _GNU_SOURCE
#include "cmdutil.h"

#include <ctype.h>
#include <pwd.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dpjson.h"
#include "jobarray.h"
#include "jobfmt.h"
#include "jobspec.h"
#include "log.h"
#include "parse.h"

static struct {
    const char *prog;
    conf_t *conf;
    sl_client_t *client;
} C = { "sluice", NULL, NULL };

void cmd_init(const char *prog)
{
    C.prog = prog;
    log_init(prog, LOG_LVL_INFO, NULL, 0);
}

void cmd_args_utf8(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        char shown[200], what[260];
        sl_error_t e;
        text_escape(argv[i], strlen(argv[i]), shown, sizeof(shown));
        snprintf(what, sizeof(what), "argument %d '%s'", i, shown);
        if (utf8_check(argv[i], what, &e))
            cmd_die("%s", e.text);
    }
}

const char *cmd_prog(void)
{
    return C.prog;
}

/* Tools read "slurm X.Y.Z" from --version (Snakemake's executor, site
 * scripts with cut -d' ' -f2): the first two words are Slurm's, the
 * version whose interface Sluice follows; Sluice's own follows in
 * parentheses. */
void cmd_version(void)
{
    printf("slurm %s (sluice %s)\n", CMD_SLURM_VERSION, PACKAGE_VERSION);
}

int cmd_iterate_parse(const char *arg)
{
    char *end;
    long n = strtol(arg, &end, 10);
    if (end == arg || *end || n <= 0 || n > 1000000000L)
        cmd_die("Error: invalid entry for --iterate=%s", arg);
    return (int)n;
}

void cmd_print_date(FILE *out)
{
    char when[64];
    time_t now = time(NULL);
    strftime(when, sizeof(when), "%a %b %d %H:%M:%S %Y", localtime(&now));
    fprintf(out, "%s\n", when);
}

void cmd_iterate_wait(int seconds)
{
    putchar('\n');
    fflush(stdout);
    sleep((unsigned)seconds);
}

json_t *cmd_json_meta(void)
{
    return dp_meta(DP_PLUGIN_V38);
}

void cmd_die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: error: ", C.prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    cmd_fini();
    exit(1);
}

void cmd_die_getopt(int c, char **argv)
{
    /* A missing argument is at the end of argv: the element before optind
     * is the option.  An unknown long option has moved optind past itself
     * and leaves optopt 0; an unknown short one sets optopt. */
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    if (c == ':' && strncmp(arg, "--", 2) != 0)
        fprintf(stderr, "%s: option requires an argument -- '%c'\n", C.prog, optopt);
    else if (c == ':')
        fprintf(stderr, "%s: option '%s' requires an argument\n", C.prog, arg);
    else if (optopt)
        fprintf(stderr, "%s: invalid option -- '%c'\n", C.prog, optopt);
    else
        fprintf(stderr, "%s: unrecognized option '%s'\n", C.prog, arg);
    fprintf(stderr, "Try \"%s --help\" for more information\n", C.prog);
    cmd_fini();
    exit(1);
}

conf_t *cmd_conf_load(void)
{
    sl_error_t e;
    if (!C.conf && !(C.conf = conf_load(conf_default_path(), &e)))
        cmd_die("%s", e.text);
    return C.conf;
}

conf_t *cmd_conf_try(void)
{
    if (!C.conf)
        C.conf = conf_load(conf_default_path(), NULL);
    return C.conf;
}

sl_client_t *cmd_client(void)
{
    sl_error_t e;
    if (!C.client && !(C.client = client_open_deferred(cmd_conf_load(), &e)))
        cmd_die("%s", e.text);
    return C.client;
}

void cmd_client_drop(void)
{
    client_close(C.client);
    C.client = NULL;
}

json_t *cmd_try(const char *op, json_t *body, sl_error_t *e)
{
    return client_call(cmd_client(), op, body, e);
}

json_t *cmd_call(const char *op, json_t *body)
{
    sl_error_t e;
    json_t *reply = cmd_try(op, body, &e);
    if (!reply)
        cmd_die("%s", e.text);
    return reply;
}

void cmd_fini(void)
{
    client_close(C.client);
    conf_destroy(C.conf);
    C.client = NULL;
    C.conf = NULL;
}

/* Split on commas outside brackets ("1_[2,4]" is one item) and call fn on
 * each non-empty item. */
static int list_each(const char *s, int (*fn)(const char *item, json_t *arr,
                                              void *arg, sl_error_t *e),
                     json_t *arr, void *arg, sl_error_t *e)
{
    char *buf = strdup(s ? s : "");
    char *p = buf, *start = buf;
    int depth = 0, rc = 0;
    if (!buf)
        return sl_errprintf(e, "out of memory");
    for (;; p++) {
        if (*p == '[')
            depth++;
        else if (*p == ']' && depth > 0)
            depth--;
        else if ((*p == ',' && depth == 0) || *p == '\0') {
            int last = *p == '\0';
            *p = '\0';
            if (*start && (rc = fn(start, arr, arg, e)) < 0)
                break;
            if (last)
                break;
            start = p + 1;
        }
    }
    free(buf);
    return rc;
}

static int task_ok(uint32_t idx, void *arg)
{
    return 0;
}

/* After "123_": one index ("7") or a bracketed list ("[1-3,9]"). */
static int tasks_valid(const char *t)
{
    size_t n = strlen(t);
    char *inner;
    int rc;
    if (n > 0 && strspn(t, "0123456789") == n)
        return 1;
    if (n < 3 || t[0] != '[' || t[n - 1] != ']' || !(inner = strndup(t + 1, n - 2)))
        return 0;
    rc = jobarray_each(inner, task_ok, NULL, NULL);
    free(inner);
    return rc == 0;
}

static int item_id(const char *item, json_t *arr, void *arg, sl_error_t *e)
{
    char *end;
    unsigned long long v = strtoull(item, &end, 10);
    if (!isdigit((unsigned char)item[0]) || v == 0 || v > INT32_MAX)
        return sl_errprintf(e, "Invalid job id: %s", item);
    if (*end == '\0')
        return json_array_append_new(arr, json_integer((json_int_t)v));
    /* "123+1": component 1 of heterogeneous job 123 (the controller checks
     * the component's number). */
    if (*end == '+' && end[1] && strspn(end + 1, "0123456789") == strlen(end + 1) &&
        strlen(end + 1) < 3)
        return json_array_append_new(arr, json_string(item));
    if (*end != '_' || !tasks_valid(end + 1))
        return sl_errprintf(e, "Invalid job id: %s", item);
    return json_array_append_new(arr, json_string(item));
}

int cmd_list_ids(const char *s, json_t *arr, sl_error_t *e)
{
    return list_each(s, item_id, arr, NULL, e);
}

static int item_user(const char *item, json_t *arr, void *arg, sl_error_t *e)
{
    struct passwd *pw = getpwnam(item);
    char *end;
    if (!pw && isdigit((unsigned char)item[0])) {
        unsigned long uid = strtoul(item, &end, 10);
        if (*end == '\0')
            pw = getpwuid((uid_t)uid);
    }
    if (!pw)
        return sl_errprintf(e, "Invalid user: %s", item);
    return json_array_append_new(arr, json_string(pw->pw_name));
}

int cmd_list_users(const char *s, json_t *arr, sl_error_t *e)
{
    return list_each(s, item_user, arr, NULL, e);
}

static int item_state(const char *item, json_t *arr, void *arg, sl_error_t *e)
{
    const char *name;
    if (strcasecmp(item, "all") == 0) {
        *(int *)arg = 1;
        return 0;
    }
    if (!(name = jobfmt_state_parse(item)))
        return sl_errprintf(e, "Invalid job state specified: %s", item);
    return json_array_append_new(arr, json_string(name));
}

int cmd_list_states(const char *s, json_t *arr, int *all, sl_error_t *e)
{
    int dummy = 0;
    return list_each(s, item_state, arr, all ? all : &dummy, e);
}

static int item_str(const char *item, json_t *arr, void *arg, sl_error_t *e)
{
    return json_array_append_new(arr, json_string(item));
}

int cmd_list_strs(const char *s, json_t *arr)
{
    return list_each(s, item_str, arr, NULL, NULL);
}

void cmd_user_value(const json_t *v, char *buf, size_t len)
{
    struct passwd *pw;
    if (json_is_integer(v) && (pw = getpwuid((uid_t)json_integer_value(v))))
        snprintf(buf, len, "%s", pw->pw_name);
    else
        jobfmt_value(v, buf, len);
}

const char *cmd_username(void)
{
    static char name[64];
    struct passwd *pw = getpwuid(getuid());
    if (pw)
        snprintf(name, sizeof(name), "%s", pw->pw_name);
    else
        snprintf(name, sizeof(name), "uid %u", (unsigned)getuid());
    return name;
}

int64_t cmd_int(const json_t *rec, const char *key)
{
    return (int64_t)json_integer_value(json_object_get(rec, key));
}

const char *cmd_str(const json_t *rec, const char *key)
{
    const char *s = json_string_value(json_object_get(rec, key));
    return s ? s : "";
}

void cmd_submit_line(json_t *spec, int argc, char **argv)
{
    char *line = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&line, &len);
    if (!m)
        return;
    for (int i = 0; i < argc; i++)
        fprintf(m, "%s%s", i ? " " : "", argv[i]);
    fclose(m);
    if (line && len < JOBSPEC_EXEC_STR_MAX && utf8_invalid_at(line, len) < 0)
        json_object_set_new(spec, "submit_line", json_string(line));
    free(line);
}
