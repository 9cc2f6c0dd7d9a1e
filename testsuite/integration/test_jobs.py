"""Batch jobs from end to end: submit, run, output, environment, exit codes and
signals, cancel, time limit, hold/release, the commands' Slurm-style output."""

import getpass
import os
import re

import pytest

from conftest import pid_gone, read_pidfile, wait_for

# A short KillWait keeps the time-limit test short; MaxTime bounds -t.
APPEND = """KillWait=2
PartitionName=batch MaxTime=60
"""


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=3, cpus=4, mem=4000, append=APPEND)


@pytest.fixture(scope="module")
def timelimit_job(cluster):
    """A job over its 1-minute limit that ignores SIGTERM, submitted as soon
    as the cluster is up so that its minute overlaps the other tests."""
    d = cluster.mkdir("timelimit")
    path = cluster.script("""#!/bin/bash
trap 'echo got SIGTERM; date +%s > term.time' TERM
echo $$ > job.pid
sleep 600 &
echo $! > child.pid
while true; do wait; done
""", cwd=d)
    jid = cluster.submit("-t", "1", "-w", "n3", "-J", "overtime", "-o", "out.txt", path, cwd=d)
    return jid, d


def test_timelimit_job_starts(cluster, timelimit_job):
    jid, d = timelimit_job
    j = cluster.wait_state(jid, "RUNNING")
    assert j["TimeLimit"] in ("00:01:00", "1:00", "01:00"), j


def test_submit_output_and_environment(cluster):
    d = cluster.mkdir("env")
    path = cluster.script("""#!/bin/bash
#SBATCH --job-name=from-script
#SBATCH --output=env-%j.out
echo "PWD=$(pwd)"
env | grep -E '^(SLURM|SLURMD|AWS_BATCH)_' | sort
echo "MYVAR=$MYVAR"
echo "ARGS=$*"
""", cwd=d)
    jid = cluster.submit("-J", "envjob", path, "a1", "b2", cwd=d, env={"MYVAR": "hello there"})
    cluster.wait_state(jid, "COMPLETED")
    out = os.path.join(d, "env-%d.out" % jid)
    assert os.path.exists(out), "no output file %s; dir has %s" % (out, os.listdir(d))
    text = open(out).read()
    env = dict(l.split("=", 1) for l in text.splitlines() if "=" in l)
    me = getpass.getuser()
    assert env.get("PWD") == d, text
    assert env.get("SLURM_JOB_ID") == str(jid), text
    assert env.get("SLURM_JOBID") == str(jid), text
    assert env.get("SLURM_JOB_NAME") == "envjob", text        # -J beats #SBATCH
    assert env.get("SLURM_JOB_NUM_NODES") == "1", text
    assert env.get("SLURM_NNODES") == "1", text
    assert env.get("SLURM_NTASKS") == "1", text
    assert env.get("SLURM_JOB_PARTITION") == "batch", text
    assert env.get("SLURM_SUBMIT_DIR") == d, text
    assert env.get("SLURM_CLUSTER_NAME") == "devcluster", text
    assert env.get("SLURM_JOB_USER") == me, text
    assert env.get("SLURM_JOB_UID") == str(os.getuid()), text
    assert env.get("SLURM_RESTART_COUNT", "0") == "0", text
    node = env.get("SLURMD_NODENAME")
    assert node in cluster.nodes, text
    assert env.get("SLURM_JOB_NODELIST") == node, text
    assert env.get("SLURM_NODELIST") == node, text
    assert env.get("SLURM_CPUS_ON_NODE") == "1", text
    assert env.get("AWS_BATCH_JOB_ID"), text
    assert env.get("AWS_BATCH_JQ_NAME") == "batch", text
    assert "AWS_BATCH_JOB_ATTEMPT" in env, text
    assert env.get("MYVAR") == "hello there", text       # --export=ALL by default
    assert env.get("ARGS") == "a1 b2", text
    rec = cluster.sacct(jid)
    assert rec["State"] == "COMPLETED" and rec["ExitCode"] == "0:0", rec
    assert rec["JobName"] == "envjob" and rec["NodeList"] == node, rec


def test_default_output_file_and_submit_message(cluster):
    d = cluster.mkdir("default")
    r = cluster.ok(cluster.bin("sbatch"), "--wrap", "echo out-line; echo err-line >&2", cwd=d)
    m = re.match(r"^Submitted batch job (\d+)\n$", r.out)
    assert m, r
    jid = int(m.group(1))
    j = cluster.wait_state(jid, "COMPLETED")
    assert j["JobName"] == "wrap", j
    out = os.path.join(d, "slurm-%d.out" % jid)
    assert os.path.exists(out), os.listdir(d)
    assert open(out).read() == "out-line\nerr-line\n"     # stderr goes to the output file


def test_output_patterns_error_file_and_chdir(cluster):
    d = cluster.mkdir("patterns")
    sub = os.path.join(d, "sub")
    os.mkdir(sub)
    jid = cluster.submit("-J", "pat", "-D", sub, "-o", "%x-%j-%u.out", "-e", "%x-%j.err",
                         "--wrap", "pwd; echo oops >&2", cwd=d)
    cluster.wait_state(jid, "COMPLETED")
    me = getpass.getuser()
    out = os.path.join(sub, "pat-%d-%s.out" % (jid, me))
    err = os.path.join(sub, "pat-%d.err" % jid)
    assert os.path.exists(out) and os.path.exists(err), os.listdir(sub)
    assert open(out).read() == sub + "\n"
    assert open(err).read() == "oops\n"


def test_open_mode_append(cluster):
    d = cluster.mkdir("append")
    with open(os.path.join(d, "log.txt"), "w") as f:
        f.write("before\n")
    jid = cluster.submit("-o", "log.txt", "--open-mode=append", "--wrap", "echo after", cwd=d)
    cluster.wait_state(jid, "COMPLETED")
    assert open(os.path.join(d, "log.txt")).read() == "before\nafter\n"


def test_exit_code_3_is_failed(cluster):
    d = cluster.mkdir("exit3")
    jid = cluster.submit("--wrap", "echo bye; exit 3", cwd=d)
    j = cluster.wait_state(jid, ("FAILED", "COMPLETED", "CANCELLED", "TIMEOUT", "NODE_FAIL"))
    assert j["JobState"] == "FAILED", j
    assert j["ExitCode"] == "3:0", j
    rec = cluster.wait_sacct(jid, lambda s: s == "FAILED")
    assert rec["ExitCode"] == "3:0", rec


def test_killed_by_signal_9(cluster):
    d = cluster.mkdir("sig9")
    path = cluster.script("#!/bin/bash\nkill -9 $$\n", cwd=d)
    jid = cluster.submit(path, cwd=d)
    j = cluster.wait_state(jid, ("FAILED", "COMPLETED", "CANCELLED"))
    assert j["JobState"] == "FAILED", j
    assert j["ExitCode"] == "0:9", j
    rec = cluster.wait_sacct(jid, lambda s: s == "FAILED")
    assert rec["ExitCode"] == "0:9", rec


def test_wait_option_returns_exit_code(cluster):
    d = cluster.mkdir("wait")
    r = cluster.run(cluster.bin("sbatch"), "-W", "--wrap", "exit 7", cwd=d, timeout=120)
    assert r.rc == 7, r
    assert re.match(r"^Submitted batch job \d+", r.out), r


def test_cancel_running_job_kills_whole_tree(cluster):
    d = cluster.mkdir("cancel")
    path = cluster.script("""#!/bin/bash
echo $$ > job.pid
sleep 600 &
echo $! > child.pid
wait
""", cwd=d)
    jid = cluster.submit(path, cwd=d)
    cluster.wait_state(jid, "RUNNING")
    job_pid = read_pidfile(os.path.join(d, "job.pid"))
    child_pid = read_pidfile(os.path.join(d, "child.pid"))
    r = cluster.run(cluster.bin("scancel"), str(jid))
    assert r.rc == 0, r
    j = cluster.wait_state(jid, "CANCELLED")
    assert j["ExitCode"].endswith(":15") or j["ExitCode"].endswith(":9") or j["ExitCode"] == "0:0", j
    rec = cluster.wait_sacct(jid, lambda s: s.startswith("CANCELLED"))
    assert re.match(r"^CANCELLED( by \d+)?$", rec["State"]), rec
    wait_for(lambda: pid_gone(job_pid) and pid_gone(child_pid), 60,
             "job %d's processes %d, %d to be gone" % (jid, job_pid, child_pid))
    assert jid not in cluster.queue_ids() or cluster.state(jid) == "CANCELLED"


def test_cancel_pending_job(cluster):
    d = cluster.mkdir("cancelpd")
    jid = cluster.submit("-H", "--wrap", "touch ran", cwd=d)
    j = cluster.wait_state(jid, "PENDING")
    assert j["Reason"] == "JobHeldUser", j
    cluster.ok(cluster.bin("scancel"), str(jid))
    cluster.wait_state(jid, "CANCELLED")
    rec = cluster.wait_sacct(jid, lambda s: s.startswith("CANCELLED"))
    assert rec["State"].startswith("CANCELLED"), rec
    assert not os.path.exists(os.path.join(d, "ran"))


def test_scancel_unknown_job(cluster):
    r = cluster.run(cluster.bin("scancel"), "999999")
    assert r.rc != 0, r
    assert "999999" in r.err, r


def test_hold_release_and_update(cluster):
    d = cluster.mkdir("hold")
    jid = cluster.submit("-H", "-J", "held", "-t", "10", "--wrap", "echo released", cwd=d)
    j = cluster.wait_state(jid, "PENDING")
    assert j["Reason"] == "JobHeldUser", j
    r = cluster.ok(cluster.bin("squeue"), "-j", str(jid))
    lines = r.out.splitlines()
    assert lines[0].split() == ["JOBID", "PARTITION", "NAME", "USER", "ST", "TIME", "NODES",
                                "NODELIST(REASON)"], r
    f = lines[1].split()
    assert f[0] == str(jid) and f[1] == "batch" and f[2] == "held" and f[4] == "PD", r
    assert f[-1] == "(JobHeldUser)", r
    cluster.ok(cluster.bin("scontrol"), "update", "JobId=%d" % jid, "TimeLimit=5", "Name=renamed")
    j = cluster.job(jid)
    assert j["TimeLimit"] in ("00:05:00", "5:00", "05:00"), j
    assert j["JobName"] == "renamed", j
    cluster.ok(cluster.bin("scontrol"), "release", str(jid))
    cluster.wait_state(jid, "COMPLETED")
    assert open(os.path.join(d, "slurm-%d.out" % jid)).read() == "released\n"


def test_hold_pending_job(cluster):
    """scontrol hold on a job that waits for resources keeps it from starting
    when they free up."""
    d = cluster.mkdir("hold2")
    blocker = cluster.submit("-w", "n1", "--exclusive", "--wrap", "while [ ! -f go ]; do sleep 0.2; done",
                             cwd=d)
    cluster.wait_state(blocker, "RUNNING")
    jid = cluster.submit("-w", "n1", "--wrap", "true", cwd=d)
    j = cluster.wait_state(jid, "PENDING")
    cluster.ok(cluster.bin("scontrol"), "hold", str(jid))
    j = cluster.job(jid)
    assert j["JobState"] == "PENDING" and j["Reason"] in ("JobHeldUser", "JobHeldAdmin"), j
    open(os.path.join(d, "go"), "w").close()
    cluster.wait_state(blocker, "COMPLETED")
    # A later job on n1 runs: the held one must still be pending after it.
    later = cluster.submit("-w", "n1", "--wrap", "true", cwd=d)
    cluster.wait_state(later, "COMPLETED")
    j = cluster.job(jid)
    assert j["JobState"] == "PENDING", j
    cluster.ok(cluster.bin("scontrol"), "release", str(jid))
    cluster.wait_state(jid, "COMPLETED")


def test_two_node_job(cluster):
    d = cluster.mkdir("twonode")
    jid = cluster.submit("-N", "2", "--ntasks-per-node=2", "-o", "out.txt", "--wrap",
                         "echo $SLURM_JOB_NUM_NODES $SLURM_NTASKS $SLURM_JOB_NODELIST "
                         "$SLURM_JOB_CPUS_PER_NODE", cwd=d)
    j = cluster.wait_state(jid, "COMPLETED")
    nn, ntasks, nodelist, cpn = open(os.path.join(d, "out.txt")).read().split()
    assert (nn, ntasks, cpn) == ("2", "4", "2(x2)"), (nn, ntasks, cpn)
    assert j["NodeList"] == nodelist and re.match(r"^n\[\d[-,]\d\]$", nodelist), (j, nodelist)
    rec = cluster.sacct(jid)
    assert rec["AllocCPUS"] == "4", rec


def test_sinfo_and_scontrol_show(cluster):
    r = cluster.ok(cluster.bin("sinfo"))
    lines = r.out.splitlines()
    assert lines[0].split() == ["PARTITION", "AVAIL", "TIMELIMIT", "NODES", "STATE", "NODELIST"], r
    assert any(l.split()[0] == "batch*" and l.split()[1] == "up" for l in lines[1:]), r
    r = cluster.ok(cluster.bin("scontrol"), "show", "partition", "batch")
    p = r.out
    assert "PartitionName=batch" in p and "MaxTime=01:00:00" in p, r
    r = cluster.ok(cluster.bin("scontrol"), "show", "node", "n2")
    n = cluster.node("n2")
    assert n["NodeName"] == "n2" and n["CPUTot"] == "4" and n["RealMemory"] == "4000", n
    r = cluster.ok(cluster.bin("scontrol"), "show", "hostnames", "n[1-3]")
    assert r.out.split() == ["n1", "n2", "n3"], r
    r = cluster.ok(cluster.bin("scontrol"), "show", "hostlist", "n1,n2,n3")
    assert r.out.strip() == "n[1-3]", r
    r = cluster.ok(cluster.bin("scontrol"), "ping")
    assert "UP" in r.out, r


def test_commands_help_and_version(cluster):
    for cmd in ("sbatch", "squeue", "sinfo", "scancel", "scontrol", "sacct"):
        r = cluster.run(cluster.bin(cmd), "--version")
        assert r.rc == 0 and re.search(r"\d+\.\d+", r.out), r
        r = cluster.run(cluster.bin(cmd), "--help")
        assert r.rc == 0 and "Usage" in r.out + r.err, r


def test_time_limit_ends_job_timeout(cluster, timelimit_job):
    jid, d = timelimit_job
    j = cluster.wait_state(jid, ("TIMEOUT", "FAILED", "CANCELLED", "COMPLETED"), timeout=180)
    assert j["JobState"] == "TIMEOUT", j
    out = open(os.path.join(d, "out.txt")).read()
    assert "got SIGTERM" in out, out               # SIGTERM first ...
    for name in ("job.pid", "child.pid"):          # ... then SIGKILL for the whole tree
        pid = read_pidfile(os.path.join(d, name))
        wait_for(lambda: pid_gone(pid), 30, "process %d (%s) to be gone" % (pid, name))
    rec = cluster.wait_sacct(jid, lambda s: s == "TIMEOUT")
    assert rec["State"] == "TIMEOUT", rec


def test_daemons_still_alive(cluster):
    st = cluster.status()
    assert all(d["alive"] for d in st["daemons"]), st
