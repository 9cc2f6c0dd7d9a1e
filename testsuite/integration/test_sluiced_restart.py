"""sluiced killed with kill -9 and started again within NodeTimeout while its
jobs run: the new daemon adopts them, they finish normally and are recorded
COMPLETED once (also one that ended while no daemon watched it).  A cancel
or a requeue that arrives while the node's daemon is away waits for the
node: the job is COMPLETING, not ended, until the node confirms that the
run is over, so a requeued job never runs twice at once.

Each job appends "start JOBID ATTEMPT" / "end JOBID ATTEMPT" to its own run
file and holds an flock on it while it runs: a second run of one attempt, or
an attempt started while the previous one still runs, leaves evidence
("overlap")."""

import os
import signal

import pytest

from conftest import parse_pipe, pid_gone, read_pidfile, wait_for

TERMINAL = ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY")

# $1: run file; the job waits for $1.go (attempt 0 only with $2 = first).
RUN_SCRIPT = r"""#!/bin/bash
a=${SLURM_RESTART_COUNT:-0}
exec 9>>"$1"
flock -n 9 || { echo "overlap $SLURM_JOB_ID $a" >&9; flock 9; }
echo "start $SLURM_JOB_ID $a $$" >&9
if [ "$2" != first ] || [ "$a" = 0 ]; then
    while [ ! -e "$1.go" ]; do sleep 0.1; done
fi
echo "end $SLURM_JOB_ID $a" >&9
"""


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    # NodeTimeout stays far above the time a restart takes: these are the
    # within-timeout cases (the lease cases are test_node_faults.py's).
    return cluster_factory(nodes=2, cpus=2, mem=2000, append="KillWait=2\nNodeTimeout=300\n")


@pytest.fixture(autouse=True)
def clean(cluster):
    yield
    for n in cluster.nodes:
        if not cluster.alive(n):
            cluster.restart(n)
    cluster.reset()


def runs(path):
    try:
        with open(path) as f:
            return [l.split() for l in f.read().splitlines() if l.strip()]
    except OSError:
        return []


def started(path, attempt=0):
    return [l for l in runs(path) if l[0] == "start" and l[2] == str(attempt)]


def kill9_node(cluster, name):
    pid = cluster.pid(name)
    assert pid, "sluiced %s is not running" % name
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not cluster.alive(name), 30, "sluiced %s to die" % name)


def sacct_attempts(cluster, jid):
    r = cluster.ok(cluster.bin("sacct"), "-D", "-P", "-j", str(jid),
                   "--format=JobID,State,ExitCode,Restarts")
    return [x for x in parse_pipe(r.out) if x["JobID"] == str(jid)]


def job_on(cluster, d, name, node, *opts, first=False):
    s = cluster.script(RUN_SCRIPT, cwd=d)
    path = os.path.join(d, name)
    where = ["-w", node] if node else []
    jid = cluster.submit(*where, "-o", "/dev/null", *opts, s, path,
                         "first" if first else "all", cwd=d)
    wait_for(lambda: started(path), 60, "job %d (%s) to start" % (jid, name))
    return jid, path


def go(path):
    open(path + ".go", "w").close()


def test_kill9_sluiced_jobs_adopted_and_recorded_once(cluster):
    d = cluster.mkdir("adopt9")
    a, pa = job_on(cluster, d, "a", "n1")     # ends while no daemon watches it
    b, pb = job_on(cluster, d, "b", "n1")     # still running when the daemon is back
    kill9_node(cluster, "n1")
    go(pa)
    wait_for(lambda: any(l[0] == "end" for l in runs(pa)), 60, "job a to end")
    cluster.restart("n1")
    go(pb)
    for jid in (a, b):
        j = cluster.wait_state(jid, TERMINAL, timeout=120)
        assert j["JobState"] == "COMPLETED" and j["Restarts"] == "0", j
        rows = sacct_attempts(cluster, jid)
        assert [(r["State"], r["ExitCode"]) for r in rows] == [("COMPLETED", "0:0")], rows
    for path in (pa, pb):
        assert [l[0] for l in runs(path)] == ["start", "end"], runs(path)
    assert cluster.node_states().get("n1") == "idle"


def test_repeated_kill9_of_sluiced_under_load(cluster):
    """Five kill -9 / restart cycles of n1 while short jobs keep arriving:
    every job completes, each ran exactly once."""
    d = cluster.mkdir("loop9")
    s = cluster.script(RUN_SCRIPT, cwd=d)
    jobs = {}
    for cycle in range(5):
        for k in range(4):
            path = os.path.join(d, "j%d-%d" % (cycle, k))
            go(path)        # no waiting: each job runs straight through
            jobs[cluster.submit("-o", "/dev/null", s, path, "all", cwd=d)] = path
        kill9_node(cluster, "n1")
        cluster.restart("n1")
    for jid, path in jobs.items():
        j = cluster.wait_state(jid, TERMINAL, timeout=120)
        assert j["JobState"] == "COMPLETED", j
        assert [l[0] for l in runs(path)] == ["start", "end"], (jid, runs(path))
        assert len(sacct_attempts(cluster, jid)) == 1, sacct_attempts(cluster, jid)


def test_requeue_while_node_daemon_away_waits_for_the_old_run(cluster):
    d = cluster.mkdir("requeue-away")
    # On n1 without pinning it there: once requeued it may run on n2.
    cluster.ok(cluster.bin("scontrol"), "update", "NodeName=n2", "State=DRAIN", "Reason=pin")
    jid, path = job_on(cluster, d, "r", None, "--requeue", first=True)
    cluster.ok(cluster.bin("scontrol"), "update", "NodeName=n2", "State=RESUME")
    old = int(started(path)[0][3])
    kill9_node(cluster, "n1")
    cluster.ok(cluster.bin("scontrol"), "requeue", str(jid))
    # Nobody can confirm that the run is over: it is being terminated, not
    # back in the queue (where it could start again beside the old run).
    j = cluster.job(jid)
    assert j["JobState"] == "COMPLETING" and j["Restarts"] == "0", j
    cluster.restart("n1")
    wait_for(lambda: pid_gone(old), 60, "the old run (pid %d) to be killed" % old)
    j = wait_for(lambda: (lambda j: j if j["JobState"] in TERMINAL else None)(cluster.job(jid)),
                 120, "job %d to end" % jid)
    assert j["JobState"] == "COMPLETED" and j["Restarts"] == "1", j
    lines = runs(path)
    assert [(l[0], l[2]) for l in lines] == [("start", "0"), ("start", "1"), ("end", "1")], lines
    rows = sacct_attempts(cluster, jid)
    assert [r["State"] for r in rows] == ["REQUEUED", "COMPLETED"], rows


def test_cancel_while_node_daemon_away_ends_when_the_node_confirms(cluster):
    d = cluster.mkdir("cancel-away")
    jid, path = job_on(cluster, d, "c", "n2")
    pid = int(started(path)[0][3])
    kill9_node(cluster, "n2")
    cluster.ok(cluster.bin("scancel"), str(jid))
    j = cluster.job(jid)
    assert j["JobState"] == "COMPLETING", j
    cluster.restart("n2")
    wait_for(lambda: pid_gone(pid), 60, "the cancelled run (pid %d) to be killed" % pid)
    j = cluster.wait_state(jid, TERMINAL, timeout=120)
    assert j["JobState"] == "CANCELLED", j
    assert cluster.sacct(jid)["State"].startswith("CANCELLED")
    assert [l[0] for l in runs(path)] == ["start"], runs(path)
