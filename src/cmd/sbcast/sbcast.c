/* sbcast: copy a file to every node of a running job.  The controller gives
 * the job's owner a grant naming the job's nodes (bcast_grant); each node's
 * sluiced checks it and writes the file as the job's user (file_bcast), in
 * chunks of CHUNK bytes.  Each chunk travels along a tree (fanout.h, as a
 * step's launch): sbcast sends it to at most TreeWidth (or -F) nodes, each
 * of which passes it on to the rest of its subtree. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "cmdutil.h"
#include "fanout.h"

#define CHUNK (4u << 20)   /* 8 MiB of hex a frame, far below PROTO_MAX_FRAME */

struct bcast {
    long long job;
    int force, preserve;
    size_t width;            /* -F, else TreeWidth */
    int timeout;             /* -t: seconds for each subtree to answer a chunk */
    const char *src;
    char dest[PATH_MAX];
};

static void usage(FILE *out)
{
    fputs("Usage: sbcast [-f] [-p] [-C] [-j JOBID] SOURCE DEST\n"
          "  -f, --force             replace DEST where it exists\n"
          "  -p, --preserve          keep SOURCE's access and modification times\n"
          "  -C, --compress[=LIB]    accepted; files travel uncompressed here\n"
          "  -j, --jobid=JOBID       the job (default: SLURM_JOB_ID)\n"
          "  -F, --fanout=N          nodes each sender passes a chunk to (default: TreeWidth)\n"
          "  -t, --timeout=S         seconds each subtree may take to answer (default 60)\n"
          "  -s, --size=N            accepted; no effect here\n"
          "  -V, --version           the Slurm and Sluice versions\n", out);
}

static char *hex(const unsigned char *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *s = malloc(2 * n + 1);
    if (!s)
        cmd_die("out of memory");
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = digits[p[i] >> 4];
        s[2 * i + 1] = digits[p[i] & 15];
    }
    s[2 * n] = '\0';
    return s;
}

/* One chunk to every node, along the tree: sbcast sends it to at most
 * width nodes, each of which writes it and passes it on to its subtree
 * (forward, as srun's step_launch).  The failed nodes go to failed. */
static void send_chunk(const struct bcast *b, const json_t *grant, sl_auth_t *auth,
                       json_t *body, json_t *failed)
{
    sl_error_t e;
    size_t count = 0;
    struct fanout_send *sends = fanout_plan(body, json_object_get(grant, "addrs"), b->width,
                                            b->timeout, &count, &e);
    if (!sends) {
        json_array_append_new(failed, json_pack("{s:s, s:s}", "node", "?", "error", e.text));
        return;
    }
    for (size_t i = 0; i < count; i++) {
        sends[i].op = "file_bcast";
        sends[i].cred = auth_cred_create(auth, &e);
    }
    fanout_run_all(sends, count, failed);
    fanout_plan_free(sends, count);
}

/* The whole file, chunk after chunk; -1 with the errors printed (each
 * failed node once: after a failure no further chunk is sent). */
static int send_all(const struct bcast *b, const json_t *grant, const struct stat *st, int fd)
{
    sl_error_t e;
    sl_auth_t *auth = auth_create(cmd_conf_load(), &e);
    unsigned char *buf = malloc(CHUNK);
    json_t *failed = json_array(), *x;
    off_t off = 0;
    size_t i;
    if (!auth || !buf)
        cmd_die("%s", auth ? "out of memory" : e.text);
    while (json_array_size(failed) == 0) {
        ssize_t n = pread(fd, buf, CHUNK, off);
        if (n < 0)
            cmd_die("%s: %s", b->src, strerror(errno));
        int final = off + n >= st->st_size || n == 0;
        char *data = hex(buf, (size_t)n);
        json_t *body = json_pack("{s:s, s:s, s:I, s:s, s:b, s:b, s:i, s:i}", "cred",
                                 cmd_str(grant, "cred"), "path", b->dest, "offset",
                                 (json_int_t)off, "data", data, "final", final, "force",
                                 b->force, "mode", (int)(st->st_mode & 07777), "tree_width",
                                 (int)b->width);
        free(data);
        if (b->preserve) {
            json_object_set_new(body, "atime", json_integer(st->st_atime));
            json_object_set_new(body, "mtime", json_integer(st->st_mtime));
        }
        send_chunk(b, grant, auth, body, failed);
        json_decref(body);
        off += n;
        if (final)
            break;
    }
    json_array_foreach(failed, i, x)
        fprintf(stderr, "sbcast: error: %s\n", json_string_value(json_object_get(x, "error")));
    int rc = json_array_size(failed) ? -1 : 0;
    json_decref(failed);
    free(buf);
    auth_destroy(auth);
    return rc;
}

static int bcast_run(struct bcast *b)
{
    struct stat st;
    json_t *reply;
    int fd = open(b->src, O_RDONLY | O_CLOEXEC), rc;
    if (fd < 0 || fstat(fd, &st) < 0)
        cmd_die("Can't open `%s`: %s", b->src, strerror(errno));
    if (!S_ISREG(st.st_mode))
        cmd_die("%s is not a regular file", b->src);
    if (!b->width) {
        int tw = cmd_conf_load()->tree_width;
        b->width = tw > 0 ? (size_t)tw : FANOUT_DEFAULT_WIDTH;
    }
    reply = cmd_call("bcast_grant", json_pack("{s:I}", "job_id", (json_int_t)b->job));
    rc = send_all(b, reply, &st, fd) < 0;
    json_decref(reply);
    close(fd);
    return rc;
}

/* -F/--fanout and -t/--timeout: a positive count. */
static long positive(const char *opt, const char *arg, long max)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end || v < 1 || v > max)
        cmd_die("Invalid %s value: %s (1 to %ld)", opt, arg, max);
    return v;
}

static const struct option long_opts[] = {
    { "force", no_argument, NULL, 'f' },         { "preserve", no_argument, NULL, 'p' },
    { "compress", optional_argument, NULL, 'C' }, { "jobid", required_argument, NULL, 'j' },
    { "fanout", required_argument, NULL, 'F' },  { "size", required_argument, NULL, 's' },
    { "timeout", required_argument, NULL, 't' }, { "help", no_argument, NULL, 'h' },
    { "usage", no_argument, NULL, 'h' },         { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
    struct bcast b = { .timeout = 60 };
    const char *job = getenv("SLURM_JOB_ID"), *jopt = NULL;
    char *end;
    int c, rc;
    cmd_init("sbcast");
    cmd_args_utf8(argc, argv);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":fpC::j:F:s:t:hV", long_opts, NULL)) != -1) {
        switch (c) {
        case 'f': b.force = 1; break;
        case 'p': b.preserve = 1; break;
        case 'j': jopt = optarg; break;
        /* Performance knobs of Slurm's tree and transfer: said, not ignored. */
        case 'C': fprintf(stderr, "sbcast: warning: --compress has no effect here: files travel "
                                  "uncompressed\n"); break;
        case 'F': b.width = (size_t)positive("--fanout", optarg, 65533); break;
        case 't': b.timeout = (int)positive("--timeout", optarg, 86400); break;
        case 's':
            fprintf(stderr, "sbcast: warning: -%c has no effect here\n", c);
            break;
        case 'h': usage(stdout); return 0;
        case 'V': cmd_version(); return 0;
        default: cmd_die_getopt(c, argv);
        }
    }
    if (argc - optind != 2)
        cmd_die("Need two file names, have %d names", argc - optind);
    if (jopt)
        job = jopt;
    if (!job || !*job)
        cmd_die("Need a job id to run this command.  Run from within a Slurm job or use the "
                "--jobid option.");
    b.job = strtoll(job, &end, 10);
    if (end == job || b.job <= 0 || (*end && *end != '.'))
        cmd_die("Invalid job id: %s", job);
    b.src = argv[optind];
    /* A relative DEST is taken from here, as the user sees it. */
    if (argv[optind + 1][0] == '/')
        snprintf(b.dest, sizeof(b.dest), "%s", argv[optind + 1]);
    else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
            cmd_die("getcwd: %s", strerror(errno));
        snprintf(b.dest, sizeof(b.dest), "%s/%s", cwd, argv[optind + 1]);
    }
    rc = bcast_run(&b);
    cmd_fini();
    return rc;
}
