#define _GNU_SOURCE
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct launcher {
    int nice;
    char log[4096];
    pid_t pid;          /* 0: not running */
    FILE *to, *from;    /* its stdin and stdout */
};

/* One request per line, fields separated by tabs; the answer is the
 * instance's pid.  bash, not sh: it collects ended children while it waits
 * in read, so no zombie stays behind an instance that ended. */
static const char loop[] =
    "while IFS=$'\\t' read -r script delay sluiced conf node hw log; do\n"
    "  SLUICE_FAKE_HW=$hw /bin/sh -c \"$script\" \"$delay\" \"$sluiced\" \"$conf\" \"$node\""
    " </dev/null >>\"$log\" 2>&1 &\n"
    "  echo \"$!\"\n"
    "done\n";

struct launcher *launcher_create(int nice, const char *log)
{
    struct launcher *ln = calloc(1, sizeof(*ln));
    if (ln) {
        ln->nice = nice;
        snprintf(ln->log, sizeof(ln->log), "%s", log);
    }
    return ln;
}

static void launcher_stop(struct launcher *ln)
{
    if (ln->to)
        fclose(ln->to);
    if (ln->from)
        fclose(ln->from);
    ln->to = ln->from = NULL;
    if (ln->pid > 0) {
        /* It leaves its loop at the end of its input; a launcher that does
         * not within 5 s is killed (never its instances: another group). */
        for (int i = 0; i < 100 && waitpid(ln->pid, NULL, WNOHANG) == 0; i++) {
            if (i == 99) {
                kill(ln->pid, SIGKILL);
                waitpid(ln->pid, NULL, 0);
            }
            nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
        }
    }
    ln->pid = 0;
}

void launcher_destroy(struct launcher *ln)
{
    if (!ln)
        return;
    launcher_stop(ln);
    free(ln);
}

/* The group of the launcher's session at CloudLocalNice.  Where the kernel
 * has no autogroup the file is missing and nice(1) alone applies. */
static void autogroup_nice(pid_t pid, int nice)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/autogroup", (long)pid);
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%d", nice);
        fclose(f);
    }
}

static int spawn_loop(struct launcher *ln, int in, int out, char *why, size_t len)
{
    char nice[16];
    snprintf(nice, sizeof(nice), "%d", ln->nice);
    char *argv[] = { "nice", "-n", nice, "/bin/bash", "-c", (char *)loop, "sluice-instances",
                     NULL };
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc == 0 && (rc = posix_spawnattr_init(&at)) == 0) {
        rc = posix_spawn_file_actions_adddup2(&fa, in, 0);
        rc = rc ? rc : posix_spawn_file_actions_adddup2(&fa, out, 1);
        rc = rc ? rc : posix_spawn_file_actions_addopen(&fa, 2, ln->log,
                                                        O_WRONLY | O_CREAT | O_APPEND, 0600);
        rc = rc ? rc : posix_spawn_file_actions_addclosefrom_np(&fa, 3);
        rc = rc ? rc : posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID |
                                                POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        rc = rc ? rc : posix_spawnattr_setsigmask(&at, &none);
        rc = rc ? rc : posix_spawnattr_setsigdefault(&at, &all);
        rc = rc ? rc : posix_spawnp(&ln->pid, "nice", &fa, &at, argv, environ);
        posix_spawnattr_destroy(&at);
    }
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        snprintf(why, len, "cannot start the instances' launcher: %s", strerror(rc));
        ln->pid = 0;
        return -1;
    }
    autogroup_nice(ln->pid, ln->nice);
    return 0;
}

static int launcher_run(struct launcher *ln, char *why, size_t len)
{
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) < 0) {
        snprintf(why, len, "cannot start the instances' launcher: pipe: %s", strerror(errno));
        return -1;
    }
    if (pipe2(out, O_CLOEXEC) < 0) {
        snprintf(why, len, "cannot start the instances' launcher: pipe: %s", strerror(errno));
        close(in[0]);
        close(in[1]);
        return -1;
    }
    int rc = spawn_loop(ln, in[0], out[1], why, len);
    close(in[0]);
    close(out[1]);
    ln->to = rc == 0 ? fdopen(in[1], "w") : NULL;
    ln->from = rc == 0 ? fdopen(out[0], "r") : NULL;
    if (!ln->to)
        close(in[1]);
    if (!ln->from)
        close(out[0]);
    if (rc == 0 && (!ln->to || !ln->from)) {
        snprintf(why, len, "cannot start the instances' launcher: out of memory");
        launcher_stop(ln);
        return -1;
    }
    return rc;
}

static int field_ok(const char *v)
{
    return v && *v && !strpbrk(v, "\t\n");
}

/* One request, one answer; -1 when the launcher is gone. */
static pid_t launcher_ask(struct launcher *ln, const struct instance_spec *s)
{
    char answer[32];
    if (fprintf(ln->to, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s->script, s->delay, s->sluiced,
                s->conf, s->node, s->hw, s->log) < 0 || fflush(ln->to) != 0 ||
        !fgets(answer, sizeof(answer), ln->from))
        return -1;
    long pid = strtol(answer, NULL, 10);
    return pid > 0 ? (pid_t)pid : -1;
}

pid_t launcher_start(struct launcher *ln, const struct instance_spec *s, char *why, size_t len)
{
    const char *f[] = { s->script, s->delay, s->sluiced, s->conf, s->node, s->hw, s->log };
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        if (!field_ok(f[i])) {
            snprintf(why, len, "cannot start an instance: an empty setting, or a path with a "
                               "tab or a newline");
            return -1;
        }
    }
    /* The log is opened by the launcher's child: check it here, where an
     * error can still be told. */
    int fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(why, len, "cannot start an instance: %s: %s", s->log, strerror(errno));
        return -1;
    }
    close(fd);
    /* A launcher that died (killed by someone) is replaced once. */
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!ln->pid && launcher_run(ln, why, len) < 0)
            return -1;
        pid_t pid = launcher_ask(ln, s);
        if (pid > 0)
            return pid;
        launcher_stop(ln);
    }
    snprintf(why, len, "cannot start an instance: the instances' launcher (see %s) does not "
                       "answer", ln->log);
    return -1;
}
