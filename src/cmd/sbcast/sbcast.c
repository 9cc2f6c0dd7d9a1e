/* sbcast: copy a file to every node of a running job.  The controller gives
 * the job's owner a grant naming the job's nodes (bcast_grant); each node's
 * sluiced checks it and writes the file as the job's user (file_bcast), in
 * chunks of CHUNK bytes, the nodes one after another. */
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

#include "cmdutil.h"

#define CHUNK (4u << 20)   /* 8 MiB of hex a frame, far below PROTO_MAX_FRAME */

struct bcast {
    long long job;
    int force, preserve;
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
          "  -F, --fanout=N, -s, --size=N, -t, --timeout=S   accepted; no effect here\n"
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

/* The whole file to one node; -1 with the error printed. */
static int send_node(const struct bcast *b, const json_t *addr, const char *cred,
                     const struct stat *st, int fd)
{
    const char *name = cmd_str(addr, "name");
    sl_error_t e;
    sl_client_t *cl = client_open_node(cmd_conf_load(), name, cmd_str(addr, "host"),
                                       (int)cmd_int(addr, "port"), &e);
    unsigned char *buf = malloc(CHUNK);
    off_t off = 0;
    int rc = cl && buf ? 0 : -1;
    while (rc == 0) {
        ssize_t n = pread(fd, buf, CHUNK, off);
        if (n < 0) {
            sl_errprintf(&e, "%s: %s", b->src, strerror(errno));
            rc = -1;
            break;
        }
        int final = off + n >= st->st_size || n == 0;
        char *data = hex(buf, (size_t)n);
        json_t *body = json_pack("{s:s, s:s, s:s, s:I, s:s, s:b, s:b, s:i}", "cred", cred,
                                 "node", name, "path", b->dest, "offset", (json_int_t)off,
                                 "data", data, "final", final, "force", b->force, "mode",
                                 (int)(st->st_mode & 07777));
        free(data);
        if (b->preserve) {
            json_object_set_new(body, "atime", json_integer(st->st_atime));
            json_object_set_new(body, "mtime", json_integer(st->st_mtime));
        }
        json_t *reply = client_call(cl, "file_bcast", body, &e);
        if (!reply)
            rc = -1;
        json_decref(reply);
        off += n;
        if (final)
            break;
    }
    if (rc < 0)
        fprintf(stderr, "sbcast: error: %s\n", buf ? e.text : "out of memory");
    free(buf);
    client_close(cl);
    return rc;
}

static int bcast_run(struct bcast *b)
{
    struct stat st;
    json_t *reply, *addr;
    size_t i;
    int fd = open(b->src, O_RDONLY | O_CLOEXEC), rc = 0;
    if (fd < 0 || fstat(fd, &st) < 0)
        cmd_die("Can't open `%s`: %s", b->src, strerror(errno));
    if (!S_ISREG(st.st_mode))
        cmd_die("%s is not a regular file", b->src);
    reply = cmd_call("bcast_grant", json_pack("{s:I}", "job_id", (json_int_t)b->job));
    json_array_foreach(json_object_get(reply, "addrs"), i, addr)
        if (send_node(b, addr, cmd_str(reply, "cred"), &st, fd) < 0)
            rc = 1;
    json_decref(reply);
    close(fd);
    return rc;
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
    struct bcast b = { 0 };
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
        case 'F': case 's': case 't':
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
