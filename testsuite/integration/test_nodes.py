"""Nodes: drain and resume with reasons; node death (kill -9 of a sluiced):
its jobs end NODE_FAIL (or are requeued with --requeue) after NodeTimeout,
and the node returns when its daemon is started again, with no orphans."""

import os

import pytest

from conftest import pid_gone, read_pidfile, wait_for

APPEND = """KillWait=2
NodeTimeout=5
HeartbeatInterval=1
"""


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=3, cpus=4, mem=4000, append=APPEND)


@pytest.fixture(autouse=True)
def clean(request, cluster):
    """Each test starts with an empty queue and usable nodes."""
    yield
    cluster.reset()


def sinfo_reasons(cluster):
    """sinfo -R: {node: reason} (the default REASON USER TIMESTAMP NODELIST
    columns, read with an explicit format to keep blanks in reasons)."""
    r = cluster.ok(cluster.bin("sinfo"), "-R", "-h", "-o", "%N|%E")
    out = {}
    for line in r.out.splitlines():
        nodes, reason = line.split("|", 1)
        for n in cluster.run(cluster.bin("scontrol"), "show", "hostnames", nodes).out.split():
            out[n] = reason.strip()
    return out


def test_drain_and_resume(cluster):
    cluster.ok(cluster.bin("scontrol"), "update", "NodeName=n1", "State=DRAIN", "Reason=disk check")
    wait_for(lambda: cluster.node_states().get("n1") == "drained", 30, "n1 drained")
    assert sinfo_reasons(cluster).get("n1") == "disk check"
    r = cluster.ok(cluster.bin("sinfo"), "-R")
    hdr = r.out.splitlines()[0].split()
    assert hdr[0] == "REASON" and hdr[-1] == "NODELIST", r
    assert "disk check" in r.out and "n1" in r.out, r
    n = cluster.node("n1")
    assert "DRAIN" in n["State"] and n["Reason"].startswith("disk check"), n
    # No new work lands on n1: a job asking for it waits while others run.
    d = cluster.mkdir("drain")
    want_n1 = cluster.submit("-w", "n1", "--wrap", "echo on-n1", cwd=d)
    other = cluster.submit("--wrap", "echo $SLURMD_NODENAME", cwd=d)
    cluster.wait_state(other, "COMPLETED")
    assert open(os.path.join(d, "slurm-%d.out" % other)).read() in ("n2\n", "n3\n")
    j = cluster.job(want_n1)
    assert j["JobState"] == "PENDING", j
    cluster.ok(cluster.bin("scontrol"), "update", "NodeName=n1", "State=RESUME")
    cluster.wait_state(want_n1, "COMPLETED")
    wait_for(lambda: cluster.node_states().get("n1") == "idle", 30, "n1 idle")
    assert "n1" not in sinfo_reasons(cluster)


def test_drain_busy_node_is_draining_until_job_ends(cluster):
    d = cluster.mkdir("draining")
    jid = cluster.submit("-w", "n2", "--wrap", "while [ ! -f go ]; do sleep 0.2; done", cwd=d)
    cluster.wait_state(jid, "RUNNING")
    cluster.ok(cluster.bin("scontrol"), "update", "NodeName=n2", "State=DRAIN", "Reason=maint")
    wait_for(lambda: cluster.node_states().get("n2") == "draining", 30, "n2 draining")
    assert cluster.state(jid) == "RUNNING"          # draining does not kill jobs
    open(os.path.join(d, "go"), "w").close()
    cluster.wait_state(jid, "COMPLETED")
    wait_for(lambda: cluster.node_states().get("n2") == "drained", 30, "n2 drained")
    cluster.ok(cluster.bin("scontrol"), "update", "NodeName=n2", "State=RESUME")
    wait_for(lambda: cluster.node_states().get("n2") == "idle", 30, "n2 idle")


def test_node_update_down_and_resume(cluster):
    cluster.ok(cluster.bin("scontrol"), "update", "NodeName=n3", "State=DOWN", "Reason=broken")
    wait_for(lambda: (cluster.node_states().get("n3") or "").startswith("down"), 30, "n3 down")
    assert sinfo_reasons(cluster).get("n3") == "broken"
    cluster.ok(cluster.bin("scontrol"), "update", "NodeName=n3", "State=RESUME")
    wait_for(lambda: cluster.node_states().get("n3") == "idle", 60, "n3 idle")


def test_node_death_fails_its_jobs_and_node_returns(cluster):
    d = cluster.mkdir("death")
    plain = cluster.script("""#!/bin/bash
echo $$ > plain.pid
sleep 600 &
echo $! > plain-child.pid
wait
""", cwd=d)
    requeue = cluster.script("""#!/bin/bash
echo "run $SLURM_RESTART_COUNT on $SLURMD_NODENAME" >> requeue.log
if [ "$SLURM_RESTART_COUNT" = 0 ]; then echo $$ > requeue.pid; sleep 600; fi
""", cwd=d)
    # Both jobs on n3: the requeue one by draining the others while it starts
    # (a -w n3 job could not run elsewhere after the requeue).
    cluster.ok(cluster.bin("scontrol"), "update", "NodeName=n[1-2]", "State=DRAIN", "Reason=pin")
    j1 = cluster.submit("-w", "n3", "--mem=100", "-o", "plain.out", plain, cwd=d)
    j2 = cluster.submit("--mem=100", "--requeue", "-o", "requeue.out", requeue, cwd=d)
    cluster.wait_state(j1, "RUNNING")
    assert cluster.wait_state(j2, "RUNNING")["NodeList"] == "n3"
    cluster.ok(cluster.bin("scontrol"), "update", "NodeName=n[1-2]", "State=RESUME")
    wait_for(lambda: all(cluster.node_states().get(n) == "idle" for n in ("n1", "n2")), 30,
             "n1, n2 idle")
    job_pid = read_pidfile(os.path.join(d, "plain.pid"))
    child_pid = read_pidfile(os.path.join(d, "plain-child.pid"))
    first_run_pid = read_pidfile(os.path.join(d, "requeue.pid"))

    node_pid = cluster.pid("n3")
    assert node_pid
    os.kill(node_pid, 9)
    wait_for(lambda: not cluster.alive("n3"), 30, "sluiced n3 to die")

    # After NodeTimeout the node is DOWN (not responding) and its jobs end.
    wait_for(lambda: (cluster.node_states().get("n3") or "").startswith("down"), 120,
             "n3 to be marked down")
    assert cluster.node_states()["n3"] == "down*", cluster.node_states()
    j = cluster.wait_state(j1, ("NODE_FAIL", "FAILED", "CANCELLED", "COMPLETED"), timeout=60)
    assert j["JobState"] == "NODE_FAIL", j
    rec = cluster.wait_sacct(j1, lambda s: s == "NODE_FAIL")
    assert rec["State"] == "NODE_FAIL", rec
    # The --requeue job went back to the queue; n3 being down, it runs elsewhere.
    j = cluster.wait_state(j2, "COMPLETED", timeout=120)
    assert j["Restarts"] == "1", j
    assert j["NodeList"] in ("n1", "n2"), j
    runs = open(os.path.join(d, "requeue.log")).read().splitlines()
    assert runs[0] == "run 0 on n3" and runs[-1].startswith("run 1 on n"), runs

    # The node comes back when its daemon starts again, and the job left
    # behind on it is killed (it was ended as NODE_FAIL: it must not linger).
    cluster.restart("n3")
    wait_for(lambda: cluster.node_states().get("n3") == "idle", 120, "n3 idle again")
    wait_for(lambda: pid_gone(job_pid) and pid_gone(child_pid) and pid_gone(first_run_pid), 60,
             "the orphaned processes of jobs %d, %d to be killed" % (j1, j2))
    assert cluster.state(j1) == "NODE_FAIL"
    assert cluster.sacct(j1)["State"] == "NODE_FAIL"
    # And it runs work again.
    ok = cluster.submit("-w", "n3", "--wrap", "echo back", cwd=d)
    cluster.wait_state(ok, "COMPLETED")


def test_node_daemon_restart_keeps_running_job(cluster):
    """A sluiced restarted cleanly (SIGTERM then start) adopts the jobs its
    stepds still run: they complete normally, once."""
    d = cluster.mkdir("adopt")
    jid = cluster.submit("-w", "n2", "-o", "out.txt", "--wrap",
                         "echo start >> runs.log; while [ ! -f go ]; do sleep 0.2; done; echo done",
                         cwd=d)
    cluster.wait_state(jid, "RUNNING")
    wait_for(lambda: os.path.exists(os.path.join(d, "runs.log")), 30, "the job to start")
    cluster.restart("n2")
    open(os.path.join(d, "go"), "w").close()
    j = cluster.wait_state(jid, ("COMPLETED", "FAILED", "NODE_FAIL", "CANCELLED"))
    assert j["JobState"] == "COMPLETED", j
    assert open(os.path.join(d, "runs.log")).read() == "start\n"
    assert open(os.path.join(d, "out.txt")).read() == "done\n"


def test_all_nodes_up_at_end(cluster):
    cluster.wait_nodes_idle()
    assert all(x["alive"] for x in cluster.status()["daemons"])
