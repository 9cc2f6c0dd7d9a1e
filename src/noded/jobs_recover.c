/* jobs_recover.c: a restarted sluiced takes over the job directories it
 * finds: results are reported, live stepds adopted, the rest failed. */
#include "jobs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "jobs_impl.h"
#include "steps.h"
#include "log.h"
#include "spool.h"
#include "task.h"

/* Is pid still the stepd of this job directory (not a reused pid)? */
static int is_our_stepd(pid_t pid, const char *dir)
{
    char path[64], buf[PATH_MAX + 64];
    const char *base = strrchr(dir, '/');
    int fd, found_stepd = 0, found_dir = 0;
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    base = base ? base + 1 : dir;
    for (char *p = buf; p < buf + n; p += strlen(p) + 1) {
        size_t len = strlen(p), blen = strlen(base);
        if (strstr(p, "sluicestepd"))
            found_stepd = 1;
        if (len >= blen && strcmp(p + len - blen, base) == 0)
            found_dir = 1;
    }
    return found_stepd && found_dir;
}

static void recover_one(jobs_t *js, uint64_t id)
{
    struct job *j = jobs_add(js, id);
    sl_error_t e;
    json_t *res;

    if (!j)
        return;
    res = spool_read_json(j->dir, "launch.json", &e);
    j->attempt = json_integer_value(json_object_get(res, "attempt"));
    json_decref(res);
    j->pid = jobs_read_pid(j->dir, "stepd.pid");
    if (j->pid && is_our_stepd(j->pid, j->dir) && jobs_watch(js, j, &e) == 0) {
        log_info("job %llu: adopted running sluicestepd %ld", (unsigned long long)id,
                 (long)j->pid);
        return;
    }
    j->pid = 0;
    /* Read after the liveness check: a stepd that just exited has written it. */
    res = spool_read_json(j->dir, "status.json", &e);
    if (res) {
        log_info("job %llu: reporting the result left in %s", (unsigned long long)id, j->dir);
        task_end(js->task, id, -1, res);
        jobs_set_result(js, j, res, 0);
        return;
    }
    log_warn("job %llu: no running sluicestepd and no result in %s", (unsigned long long)id,
             j->dir);
    task_end(js->task, id, -1, NULL);
    jobs_set_result(js, j, jobs_failure(id, "sluicestepd for job %llu on node %s is gone "
                                            "and left no result", (unsigned long long)id,
                                        js->node_name), 1);
}

/* The task plugins learn which jobs still run (task/cgroup removes the
 * cgroups of the others). */
static void jobs_recover_task(jobs_t *js)
{
    uint64_t *ids;
    size_t n = 0, all = 0;

    for (struct job *j = js->head; j; j = j->next)
        all++;
    if (!(ids = calloc(all + 1, sizeof(*ids)))) {
        log_error("out of memory: the task plugins are not told which jobs still run");
        return;
    }
    for (struct job *j = js->head; j; j = j->next) {
        if (!j->result)
            ids[n++] = j->id;
    }
    task_recover(js->task, ids, n);
    free(ids);
}

int jobs_recover(jobs_t *js, sl_error_t *e)
{
    DIR *d = opendir(js->spool);
    struct dirent *de;

    if (!d)
        return sl_errprintf(e, "cannot read spool directory %s: %s", js->spool,
                            strerror(errno));
    while ((de = readdir(d))) {
        char *end;
        unsigned long long id;

        if (strncmp(de->d_name, "job.", 4) != 0)
            continue;
        errno = 0;
        id = strtoull(de->d_name + 4, &end, 10);
        if (errno || *end || id == 0 || jobs_find(js, id))
            continue;
        recover_one(js, id);
    }
    closedir(d);
    steps_recover(js);
    jobs_recover_task(js);
    return 0;
}
