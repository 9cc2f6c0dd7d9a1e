"""Dependencies (issue 3): after, afterany, afterok, afternotok, aftercorr
(AWS N_TO_N) and sequential (AWS SEQUENTIAL) ordering verified from the jobs'
own recorded start and end times; singleton; '?' (any); dependencies on one
array task; refusals (unknown ids, more than 20 ids, cycles, malformed
expressions); failure cascades (DependencyFailed) and
--kill-on-invalid-dep=no (DependencyNeverSatisfied) repaired with scontrol
update."""

import os
import time

import pytest

from conftest import wait_for
from modelutil import (array_tasks, intervals, key_task, max_concurrency, read_times,
                       sbatch_fail, timed_script, wait_done)


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=2, cpus=4, mem=4000, append="KillWait=2\n")


@pytest.fixture(autouse=True)
def clean(cluster):
    yield
    cluster.reset()


def reason(cluster, jid):
    return cluster.job(jid)["Reason"]


def test_after_starts_once_the_other_started(cluster):
    d = cluster.mkdir("after")
    s = timed_script(cluster, d, sleep=1)
    a = cluster.submit("-H", "-o", "/dev/null", s, cwd=d)
    b = cluster.submit("-d", "after:%d" % a, "-o", "/dev/null", s, cwd=d)
    j = cluster.wait_state(b, "PENDING")
    assert j["Reason"] == "Dependency", j
    assert "after:%d" % a in j["Dependency"], j
    released = time.time()
    cluster.ok(cluster.bin("scontrol"), "release", str(a))
    ja, jb = [wait_done(cluster, x) for x in (a, b)]
    assert ja["JobState"] == "COMPLETED" and jb["JobState"] == "COMPLETED", (ja, jb)
    # "after" means once A has started (the controller's start; the scripts'
    # own first lines may run in either order): B did not start while A was
    # held, and not before A's start.
    iv = intervals(d)
    assert iv[str(b)][0] >= released, (released, iv)
    assert jb["StartTime"] >= ja["StartTime"], (ja["StartTime"], jb["StartTime"])


def test_afterany_afterok_afternotok(cluster):
    d = cluster.mkdir("afterx")
    ok = timed_script(cluster, d, sleep=0.5)
    bad = timed_script(cluster, d, sleep=0.5, body="false")
    a_ok = cluster.submit("-o", "/dev/null", ok, cwd=d)
    a_bad = cluster.submit("-o", "/dev/null", bad, cwd=d)
    after_any = cluster.submit("-d", "afterany:%d" % a_bad, "-o", "/dev/null", ok, cwd=d)
    after_ok = cluster.submit("-d", "afterok:%d" % a_ok, "-o", "/dev/null", ok, cwd=d)
    after_notok = cluster.submit("-d", "afternotok:%d" % a_bad, "-o", "/dev/null", ok, cwd=d)
    # Never satisfiable: the default fails them.
    ok_on_bad = cluster.submit("-d", "afterok:%d" % a_bad, "-o", "/dev/null", ok, cwd=d)
    notok_on_ok = cluster.submit("-d", "afternotok:%d" % a_ok, "-o", "/dev/null", ok, cwd=d)
    assert wait_done(cluster, a_ok)["JobState"] == "COMPLETED"
    assert wait_done(cluster, a_bad)["JobState"] == "FAILED"
    for x in (after_any, after_ok, after_notok):
        assert wait_done(cluster, x)["JobState"] == "COMPLETED", cluster.job(x)
    for x in (ok_on_bad, notok_on_ok):
        j = wait_done(cluster, x)
        assert j["JobState"] == "FAILED" and j["Reason"] == "DependencyFailed", j
        assert j["BatchState"] == "FAILED", j
    iv = intervals(d)
    assert iv[str(after_any)][0] >= iv[str(a_bad)][1], iv
    assert iv[str(after_ok)][0] >= iv[str(a_ok)][1], iv
    assert iv[str(after_notok)][0] >= iv[str(a_bad)][1], iv
    assert str(ok_on_bad) not in read_times(d) and str(notok_on_ok) not in read_times(d)


def test_aftercorr_is_n_to_n(cluster):
    """Task i of B starts after task i of A ended, without waiting for the
    whole of A: A_3 does not end until B_0 has run."""
    d = cluster.mkdir("corr")
    s = timed_script(cluster, d, sleep=0.3, body="""
if [ "$SLURM_ARRAY_TASK_ID" = 3 ] && [ "$SLURM_ARRAY_JOB_ID" = "$(cat a.id)" ]; then
    while [ ! -f go ]; do sleep 0.2; done
fi""")
    a = cluster.submit("-H", "--array=0-3", "-o", "/dev/null", s, cwd=d)
    with open(os.path.join(d, "a.id"), "w") as f:
        f.write(str(a))
    cluster.ok(cluster.bin("scontrol"), "release", str(a))
    b = cluster.submit("--array=0-3", "-d", "aftercorr:%d" % a, "-o", "/dev/null", s, cwd=d)
    try:
        cluster.wait_state("%d_0" % b, "COMPLETED")
        assert cluster.state("%d_3" % a) == "RUNNING"
        j = cluster.job("%d_3" % b) or cluster.job(b)
        assert j["JobState"] == "PENDING", j
    finally:
        open(os.path.join(d, "go"), "w").close()
    for x in (a, b):
        assert wait_done(cluster, x)["JobState"] == "COMPLETED"
    iv = intervals(d)
    for i in range(4):
        ai, bi = iv["%d_%d" % (a, i)], iv["%d_%d" % (b, i)]
        assert bi[0] >= ai[1], "B_%d started at %s before A_%d ended at %s" % (i, bi[0], i, ai[1])


def test_aftercorr_task_failure_fails_its_partner(cluster):
    d = cluster.mkdir("corrfail")
    a = cluster.submit("--array=0-2", "-o", "/dev/null", "--wrap",
                       '[ "$SLURM_ARRAY_TASK_ID" != 1 ]', cwd=d)
    b = cluster.submit("--array=0-2", "-d", "aftercorr:%d" % a, "-o", "/dev/null",
                       "--wrap", "true", cwd=d)
    assert wait_done(cluster, a)["JobState"] == "FAILED"
    j = wait_done(cluster, b)
    assert j["JobState"] == "FAILED", j
    counts = array_tasks(j["ArrayTasks"])
    assert counts.get("COMPLETED") == 2, j
    t1 = cluster.job("%d_1" % b)
    if t1 is not None and t1.get("ArrayTaskId") == "1":
        assert t1["Reason"] == "DependencyFailed", t1


def test_sequential(cluster):
    d = cluster.mkdir("seq")
    s = timed_script(cluster, d, sleep=0.3)
    a = cluster.submit("--array=0-4", "-d", "sequential", "-o", "/dev/null", s, cwd=d)
    assert wait_done(cluster, a, timeout=120)["JobState"] == "COMPLETED"
    iv = intervals(d)
    assert len(iv) == 5, iv
    for i in range(1, 5):
        prev, cur = iv["%d_%d" % (a, i - 1)], iv["%d_%d" % (a, i)]
        assert cur[0] >= prev[1], "task %d started %s before task %d ended %s" % (
            i, cur[0], i - 1, prev[1])


def test_sequential_stops_at_a_failed_task(cluster):
    d = cluster.mkdir("seqfail")
    s = timed_script(cluster, d, body='[ "$SLURM_ARRAY_TASK_ID" != 1 ]')
    a = cluster.submit("--array=0-3", "-d", "sequential", "-o", "/dev/null", s, cwd=d)
    j = wait_done(cluster, a)
    assert j["JobState"] == "FAILED", j
    ran = sorted(key_task(k) for k in read_times(d))
    assert ran == [0, 1], ran                      # 2 and 3 never ran
    assert array_tasks(j["ArrayTasks"]).get("COMPLETED") == 1, j


def test_singleton(cluster):
    d = cluster.mkdir("singleton")
    s = timed_script(cluster, d, sleep=1)
    ids = [cluster.submit("-J", "solo", "-d", "singleton", "-o", "/dev/null", s, cwd=d)
           for _ in range(3)]
    other = cluster.submit("-J", "other", "-d", "singleton", "-o", "/dev/null", s, cwd=d)
    # While the first runs, the other two wait with reason Dependency.
    cluster.wait_state(ids[0], ("RUNNING", "COMPLETED"))
    for x in ids + [other]:
        assert wait_done(cluster, x, timeout=120)["JobState"] == "COMPLETED"
    iv = intervals(d)
    solo = [iv[str(x)] for x in ids]
    assert max_concurrency(solo) == 1, solo


def test_any_of(cluster):
    d = cluster.mkdir("any")
    a = cluster.submit("-o", "/dev/null", "--wrap", "exit 1", cwd=d)
    b = cluster.submit("-o", "/dev/null", "--wrap", "true", cwd=d)
    c = cluster.submit("-d", "afterok:%d?afterok:%d" % (a, b), "-o", "/dev/null", "--wrap", "true",
                       cwd=d)
    assert wait_done(cluster, c)["JobState"] == "COMPLETED", cluster.job(c)
    # Neither can hold: failed.
    e = cluster.submit("-d", "afterok:%d?afternotok:%d" % (a, b), "-o", "/dev/null", "--wrap",
                       "true", cwd=d)
    j = wait_done(cluster, e)
    assert j["JobState"] == "FAILED" and j["Reason"] == "DependencyFailed", j


def test_dependency_on_one_task(cluster):
    d = cluster.mkdir("onetask")
    a = cluster.submit("--array=0-3", "-o", "/dev/null", "--wrap",
                       '[ "$SLURM_ARRAY_TASK_ID" != 2 ] || while [ ! -f go ]; do sleep 0.2; done',
                       cwd=d)
    try:
        b = cluster.submit("-d", "afterok:%d_1" % a, "-o", "/dev/null", "--wrap", "true", cwd=d)
        c = cluster.submit("-d", "afterok:%d" % a, "-o", "/dev/null", "--wrap", "true", cwd=d)
        assert wait_done(cluster, b)["JobState"] == "COMPLETED"
        assert cluster.state("%d_2" % a) == "RUNNING"      # b did not wait for all of a
        j = cluster.job(c)
        assert j["JobState"] == "PENDING" and j["Reason"] == "Dependency", j
    finally:
        open(os.path.join(d, "go"), "w").close()
    assert wait_done(cluster, c)["JobState"] == "COMPLETED"


def test_failure_cascades_down_a_chain(cluster):
    d = cluster.mkdir("cascade")
    a = cluster.submit("-H", "-o", "/dev/null", "--wrap", "exit 2", cwd=d)
    b = cluster.submit("-d", "afterok:%d" % a, "-o", "/dev/null", "--wrap", "touch b.ran", cwd=d)
    c = cluster.submit("-d", "afterok:%d" % b, "-o", "/dev/null", "--wrap", "touch c.ran", cwd=d)
    e = cluster.submit("--array=0-2", "-d", "afterany:%d" % c, "-o", "/dev/null", "--wrap",
                       "touch e.ran", cwd=d)
    assert reason(cluster, c) == "Dependency"
    cluster.ok(cluster.bin("scontrol"), "release", str(a))
    assert wait_done(cluster, a)["JobState"] == "FAILED"
    for x in (b, c):
        j = wait_done(cluster, x)
        assert j["JobState"] == "FAILED" and j["Reason"] == "DependencyFailed", j
        assert j["BatchState"] == "FAILED", j
    # afterany is satisfied by any end, DependencyFailed included: the
    # cascade stops there.
    j = wait_done(cluster, e)
    assert j["JobState"] == "COMPLETED", j
    assert sorted(f for f in os.listdir(d) if f.endswith(".ran")) == ["e.ran"], os.listdir(d)


def test_kill_on_invalid_dep_no_then_repaired(cluster):
    d = cluster.mkdir("neversat")
    a = cluster.submit("-o", "/dev/null", "--wrap", "exit 1", cwd=d)
    b = cluster.submit("-d", "afterok:%d" % a, "--kill-on-invalid-dep=no", "-o", "/dev/null",
                       "--wrap", "touch b.ran", cwd=d)
    assert wait_done(cluster, a)["JobState"] == "FAILED"
    j = wait_for(lambda: (lambda j: j if j["Reason"] == "DependencyNeverSatisfied" else None)
                 (cluster.job(b)), 60, "job %d to show DependencyNeverSatisfied" % b)
    assert j["JobState"] == "PENDING", j
    # A later job completes meanwhile; b must still wait.
    later = cluster.submit("-o", "/dev/null", "--wrap", "true", cwd=d)
    assert wait_done(cluster, later)["JobState"] == "COMPLETED"
    assert cluster.state(b) == "PENDING"
    cluster.ok(cluster.bin("scontrol"), "update", "JobId=%d" % b, "Dependency=afterany:%d" % a)
    assert wait_done(cluster, b)["JobState"] == "COMPLETED"
    assert os.path.exists(os.path.join(d, "b.ran"))


def test_update_dependency_and_clear(cluster):
    d = cluster.mkdir("depupdate")
    a = cluster.submit("-H", "-o", "/dev/null", "--wrap", "true", cwd=d)
    b = cluster.submit("-d", "afterok:%d" % a, "-o", "/dev/null", "--wrap", "true", cwd=d)
    assert reason(cluster, b) == "Dependency"
    cluster.ok(cluster.bin("scontrol"), "update", "JobId=%d" % b, "Dependency=")
    assert wait_done(cluster, b)["JobState"] == "COMPLETED"
    assert cluster.state(a) == "PENDING"


def test_unknown_id_refused(cluster):
    d = cluster.mkdir("unknown")
    r = sbatch_fail(cluster, "-d", "afterok:987654", "--wrap", "true", cwd=d)
    assert "987654" in r.err, r
    r = sbatch_fail(cluster, "-d", "afterok:987654_3", "--wrap", "true", cwd=d)
    assert "987654" in r.err, r


def test_at_most_20_ids(cluster):
    d = cluster.mkdir("twenty")
    a = cluster.submit("-H", "--array=0-20", "-o", "/dev/null", "--wrap", "true", cwd=d)
    ids = ["%d_%d" % (a, i) for i in range(21)]
    r = sbatch_fail(cluster, "-d", "afterany:" + ":".join(ids), "--wrap", "true", cwd=d)
    assert "20" in r.err, r
    ok = cluster.submit("-H", "-d", "afterany:" + ":".join(ids[:20]), "-o", "/dev/null",
                        "--wrap", "true", cwd=d)
    assert cluster.state(ok) == "PENDING"


def test_cycle_refused(cluster):
    d = cluster.mkdir("cycle")
    a = cluster.submit("-H", "-o", "/dev/null", "--wrap", "true", cwd=d)
    b = cluster.submit("-d", "afterok:%d" % a, "-o", "/dev/null", "--wrap", "true", cwd=d)
    r = cluster.run(cluster.bin("scontrol"), "update", "JobId=%d" % a, "Dependency=afterok:%d" % b)
    assert r.rc != 0, r
    assert "cycle" in (r.err + r.out).lower() or "circular" in (r.err + r.out).lower(), r
    assert cluster.job(a)["Dependency"] in ("(null)", ""), cluster.job(a)


@pytest.mark.parametrize("dep", [
    "afterok", "afterok:", "afterfoo:1", "afterok:abc", "after:1+x", "afterok:1,,afterok:2",
    "afterok:1?", "afterok:1,", "aftercorr", "afterok:1_", "singleton:3",
])
def test_malformed_dependency_refused(cluster, dep):
    d = cluster.mkdir("baddep")
    r = sbatch_fail(cluster, "-d", dep, "--wrap", "true", cwd=d)
    assert "dependency" in r.err.lower(), r
    assert not os.listdir(d)
