"""The controller killed with kill -9 while 1,000 jobs are queued and some
run: after a restart every acknowledged job is still there, the running ones
complete exactly once (also those that ended while the controller was down),
and new ids keep increasing."""

import concurrent.futures
import os

import pytest

from conftest import wait_for

QUEUED = 1000


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    # 2 nodes x 2 CPUs: four one-CPU jobs fill the cluster.
    return cluster_factory(nodes=2, cpus=2, mem=2000, append="KillWait=2\n")


@pytest.fixture(autouse=True)
def clean(cluster):
    yield
    cluster.reset()


def test_kill_9_controller_with_queued_and_running_jobs(cluster):
    d = cluster.mkdir("restart")
    runner = cluster.script("""#!/bin/bash
echo "start $SLURM_JOB_ID $SLURMD_NODENAME" >> runs-$SLURM_JOB_ID.log
while [ ! -f go-$SLURM_JOB_ID ]; do sleep 0.2; done
echo "end $SLURM_JOB_ID" >> runs-$SLURM_JOB_ID.log
""", cwd=d)
    running = [cluster.submit("--mem=100", "-o", "/dev/null", runner, cwd=d) for _ in range(4)]
    for jid in running:
        cluster.wait_state(jid, "RUNNING")
    for jid in running:
        wait_for(lambda: os.path.exists(os.path.join(d, "runs-%d.log" % jid)), 60,
                 "job %d to start" % jid)

    # 1,000 more, waiting for resources (the cluster is full).
    sbatch = cluster.bin("sbatch")

    def submit(i):
        r = cluster.run(sbatch, "--parsable", "-J", "q%d" % i, "--mem=100", "-o", "/dev/null", "--wrap", "true",
                        cwd=d, timeout=120)
        assert r.rc == 0, r
        return int(r.out.split(";")[0])
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
        queued = list(ex.map(submit, range(QUEUED)))
    assert len(set(queued)) == QUEUED
    assert min(queued) > max(running)

    ids_before = cluster.queue_ids()
    assert set(queued) | set(running) <= ids_before

    os.kill(cluster.pid("controller"), 9)
    wait_for(lambda: not cluster.alive("controller"), 30, "the controller to die")
    r = cluster.run(cluster.bin("squeue"), timeout=120)
    assert r.rc != 0, r                                  # it really is gone

    # Two jobs finish while the controller is down: their nodes keep the
    # results and report them after reconnecting.
    for jid in running[:2]:
        open(os.path.join(d, "go-%d" % jid), "w").close()
    for jid in running[:2]:
        wait_for(lambda: "end %d" % jid in open(os.path.join(d, "runs-%d.log" % jid)).read(),
                 60, "job %d to end" % jid)

    cluster.restart("controller")
    wait_for(cluster.ping, 120, "the restarted controller to answer")

    # Every acknowledged job is there: still queued or running, or (the two
    # ended while the controller was down freed CPUs) already finished.
    def known():
        active = cluster.queue_ids()
        r = cluster.ok(cluster.bin("sacct"), "-X", "-P", "-n", "--format=JobID,JobName,State",
                       timeout=120)
        finished = {int(l.split("|")[0]): l for l in r.out.splitlines() if l.split("|")[0].isdigit()}
        return active, finished
    active, finished = known()
    missing = (set(queued) | set(running)) - active - set(finished)
    assert not missing, "lost %d jobs after kill -9: %s" % (len(missing), sorted(missing)[:20])
    for i in (0, QUEUED // 2, QUEUED - 1):      # records intact
        j = cluster.job(queued[i])
        assert j["JobName"] == "q%d" % i and j["JobState"] in ("PENDING", "CONFIGURING", "RUNNING", "COMPLETING",
                                                               "COMPLETED"), j

    # The two that ended while the controller was down are recorded as
    # completed; the other two are still running and then complete once.
    for jid in running[:2]:
        cluster.wait_state(jid, "COMPLETED", timeout=120)
    for jid in running[2:]:
        assert cluster.state(jid) == "RUNNING", cluster.job(jid)
        open(os.path.join(d, "go-%d" % jid), "w").close()

    # Clear the queue so the running ones are not followed by 1,000 others.
    r = cluster.run(cluster.bin("scancel"), "-t", "PENDING", timeout=300)
    assert r.rc == 0, r
    for jid in running[2:]:
        cluster.wait_state(jid, "COMPLETED", timeout=120)
    for jid in running:
        log = open(os.path.join(d, "runs-%d.log" % jid)).read().splitlines()
        assert [l.split()[0] for l in log] == ["start", "end"], (jid, log)   # ran once
        rec = cluster.sacct(jid)
        assert rec["State"] == "COMPLETED" and rec["ExitCode"] == "0:0", rec

    # Cancelled ones are recorded as such, and ids keep increasing.
    wait_for(lambda: not (cluster.queue_ids() & set(queued)), 300, "the queue to clear")
    assert cluster.sacct(queued[-1])["State"].startswith("CANCELLED")
    new = cluster.submit("--wrap", "true", cwd=d)
    assert new > max(queued), (new, max(queued))
    cluster.wait_state(new, "COMPLETED")


def test_sigterm_controller_restart_keeps_jobs(cluster):
    d = cluster.mkdir("term")
    held = cluster.submit("-H", "-J", "held-over", "--wrap", "echo after-restart", cwd=d)
    cluster.restart("controller")           # SIGTERM, then started again
    wait_for(cluster.ping, 120, "the controller to answer")
    j = cluster.wait_state(held, "PENDING")
    assert j["Reason"] == "JobHeldUser" and j["JobName"] == "held-over", j
    cluster.ok(cluster.bin("scontrol"), "release", str(held))
    cluster.wait_state(held, "COMPLETED")
    assert open(os.path.join(d, "slurm-%d.out" % held)).read() == "after-restart\n"


def test_nodes_still_idle(cluster):
    cluster.wait_nodes_idle()
