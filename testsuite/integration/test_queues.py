"""Queues mapped to partitions (issue 4): queue priority order on a shared
partition (from the jobs' recorded start times), spill-over to the next
partition, a disabled queue (refuses new jobs; queued ones wait with
QueueDisabled; enabling releases them; running ones finish), scontrol
create/update/delete queue (delete needs DISABLED and empty) kept across a
controller restart, MaxRunnableTime cancelling a job stuck at the head of its
queue, and bad inputs."""

import os

import pytest

from conftest import wait_for
from modelutil import fail_run, intervals, show, timed_script, wait_done

# Every node in exactly one partition (batch is moved to n3).
APPEND = """KillWait=2
PartitionName=batch Nodes=n3
PartitionName=p1 Nodes=n1
PartitionName=p2 Nodes=n2
QueueName=high Priority=10 Partitions=p1
QueueName=low Priority=1 Partitions=p1
QueueName=spill Priority=5 Partitions=p1,p2
QueueName=closed Priority=1 Partitions=p2 State=DISABLED
QueueName=dq Priority=1 Partitions=p2
QueueName=stuck Priority=1 Partitions=batch MaxRunnableTime=3 Reason=MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT
"""


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=3, cpus=2, mem=4000, append=APPEND)


@pytest.fixture(autouse=True)
def clean(cluster):
    yield
    cluster.reset()


def blocker(cluster, d, *opts):
    """A job that holds its CPUs until d/go exists."""
    s = cluster.script("#!/bin/sh\nwhile [ ! -f go ]; do sleep 0.2; done\n", cwd=d)
    return cluster.submit("-o", "/dev/null", *(list(opts) + [s]), cwd=d)


def go(d):
    open(os.path.join(d, "go"), "w").close()


def queue(cluster, name):
    recs = show(cluster, "queue", name)
    return recs[0] if recs else None


def test_queue_priority_order_on_shared_partition(cluster):
    d = cluster.mkdir("prio")
    b = blocker(cluster, d, "-p", "low", "-c", "2")
    cluster.wait_state(b, "RUNNING")
    s = timed_script(cluster, d, sleep=0.3)
    # Each takes all of p1 (n1 has 2 CPUs): they run one at a time.
    low = [cluster.submit("-p", "low", "-c", "2", "-o", "/dev/null", s, cwd=d) for _ in range(2)]
    high = [cluster.submit("-p", "high", "-c", "2", "-o", "/dev/null", s, cwd=d) for _ in range(2)]
    for x in low + high:
        j = cluster.wait_state(x, "PENDING")
    go(d)
    for x in low + high:
        assert wait_done(cluster, x)["JobState"] == "COMPLETED"
    iv = intervals(d)
    order = sorted(low + high, key=lambda x: iv[str(x)][0])
    assert order == high + low, "start order %s, want high queue first %s" % (order, high + low)
    sacct = cluster.sacct(high[0], "JobID,Partition,NodeList,State")
    assert sacct["Partition"] == "p1" and sacct["NodeList"] == "n1", sacct


def test_spill_over_to_next_partition(cluster):
    d = cluster.mkdir("spill")
    first = cluster.submit("-p", "spill", "-c", "2", "-o", "/dev/null", "--wrap",
                           "while [ ! -f go ]; do sleep 0.2; done", cwd=d)
    cluster.wait_state(first, "RUNNING")
    second = cluster.submit("-p", "spill", "-c", "2", "-o", "/dev/null", "--wrap",
                            "while [ ! -f go ]; do sleep 0.2; done", cwd=d)
    j2 = cluster.wait_state(second, "RUNNING")
    j1 = cluster.job(first)
    assert (j1["Partition"], j1["NodeList"]) == ("p1", "n1"), j1   # the first partition first
    assert (j2["Partition"], j2["NodeList"]) == ("p2", "n2"), j2   # then the next
    third = cluster.submit("-p", "spill", "-c", "2", "-o", "/dev/null", "--wrap", "true", cwd=d)
    j3 = cluster.wait_state(third, "PENDING")
    assert j3["Reason"] in ("Resources", "Priority"), j3
    q = queue(cluster, "spill")
    assert q["PendingJobs"] == "1" and q["RunningJobs"] == "2", q
    go(d)
    assert wait_done(cluster, third)["JobState"] == "COMPLETED"
    rec = cluster.sacct(second, "JobID,Partition,NodeList,State")
    assert rec["Partition"] == "p2" and rec["NodeList"] == "n2", rec


def test_disabled_queue(cluster):
    d = cluster.mkdir("disabled")
    r = fail_run(cluster, cluster.bin("sbatch"), "-p", "closed", "--wrap", "true", cwd=d)
    assert "closed" in r.err and "disabled" in r.err.lower(), r

    running = blocker(cluster, d, "-p", "dq", "-c", "2")
    cluster.wait_state(running, "RUNNING")
    waiting = cluster.submit("-p", "dq", "-o", "/dev/null", "--wrap", "true", cwd=d)
    cluster.wait_state(waiting, "PENDING")
    cluster.ok(cluster.bin("scontrol"), "update", "QueueName=dq", "State=DISABLED")
    assert queue(cluster, "dq")["State"] == "DISABLED"
    r = fail_run(cluster, cluster.bin("sbatch"), "-p", "dq", "--wrap", "true", cwd=d)
    assert "disabled" in r.err.lower(), r
    go(d)                                       # the running job finishes
    assert wait_done(cluster, running)["JobState"] == "COMPLETED"
    # p2 is free now, but the queue is disabled: the job waits.
    j = wait_for(lambda: (lambda j: j if j["Reason"] == "QueueDisabled" else None)
                 (cluster.job(waiting)), 60, "reason QueueDisabled")
    assert j["JobState"] == "PENDING", j
    other = cluster.submit("-p", "p2", "-o", "/dev/null", "--wrap", "true", cwd=d)
    assert wait_done(cluster, other)["JobState"] == "COMPLETED"    # p2 itself works
    assert cluster.state(waiting) == "PENDING"
    cluster.ok(cluster.bin("scontrol"), "update", "QueueName=dq", "State=ENABLED")
    assert wait_done(cluster, waiting)["JobState"] == "COMPLETED"


def test_max_runnable_time_cancels_stuck_head(cluster):
    d = cluster.mkdir("stuck")
    b = blocker(cluster, d, "-p", "batch", "-c", "2")
    cluster.wait_state(b, "RUNNING")
    try:
        jid = cluster.submit("-p", "stuck", "-c", "2", "-o", "/dev/null", "--wrap", "touch ran",
                             cwd=d)
        j = wait_done(cluster, jid, timeout=120)
        assert j["JobState"] in ("CANCELLED", "FAILED"), j
        assert "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT" in j["Reason"] + j.get("Comment", ""), j
        assert not os.path.exists(os.path.join(d, "ran"))
    finally:
        go(d)


def test_create_update_delete_queue_and_restart(cluster):
    d = cluster.mkdir("qverbs")
    cluster.ok(cluster.bin("scontrol"), "create", "queue", "Name=tmpq", "Partitions=p2,p1",
               "Priority=3")
    q = queue(cluster, "tmpq")
    assert q["Priority"] == "3" and q["Partitions"] == "p2,p1" and q["State"] == "ENABLED", q
    cluster.ok(cluster.bin("scontrol"), "update", "QueueName=tmpq", "Priority=7")
    assert queue(cluster, "tmpq")["Priority"] == "7"
    jid = cluster.submit("-p", "tmpq", "-o", "/dev/null", "--wrap", "true", cwd=d)
    rec = cluster.wait_sacct(jid, lambda s: s == "COMPLETED")
    assert rec["Partition"] == "p2", rec                       # its first partition
    # Delete: refused while ENABLED.
    r = fail_run(cluster, cluster.bin("scontrol"), "delete", "queue", "tmpq")
    assert "DISABLED" in r.err or "disabled" in r.err, r
    # Kept across a restart (run-time changes win over the file).
    cluster.restart("controller")
    q = queue(cluster, "tmpq")
    assert q and q["Priority"] == "7" and q["Partitions"] == "p2,p1", q
    # Refused while it holds a job, even disabled.
    held = cluster.submit("-H", "-p", "tmpq", "-o", "/dev/null", "--wrap", "true", cwd=d)
    cluster.ok(cluster.bin("scontrol"), "update", "QueueName=tmpq", "State=DISABLED")
    r = fail_run(cluster, cluster.bin("scontrol"), "delete", "queue", "tmpq")
    assert "tmpq" in r.err, r
    assert queue(cluster, "tmpq") is not None
    cluster.ok(cluster.bin("scancel"), str(held))
    wait_done(cluster, held)
    cluster.ok(cluster.bin("scontrol"), "delete", "queue", "tmpq")
    assert queue(cluster, "tmpq") is None
    r = fail_run(cluster, cluster.bin("sbatch"), "-p", "tmpq", "--wrap", "true", cwd=d)
    assert "tmpq" in r.err, r
    cluster.restart("controller")
    assert queue(cluster, "tmpq") is None                      # the delete is kept too


def test_sinfo_and_show_queue(cluster):
    q = queue(cluster, "spill")
    assert q["Priority"] == "5" and q["Partitions"] == "p1,p2", q
    assert q["State"] == "ENABLED", q
    assert queue(cluster, "p1") is not None                    # every partition is a queue
    r = cluster.ok(cluster.bin("sinfo"))
    assert "p1" in r.out and "p2" in r.out, r


@pytest.mark.parametrize("argv,word", [
    (["sbatch", "-p", "nosuchq", "--wrap", "true"], "nosuchq"),
    (["scontrol", "create", "queue", "Name=bad1", "Partitions=nopart"], "nopart"),
    (["scontrol", "create", "queue", "Name=bad2", "Partitions=p1", "SchedulingPolicy=nopol"],
     "nopol"),
    (["scontrol", "create", "queue", "Name=bad3", "Partitions=p1", "Priority=high"], "high"),
    (["scontrol", "create", "queue", "Name=bad4", "Partitions=p1", "State=SLEEPY"], "SLEEPY"),
    (["scontrol", "create", "queue", "Name=p1", "Partitions=p1"], "p1"),     # a partition's name
    (["scontrol", "create", "queue", "Name=spill", "Partitions=p1"], "spill"),   # exists
    (["scontrol", "update", "QueueName=nosuchq", "Priority=2"], "nosuchq"),
    (["scontrol", "delete", "queue", "nosuchq"], "nosuchq"),
    (["scontrol", "create", "queue", "Name=bad5", "Partitions=p1", "MaxRunnableTime=10"],
     "Reason"),
])
def test_bad_queue_requests(cluster, argv, word):
    r = fail_run(cluster, [cluster.bin(argv[0])] + argv[1:])
    assert word in r.err, r
    for bad in ("bad1", "bad2", "bad3", "bad4", "bad5"):
        assert queue(cluster, bad) is None


def test_delete_busy_queue_refused(cluster):
    d = cluster.mkdir("busy")
    cluster.ok(cluster.bin("scontrol"), "create", "queue", "Name=busyq", "Partitions=p2")
    jid = blocker(cluster, d, "-p", "busyq")
    cluster.wait_state(jid, "RUNNING")
    cluster.ok(cluster.bin("scontrol"), "update", "QueueName=busyq", "State=DISABLED")
    r = fail_run(cluster, cluster.bin("scontrol"), "delete", "queue", "busyq")
    assert "busyq" in r.err, r
    go(d)
    assert wait_done(cluster, jid)["JobState"] == "COMPLETED"
    cluster.ok(cluster.bin("scontrol"), "delete", "queue", "busyq")
