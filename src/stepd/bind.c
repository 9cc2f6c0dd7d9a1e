/* bind.c: the stepd's side of binding and cgroups (bind.h). */
#define _GNU_SOURCE
#include "bind.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cpubind.h"
#include "idset.h"
#include "log.h"

#define BIND_MAX_CPU (CPU_SETSIZE)

/* CPUs that exist and we may use: online, and in our own affinity (which
 * a confining cpuset narrows). */
static idset_t *cpus_here(void)
{
    idset_t *s = idset_create(BIND_MAX_CPU);
    cpu_set_t own;

    if (!s)
        return NULL;
    if (sched_getaffinity(0, sizeof(own), &own) < 0)
        CPU_ZERO(&own);
    for (int c = 0; c < BIND_MAX_CPU; c++) {
        char path[64];
        if (!CPU_ISSET(c, &own))
            continue;
        /* cpu0 has no "online" file on most kernels: it is always online. */
        snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", c);
        FILE *f = fopen(path, "re");
        int on = 1;
        if (f) {
            if (fscanf(f, "%d", &on) != 1)
                on = 1;
            fclose(f);
        }
        if (on)
            idset_set(s, (uint32_t)c);
    }
    return s;
}

static void mask_from(const idset_t *s, cpu_set_t *m)
{
    CPU_ZERO(m);
    for (uint32_t id = idset_first(s); id != IDSET_NONE; id = idset_next(s, id))
        if (id < BIND_MAX_CPU)
            CPU_SET(id, m);
}

/* want within here: the intersection; all of here (logged) when nothing
 * of want exists on this host. */
static idset_t *clip(const char *want_s, const char *who, const char *node)
{
    sl_error_t e;
    idset_t *want = idset_decode(want_s, TOPO_MAX_CPUS * 2, NULL, &e), *here = cpus_here();
    idset_t *got = NULL;

    if (!want || !here) {
        log_error("%s: cannot bind to CPUs '%s': %s", who, want_s, want ? "out of memory" :
                  e.text);
        goto out;
    }
    got = idset_create(BIND_MAX_CPU);
    for (uint32_t id = idset_first(want); got && id != IDSET_NONE; id = idset_next(want, id))
        if (idset_test(here, id))
            idset_set(got, id);
    if (got && idset_count(got) != idset_count(want)) {
        int none = idset_count(got) == 0;
        char *g;
        if (none) {
            idset_destroy(got);
            got = idset_copy(here);
        }
        g = got ? idset_encode(got) : NULL;
        log_info("%s: binding limited to CPUs that exist on %s: wanted %s, bound %s%s", who,
                 node, want_s, g ? g : "?",
                 none ? " (none of them exists here: all online CPUs)" : "");
        free(g);
    }
out:
    idset_destroy(want);
    idset_destroy(here);
    return got;
}

static void verbose_prepare(const json_t *rec, uint32_t task, uint32_t rank, const char *node,
                            const idset_t *got, struct bind_prep *b)
{
    const char *kind = json_string_value(json_object_get(rec, "cpu_bind_kind"));
    char *hex = cpubind_hex(got);

    b->verbose = 1;
    snprintf(b->line, sizeof(b->line), "cpu-bind=%s - %s, task %2u %2u [", kind ? kind : "MASK",
             node, rank, task);
    snprintf(b->tail, sizeof(b->tail), "]: mask %s set\n", hex ? hex : "0x0");
    free(hex);
}

void bind_prepare(const json_t *rec, uint32_t task, uint32_t rank, const char *node,
                  const char *who, struct bind_prep *b)
{
    json_t *procs = json_object_get(rec, "cgroup_procs");
    const char *want = json_string_value(json_array_get(json_object_get(rec, "task_cpus"),
                                                        task));
    idset_t *got;

    memset(b, 0, sizeof(*b));
    b->nprocs = json_array_size(procs);
    if (b->nprocs && (b->procs = calloc(b->nprocs, sizeof(*b->procs))))
        for (size_t i = 0; i < b->nprocs; i++)
            b->procs[i] = json_string_value(json_array_get(procs, i));
    if (!b->procs)
        b->nprocs = 0;
    if (!want || !(got = clip(want, who, node)))
        return;
    mask_from(got, &b->mask);
    b->have_mask = 1;
    if (json_is_true(json_object_get(rec, "cpu_bind_verbose")))
        verbose_prepare(rec, task, rank, node, got, b);
    idset_destroy(got);
}

void bind_free(struct bind_prep *b)
{
    free(b->procs);
    b->procs = NULL;
}

int bind_child(const struct bind_prep *b, char *msg, size_t len)
{
    for (size_t i = 0; i < b->nprocs; i++) {
        int fd = b->procs[i] ? open(b->procs[i], O_WRONLY | O_CLOEXEC) : -1;
        /* "0": the writing process itself. */
        if (fd < 0 || write(fd, "0", 1) != 1) {
            snprintf(msg, len, "could not join the job's cgroup %s: %s",
                     b->procs[i] ? b->procs[i] : "?", strerror(errno));
            if (fd >= 0)
                close(fd);
            return -1;
        }
        close(fd);
    }
    if (b->have_mask && sched_setaffinity(0, sizeof(b->mask), &b->mask) < 0) {
        snprintf(msg, len, "could not bind to the job's CPUs: sched_setaffinity: %s",
                 strerror(errno));
        return -1;
    }
    return 0;
}

/* Only system calls and stack buffers: the child may share our memory. */
void bind_child_verbose(const struct bind_prep *b)
{
    char pid[24], *p = pid + sizeof(pid);
    long v = (long)getpid();

    if (!b->verbose)
        return;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v && p > pid);
    (void)!write(2, b->line, strlen(b->line));
    (void)!write(2, p, (size_t)(pid + sizeof(pid) - p));
    (void)!write(2, b->tail, strlen(b->tail));
}
