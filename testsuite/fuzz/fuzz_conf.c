/* fuzz_conf.c: the sluice.conf parser (conf*.c).  The input is written as
 * main.conf in a private temporary directory beside inc.conf, a small file
 * it may Include; an Include naming a path with '/' in it is skipped so the
 * parser never reads outside that directory (a device would block it).
 * Promises checked on a file that loads: every partition node resolves to
 * a node of that name, every node is found by name through the hash, at
 * most one partition is the default, queues name partitions that exist,
 * and the settings show as strings. */
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"

static char dir[64], main_path[96], inc_path[96];

static void cleanup(void)
{
    unlink(main_path);
    unlink(inc_path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    FILE *f;
    /* Memory-backed when there is one: the file is written at every run. */
    snprintf(dir, sizeof(dir), "%s/sluice-fuzz-conf.XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir))
        abort();
    snprintf(main_path, sizeof(main_path), "%s/main.conf", dir);
    snprintf(inc_path, sizeof(inc_path), "%s/inc.conf", dir);
    atexit(cleanup);
    if (!(f = fopen(inc_path, "w")))
        abort();
    fputs("NodeName=inc[1-2] CPUs=2\nPartitionName=incp Nodes=inc[1-2]\n", f);
    fclose(f);
    return 0;
}

/* Does a line Include something outside the directory? */
static int includes_outside(const char *s)
{
    for (const char *line = s; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        int inc = 0, slash = 0;
        for (size_t i = 0; i < len; i++) {
            inc |= i + 7 <= len && strncasecmp(line + i, "include", 7) == 0;
            slash |= line[i] == '/';
        }
        if (inc && slash)
            return 1;
    }
    return 0;
}

static void check_conf(const conf_t *c)
{
    size_t defaults = 0;
    json_t *j = conf_to_json(c);
    const char *k;
    json_t *v;
    FUZZ_CHECK(json_is_object(j), "no settings");
    json_object_foreach(j, k, v)
        FUZZ_CHECK(json_is_string(v), "setting %s is not a string", k);
    json_decref(j);
    for (size_t i = 0; i < c->nnodes; i++) {
        FUZZ_CHECK(conf_node_idx(c, c->nodes[i].name) == (long)i, "node %s not found",
                   c->nodes[i].name);
        FUZZ_CHECK(c->nodes[i].cpus >= 1, "node %s has no cpu", c->nodes[i].name);
    }
    for (size_t i = 0; i < c->nparts; i++) {
        const struct conf_partition *p = &c->parts[i];
        FUZZ_CHECK(conf_part_find(c, p->name), "partition %s not found", p->name);
        defaults += p->is_default != 0;
        for (size_t n = 0; n < p->nnodes; n++)
            FUZZ_CHECK(p->node_idx[n] < c->nnodes &&
                       strcmp(conf_part_node(c, p, n)->name, p->nodes[n]) == 0,
                       "partition %s node %zu", p->name, n);
    }
    FUZZ_CHECK(defaults <= 1, "%zu default partitions", defaults);
    for (size_t i = 0; i < c->nqueues; i++) {
        const struct conf_queue *q = &c->queues[i];
        FUZZ_CHECK(conf_queue_find(c, q->name) == q, "queue %s not found", q->name);
        for (size_t n = 0; n < q->nparts; n++)
            FUZZ_CHECK(conf_part_find(c, q->partitions[n]), "queue %s: no partition %s",
                       q->name, q->partitions[n]);
        FUZZ_CHECK(!q->policy || conf_policy_find(c, q->policy), "queue %s: no policy %s",
                   q->name, q->policy);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_error_t e;
    conf_t *c;
    char *s;
    FILE *f;
    if (size > 8192)
        return 0;
    s = fuzz_str(data, size);
    /* The file is written whole: NUL bytes must not hide what follows
     * them from these checks (the reader refuses such a line anyway). */
    for (size_t i = 0; i < size; i++)
        if (!s[i])
            s[i] = '\n';
    if (includes_outside(s) || fuzz_hostlist_size(s) > 1000) {
        free(s);
        return 0;
    }
    if (!(f = fopen(main_path, "w")))
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    c = conf_load(main_path, &e);
    if (c) {
        check_conf(c);
        conf_destroy(c);
    } else {
        FUZZ_CHECK(e.text[0], "refused without a message");
    }
    free(s);
    return 0;
}
