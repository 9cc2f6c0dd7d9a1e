"""Job variables Slurm sets that Sluice lacked (issue 13): SLURM_MEM_PER_CPU
(or SLURM_MEM_PER_NODE), SLURM_NTASKS_PER_NODE, SLURM_JOB_QOS,
SLURM_JOB_ACCOUNT, SLURM_CLUSTER_NAME, SLURM_SUBMIT_HOST,
SLURM_JOB_START_TIME and SLURM_JOB_END_TIME; then SLURM_TASK_PID and
SLURM_UMASK (the Slurm inventory, doc/slurm-compat.md)."""

import os
import socket

import pytest


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=1, cpus=4, mem=4000)


def job_env(cluster, *args):
    d = cluster.mkdir("env")
    jid = cluster.submit("-o", "env.out", *args, "--wrap", "env", cwd=d)
    cluster.wait_state(jid, "COMPLETED")
    with open(os.path.join(d, "env.out")) as f:
        return jid, dict(l.rstrip("\n").split("=", 1) for l in f if "=" in l)


def test_requested(cluster):
    jid, env = job_env(cluster, "--mem-per-cpu=100", "-n", "2", "--ntasks-per-node=2",
                       "-q", "normal", "-A", "proj", "-t", "10")
    assert env["SLURM_MEM_PER_CPU"] == "100" and "SLURM_MEM_PER_NODE" not in env, env
    assert env["SLURM_NTASKS_PER_NODE"] == "2", env
    assert env["SLURM_JOB_QOS"] == "normal" and env["SLURM_JOB_ACCOUNT"] == "proj", env
    assert env["SLURM_CLUSTER_NAME"] and env["SLURM_SUBMIT_HOST"] == socket.gethostname(), env
    start, end = int(env["SLURM_JOB_START_TIME"]), int(env["SLURM_JOB_END_TIME"])
    assert end - start == 600, env
    j = cluster.job(jid)
    assert j["StartTime"] != "Unknown", j


def test_per_node_memory(cluster):
    _, env = job_env(cluster, "--mem=300")
    assert env["SLURM_MEM_PER_NODE"] == "300" and "SLURM_MEM_PER_CPU" not in env, env
    assert "SLURM_NTASKS_PER_NODE" not in env and "SLURM_JOB_QOS" not in env, env


def test_task_pid(cluster):
    """SLURM_TASK_PID: the batch script's own pid, and each step task's, as
    Slurm sets it; a value in the submitting environment does not leak in."""
    d = cluster.mkdir("taskpid")
    with open(os.path.join(d, "job.sh"), "w") as f:
        f.write("#!/bin/sh\necho batch $SLURM_TASK_PID $$\n"
                "srun -n2 sh -c 'echo step $SLURM_TASK_PID $$'\n")
    jid = cluster.submit("-o", "out", "-n", "2", "job.sh", cwd=d,
                         env={"SLURM_TASK_PID": "777"})
    cluster.wait_state(jid, "COMPLETED")
    with open(os.path.join(d, "out")) as f:
        rows = [l.split() for l in f if l.startswith(("batch", "step"))]
    assert sorted(r[0] for r in rows) == ["batch", "step", "step"], rows
    for r in rows:
        assert r[1] == r[2] and r[1] != "777", rows


def test_umask(cluster):
    """SLURM_UMASK: srun's umask, in its tasks' environment and applied to
    them (as Slurm); the batch script keeps its own."""
    d = cluster.mkdir("umask")
    with open(os.path.join(d, "job.sh"), "w") as f:
        f.write("#!/bin/sh\n(umask 0027; srun -n1 sh -c 'echo $SLURM_UMASK $(umask)')\n"
                "srun -n1 sh -c 'echo $SLURM_UMASK $(umask)'\n")
    jid = cluster.submit("-o", "out", "job.sh", cwd=d)
    cluster.wait_state(jid, "COMPLETED")
    with open(os.path.join(d, "out")) as f:
        rows = [l.split() for l in f if l.strip()]
    assert len(rows) == 2 and rows[0] == ["0027", "0027"], rows
    assert rows[1][0] == rows[1][1] and len(rows[1][0]) == 4, rows


def test_prio_process_and_get_user_env(cluster):
    """SLURM_PRIO_PROCESS: sbatch's nice value in the batch script, srun's own
    in its tasks (the batch script runs at nice 0, as with Slurm's default
    PropagatePrioProcess=0); SLURM_GET_USER_ENV=1 when --export is given."""
    d = cluster.mkdir("prio")
    with open(os.path.join(d, "job.sh"), "w") as f:
        f.write("#!/bin/sh\necho batch $SLURM_PRIO_PROCESS ${SLURM_GET_USER_ENV:-unset}\n"
                "nice -n 2 srun -n1 sh -c 'echo step $SLURM_PRIO_PROCESS'\n")
    for out, args in (("plain", []), ("export", ["--export=ALL,X=1"])):
        r = cluster.run("nice", "-n", "3", cluster.bin("sbatch"), "--parsable", "-o", out,
                        *args, "job.sh", cwd=d)
        assert r.rc == 0, r
        cluster.wait_state(int(r.out.strip()), "COMPLETED")
    with open(os.path.join(d, "plain")) as f:
        assert f.read().split() == ["batch", "3", "unset", "step", "2"]
    with open(os.path.join(d, "export")) as f:
        assert f.read().split() == ["batch", "3", "1", "step", "2"]


def test_srun_debug_and_distribution(cluster):
    """SRUN_DEBUG: srun's log level (3, +1 a -v, -1 with -Q); SLURM_DISTRIBUTION:
    -m as given (as Slurm's srun)."""
    d = cluster.mkdir("srundebug")
    show = "sh -c 'echo ${SRUN_DEBUG:-unset} ${SLURM_DISTRIBUTION:-unset}'"
    with open(os.path.join(d, "job.sh"), "w") as f:
        f.write("#!/bin/sh\nsrun -n1 %s\nsrun -v -n1 %s 2>/dev/null\nsrun -Q -n1 %s\n"
                "srun -n1 -m block:cyclic %s\n" % (show, show, show, show))
    jid = cluster.submit("-o", "out", "job.sh", cwd=d)
    j = cluster.wait_state(jid, ("COMPLETED", "FAILED"))
    with open(os.path.join(d, "out")) as f:
        text = f.read()
    assert j["JobState"] == "COMPLETED", text
    rows = [l.split() for l in text.splitlines() if l.strip() and not l.startswith("srun")]
    assert rows == [["3", "unset"], ["4", "unset"], ["2", "unset"], ["3", "block:cyclic"]], rows
