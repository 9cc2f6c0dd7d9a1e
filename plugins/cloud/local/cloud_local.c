/* cloud/local: "instances" are sluiced processes on this machine, so power
 * saving and the cloud plugin interface can be watched and tested without a
 * cloud (doc/guide-elastic.md).
 *
 * An instance is a process that sleeps CloudLocalBootDelay seconds (its
 * boot), then becomes `sluiced -D -f CONF -N NODE` reporting the node's
 * configured hardware (SLUICE_FAKE_HW: a simulated machine is what its
 * configuration says).  CloudLocalFailRate percent of instances fail to
 * boot: they exit instead, and describe (or ResumeTimeout) finds it.  Each
 * instance has a pid file STATE/cloud_local/NODE.pid ("PID STARTTIME"):
 * suspend stops that pid (never a name), describe lists the files, and
 * contribs/devcluster's down stops them too.  Instances are started by a
 * launcher in a session of their own (launcher.h): they outlive a
 * controller that is killed, as cloud instances do. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cloud_api.h"
#include "launcher.h"
#include "plugin.h"

struct local {
    char sluiced[PATH_MAX];
    char conf[PATH_MAX];
    char dir[PATH_MAX];         /* pid files and instance logs */
    int boot_delay;
    int fail_rate;
    int nice;                   /* CloudLocalNice: the instances' priority */
    unsigned seed;
    struct launcher *launcher;  /* the instances' parent */
};

__attribute__((format(printf, 2, 3))) static int errf(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, CLOUD_ERR_LEN, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *setting(struct cloud_host *h, const char *key)
{
    const char *v = json_string_value(json_object_get(h->settings, key));
    return v && *v && strcmp(v, "(null)") != 0 ? v : NULL;
}

/* Beside sluicectld when installed; in a build tree src/noded/sluiced. */
static int find_sluiced(struct local *l, const char *ctld, char *err)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", ctld);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    const char *tries[] = { "sluiced", "../noded/sluiced" };
    for (size_t i = 0; i < 2; i++) {
        snprintf(l->sluiced, sizeof(l->sluiced), "%s/%s", dir, tries[i]);
        if (access(l->sluiced, X_OK) == 0)
            return 0;
    }
    return errf(err, "no sluiced beside %s: set CloudLocalSluiced=PATH", ctld);
}

static void *local_create(struct cloud_host *h, char *err)
{
    struct local *l = calloc(1, sizeof(*l));
    if (!l)
        return errf(err, "%s", "out of memory"), NULL;
    const char *s = setting(h, "CloudLocalSluiced");
    if (s)
        snprintf(l->sluiced, sizeof(l->sluiced), "%s", s);
    if ((s && access(l->sluiced, X_OK) < 0 && errf(err, "CloudLocalSluiced=%s is not an "
                                                   "executable program", s) < 0) ||
        (!s && find_sluiced(l, h->ctld_path, err) < 0)) {
        free(l);
        return NULL;
    }
    snprintf(l->conf, sizeof(l->conf), "%s", h->conf_path);
    snprintf(l->dir, sizeof(l->dir), "%s/cloud_local", h->state_dir);
    if (mkdir(l->dir, 0700) < 0 && errno != EEXIST) {
        errf(err, "cannot create %s", l->dir);
        free(l);
        return NULL;
    }
    s = setting(h, "CloudLocalBootDelay");
    l->boot_delay = s ? atoi(s) : 0;
    s = setting(h, "CloudLocalFailRate");
    l->fail_rate = s ? atoi(s) : 0;
    s = setting(h, "CloudLocalNice");
    l->nice = s ? atoi(s) : 0;
    l->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    char log[PATH_MAX + 16];
    snprintf(log, sizeof(log), "%s/launcher.log", l->dir);
    if (!(l->launcher = launcher_create(l->nice, log))) {
        free(l);
        return errf(err, "%s", "out of memory"), NULL;
    }
    return l;
}

static void local_destroy(void *p)
{
    struct local *l = p;
    if (l)
        launcher_destroy(l->launcher);
    free(l);
}

/* Field 22 of /proc/PID/stat: with the pid it names one process for ever. */
static unsigned long long proc_start(pid_t pid, int *alive)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    *alive = 0;
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return 0;
    char state = p[2];
    unsigned long long start = 0;
    p += 2;
    for (int field = 3; field < 22 && p; field++)
        p = strchr(p + 1, ' ');
    if (p)
        start = strtoull(p + 1, NULL, 10);
    *alive = state != 'Z' && state != 'X';
    return start;
}

static void pid_path(const struct local *l, const char *node, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s.pid", l->dir, node);
}

/* The instance recorded for node, if that process still runs. */
static pid_t instance_pid(const struct local *l, const char *node)
{
    char path[PATH_MAX];
    long pid = 0;
    unsigned long long start = 0;
    int alive;
    pid_path(l, node, path, sizeof(path));
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %llu", &pid, &start) != 2)
        pid = 0;
    fclose(f);
    if (pid <= 0 || proc_start((pid_t)pid, &alive) != start || !alive)
        return 0;
    return (pid_t)pid;
}

/* What the configuration says the node has (SLUICE_FAKE_HW). */
static void instance_hw(json_t *node, char *hw, size_t size)
{
    int len = snprintf(hw, size, "cpus=%lld,mem=%lld",
                       (long long)json_integer_value(json_object_get(node, "cpus")),
                       (long long)json_integer_value(json_object_get(node, "memory_mb")));
    const char *gt = json_string_value(json_object_get(node, "gpu_type"));
    if (json_integer_value(json_object_get(node, "gpus")) > 0 && len > 0 && (size_t)len < size)
        snprintf(hw + len, size - (size_t)len, ",gpus=%lld%s%.40s",
                 (long long)json_integer_value(json_object_get(node, "gpus")),
                 gt && *gt ? ",gputype=" : "", gt && *gt ? gt : "");
}

/* The instance's program: a shell that boots (sleeps), then becomes
 * sluiced, or fails.  Its pid stays the instance's through every exec.
 * The shell's arguments: $0 delay, $1 sluiced, $2 conf, $3 node. */
static const char boot_ok[] = "[ \"$0\" = 0 ] || sleep \"$0\"; exec \"$1\" -D -f \"$2\" -N \"$3\"";
static const char boot_fail[] = "sleep \"$0\"; echo \"cloud/local: instance for $3 failed to "
                                "boot (CloudLocalFailRate)\" >&2; exit 1";

/* Started by the launcher (launcher.h: one niced session for them all). */
static pid_t instance_start(struct local *l, json_t *node, char *why, size_t len)
{
    const char *name = json_string_value(json_object_get(node, "name"));
    int fail = l->fail_rate > 0 && (int)(rand_r(&l->seed) % 100) < l->fail_rate;
    char log[PATH_MAX], delay[16], hw[192];
    snprintf(log, sizeof(log), "%s/%s.log", l->dir, name);
    snprintf(delay, sizeof(delay), "%d", l->boot_delay);
    instance_hw(node, hw, sizeof(hw));
    struct instance_spec spec = { fail ? boot_fail : boot_ok, delay, l->sluiced, l->conf, name,
                                  hw, log };
    return launcher_start(l->launcher, &spec, why, len);
}

static int record_pid(const struct local *l, const char *node, pid_t pid)
{
    char path[PATH_MAX], tmp[PATH_MAX + 8];
    int alive;
    unsigned long long start = proc_start(pid, &alive);
    pid_path(l, node, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "%ld %llu\n", (long)pid, start);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

static int local_resume(void *p, json_t *req, json_t **result, char *err)
{
    struct local *l = p;
    json_t *inst = json_object(), *failed = json_object(), *node;
    size_t i;
    json_array_foreach(json_object_get(req, "nodes"), i, node) {
        const char *name = json_string_value(json_object_get(node, "name"));
        char id[64], why[160];
        pid_t pid = instance_pid(l, name);   /* idempotent: one instance per node */
        if (!pid && (pid = instance_start(l, node, why, sizeof(why))) > 0 &&
            record_pid(l, name, pid) < 0) {
            kill(pid, SIGKILL);
            snprintf(why, sizeof(why), "cannot record the instance in %s", l->dir);
            pid = -1;
        }
        if (pid > 0) {
            snprintf(id, sizeof(id), "local-%ld", (long)pid);
            json_object_set_new(inst, name, json_string(id));
        } else {
            json_object_set_new(failed, name, json_string(why));
        }
    }
    *result = json_pack("{s:o, s:o}", "instances", inst, "failed", failed);
    (void)err;
    return 0;
}

/* SIGTERM, and SIGKILL if it has not gone within 10 s (its parent, the
 * launcher, collects it). */
static void instance_stop(pid_t pid)
{
    int alive = 1;
    unsigned long long start = proc_start(pid, &alive);
    for (int i = 0; i < 300; i++) {
        if (i == 0 || i == 200)
            kill(pid, i ? SIGKILL : SIGTERM);
        if (proc_start(pid, &alive) != start || !alive)
            return;
        struct timespec ts = { 0, 50 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

static int local_suspend(void *p, json_t *req, json_t **result, char *err)
{
    struct local *l = p;
    json_t *node;
    size_t i;
    json_array_foreach(json_object_get(req, "nodes"), i, node) {
        const char *name = json_string_value(json_object_get(node, "name"));
        char path[PATH_MAX];
        pid_t pid = name ? instance_pid(l, name) : 0;
        if (pid > 0)
            instance_stop(pid);
        if (name) {
            pid_path(l, name, path, sizeof(path));
            unlink(path);
        }
    }
    *result = json_pack("{s:{}}", "failed");
    (void)err;
    return 0;
}

static int local_describe(void *p, json_t **result, char *err)
{
    struct local *l = p;
    DIR *d = opendir(l->dir);
    if (!d)
        return errf(err, "cannot read %s", l->dir);
    json_t *list = json_array();
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".pid") != 0)
            continue;
        char node[256], id[64];
        snprintf(node, sizeof(node), "%.*s", (int)(n - 4), de->d_name);
        pid_t pid = instance_pid(l, node);
        snprintf(id, sizeof(id), "local-%ld", (long)pid);
        json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "id", id, "node", node,
                                              "running", pid > 0));
    }
    closedir(d);
    *result = json_pack("{s:o}", "instances", list);
    return 0;
}

static const struct cloud_ops ops = {
    .api = CLOUD_API_ABI,
    .create = local_create,
    .destroy = local_destroy,
    .resume = local_resume,
    .suspend = local_suspend,
    .describe = local_describe,
};

const struct sl_plugin sluice_plugin = { "cloud", "local", SL_PLUGIN_ABI, &ops };
