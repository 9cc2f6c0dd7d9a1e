"""Retries and timeouts (issue 3): --attempts with --retry-rule RETRY/EXIT
chosen by exit code, each attempt recorded (sacct -D), SLURM_RESTART_COUNT and
AWS_BATCH_JOB_ATTEMPT, output appended across attempts, a timed-out attempt
not retried, cancelled jobs not retried, malformed rules refused.  Also the
other ways a job waits or comes back: --begin, scontrol hold/release/requeue
and scontrol update of a pending job."""

import os
import time

import pytest

from conftest import wait_for
from modelutil import sacct_rows, sbatch_fail, timed_script, wait_done


@pytest.fixture(scope="module")
def cluster(cluster_factory):
    return cluster_factory(nodes=2, cpus=4, mem=4000, append="KillWait=2\n")


@pytest.fixture(autouse=True)
def clean(cluster):
    yield
    cluster.reset()


ATTEMPT_SCRIPT = """#!/bin/sh
echo "attempt $SLURM_RESTART_COUNT $AWS_BATCH_JOB_ATTEMPT $SLURMD_NODENAME"
n=$(cat codes | cut -d' ' -f$((SLURM_RESTART_COUNT + 1)))
exit ${n:-0}
"""


def attempt_job(cluster, d, codes, *opts):
    """A job whose attempt k exits with codes[k]; returns (id, out path)."""
    with open(os.path.join(d, "codes"), "w") as f:
        f.write(" ".join(str(c) for c in codes) + "\n")
    s = cluster.script(ATTEMPT_SCRIPT, cwd=d)
    jid = cluster.submit("-o", "out.txt", *(list(opts) + [s]), cwd=d)
    return jid, os.path.join(d, "out.txt")


def attempts_in(path):
    return [l.split() for l in open(path).read().splitlines() if l.startswith("attempt ")]


def test_retry_rule_retries_by_exit_code(cluster):
    d = cluster.mkdir("retry")
    jid, out = attempt_job(cluster, d, [3, 3, 0], "--attempts=3",
                           "--retry-rule=RETRY,onExitCode=3", "--retry-rule=EXIT")
    j = wait_done(cluster, jid, timeout=120)
    assert j["JobState"] == "COMPLETED", j
    assert j["Attempts"] == "3/3" and j["Restarts"] == "2", j
    # Output appended across attempts; attempt numbers as the job saw them.
    lines = attempts_in(out)
    assert [(l[1], l[2]) for l in lines] == [("0", "1"), ("1", "2"), ("2", "3")], lines
    rows = sacct_rows(cluster, jid, "JobID,State,ExitCode,NodeList,Start,End", ["-X", "-D"])
    rows = [r for r in rows if r["JobID"] == str(jid)]
    assert [(r["State"], r["ExitCode"]) for r in rows] == [
        ("REQUEUED", "3:0"), ("REQUEUED", "3:0"), ("COMPLETED", "0:0")], rows
    assert all(r["NodeList"] in cluster.nodes and r["Start"] not in ("", "Unknown")
               for r in rows), rows
    # Without -D: the last attempt only.
    rows = [r for r in sacct_rows(cluster, jid, extra=["-X"]) if r["JobID"] == str(jid)]
    assert [(r["State"], r["ExitCode"]) for r in rows] == [("COMPLETED", "0:0")], rows


def test_exit_rule_stops_retrying(cluster):
    d = cluster.mkdir("exitrule")
    jid, out = attempt_job(cluster, d, [4, 0, 0], "--attempts=3",
                           "--retry-rule=RETRY,onExitCode=3", "--retry-rule=EXIT,onExitCode=4")
    j = wait_done(cluster, jid)
    assert j["JobState"] == "FAILED" and j["ExitCode"] == "4:0", j
    assert j["Restarts"] == "0", j
    assert len(attempts_in(out)) == 1
    rows = [r for r in sacct_rows(cluster, jid, extra=["-X", "-D"]) if r["JobID"] == str(jid)]
    assert [r["State"] for r in rows] == ["FAILED"], rows


def test_first_matching_rule_decides_with_glob(cluster):
    d = cluster.mkdir("glob")
    # 12 matches RETRY,1* first (EXIT,onExitCode=12 comes second).
    jid, out = attempt_job(cluster, d, [12, 0], "--attempts=2",
                           "--retry-rule=retry,onexitcode=1*", "--retry-rule=EXIT,onExitCode=12")
    j = wait_done(cluster, jid)
    assert j["JobState"] == "COMPLETED", j
    assert len(attempts_in(out)) == 2


def test_no_rule_matches_retries_while_attempts_remain(cluster):
    d = cluster.mkdir("nomatch")
    jid, out = attempt_job(cluster, d, [5, 5, 5], "--attempts=3", "--retry-rule=EXIT,onExitCode=9")
    j = wait_done(cluster, jid, timeout=120)
    assert j["JobState"] == "FAILED" and j["ExitCode"] == "5:0", j
    assert j["Attempts"] == "3/3", j
    assert len(attempts_in(out)) == 3
    rows = [r for r in sacct_rows(cluster, jid, extra=["-X", "-D"]) if r["JobID"] == str(jid)]
    assert [r["State"] for r in rows] == ["REQUEUED", "REQUEUED", "FAILED"], rows


def test_attempts_without_rules(cluster):
    d = cluster.mkdir("norules")
    jid, out = attempt_job(cluster, d, [1, 0], "--attempts=2")
    assert wait_done(cluster, jid)["JobState"] == "COMPLETED"
    assert len(attempts_in(out)) == 2
    # Default: one attempt.
    jid, out = attempt_job(cluster, cluster.mkdir("one"), [1, 0])
    j = wait_done(cluster, jid)
    assert j["JobState"] == "FAILED" and j["Attempts"] == "1/1", j


def test_timed_out_attempt_not_retried(cluster):
    d = cluster.mkdir("timeout")
    s = cluster.script("#!/bin/sh\necho attempt $SLURM_RESTART_COUNT\nsleep 300\n", cwd=d)
    jid = cluster.submit("-t", "0:03", "--attempts=3", "--retry-rule=RETRY", "-o", "out.txt", s,
                         cwd=d)
    j = wait_done(cluster, jid, timeout=120)
    assert j["JobState"] == "TIMEOUT", j
    assert j["Restarts"] == "0", j
    assert open(os.path.join(d, "out.txt")).read().count("attempt") == 1
    rows = [r for r in sacct_rows(cluster, jid, extra=["-X", "-D"]) if r["JobID"] == str(jid)]
    assert [r["State"] for r in rows] == ["TIMEOUT"], rows


def test_cancelled_job_not_retried(cluster):
    d = cluster.mkdir("cancel")
    s = cluster.script("#!/bin/sh\necho attempt $SLURM_RESTART_COUNT\nsleep 300\n", cwd=d)
    jid = cluster.submit("--attempts=3", "--retry-rule=RETRY", "-o", "out.txt", s, cwd=d)
    cluster.wait_state(jid, "RUNNING")
    wait_for(lambda: os.path.exists(os.path.join(d, "out.txt")), 30, "the job's output")
    cluster.ok(cluster.bin("scancel"), str(jid))
    j = wait_done(cluster, jid)
    assert j["JobState"] == "CANCELLED", j
    # A job after it (afterany) has run: by then a retry would have shown.
    after = cluster.submit("-d", "afterany:%d" % jid, "-o", "/dev/null", "--wrap", "true", cwd=d)
    assert wait_done(cluster, after)["JobState"] == "COMPLETED"
    j = cluster.job(jid)
    assert j["JobState"] == "CANCELLED" and j["Restarts"] == "0", j
    assert open(os.path.join(d, "out.txt")).read().count("attempt") == 1
    # Cancelled while pending: never runs.
    p = cluster.submit("-H", "--attempts=3", "-o", "p.txt", "--wrap", "echo ran", cwd=d)
    cluster.ok(cluster.bin("scancel"), str(p))
    assert wait_done(cluster, p)["JobState"] == "CANCELLED"
    assert not os.path.exists(os.path.join(d, "p.txt"))


@pytest.mark.parametrize("opts,word", [
    (["--retry-rule=FOO"], "FOO"),
    (["--retry-rule=RETRY,onExitCode=abc"], "abc"),
    (["--retry-rule=RETRY,onBogus=1"], "onBogus"),
    (["--retry-rule=RETRY,onExitCode"], "onExitCode"),
    (["--retry-rule=EXIT"] * 6, "5"),
    (["--attempts=0"], "attempts"),
    (["--attempts=11"], "attempts"),
    (["--attempts=x"], "attempts"),
])
def test_malformed_retry_options_refused(cluster, opts, word):
    d = cluster.mkdir("badretry")
    r = sbatch_fail(cluster, *(opts + ["--wrap", "true"]), cwd=d)
    assert word.lower() in r.err.lower(), r
    if opts[0].startswith("--retry-rule"):
        assert "retry" in r.err.lower(), r
    assert not os.listdir(d)


# ---- starting later, holding, requeueing, updating ------------------------

def test_begin_time(cluster):
    d = cluster.mkdir("begin")
    s = timed_script(cluster, d)
    t0 = time.time()
    jid = cluster.submit("--begin=now+3", "-o", "/dev/null", s, cwd=d)
    j = cluster.job(jid)
    if j["JobState"] == "PENDING":
        assert j["Reason"] == "BeginTime", j
    assert j["BeginTime"] not in ("", "None", "N/A", "Unknown"), j
    assert wait_done(cluster, jid)["JobState"] == "COMPLETED"
    start = open(os.path.join(d, "times", str(jid))).read().split()[0]
    # It must not start before the time asked for (whole seconds).
    assert float(start) >= int(t0) + 3, (t0, start)

    # Far in the future: stays pending with BeginTime; update brings it forward.
    far = cluster.submit("--begin=now+1hour", "-o", "/dev/null", "--wrap", "true", cwd=d)
    j = cluster.wait_state(far, "PENDING")
    assert j["Reason"] == "BeginTime", j
    cluster.ok(cluster.bin("scontrol"), "update", "JobId=%d" % far, "StartTime=now")
    assert wait_done(cluster, far)["JobState"] == "COMPLETED"


def test_malformed_begin_refused(cluster):
    r = sbatch_fail(cluster, "--begin=tomorrowish", "--wrap", "true")
    assert "tomorrowish" in r.err, r


def test_hold_release_requeue(cluster):
    d = cluster.mkdir("requeue")
    jid = cluster.submit("-H", "-o", "out.txt", "--wrap",
                         "echo run $SLURM_RESTART_COUNT", cwd=d)
    j = cluster.wait_state(jid, "PENDING")
    assert j["Reason"] == "JobHeldUser", j
    cluster.ok(cluster.bin("scontrol"), "release", str(jid))
    assert wait_done(cluster, jid)["JobState"] == "COMPLETED"
    cluster.ok(cluster.bin("scontrol"), "requeue", str(jid))
    wait_for(lambda: open(os.path.join(d, "out.txt")).read().count("run") == 2, 60,
             "the requeued job to run again")
    j = wait_done(cluster, jid)
    assert j["JobState"] == "COMPLETED" and j["Restarts"] == "1", j
    assert open(os.path.join(d, "out.txt")).read() == "run 0\nrun 1\n"
    rows = [r for r in sacct_rows(cluster, jid, extra=["-X", "-D"]) if r["JobID"] == str(jid)]
    assert [r["State"] for r in rows] == ["REQUEUED", "COMPLETED"], rows


def test_requeue_running_job(cluster):
    d = cluster.mkdir("requeue2")
    s = cluster.script("""#!/bin/sh
echo run $SLURM_RESTART_COUNT
[ "$SLURM_RESTART_COUNT" != 0 ] || sleep 300
""", cwd=d)
    jid = cluster.submit("-o", "out.txt", s, cwd=d)
    cluster.wait_state(jid, "RUNNING")
    wait_for(lambda: os.path.exists(os.path.join(d, "out.txt")), 30, "output")
    cluster.ok(cluster.bin("scontrol"), "requeue", str(jid))
    j = wait_for(lambda: (lambda j: j if j["JobState"] == "COMPLETED" and j["Restarts"] == "1"
                          else None)(cluster.job(jid)), 120, "the requeued job to complete")
    assert open(os.path.join(d, "out.txt")).read() == "run 0\nrun 1\n", j


def test_update_pending_job(cluster):
    d = cluster.mkdir("update")
    a = cluster.submit("-H", "-o", "/dev/null", "--wrap", "true", cwd=d)
    jid = cluster.submit("-H", "--array=0-5%1", "-J", "before", "-t", "10",
                         "-d", "afterok:%d" % a, "-o", "/dev/null", "--wrap", "true", cwd=d)
    cluster.ok(cluster.bin("scontrol"), "update", "JobId=%d" % jid, "Name=after", "TimeLimit=7",
               "ArrayTaskThrottle=3", "Dependency=afterany:%d" % a)
    j = cluster.job(jid)
    assert j["JobName"] == "after", j
    assert j["TimeLimit"] in ("00:07:00", "07:00"), j
    assert j["ArrayTaskThrottle"] == "3", j
    assert j["Dependency"].startswith("afterany:%d" % a), j
    # Bad updates are refused and change nothing.
    for kv in ("TimeLimit=abc", "ArrayTaskThrottle=-2", "Dependency=afterok:nope"):
        r = cluster.run(cluster.bin("scontrol"), "update", "JobId=%d" % jid, kv)
        assert r.rc != 0 and r.err.strip(), r
    j = cluster.job(jid)
    assert j["TimeLimit"] in ("00:07:00", "07:00") and j["ArrayTaskThrottle"] == "3", j
    cluster.ok(cluster.bin("scancel"), str(a))
    cluster.ok(cluster.bin("scontrol"), "release", str(jid))
    j = wait_done(cluster, jid)
    assert j["JobState"] == "COMPLETED" and j["JobName"] == "after", j
