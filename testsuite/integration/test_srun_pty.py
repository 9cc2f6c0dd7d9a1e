"""srun --pty (doc/protocol.md, "The step I/O stream"; doc/man1/srun.1): task
0 on a pseudo-terminal of its node, srun's terminal raw, TERM and the window
size passed, a resize followed (WINSIZE frames), the shell's exit status as
srun's, the terminal put back after a SIGHUP; --pty with a stdin that is no
terminal; -i/-o/-e refused with --pty and -l taken, as Slurm does."""

import fcntl
import getpass
import grp
import os
import pwd
import re
import select
import signal
import struct
import subprocess
import termios
import time

import pytest

from conftest import IS_ROOT, parse_pipe, scaled, user_env

pytestmark = pytest.mark.skipif(not IS_ROOT, reason="steps run as another user: needs root")

USER = "sluicea"


@pytest.fixture(scope="module")
def cluster(cluster_factory, users):
    return cluster_factory(nodes=2, cpus=2, append="KillWait=2\n")


@pytest.fixture(scope="module")
def wd(cluster):
    return cluster.mkdir("srunpty", user=USER)


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class Term:
    """srun on a pty of ours, as USER; what it printed so far in .out."""

    def __init__(self, cluster, wd, args, rows, cols):
        self.master, slave = os.openpty()
        set_size(slave, rows, cols)
        env = dict(cluster.env)
        kw = {}
        if USER != getpass.getuser():
            pw = pwd.getpwnam(USER)
            env.update(user_env(USER))
            kw = dict(user=pw.pw_uid, group=pw.pw_gid,
                      extra_groups=[g.gr_gid for g in grp.getgrall() if USER in g.gr_mem])
        env["TERM"] = "xterm-sluicetest"
        self.slave = slave
        self.p = subprocess.Popen([cluster.bin("srun")] + list(args), cwd=wd, env=env,
                                  stdin=slave, stdout=slave, stderr=slave,
                                  start_new_session=True, **kw)
        self.out = b""

    def send(self, text):
        os.write(self.master, text.encode())

    def expect(self, pattern, timeout=60):
        deadline = time.monotonic() + scaled(timeout)
        rx = re.compile(pattern.encode())
        while True:
            m = rx.search(self.out)
            if m:
                return m
            left = deadline - time.monotonic()
            assert left > 0, "no %r in srun's output %r" % (pattern, self.out)
            r, _, _ = select.select([self.master], [], [], min(left, 1.0))
            if r:
                try:
                    self.out += os.read(self.master, 65536)
                except OSError:   # EIO: every writer of the slave is gone
                    assert self.p.poll() is not None, self.out
                    time.sleep(0.1)

    def wait(self, timeout=60):
        deadline = time.monotonic() + scaled(timeout)
        while self.p.poll() is None:
            assert time.monotonic() < deadline, "srun did not exit: %r" % self.out
            r, _, _ = select.select([self.master], [], [], 0.2)
            if r:
                try:
                    self.out += os.read(self.master, 65536)
                except OSError:
                    pass
        return self.p.returncode

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        os.close(self.master)
        os.close(self.slave)


def test_pty_shell(cluster, wd):
    t = Term(cluster, wd, ["--pty", "sh"], 33, 111)
    try:
        # The echo of the input holds "$(tty)", "$TERM": only the shell's
        # answers match these.
        t.send("echo TT=$(tty); echo TE=$TERM; echo SZ=$(stty size)\n")
        t.expect(r"TT=/dev/pts/\d+")
        t.expect(r"TE=xterm-sluicetest")
        t.expect(r"SZ=33 111")
        # srun's own terminal is raw while the step runs.
        assert not termios.tcgetattr(t.slave)[3] & termios.ICANON
        set_size(t.slave, 44, 123)
        t.p.send_signal(signal.SIGWINCH)
        t.send("echo SZ2=$(stty size)\n")
        t.expect(r"SZ2=44 123")
        t.send("exit 3\n")
        assert t.wait() == 3, t.out
        # ... and back in its first mode once srun is gone.
        assert termios.tcgetattr(t.slave)[3] & termios.ICANON
    finally:
        t.close()
    r = cluster.ok(cluster.bin("sacct"), "-X", "-n", "-P", "-o", "JobID,JobName")
    jid = r.out.strip().splitlines()[-1].split("|")[0]
    r = cluster.ok(cluster.bin("sacct"), "-j", jid, "-P", "-o", "JobID,State,ExitCode")
    rows = {row["JobID"]: row for row in parse_pipe(r.out)}
    assert rows["%s.0" % jid]["ExitCode"] == "3:0", rows


def test_pty_without_a_terminal(cluster, wd):
    r = cluster.run([cluster.bin("srun"), "--pty", "sh", "-c", "test -t 0 && test -t 1 && "
                     "echo on-a-tty $TERM"], user=USER, cwd=wd, env={"TERM": "vt100"},
                    timeout=120)
    assert r.rc == 0, r
    assert "on-a-tty vt100" in r.out, r
    r = cluster.run([cluster.bin("srun"), "--pty", "true"], user=USER, cwd=wd, timeout=120)
    assert r.rc == 0, r


def test_pty_other_tasks_keep_pipes(cluster, wd):
    r = cluster.run([cluster.bin("srun"), "-n2", "--pty", "sh", "-c",
                     'if test -t 1; then echo "$SLURM_PROCID tty"; '
                     'else echo "$SLURM_PROCID pipe"; fi'], user=USER, cwd=wd, timeout=120)
    assert r.rc == 0, r
    assert "0 tty" in r.out and "1 pipe" in r.out, r


def test_pty_with_files_refused_labels_taken(cluster, wd):
    for opt in ("-o", "-e", "-i"):
        r = cluster.run([cluster.bin("srun"), "--pty", opt, "f.%t", "true"], user=USER, cwd=wd)
        assert r.rc != 0
        assert "srun: error: --error/--input/--output are incompatible with --pty" in r.err, r
    # Slurm takes --label with --pty: task 0's lines are labelled as any.
    r = cluster.run([cluster.bin("srun"), "--pty", "-l", "echo", "hi"], user=USER, cwd=wd,
                    timeout=120)
    assert r.rc == 0, r
    assert "0: hi" in r.out, r


def test_terminal_restored_after_a_hangup(cluster, wd):
    # SIGHUP (the terminal went away): srun forwards it, the interactive
    # shell ends of it (it would ignore a SIGTERM), srun ends.
    t = Term(cluster, wd, ["--pty", "sh"], 24, 80)
    try:
        t.send("echo READY=$((40+2))\n")
        t.expect(r"READY=42")
        assert not termios.tcgetattr(t.slave)[3] & termios.ICANON
        t.p.send_signal(signal.SIGHUP)
        assert t.wait() != 0, t.out
        assert termios.tcgetattr(t.slave)[3] & termios.ICANON
    finally:
        t.close()
