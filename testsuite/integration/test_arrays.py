"""Array jobs (issue 3): every --array syntax, folding in squeue and -r,
scancel of a whole array, one task and a task range, the variables and output
patterns tasks see, the array's summary record, failure of the array when a
task fails, throttles respected at every moment (from the tasks' own
recorded start and end times), and a 10,000-task array through to the end."""

import os
import re

import pytest

from conftest import SCALE, wait_for
from modelutil import (array_tasks, expand_idx, intervals, max_concurrency, sacct_rows, sbatch_fail,
                       squeue, timed_script, wait_done)

# The 10,000-task array: in a sanitizer build (several times slower) a
# 1,000-task array exercises the same paths within CI's budget.
BIG = int(os.environ.get("SLUICE_BIG_ARRAY") or (10000 if SCALE == 1 else 1000))
CPUS = int(os.environ.get("SLUICE_BIG_ARRAY_CPUS") or 64)


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    # Fake CPUs per node: the big array runs 2 x CPUS tasks at once.
    return cluster_factory(nodes=2, cpus=CPUS, mem=4000, append="KillWait=2\n")


def pending_ids(cluster, jid):
    """squeue -r: the ids of the array's lines (one per task)."""
    out = squeue(cluster, "-r", "-h", "-j", str(jid), "-o", "%i")
    return out.split()


@pytest.mark.parametrize("spec,tasks,throttle", [
    ("0-3", [0, 1, 2, 3], None),
    ("1,3,5-7", [1, 3, 5, 6, 7], None),
    ("0-15:4", [0, 4, 8, 12], None),
    ("2-9:3%2", [2, 5, 8], 2),
    ("7", [7], None),
    ("10000", [10000], None),          # MaxArraySize 10001: index 10000 is allowed
    ("3,1,2", [1, 2, 3], None),
])
def test_array_syntax(cluster, spec, tasks, throttle):
    d = cluster.mkdir("syntax")
    jid = cluster.submit("-H", "--array=" + spec, "-o", "/dev/null", "--wrap", "true", cwd=d)
    try:
        assert sorted(pending_ids(cluster, jid)) == sorted("%d_%d" % (jid, t) for t in tasks)
        j = cluster.job(jid)
        assert j["ArraySize"] == str(len(tasks)), j
        assert j["ArrayJobId"] == str(jid), j
        if throttle:
            assert j["ArrayTaskThrottle"] == str(throttle), j
        # Folded: one line for all the pending tasks.
        lines = squeue(cluster, "-h", "-j", str(jid), "-o", "%i %t").splitlines()
        assert len(lines) == 1, lines
        ident, st = lines[0].split()
        assert st == "PD", lines
        if len(tasks) == 1:
            assert ident in ("%d_%d" % (jid, tasks[0]), "%d_[%d]" % (jid, tasks[0])), lines
        else:
            assert ident.startswith("%d_[" % jid) and ident.endswith("]"), lines
            if throttle:
                assert ident.endswith("%%%d]" % throttle), lines
    finally:
        cluster.run(cluster.bin("scancel"), str(jid))


def test_array_variables_and_output_patterns(cluster):
    d = cluster.mkdir("arrenv")
    script = cluster.script("""#!/bin/sh
env | grep -E '^(SLURM_ARRAY|AWS_BATCH_JOB_ARRAY|SLURM_JOB_ID=)' | sort
""", cwd=d)
    jid = cluster.submit("--array=1-7:3", script, cwd=d)         # tasks 1, 4, 7
    j = wait_done(cluster, jid)
    assert j["JobState"] == "COMPLETED", j
    assert array_tasks(j.get("ArrayTasks")) == {"COMPLETED": 3}, j
    task_job_ids = set()
    for t in (1, 4, 7):
        path = os.path.join(d, "slurm-%d_%d.out" % (jid, t))      # default slurm-%A_%a.out
        assert os.path.exists(path), os.listdir(d)
        env = dict(l.split("=", 1) for l in open(path).read().splitlines() if "=" in l)
        want = {
            "SLURM_ARRAY_JOB_ID": str(jid),
            "SLURM_ARRAY_TASK_ID": str(t),
            "SLURM_ARRAY_TASK_COUNT": "3",
            "SLURM_ARRAY_TASK_MIN": "1",
            "SLURM_ARRAY_TASK_MAX": "7",
            "SLURM_ARRAY_TASK_STEP": "3",
            "AWS_BATCH_JOB_ARRAY_INDEX": str(t),
            "AWS_BATCH_JOB_ARRAY_SIZE": "3",
        }
        got = {k: env.get(k) for k in want}
        assert got == want, "task %d: %s" % (t, open(path).read())
        task_job_ids.add(env["SLURM_JOB_ID"])
        # The task's own record.
        tj = cluster.job("%d_%d" % (jid, t))
        assert tj and tj["JobId"] == env["SLURM_JOB_ID"], tj
        assert tj["ArrayJobId"] == str(jid) and tj["ArrayTaskId"] == str(t), tj
    assert len(task_job_ids) == 3
    # sacct: one line per task, as 123_7.
    rows = [r for r in sacct_rows(cluster, jid, "JobID,State,ExitCode", ["-X"])]
    assert sorted(r["JobID"] for r in rows) == ["%d_%d" % (jid, t) for t in (1, 4, 7)], rows
    assert all(r["State"] == "COMPLETED" for r in rows), rows

    # %A and %a in -o / -e, with %x.
    jid2 = cluster.submit("--array=0-1", "-J", "pat", "-o", "o-%x-%A-%a.txt", "-e", "e-%A.%a.txt",
                          "--wrap", "echo out $SLURM_ARRAY_TASK_ID; echo err >&2", cwd=d)
    wait_done(cluster, jid2)
    for t in (0, 1):
        o = os.path.join(d, "o-pat-%d-%d.txt" % (jid2, t))
        e = os.path.join(d, "e-%d.%d.txt" % (jid2, t))
        assert os.path.exists(o) and os.path.exists(e), sorted(os.listdir(d))
        assert open(o).read() == "out %d\n" % t
        assert open(e).read() == "err\n"


def test_folding_summary_and_throttle_update(cluster):
    d = cluster.mkdir("fold")
    script = cluster.script("#!/bin/sh\nwhile [ ! -f go ]; do sleep 0.2; done\n", cwd=d)
    jid = cluster.submit("--array=0-9%2", "-o", "/dev/null", script, cwd=d)
    try:
        def two_running():
            lines = squeue(cluster, "-h", "-j", str(jid), "-o", "%i|%t|%r").splitlines()
            run = [l for l in lines if l.split("|")[1] == "R"]
            return lines if len(run) == 2 else None
        lines = wait_for(two_running, 60, "two tasks of %d running" % jid)
        pend = [l.split("|") for l in lines if l.split("|")[1] == "PD"]
        assert len(pend) == 1, lines                    # folded
        m = re.match(r"^%d_\[(.*)%%2\]$" % jid, pend[0][0])
        assert m, lines
        assert pend[0][2] == "JobArrayTaskLimit", lines
        running = sorted(int(l.split("|")[0].split("_")[1]) for l in lines
                         if l.split("|")[1] == "R")
        # -r: one line per task, all ten.
        allr = pending_ids(cluster, jid)
        assert sorted(allr) == sorted("%d_%d" % (jid, i) for i in range(10)), allr
        j = cluster.job(jid)
        assert j["ArraySize"] == "10", j
        assert array_tasks(j["ArrayTasks"]) == {"PENDING": 8, "RUNNING": 2}, j
        assert j["ArrayTaskThrottle"] == "2", j
        assert j["JobState"] == "PENDING", j
        # ArrayTaskId of the array's record lists the tasks not started.
        assert expand_idx(j["ArrayTaskId"]) == sorted(set(range(10)) - set(running)), j
        assert expand_idx(m.group(1)) == sorted(set(range(10)) - set(running)), lines

        cluster.ok(cluster.bin("scontrol"), "update", "JobId=%d" % jid, "ArrayTaskThrottle=4")
        assert cluster.job(jid)["ArrayTaskThrottle"] == "4"
        wait_for(lambda: array_tasks(cluster.job(jid)["ArrayTasks"]).get("RUNNING") == 4, 60,
                 "4 tasks running after raising the throttle")
        open(os.path.join(d, "go"), "w").close()
        j = wait_done(cluster, jid)
        assert j["JobState"] == "COMPLETED", j
        assert array_tasks(j["ArrayTasks"]) == {"COMPLETED": 10}, j
    finally:
        open(os.path.join(d, "go"), "w").close()


def test_throttle_respected_at_every_moment(cluster):
    d = cluster.mkdir("throttle")
    script = timed_script(cluster, d, sleep=1)
    jid = cluster.submit("--array=0-11%3", "-o", "/dev/null", script, cwd=d)
    j = wait_done(cluster, jid, timeout=180)
    assert j["JobState"] == "COMPLETED", j
    iv = intervals(d)
    assert sorted(iv) == sorted("%d_%d" % (jid, i) for i in range(12)), sorted(iv)
    conc = max_concurrency(iv.values())
    assert conc <= 3, "throttle 3 exceeded: %d tasks at once: %r" % (conc, iv)
    assert conc >= 2, "tasks never overlapped (throttle 3, 32 CPUs): %r" % iv


def test_scancel_task_range_and_whole_array(cluster):
    d = cluster.mkdir("scancel")
    jid = cluster.submit("-H", "--array=0-9", "-o", "/dev/null", "--wrap", "true", cwd=d)
    assert len(pending_ids(cluster, jid)) == 10
    cluster.ok(cluster.bin("scancel"), "%d_7" % jid)
    wait_for(lambda: "%d_7" % jid not in pending_ids(cluster, jid), 30, "task 7 to go")
    assert len(pending_ids(cluster, jid)) == 9
    cluster.ok(cluster.bin("scancel"), "%d_[1-3]" % jid)
    left = wait_for(lambda: (lambda p: p if len(p) == 6 else None)(pending_ids(cluster, jid)), 30,
                    "tasks 1-3 to go")
    assert sorted(left) == sorted("%d_%d" % (jid, i) for i in (0, 4, 5, 6, 8, 9)), left
    j = cluster.job(jid)
    assert array_tasks(j["ArrayTasks"]) == {"PENDING": 6, "CANCELLED": 4}, j
    cluster.ok(cluster.bin("scancel"), str(jid))
    j = wait_done(cluster, jid)
    assert j["JobState"] == "CANCELLED", j
    assert pending_ids(cluster, jid) == []
    assert array_tasks(j["ArrayTasks"]) == {"CANCELLED": 10}, j


def test_scancel_running_task(cluster):
    d = cluster.mkdir("scancelrun")
    script = cluster.script("#!/bin/sh\nwhile [ ! -f go ]; do sleep 0.2; done\n", cwd=d)
    jid = cluster.submit("--array=0-2", "-o", "/dev/null", script, cwd=d)
    try:
        cluster.wait_state("%d_1" % jid, "RUNNING")
        cluster.ok(cluster.bin("scancel"), "%d_1" % jid)
        cluster.wait_state("%d_1" % jid, "CANCELLED")
        open(os.path.join(d, "go"), "w").close()
        for t in (0, 2):
            cluster.wait_state("%d_%d" % (jid, t), "COMPLETED")
        j = wait_done(cluster, jid)
        # One task did not succeed, so the array did not.
        assert j["JobState"] in ("CANCELLED", "FAILED"), j
        assert array_tasks(j["ArrayTasks"]) == {"COMPLETED": 2, "CANCELLED": 1}, j
    finally:
        open(os.path.join(d, "go"), "w").close()


def test_array_fails_if_any_task_fails(cluster):
    d = cluster.mkdir("arrfail")
    jid = cluster.submit("--array=0-4", "-o", "/dev/null", "--wrap",
                         'if [ "$SLURM_ARRAY_TASK_ID" = 3 ]; then exit 3; fi', cwd=d)
    j = wait_done(cluster, jid)
    assert j["JobState"] == "FAILED", j
    assert j["BatchState"] == "FAILED", j
    assert array_tasks(j["ArrayTasks"]) == {"COMPLETED": 4, "FAILED": 1}, j
    t3 = cluster.job("%d_3" % jid)
    assert t3["JobState"] == "FAILED" and t3["ExitCode"] == "3:0", t3
    rows = {r["JobID"]: r for r in sacct_rows(cluster, jid, extra=["-X"])}
    assert rows["%d_3" % jid]["State"] == "FAILED", rows
    assert rows["%d_3" % jid]["ExitCode"] == "3:0", rows
    assert all(rows["%d_%d" % (jid, t)]["State"] == "COMPLETED" for t in (0, 1, 2, 4)), rows


@pytest.mark.parametrize("spec,word", [
    ("5-2", "5-2"),                 # backwards
    ("abc", "abc"),
    ("1-3%", "1-3%"),               # throttle without a number
    ("0-10001", "10001"),           # beyond MaxArraySize (indices below 10001)
    ("1-5:0", "1-5:0"),             # zero step
    ("1,,3", "1,,3"),
    ("-1", "-1"),
    ("", "array"),
])
def test_malformed_array_refused(cluster, spec, word):
    d = cluster.mkdir("badarray")
    r = sbatch_fail(cluster, "--array=" + spec, "--wrap", "true", cwd=d)
    assert "array" in r.err.lower(), r
    assert word in r.err, r
    assert not os.listdir(d), "a job ran: %s" % os.listdir(d)


def test_big_array_through_to_the_end(cluster):
    """A 10,000-task array: accepted in one request, stored compactly
    (one record while pending), every task runs exactly once (each appends
    its index to one file; short appends are atomic) and the array ends
    COMPLETED with a summary of 10,000."""
    d = cluster.mkdir("big")
    script = cluster.script('#!/bin/sh\necho "$SLURM_ARRAY_TASK_ID" >> %s/ran\n' % d, cwd=d)
    jid = cluster.submit("--array=0-%d" % (BIG - 1), "-o", "/dev/null", script, cwd=d)
    j = cluster.job(jid)
    assert j["ArraySize"] == str(BIG), j
    # Folded in squeue: the not-started tasks are one line.
    lines = squeue(cluster, "-h", "-j", str(jid), "-o", "%i %t").splitlines()
    assert sum(1 for l in lines if l.split()[1] == "PD") <= 1, lines[:5]
    j = wait_done(cluster, jid, timeout=900)
    assert j["JobState"] == "COMPLETED", j
    assert array_tasks(j["ArrayTasks"]) == {"COMPLETED": BIG}, j
    ran = open(os.path.join(d, "ran")).read().split()
    assert len(ran) == BIG, "%d lines for %d tasks" % (len(ran), BIG)
    assert sorted(map(int, ran)) == list(range(BIG)), "some task ran twice or never"
    rows = sacct_rows(cluster, jid, "JobID,State", ["-X"])
    done = {r["JobID"] for r in rows if r["State"] == "COMPLETED"}
    assert len(done) == BIG, "sacct shows %d completed tasks" % len(done)
