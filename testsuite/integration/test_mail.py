"""--mail-type/--mail-user (issue 13): the controller runs MailProg as Slurm's
slurmctld does, "MailProg -s SUBJECT RECIPIENT" with Slurm's subject lines,
at BEGIN, END, FAIL, REQUEUE, TIME_LIMIT_*, INVALID_DEPEND; an array mails
once for the whole array unless ARRAY_TASKS; the recipient is the user at
MailDomain unless --mail-user.  A fake MailProg records each call as one
line: its arguments, a few variables and its standard input."""

import os
import re
import tempfile

import pytest

from conftest import wait_for

FAKE = r"""#!/bin/sh
line="ARGS"
for a in "$@"; do line="$line|$a"; done
line="$line|ENV|$SLURM_JOB_ID|$SLURM_JOB_MAIL_TYPE|$SLURM_JOB_STATE|STDIN|$(cat)"
printf '%%s\n' "$line" >> %s
"""


@pytest.fixture(scope="module")
def mailbox():
    d = tempfile.mkdtemp(prefix="sluice-mail-", dir="/tmp")
    os.chmod(d, 0o755)
    log = os.path.join(d, "mail.log")
    prog = os.path.join(d, "fakemail")
    with open(prog, "w") as f:
        f.write(FAKE % log)
    os.chmod(prog, 0o755)
    return prog, log


@pytest.fixture(scope="module")
def cluster(cluster_factory, mailbox):
    prog, _ = mailbox
    return cluster_factory(nodes=2, cpus=4, append="KillWait=2\nMailProg=%s\n"
                           "MailDomain=example.org\n" % prog)


def mails(mailbox, jid):
    """The recorded calls for job jid (its id in SLURM_JOB_ID), as field lists."""
    _, log = mailbox
    if not os.path.exists(log):
        return []
    with open(log) as f:
        rows = [l.rstrip("\n").split("|") for l in f]
    return [r for r in rows if len(r) >= 10 and r[5] == str(jid)]


def wait_mails(mailbox, jid, n, what):
    return wait_for(lambda: (lambda m: m if len(m) >= n else None)(mails(mailbox, jid)),
                    60, "%d mail(s) for job %s (%s)" % (n, jid, what))


def user():
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


def test_begin_and_end(cluster, mailbox):
    jid = cluster.submit("-J", "mj", "-o", "/dev/null", "--mail-type=BEGIN,END", "--wrap", "true")
    m = wait_mails(mailbox, jid, 2, "Began, Ended")
    assert [r[:2] for r in m] == [["ARGS", "-s"]] * 2, m
    assert re.match(r"^Slurm Job_id=%d Name=mj Began, Queued time \d\d:\d\d:\d\d$" % jid, m[0][2]), m
    assert re.match(r"^Slurm Job_id=%d Name=mj Ended, Run time \d\d:\d\d:\d\d, COMPLETED, "
                    r"ExitCode 0$" % jid, m[1][2]), m
    assert m[0][3] == m[1][3] == "%s@example.org" % user(), m
    assert (m[0][6], m[1][6], m[1][7]) == ("Began", "Ended", "COMPLETED"), m
    assert m[0][9] == m[1][9] == "", m          # no body: stdin is /dev/null, as Slurm
    j = cluster.job(jid)
    assert j["MailType"] == "BEGIN,END" and j["MailUser"] == user(), j


def test_fail_to_mail_user(cluster, mailbox):
    jid = cluster.submit("-J", "bad", "-o", "/dev/null", "--mail-type=END,FAIL",
                         "--mail-user=someone@elsewhere.org", "--wrap", "exit 3")
    m = wait_mails(mailbox, jid, 1, "Failed")
    assert re.match(r"^Slurm Job_id=%d Name=bad Failed, Run time \d\d:\d\d:\d\d, FAILED, "
                    r"ExitCode 3$" % jid, m[0][2]), m
    assert m[0][3] == "someone@elsewhere.org", m
    # A failed job gets FAIL only, not END too (as Slurm's job_completion_logger).
    later = cluster.submit("-o", "/dev/null", "--mail-type=BEGIN", "--wrap", "true")
    wait_mails(mailbox, later, 1, "Began")
    assert len(mails(mailbox, jid)) == 1, mails(mailbox, jid)


def test_none_and_default_send_nothing(cluster, mailbox):
    a = cluster.submit("-o", "/dev/null", "--mail-type=NONE", "--wrap", "true")
    b = cluster.submit("-o", "/dev/null", "--wrap", "true")
    cluster.wait_state(a, "COMPLETED")
    cluster.wait_state(b, "COMPLETED")
    c = cluster.submit("-o", "/dev/null", "--mail-type=END", "--wrap", "true")
    wait_mails(mailbox, c, 1, "Ended")       # mails go out in event order
    assert mails(mailbox, a) == [] and mails(mailbox, b) == []


def test_array_mails_once(cluster, mailbox):
    jid = cluster.submit("-J", "arr", "-o", "/dev/null", "--array=1-3",
                         "--mail-type=BEGIN,END", "--wrap", "true")
    m = wait_mails(mailbox, jid, 2, "array Began, Ended")
    assert m[0][2] == "Slurm Array Summary Job_id=%d_* (%d) Name=arr Began" % (jid, jid), m
    assert m[1][2] == ("Slurm Array Summary Job_id=%d_* (%d) Name=arr Ended, COMPLETED, "
                       "ExitCode [0-0]" % (jid, jid)), m
    assert len(m) == 2, m


def task_mails(mailbox, pattern, n):
    """Wait for n recorded subjects matching pattern; their matches."""
    _, log = mailbox

    def hits():
        with open(log) as f:
            found = [pattern.match(l.split("|")[2]) for l in f if l.count("|") > 2]
        found = [x for x in found if x]
        return found if len(found) >= n else None
    return wait_for(hits, 60, "%d mails like %s" % (n, pattern.pattern))


def test_array_tasks_mail_each(cluster, mailbox):
    jid = cluster.submit("-J", "each", "-o", "/dev/null", "--array=1-2",
                         "--mail-type=FAIL,ARRAY_TASKS", "--wrap", "exit 2")
    pat = re.compile(r"^Slurm Array Task Job_id=%d_(\d) \((\d+)\) Name=each Failed, Run time "
                     r"\d\d:\d\d:\d\d, FAILED, ExitCode 2$" % jid)
    hits = task_mails(mailbox, pat, 2)
    assert sorted(h.group(1) for h in hits) == ["1", "2"], hits
    ok = cluster.submit("-J", "each0", "-o", "/dev/null", "--array=1-2",
                        "--mail-type=END,ARRAY_TASKS", "--wrap", "true")
    pat = re.compile(r"^Slurm Array Task Job_id=%d_(\d) \((\d+)\) Name=each0 Ended, Run time "
                     r"\d\d:\d\d:\d\d, COMPLETED, ExitCode 0$" % ok)
    assert sorted(h.group(1) for h in task_mails(mailbox, pat, 2)) == ["1", "2"]
    cluster.wait_state(ok, "COMPLETED")
    _, log = mailbox
    # With ARRAY_TASKS each task mails; there is no summary on top.
    assert not any("Array Summary Job_id=%d_" % i in l for l in open(log) for i in (jid, ok))


def test_time_limit_50(cluster, mailbox):
    jid = cluster.submit("-J", "tl", "-o", "/dev/null", "-t", "0:10",
                         "--mail-type=TIME_LIMIT_50", "--wrap", "exec sleep 60")
    try:
        m = wait_mails(mailbox, jid, 1, "50% of the time limit")
        assert re.match(r"^Slurm Job_id=%d Name=tl Reached 50%% of time limit, Run time "
                        r"\d\d:\d\d:\d\d$" % jid, m[0][2]), m
        assert m[0][6] == "Reached 50% of time limit", m
    finally:
        cluster.run(cluster.bin("scancel"), str(jid))
    cluster.wait_state(jid, ("CANCELLED", "TIMEOUT"))
    assert len(mails(mailbox, jid)) == 1, mails(mailbox, jid)


def test_requeue(cluster, mailbox):
    d = cluster.mkdir("rq")
    jid = cluster.submit("-J", "rq", "-o", "/dev/null", "--mail-type=REQUEUE",
                         "--wrap", "exec sleep 300", cwd=d)
    try:
        cluster.wait_state(jid, "RUNNING")
        cluster.ok(cluster.bin("scontrol"), "requeue", str(jid))
        m = wait_mails(mailbox, jid, 1, "Requeued")
        assert re.match(r"^Slurm Job_id=%d Name=rq Requeued, Run time \d\d:\d\d:\d\d$" % jid,
                        m[0][2]), m
    finally:
        cluster.run(cluster.bin("scancel"), str(jid))


def test_invalid_depend(cluster, mailbox):
    bad = cluster.submit("-o", "/dev/null", "--wrap", "exit 1")
    cluster.wait_state(bad, "FAILED")
    jid = cluster.submit("-J", "dep", "-o", "/dev/null", "-d", "afterok:%d" % bad,
                         "--mail-type=INVALID_DEPEND", "--kill-on-invalid-dep=no",
                         "--wrap", "true")
    try:
        m = wait_mails(mailbox, jid, 1, "Invalid dependency")
        assert m[0][2] == "Slurm Job_id=%d Name=dep Invalid dependency" % jid, m
    finally:
        cluster.run(cluster.bin("scancel"), str(jid))


@pytest.mark.parametrize("args, msg", [
    (["--mail-type=SOMETIMES"], "'SOMETIMES' is not a mail type"),
    (["--mail-type=BEGIN,nope"], "'nope' is not a mail type"),
    (["--mail-type=END", "--mail-user=-Eevil"], "invalid mail_user '-Eevil'"),
])
def test_refused(cluster, args, msg):
    r = cluster.run(cluster.bin("sbatch"), "-o", "/dev/null", *args, "--wrap", "true")
    assert r.rc == 1 and msg in r.err, r
