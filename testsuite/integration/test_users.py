"""Jobs run as the submitting user (daemons as root), and users may act only
on their own jobs unless they are root or an operator (Operators=)."""

import os
import pwd
import grp

import pytest

from conftest import IS_ROOT, wait_for

pytestmark = pytest.mark.skipif(not IS_ROOT, reason="needs root: the daemons must run as root "
                                "to run jobs as other users, and the test users must be created")


@pytest.fixture(scope="module")
def cluster(cluster_factory, users):
    return cluster_factory(nodes=2, cpus=4, mem=4000,
                           append="KillWait=2\nOperators=sluiceop\n")


@pytest.fixture(autouse=True)
def clean(request, cluster):
    """Each test starts with an empty queue and usable nodes."""
    yield
    cluster.reset()


def wait_running(cluster, jid):
    return cluster.wait_state(jid, "RUNNING")


def test_job_runs_as_submitting_user(cluster):
    d = cluster.mkdir("usera", user="sluicea")
    path = cluster.script("""#!/bin/bash
echo "user=$(id -un) uid=$(id -u) gid=$(id -g) groups=$(id -G)"
echo "SLURM_JOB_USER=$SLURM_JOB_USER SLURM_JOB_UID=$SLURM_JOB_UID"
echo "pwd=$(pwd) home=$HOME"
touch made-by-job
""", cwd=d, user="sluicea")
    jid = cluster.submit(path, user="sluicea", cwd=d)
    j = cluster.wait_state(jid, ("COMPLETED", "FAILED"))
    assert j["JobState"] == "COMPLETED", j
    pw = pwd.getpwnam("sluicea")
    assert j["UserId"].startswith("sluicea(%d)" % pw.pw_uid), j
    out = os.path.join(d, "slurm-%d.out" % jid)
    text = open(out).read()
    lines = text.splitlines()
    ids = dict(kv.split("=", 1) for kv in lines[0].split(" ", 3)[:3])
    assert ids == {"user": "sluicea", "uid": str(pw.pw_uid), "gid": str(pw.pw_gid)}, text
    groups = {int(g) for g in lines[0].split("groups=")[1].split()}
    want = {pw.pw_gid} | {g.gr_gid for g in grp.getgrall() if "sluicea" in g.gr_mem}
    assert groups == want, (text, want)      # no root groups leak into the job
    assert lines[1] == "SLURM_JOB_USER=sluicea SLURM_JOB_UID=%d" % pw.pw_uid, text
    assert lines[2].startswith("pwd=%s " % d), text
    # Files the job makes belong to the user.
    assert os.stat(out).st_uid == pw.pw_uid
    assert os.stat(os.path.join(d, "made-by-job")).st_uid == pw.pw_uid
    r = cluster.ok(cluster.bin("sacct"), "-X", "-P", "-n", "-u", "sluicea", "--format=JobID,User,State")
    assert "%d|sluicea|COMPLETED" % jid in r.out.splitlines(), r
    r = cluster.ok(cluster.bin("sacct"), "-X", "-P", "-n", "-u", "sluiceb", "--format=JobID")
    assert str(jid) not in r.out.split(), r


def test_job_cannot_write_where_user_cannot(cluster):
    d = cluster.mkdir("userperm", user="sluicea")
    forbidden = os.path.join(cluster.dir, "state", "stolen.out")   # root-only directory
    jid = cluster.submit("-o", forbidden, "--wrap", "echo hi", user="sluicea", cwd=d)
    j = cluster.wait_state(jid, ("FAILED", "COMPLETED"))
    assert j["JobState"] == "FAILED", j
    assert not os.path.exists(forbidden)
    assert all(x["alive"] for x in cluster.status()["daemons"])


def test_other_user_cannot_cancel_hold_or_update(cluster):
    d = cluster.mkdir("perm", user="sluicea")
    jid = cluster.submit("--wrap", "sleep 600", user="sluicea", cwd=d)
    wait_running(cluster, jid)
    held = cluster.submit("-H", "--wrap", "true", user="sluicea", cwd=d)
    cluster.wait_state(held, "PENDING")

    r = cluster.run(cluster.bin("scancel"), str(jid), user="sluiceb")
    assert r.rc != 0, r
    assert "Access/permission denied" in r.err, r
    r = cluster.run(cluster.bin("scancel"), "-s", "KILL", str(jid), user="sluiceb")
    assert r.rc != 0 and "Access/permission denied" in r.err, r
    r = cluster.run(cluster.bin("scontrol"), "release", str(held), user="sluiceb")
    assert r.rc != 0 and r.err.strip(), r
    r = cluster.run(cluster.bin("scontrol"), "update", "JobId=%d" % held, "Name=mine",
                    user="sluiceb")
    assert r.rc != 0 and r.err.strip(), r
    # scancel -u of someone else's jobs by a plain user does nothing to them.
    cluster.run(cluster.bin("scancel"), "-u", "sluicea", user="sluiceb")
    assert cluster.state(jid) == "RUNNING"
    j = cluster.job(held)
    assert j["JobState"] == "PENDING" and j["JobName"] != "mine", j

    # The owner can.
    cluster.ok(cluster.bin("scontrol"), "update", "JobId=%d" % held, "Name=mine", user="sluicea")
    assert cluster.job(held)["JobName"] == "mine"
    cluster.ok(cluster.bin("scancel"), str(held), user="sluicea")
    cluster.wait_state(held, "CANCELLED")
    # An operator can.
    cluster.ok(cluster.bin("scancel"), str(jid), user="sluiceop")
    j = cluster.wait_state(jid, "CANCELLED")
    rec = cluster.wait_sacct(jid, lambda s: s.startswith("CANCELLED"))
    uid_op = pwd.getpwnam("sluiceop").pw_uid
    assert rec["State"] in ("CANCELLED", "CANCELLED by %d" % uid_op), rec


def test_root_can_cancel_users_job(cluster):
    d = cluster.mkdir("rootcancel", user="sluiceb")
    jid = cluster.submit("--wrap", "sleep 600", user="sluiceb", cwd=d)
    wait_running(cluster, jid)
    cluster.ok(cluster.bin("scancel"), str(jid))
    cluster.wait_state(jid, "CANCELLED")


def test_plain_user_cannot_administer(cluster):
    r = cluster.run(cluster.bin("scontrol"), "update", "NodeName=n1", "State=DRAIN", "Reason=x",
                    user="sluiceb")
    assert r.rc != 0 and r.err.strip(), r
    assert cluster.node_states().get("n1") == "idle"
    r = cluster.run(cluster.bin("scontrol"), "reconfigure", user="sluiceb")
    assert r.rc != 0 and r.err.strip(), r
    # An operator may drain and resume.
    cluster.ok(cluster.bin("scontrol"), "update", "NodeName=n1", "State=DRAIN", "Reason=op",
               user="sluiceop")
    wait_for(lambda: cluster.node_states().get("n1") == "drained", 30, "n1 drained")
    cluster.ok(cluster.bin("scontrol"), "update", "NodeName=n1", "State=RESUME", user="sluiceop")
    wait_for(lambda: cluster.node_states().get("n1") == "idle", 30, "n1 idle")


def test_users_see_queue(cluster):
    d = cluster.mkdir("queue", user="sluicea")
    jid = cluster.submit("-H", "-J", "visible", "--wrap", "true", user="sluicea", cwd=d)
    r = cluster.ok(cluster.bin("squeue"), "-h", "-u", "sluicea", "-o", "%i %u %j %t", user="sluiceb")
    assert "%d sluicea visible PD" % jid in r.out.splitlines(), r
    cluster.ok(cluster.bin("scancel"), str(jid), user="sluicea")
