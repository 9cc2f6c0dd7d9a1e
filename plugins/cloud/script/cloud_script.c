/* cloud/script: Slurm's ResumeProgram, SuspendProgram and ResumeFailProgram,
 * so that sites keep the scripts they have.
 *
 * Each program runs with the nodes' host list as its only argument, the
 * controller's environment, and for ResumeProgram SLURM_RESUME_FILE naming
 * a JSON file in Slurm's format:
 *   {"all_nodes_resume": "n[3-4]", "jobs": [{"extra": null, "features": "",
 *    "job_id": 12, "nodes_alloc": "n[3-4]", "nodes_resume": "n[3-4]",
 *    "oversubscribe": "OK", "partition": "cloud", "reservation": null}]}
 * The call waits for the program (it runs on the controller's cloud
 * worker, never its event loop) for at most SCRIPT_WAIT_S; a program that
 * fails (non-zero exit, signal, no exit in time) fails the resume of its
 * nodes, which then go DOWN.  Scripts cannot list instances: describe says
 * so, and ResumeTimeout is what finds a node that did not come. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cloud_api.h"
#include "plugin.h"

/* Longest a program may run before it is killed and its call failed. */
#define SCRIPT_WAIT_S 300

struct script {
    char *resume, *suspend, *resume_fail;
    char dir[PATH_MAX];         /* SLURM_RESUME_FILE files */
};

__attribute__((format(printf, 2, 3))) static int errf(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, CLOUD_ERR_LEN, fmt, ap);
    va_end(ap);
    return -1;
}

static char *setting(struct cloud_host *h, const char *key)
{
    const char *v = json_string_value(json_object_get(h->settings, key));
    return v && *v && strcmp(v, "(null)") != 0 ? strdup(v) : NULL;
}

static void script_destroy(void *p)
{
    struct script *s = p;
    if (!s)
        return;
    free(s->resume);
    free(s->suspend);
    free(s->resume_fail);
    free(s);
}

static int check_program(const char *key, const char *path, char *err)
{
    if (!path)
        return errf(err, "cloud/script needs %s=PATH", key);
    if (path[0] != '/' || access(path, X_OK) < 0)
        return errf(err, "%s=%s is not an executable program given by its absolute path", key,
                    path);
    return 0;
}

static void *script_create(struct cloud_host *h, char *err)
{
    struct script *s = calloc(1, sizeof(*s));
    if (!s)
        return errf(err, "out of memory"), NULL;
    s->resume = setting(h, "ResumeProgram");
    s->suspend = setting(h, "SuspendProgram");
    s->resume_fail = setting(h, "ResumeFailProgram");
    snprintf(s->dir, sizeof(s->dir), "%s", h->state_dir);
    if (check_program("ResumeProgram", s->resume, err) < 0 ||
        check_program("SuspendProgram", s->suspend, err) < 0 ||
        (s->resume_fail && check_program("ResumeFailProgram", s->resume_fail, err) < 0)) {
        script_destroy(s);
        return NULL;
    }
    return s;
}

/* Run prog hostlist [with SLURM_RESUME_FILE=file]; 0 when it exits 0. */
extern char **environ;

/* The environment is built before fork: the controller has other threads,
 * and the child may only make async-signal-safe calls until exec. */
static char **program_env(const char *file, char *var, size_t len)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 2, sizeof(char *));
    size_t k = 0;
    for (size_t i = 0; env && i < n; i++)
        if (strncmp(environ[i], "SLURM_RESUME_FILE=", 18) != 0)
            env[k++] = environ[i];
    if (env && file) {
        snprintf(var, len, "SLURM_RESUME_FILE=%s", file);
        env[k] = var;
    }
    return env;
}

static int run_program(const char *prog, const char *hosts, const char *file, char *err)
{
    char var[PATH_MAX + 32];
    char **env = program_env(file, var, sizeof(var));
    if (!env)
        return errf(err, "out of memory");
    char *argv[] = { (char *)prog, (char *)hosts, NULL };
    pid_t pid = fork();
    if (pid < 0) {
        free(env);
        return errf(err, "%s: fork: %s", prog, strerror(errno));
    }
    if (pid == 0) {
        setpgid(0, 0);
        signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (close_range(3, ~0U, 0) < 0)   /* one call, not 65,533 */
            for (int fd = 3; fd < 65536; fd++)
                close(fd);
        execve(prog, argv, env);
        _exit(127);
    }
    free(env);
    int status = 0;
    for (int waited = 0;; waited++) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            return errf(err, "%s: waitpid: %s", prog, strerror(errno));
        if (waited >= SCRIPT_WAIT_S * 10) {
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            return errf(err, "%s %s did not finish within %d s: killed", prog, hosts,
                        SCRIPT_WAIT_S);
        }
        struct timespec ts = { 0, 100 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status))
        return errf(err, "%s %s exited %d", prog, hosts, WEXITSTATUS(status));
    return errf(err, "%s %s was killed by signal %d", prog, hosts, WTERMSIG(status));
}

/* Slurm's SLURM_RESUME_FILE from the controller's "jobs". */
static int resume_file(struct script *s, json_t *req, char *path, size_t len, char *err)
{
    json_t *jobs = json_array(), *j;
    size_t i;
    json_array_foreach(json_object_get(req, "jobs"), i, j) {
        json_array_append_new(jobs, json_pack("{s:n, s:O, s:O, s:O, s:O, s:s, s:O, s:n}",
                                              "extra", "features",
                                              json_object_get(j, "features"), "job_id",
                                              json_object_get(j, "job_id"), "nodes_alloc",
                                              json_object_get(j, "nodes_alloc"), "nodes_resume",
                                              json_object_get(j, "nodes_resume"),
                                              "oversubscribe", "OK", "partition",
                                              json_object_get(j, "partition"), "reservation"));
    }
    json_t *doc = json_pack("{s:O, s:o}", "all_nodes_resume", json_object_get(req, "all_nodes"),
                            "jobs", jobs);
    snprintf(path, len, "%s/resume.XXXXXX", s->dir);
    int fd = mkstemp(path);
    int rc = fd < 0 ? -1 : json_dumpfd(doc, fd, JSON_INDENT(2));
    if (fd >= 0)
        close(fd);
    json_decref(doc);
    if (rc < 0)
        return errf(err, "cannot write SLURM_RESUME_FILE in %s", s->dir);
    return 0;
}

/* Every node of the request: an instance named after it, or its failure. */
static json_t *result_for(json_t *req, const char *why)
{
    json_t *inst = json_object(), *failed = json_object(), *n;
    size_t i;
    json_array_foreach(json_object_get(req, "nodes"), i, n) {
        const char *name = json_string_value(json_object_get(n, "name"));
        char id[300];
        snprintf(id, sizeof(id), "script-%s", name);
        json_object_set_new(why ? failed : inst, name, json_string(why ? why : id));
    }
    return json_pack("{s:o, s:o}", "instances", inst, "failed", failed);
}

static int script_resume(void *p, json_t *req, json_t **result, char *err)
{
    struct script *s = p;
    char file[PATH_MAX], why[CLOUD_ERR_LEN] = "";
    const char *hosts = json_string_value(json_object_get(req, "all_nodes"));
    if (resume_file(s, req, file, sizeof(file), why) == 0) {
        run_program(s->resume, hosts ? hosts : "", file, why);
        unlink(file);
    }
    *result = result_for(req, why[0] ? why : NULL);
    (void)err;
    return 0;
}

static int script_suspend(void *p, json_t *req, json_t **result, char *err)
{
    struct script *s = p;
    const char *hosts = json_string_value(json_object_get(req, "all_nodes"));
    const char *prog = json_is_true(json_object_get(req, "resume_failed")) && s->resume_fail
                           ? s->resume_fail : s->suspend;
    char why[CLOUD_ERR_LEN] = "";
    json_t *failed = json_object(), *n;
    size_t i;
    if (run_program(prog, hosts ? hosts : "", NULL, why) < 0)
        json_array_foreach(json_object_get(req, "nodes"), i, n)
            json_object_set_new(failed, json_string_value(json_object_get(n, "name")),
                                json_string(why));
    *result = json_pack("{s:o}", "failed", failed);
    (void)err;
    return 0;
}

static int script_describe(void *p, json_t **result, char *err)
{
    *result = json_pack("{s:b, s:[]}", "complete", 0, "instances");
    return 0;
}

static const struct cloud_ops ops = {
    .api = CLOUD_API_ABI,
    .create = script_create,
    .destroy = script_destroy,
    .resume = script_resume,
    .suspend = script_suspend,
    .describe = script_describe,
};

const struct sl_plugin sluice_plugin = { "cloud", "script", SL_PLUGIN_ABI, &ops };
